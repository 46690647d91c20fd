//! Console state transitions, driven through `App::handle` without a terminal.

#[path = "tui_fixture.rs"]
mod fixture;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tinct::tui::app::{Effect, Overlay, View};
use tinct::tui::data::{JobState, Kind, StepStatus};
use tinct::tui::event::Event;

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ch(c: char) -> Event {
    key(KeyCode::Char(c))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[test]
fn opens_at_the_current_step() {
    let app = fixture::app(false);
    let (_, s) = app.selected_step().unwrap();
    assert_eq!(s.id, "sync", "the first step not done is selected");
    assert_eq!(app.current_step(), Some(2));
}

#[test]
fn enter_on_an_action_step_opens_the_launch_form_and_launches_with_overrides() {
    let mut app = fixture::app(false);
    assert!(app.handle(key(KeyCode::Enter)).is_empty());
    let Some(Overlay::Launch(f)) = &app.overlay else {
        panic!("launch form expected, got {:?}", app.overlay)
    };
    assert_eq!(f.stage, "sync");
    app.fill_launch_form(vec![
        ("max-offset".into(), "48".into()),
        ("method".into(), "luma".into()),
    ]);
    // The form starts on the first parameter (max-offset): replace 48 by 96.
    app.handle(key(KeyCode::Backspace));
    app.handle(key(KeyCode::Backspace));
    app.handle(ch('9'));
    app.handle(ch('6'));
    let fx = app.handle(key(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Launch {
            stage: "sync".into(),
            step: Some("sync".into()),
            overrides: vec!["sync.max-offset=96".into()]
        }]
    );
    assert!(app.overlay.is_none());
    // The form opens again with what was typed this session.
    app.handle(key(KeyCode::Enter));
    app.fill_launch_form(vec![
        ("max-offset".into(), "48".into()),
        ("method".into(), "luma".into()),
    ]);
    let Some(Overlay::Launch(f)) = &app.overlay else {
        panic!("launch form expected")
    };
    assert_eq!(f.fields[1].value, "96");
    assert_eq!(f.overrides(), vec!["sync.max-offset=96".to_string()]);
}

#[test]
fn a_training_that_would_write_no_contact_sheet_is_warned_about() {
    let f = tinct::tui::form::ParamForm::new(
        "train",
        None,
        vec![
            ("steps".into(), "50".into()),
            ("contact-sheet-interval".into(), "100".into()),
        ],
    );
    assert!(f.warning().unwrap().contains("no contact sheet"));
    let ok = tinct::tui::form::ParamForm::new(
        "train",
        None,
        vec![
            ("steps".into(), "500".into()),
            ("contact-sheet-interval".into(), "100".into()),
        ],
    );
    assert!(ok.warning().is_none());
}

#[test]
fn the_launch_form_can_run_an_external_stage_instead() {
    let mut app = fixture::app(false);
    app.handle(key(KeyCode::Enter));
    app.fill_launch_form(vec![]);
    for _ in 0.."sync".len() {
        app.handle(key(KeyCode::Backspace));
    }
    for c in "ext:nuke".chars() {
        app.handle(ch(c));
    }
    let fx = app.handle(key(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Launch {
            stage: "ext:nuke".into(),
            step: Some("sync".into()),
            overrides: vec![]
        }]
    );
}

#[test]
fn blocked_steps_explain_what_they_wait_for() {
    let mut app = fixture::app(false);
    app.handle(ch('j'));
    assert_eq!(app.selected_step().unwrap().1.id, "verify-sync");
    assert!(app.handle(key(KeyCode::Enter)).is_empty());
    assert!(app.overlay.is_none());
    let (err, msg) = app.message.clone().unwrap();
    assert!(err && msg.contains("waits for: sync"), "{msg}");
}

#[test]
fn a_decision_step_asks_for_a_multi_line_note_and_checks_the_step() {
    let mut app = fixture::app(false);
    app.handle(Event::Checklist({
        let mut s = fixture::stages();
        s[0].steps[1].status = StepStatus::Ready;
        s
    }));
    assert_eq!(app.selected_step().unwrap().1.id, "colorspaces");
    app.handle(key(KeyCode::Enter));
    for c in "Cineon log".chars() {
        app.handle(ch(c));
    }
    app.handle(key(KeyCode::Enter));
    for c in "ref 709".chars() {
        app.handle(ch(c));
    }
    // q inside the editor is text, not quit.
    app.handle(ch('q'));
    assert!(!app.quit);
    let fx = app.handle(ctrl('s'));
    assert_eq!(
        fx,
        vec![Effect::Note {
            stage: Some("dataset".into()),
            step: Some("colorspaces".into()),
            kind: Kind::Decision,
            text: "Cineon log\nref 709q".into(),
            check: true
        }]
    );
}

#[test]
fn qc_answers_toggle_between_pass_and_fail_and_empty_notes_are_refused() {
    let mut app = fixture::app(false);
    app.handle(Event::Checklist({
        let mut s = fixture::stages();
        s[0].steps[3].status = StepStatus::Ready;
        s[0].steps[2].status = StepStatus::Done;
        s
    }));
    app.handle(key(KeyCode::Enter));
    assert!(
        app.handle(ctrl('s')).is_empty(),
        "an empty answer is not saved"
    );
    assert!(matches!(app.overlay, Some(Overlay::Note(_))));
    app.handle(key(KeyCode::Tab));
    for c in "drift".chars() {
        app.handle(ch(c));
    }
    let fx = app.handle(ctrl('s'));
    assert!(
        matches!(
            &fx[..],
            [Effect::Note {
                kind: Kind::QcFail,
                check: true,
                ..
            }]
        ),
        "{fx:?}"
    );
}

#[test]
fn e_on_an_empty_note_hands_off_to_the_editor_and_the_text_comes_back() {
    let mut app = fixture::app(false);
    app.handle(ch('n'));
    assert_eq!(app.handle(ch('E')), vec![Effect::OpenEditor(String::new())]);
    app.editor_returned("long note\nfrom vim\n".into());
    let fx = app.handle(ctrl('s'));
    assert!(
        matches!(&fx[..], [Effect::Note { text, check: false, .. }] if text == "long note\nfrom vim"),
        "{fx:?}"
    );
}

#[test]
fn views_cycle_and_jobs_can_be_attached_cancelled_and_resumed() {
    let mut app = fixture::app(false);
    app.handle(key(KeyCode::Tab));
    assert_eq!(app.view, View::Jobs);
    assert_eq!(
        app.handle(ch('a')),
        vec![Effect::Attach("0007-train".into())]
    );
    assert!(app.handle(ch('c')).is_empty(), "a cancel waits for a yes");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .1
            .contains("cancel job 0007-train")
    );
    assert!(
        app.handle(ch('n')).is_empty(),
        "any other key keeps the job"
    );
    assert!(app.confirm.is_none());
    app.handle(ch('c'));
    assert_eq!(
        app.handle(ch('y')),
        vec![Effect::Cancel("0007-train".into())]
    );
    assert!(
        app.handle(ch('r')).is_empty(),
        "a running job does not resume"
    );
    app.handle(ch('j'));
    assert_eq!(
        app.handle(ch('r')),
        vec![Effect::Resume("0006-train".into())]
    );
    app.handle(ch('j'));
    app.handle(ch('j'));
    assert_eq!(app.selected_job().unwrap().state, JobState::Lost);
    assert_eq!(
        app.handle(ch('r')),
        vec![Effect::Resume("0004-sync".into())]
    );
    app.handle(key(KeyCode::Esc));
    assert!(app.attached.is_none());
    app.handle(key(KeyCode::BackTab));
    assert_eq!(app.view, View::Checklist);
}

#[test]
fn a_job_finishing_is_announced() {
    let mut app = fixture::app(false);
    let mut jobs = fixture::jobs();
    jobs[0].state = JobState::Succeeded;
    app.handle(Event::JobUpdate(jobs));
    let (err, msg) = app.message.clone().unwrap();
    assert!(
        !err && msg.contains("0007-train") && msg.contains("succeeded"),
        "{msg}"
    );
}

#[test]
fn telemetry_off_screen_does_not_ask_for_a_redraw() {
    let mut app = fixture::app(false);
    app.dirty = false;
    app.handle(Event::Telemetry(
        fixture::telemetry_samples().remove(0),
        None,
    ));
    assert!(
        !app.dirty,
        "the checklist shows no telemetry: nothing to draw"
    );
    app.handle(ch('4'));
    app.dirty = false;
    app.handle(Event::Telemetry(
        fixture::telemetry_samples().remove(0),
        None,
    ));
    assert!(app.dirty);
}

#[test]
fn monitor_settings_change_with_keys() {
    let mut app = fixture::app(false);
    app.handle(ch('3'));
    app.handle(ch('L'));
    app.handle(ch('-'));
    app.handle(ch('o'));
    assert!(app.monitor.log_scale && app.monitor.overlay);
    assert!((app.monitor.smoothing - 0.85).abs() < 1e-9);
    for _ in 0..30 {
        app.handle(ch('+'));
    }
    assert!(app.monitor.smoothing <= 0.99);
}

#[test]
fn the_cursor_stays_on_the_operators_step_across_reloads() {
    let mut app = fixture::app(false);
    app.handle(ch('k'));
    assert_eq!(app.selected_step().unwrap().1.id, "colorspaces");
    app.handle(Event::Checklist(fixture::stages()));
    assert_eq!(app.selected_step().unwrap().1.id, "colorspaces");
    assert_eq!(
        app.handle(ch('u')),
        vec![Effect::UndoStep("colorspaces".into())]
    );
}

#[test]
fn q_quits_and_help_opens() {
    let mut app = fixture::app(false);
    app.handle(ch('?'));
    assert_eq!(app.overlay, Some(Overlay::Help));
    app.handle(ch('x'));
    assert!(app.overlay.is_none());
    app.handle(ch('q'));
    assert!(app.quit);
}

#[test]
fn launching_a_step_that_is_already_done_asks_first() {
    let mut app = fixture::app(false);
    let sync = app.steps().position(|(_, s)| s.id == "sync").unwrap();
    let mut stages = app.stages.clone();
    for st in &mut stages {
        for s in &mut st.steps {
            if s.id == "sync" {
                s.status = tinct::tui::data::StepStatus::Done;
            }
        }
    }
    app.stages = stages;
    app.cursor = sync;
    assert!(app.handle(key(KeyCode::Enter)).is_empty());
    assert!(
        app.overlay.is_none(),
        "no form before the operator says yes"
    );
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .1
            .contains("is done: run sync again?")
    );
    app.handle(key(KeyCode::Esc));
    assert!(app.overlay.is_none() && app.confirm.is_none());
    app.handle(key(KeyCode::Enter));
    app.handle(ch('y'));
    assert!(
        matches!(&app.overlay, Some(tinct::tui::app::Overlay::Launch(f)) if f.stage == "sync"),
        "y opens the launch form"
    );
}

#[test]
fn long_job_ids_show_as_their_unique_tail() {
    use tinct::tui::render::jobs::short_id;
    let mut jobs = fixture::jobs();
    for (j, id) in jobs.iter_mut().zip([
        "20261206-192101-train-5408",
        "20261206-192101-train-5409",
        "20261206-180000-sync-5408a",
    ]) {
        j.id = id.into();
    }
    // "5408" is also inside another id, so one more part is kept.
    assert_eq!(short_id("20261206-192101-train-5408", &jobs), "train-5408");
    assert_eq!(short_id("20261206-192101-train-5409", &jobs), "5409");
    assert_eq!(
        short_id("0007-train", &jobs),
        "0007-train",
        "short ids stay whole"
    );
}
