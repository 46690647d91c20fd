//! The bottom line: the last message (errors stand out), else key hints from the key map.

use super::super::app::{App, Overlay, View};
use super::super::keymap::Action;
use super::super::theme::Role;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let line = match &app.message {
        Some((true, m)) => Line::from(Span::styled(format!(" {m}"), th.style(Role::StatusError))),
        Some((false, m)) => Line::from(Span::styled(format!(" {m}"), th.style(Role::StatusBar))),
        None => Line::from(Span::styled(
            format!(" {}", hints(app)),
            th.style(Role::StatusBar),
        )),
    };
    f.render_widget(Paragraph::new(line).style(th.style(Role::StatusBar)), area);
}

fn hints(app: &App) -> String {
    let k = |a| app.keymap.first_key(a).to_string();
    let mut parts: Vec<String> = match (&app.overlay, app.view) {
        (Some(Overlay::Note(_)), _) => vec![
            "Ctrl-s save".into(),
            "Ctrl-e $EDITOR".into(),
            "Esc discard".into(),
        ],
        (Some(Overlay::Launch(_)), _) => vec![
            "Enter launch".into(),
            "Up/Down field".into(),
            "type to edit".into(),
            "Esc cancel".into(),
        ],
        (Some(Overlay::Help), _) => vec![
            "j/k PgDn/PgUp g/G scroll".into(),
            "any other key closes".into(),
        ],
        (None, View::Checklist) => vec![
            format!("{} run step", k(Action::Activate)),
            format!("{} note", k(Action::Note)),
            format!("{} undo", k(Action::UndoStep)),
        ],
        (None, View::Jobs) => vec![
            format!("{} attach", k(Action::AttachJob)),
            format!("{} cancel", k(Action::CancelJob)),
            format!("{} resume", k(Action::ResumeJob)),
        ],
        (None, View::Monitor) => vec![
            format!("{} log", k(Action::LogScale)),
            format!(
                "{}/{} smoothing",
                k(Action::SmoothMore),
                k(Action::SmoothLess)
            ),
            format!("{} overlay", k(Action::OverlayRuns)),
        ],
        (None, _) => vec![],
    };
    if app.overlay.is_none() {
        parts.push(format!("{} help", k(Action::Help)));
        parts.push(format!("{} quit", k(Action::Quit)));
    }
    parts.join(" · ")
}
