//! What the console records is what the operator decided: key presses go through `App`, their
//! effects through `tui::effects` onto a real project (the operations API), and the checklist
//! state and the journal on disk are checked. No terminal, no `tinct` subprocess per action.

#[path = "cli_support/mod.rs"]
mod cli_support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::Path;
use std::time::{Duration, Instant};
use tinct::journal::{Journal, Kind};
use tinct::ops::{self, Verdict};
use tinct::project::Project;
use tinct::sop::{Checklist, Status};
use tinct::tui::app::{App, Effect};
use tinct::tui::data::Source;
use tinct::tui::event::Event;
use tinct::tui::keymap::KeyMap;
use tinct::tui::source::ProjectSource;
use tinct::tui::theme::Theme;
use tinct::tui::{effects, sop_view};

fn key(c: KeyCode, m: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(c, m))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle(key(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

/// A project whose checklist stands at `verify-sync` (everything before it answered).
fn project_at_verify_sync() -> (tempfile::TempDir, Project) {
    let dir = cli_support::init_project(&[]);
    let p = Project::load(dir.path()).unwrap();
    for step in ["inspect-source", "inspect-reference"] {
        ops::answer_step(&p, step, Verdict::Done, None, None).unwrap();
    }
    ops::answer_step(
        &p,
        "colorspaces",
        Verdict::Done,
        Some("source Cineon log"),
        None,
    )
    .unwrap();
    ops::answer_step(&p, "sync", Verdict::Done, None, None).unwrap();
    (dir, p)
}

/// The console on `p`, with the checklist loaded as the runtime loads it.
fn console(p: &Project) -> (App, ProjectSource) {
    let source = ProjectSource::new(p.clone());
    let mut app = App::new(
        "test".into(),
        KeyMap::defaults(),
        Theme::embedded("default").unwrap(),
        false,
    );
    app.handle(Event::Checklist(sop_view::load(p).unwrap()));
    (app, source)
}

/// Carry the effects out on the project and hand the reports back to the app.
fn apply(app: &mut App, source: &ProjectSource, fx: Vec<Effect>) {
    for f in fx {
        for ev in effects::run(source, f).expect("a project effect") {
            app.handle(ev);
        }
    }
}

fn entries_at(p: &Project, step: &str) -> Vec<(Kind, String)> {
    Journal::open(p.journal_path())
        .entries()
        .unwrap()
        .into_iter()
        .filter(|e| e.step.as_deref() == Some(step))
        .map(|e| (e.kind, e.text))
        .collect()
}

fn status(p: &Project, step: &str) -> Status {
    Checklist::open(p).unwrap().status(step).unwrap()
}

#[test]
fn a_qc_fail_from_the_console_is_recorded_as_a_fail_once() {
    let (_dir, p) = project_at_verify_sync();
    let (mut app, source) = console(&p);
    assert_eq!(app.selected_step().unwrap().1.id, "verify-sync");
    app.handle(key(KeyCode::Enter, KeyModifiers::NONE));
    app.handle(key(KeyCode::Tab, KeyModifiers::NONE));
    typed(&mut app, "offset is off by one on shot 3");
    let fx = app.handle(key(KeyCode::Char('s'), KeyModifiers::CONTROL));
    apply(&mut app, &source, fx);

    assert_eq!(status(&p, "verify-sync"), Status::Failed);
    assert_eq!(
        entries_at(&p, "verify-sync"),
        vec![(Kind::QcFail, "offset is off by one on shot 3".to_string())]
    );
    // What follows stays blocked.
    assert!(matches!(status(&p, "suggest"), Status::Blocked { .. }));
}

#[test]
fn a_qc_pass_writes_one_entry_and_ticks_the_step() {
    let (_dir, p) = project_at_verify_sync();
    let (mut app, source) = console(&p);
    app.handle(key(KeyCode::Enter, KeyModifiers::NONE));
    typed(&mut app, "offset 7, confidence 0.92");
    let fx = app.handle(key(KeyCode::Char('s'), KeyModifiers::CONTROL));
    apply(&mut app, &source, fx);
    assert_eq!(status(&p, "verify-sync"), Status::Done);
    assert_eq!(
        entries_at(&p, "verify-sync"),
        vec![(Kind::QcPass, "offset 7, confidence 0.92".to_string())]
    );
}

#[test]
fn a_decision_from_the_console_completes_the_step() {
    let dir = cli_support::init_project(&[]);
    let p = Project::load(dir.path()).unwrap();
    for step in ["inspect-source", "inspect-reference"] {
        ops::answer_step(&p, step, Verdict::Done, None, None).unwrap();
    }
    let (mut app, source) = console(&p);
    assert_eq!(app.selected_step().unwrap().1.id, "colorspaces");
    app.handle(key(KeyCode::Enter, KeyModifiers::NONE));
    typed(&mut app, "source is Cineon log; reference Rec.709");
    let fx = app.handle(key(KeyCode::Char('s'), KeyModifiers::CONTROL));
    apply(&mut app, &source, fx);
    assert_eq!(status(&p, "colorspaces"), Status::Done);
    assert_eq!(
        entries_at(&p, "colorspaces"),
        vec![(
            Kind::Decision,
            "source is Cineon log; reference Rec.709".to_string()
        )]
    );
}

#[test]
fn a_refused_answer_writes_nothing() {
    let dir = cli_support::init_project(&[]);
    let p = Project::load(dir.path()).unwrap();
    // verify-sync is blocked: the answer is refused and the journal stays as it was.
    let before = std::fs::read_to_string(p.journal_path()).unwrap();
    let err = ops::answer_step(&p, "verify-sync", Verdict::Done, Some("looks fine"), None);
    assert!(err.is_err());
    assert_eq!(std::fs::read_to_string(p.journal_path()).unwrap(), before);
    // A decision without its rationale is refused too.
    ops::answer_step(&p, "inspect-source", Verdict::Done, None, None).unwrap();
    ops::answer_step(&p, "inspect-reference", Verdict::Done, None, None).unwrap();
    assert!(ops::answer_step(&p, "colorspaces", Verdict::Done, Some("  "), None).is_err());
    assert_eq!(entries_at(&p, "colorspaces"), vec![]);
}

/// Wait for a job to end and return its record.
fn wait_job(root: &Path, id: &str) -> tinct::jobs::JobInfo {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = tinct::jobs::find(root, id).unwrap();
        if job.state().is_final() {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn with_external(p: &Project, name: &str, script: &str) -> Project {
    let path = p.root.join("tinct.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[jobs.external.{name}]\nargv = [\"sh\", \"-c\", \"{script}\"]\n"
    ));
    std::fs::write(&path, text).unwrap();
    Project::load(&p.root).unwrap()
}

#[test]
fn a_job_launched_from_its_step_checks_the_step_itself_and_resume_names_the_new_job() {
    // Workers are this crate's `tinct` binary (the test binary cannot be one).
    // SAFETY: set before any thread of this test process reads the environment for it.
    unsafe { std::env::set_var("TINCT_EXE", env!("CARGO_BIN_EXE_tinct")) };
    let dir = cli_support::init_project(&[]);
    let p = Project::load(dir.path()).unwrap();
    for step in ["inspect-source", "inspect-reference"] {
        ops::answer_step(&p, step, Verdict::Done, None, None).unwrap();
    }
    ops::answer_step(&p, "colorspaces", Verdict::Done, Some("log"), None).unwrap();
    let p = with_external(&p, "quick", "echo offset 7");
    let p = with_external(&p, "broken", "exit 3");

    // The console launches from the step and is closed at once: no console is left to check it.
    let (app, source) = console(&p);
    drop(app);
    let id = source.launch("ext:quick", &[], Some("sync")).unwrap();
    drop(source);
    let job = wait_job(&p.root, &id);
    assert_eq!(job.record.step.as_deref(), Some("sync"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(&p, "sync") != Status::Done {
        assert!(Instant::now() < deadline, "the worker never checked sync");
        std::thread::sleep(Duration::from_millis(50));
    }
    let notes = entries_at(&p, "sync");
    assert!(
        notes
            .iter()
            .any(|(k, t)| *k == Kind::Note && t.contains(&id)),
        "{notes:?}"
    );

    // A failed job is resumed from the console: the status line names the new job.
    let (mut app, source) = console(&p);
    let failed = source.launch("ext:broken", &[], None).unwrap();
    wait_job(&p.root, &failed);
    apply(&mut app, &source, vec![Effect::Resume(failed.clone())]);
    let message = app.message.clone().expect("a status line").1;
    let jobs = tinct::jobs::list(&p.root);
    let new = jobs
        .iter()
        .find(|j| j.record.resume_from.is_some())
        .expect("a resumed job");
    assert_ne!(new.id(), failed);
    assert_eq!(
        message,
        format!("job {failed} resumed as job {}", new.id()),
        "{message}"
    );
}

#[test]
fn the_journal_view_shows_the_newest_entry_at_every_size() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let dir = cli_support::init_project(&[]);
    let p = Project::load(dir.path()).unwrap();
    for i in 0..12 {
        let text = format!(
            "entry {i}: a long observation about grain, gate weave and the density of the \
             highlights in shot {i}, long enough to wrap on a narrow terminal"
        );
        ops::note(&p, None, None, Kind::Note, None, &text).unwrap();
    }
    ops::note(&p, None, None, Kind::Note, None, "the newest note").unwrap();
    let source = ProjectSource::new(p.clone());
    for (w, h) in [(120, 40), (80, 24), (60, 20)] {
        let (mut app, _) = console(&p);
        app.handle(Event::Journal(source.journal(200).unwrap()));
        app.handle(key(KeyCode::Char('5'), KeyModifiers::NONE));
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| tinct::tui::render::draw(f, &app)).unwrap();
        let screen = t.backend().to_string();
        assert!(
            screen.contains("the newest note"),
            "{w}x{h}: newest entry not on screen:\n{screen}"
        );
    }
}
