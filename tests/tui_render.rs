//! Snapshots of the console drawn on a `TestBackend` at 120x40, 80x24 and a narrow 60x20,
//! plus the generated key and theme tables (so the README cannot drift from the code).

#[path = "tui_fixture.rs"]
mod fixture;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tinct::tui::app::App;
use tinct::tui::event::Event;
use tinct::tui::render;

fn draw(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render::draw(f, app)).unwrap();
    t.backend().to_string()
}

fn key(c: char) -> Event {
    Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

fn view(keys: &str, ascii: bool) -> App {
    let mut app = fixture::app(ascii);
    for c in keys.chars() {
        app.handle(key(c));
    }
    app.message = None;
    app
}

macro_rules! snap {
    ($name:ident, $keys:expr, $ascii:expr) => {
        #[test]
        fn $name() {
            let app = view($keys, $ascii);
            for (w, h) in [(120, 40), (80, 24), (60, 20)] {
                insta::assert_snapshot!(format!("{}_{w}x{h}", stringify!($name)), draw(&app, w, h));
            }
        }
    };
}

snap!(checklist, "", false);
snap!(jobs, "2", false);
snap!(monitor, "3", false);
snap!(telemetry, "4", false);
snap!(journal, "5", false);
snap!(help, "?", false);
snap!(help_scrolled_to_end, "?G", false);
snap!(checklist_ascii, "", true);
snap!(monitor_ascii, "3", true);

#[test]
fn ascii_mode_draws_no_unicode() {
    for keys in ["", "2", "3", "4", "5", "?"] {
        let out = draw(&view(keys, true), 120, 40);
        let bad: Vec<char> = out.chars().filter(|c| !c.is_ascii()).collect();
        assert!(bad.is_empty(), "view '{keys}' has non-ASCII {bad:?}");
    }
}

#[test]
fn no_gpu_shows_the_reason() {
    let mut app = view("4", false);
    app.handle(Event::Telemetry(
        Default::default(),
        Some("no NVIDIA GPU: NVML library not found".into()),
    ));
    assert!(draw(&app, 120, 40).contains("no NVIDIA GPU: NVML library not found"));
}

#[test]
fn keys_table() {
    insta::assert_snapshot!(tinct::tui::keymap::KeyMap::defaults().table());
}

#[test]
fn themes_table() {
    insta::assert_snapshot!(tinct::tui::theme::table());
}

#[test]
fn a_long_step_title_gives_way_to_its_kind_and_a_failed_qc_keeps_its_mark() {
    use tinct::tui::data::StepStatus;
    let mut app = fixture::app(false);
    let mut stages = app.stages.clone();
    for st in &mut stages {
        for s in &mut st.steps {
            if s.id == "colorspaces" {
                s.title =
                    "Decide how the source scan and the reference transfer are encoded".into();
            }
            if s.id == "sync" {
                s.status = StepStatus::Done;
            }
            if s.id == "verify-sync" {
                s.status = StepStatus::Failed("shot 3 is one frame late".into());
            }
        }
    }
    app.stages = stages;
    for (w, h) in [(120, 40), (80, 24), (60, 20)] {
        let screen = draw(&app, w, h);
        let row = screen
            .lines()
            .find(|l| l.contains("Decide how"))
            .unwrap_or_else(|| panic!("no colourspace row at {w}x{h}:\n{screen}"));
        assert!(
            row.contains("…") && row.contains("[decision]"),
            "{w}x{h}: {row}"
        );
        let qc = screen
            .lines()
            .find(|l| l.contains("Verify the sync"))
            .unwrap();
        assert!(
            qc.contains("✘"),
            "the failed QC step (also the current one) shows ✘: {qc}"
        );
    }
}

#[test]
fn sop_text_is_reflowed_once_and_the_step_detail_scrolls() {
    use tinct::tui::render::step::reflow;
    let text = "Play the reference at speed, then step\nthrough it around a few cuts. Look at:\n- frame cadence: a 29.97 transfer\n  repeats a field;\n- framing: letterbox bars.\n\nGood: one frame per film frame.";
    assert_eq!(
        reflow(text),
        vec![
            "Play the reference at speed, then step through it around a few cuts. Look at:",
            "- frame cadence: a 29.97 transfer repeats a field;",
            "- framing: letterbox bars.",
            "",
            "Good: one frame per film frame.",
        ]
    );
    let mut app = fixture::app(false);
    let before = draw(&app, 80, 24);
    app.handle(key('J'));
    let after = draw(&app, 80, 24);
    assert_ne!(before, after, "J scrolls the step detail");
    assert!(after.contains("from line 4"), "{after}");
    app.handle(key('j'));
    assert_eq!(app.detail_scroll, 0, "another step starts at its top");
}
