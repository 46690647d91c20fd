//! The journal: newest entries last, like the file; scroll with the movement keys.

use super::super::app::App;
use super::super::theme::Role;
use super::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    let end = app.journal.len().saturating_sub(app.journal_scroll);
    for e in &app.journal[..end] {
        let role = match e.kind.as_str() {
            "qc-fail" => Role::JobFailed,
            "qc-pass" => Role::JobSucceeded,
            "decision" => Role::StepActive,
            _ => Role::StageTitle,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", e.when), th.style(Role::Dim)),
            Span::styled(format!("{} ", e.kind), th.style(role)),
            Span::styled(e.context.clone(), th.style(Role::Dim)),
        ]));
        for l in e.text.lines() {
            lines.push(Line::styled(format!("  {l}"), th.style(Role::Text)));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "the journal is empty — n writes a note",
            th.style(Role::Dim),
        ));
    }
    let h = area.height.saturating_sub(2) as usize;
    let scroll = lines.len().saturating_sub(h);
    let title = format!(
        " Journal · notes/experiments.md ({} entries) ",
        app.journal.len()
    );
    f.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .wrap(Wrap { trim: false })
            .block(block(app, title)),
        area,
    );
}
