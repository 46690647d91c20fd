//! The journal: newest entries last, like the file; scroll with the movement keys.

use super::super::app::App;
use super::super::theme::Role;
use super::block;
use super::wrap::wrap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let width = area.width.saturating_sub(2) as usize;
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
        // The heading row may be wider than the pane: it is clipped, not wrapped, so every
        // entry's first row stays one row.
        for l in e.text.lines() {
            for row in wrap(l, width, "  ") {
                lines.push(Line::styled(row, th.style(Role::Text)));
            }
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "the journal is empty — n writes a note",
            th.style(Role::Dim),
        ));
    }
    // Rows are wrapped above, so the count is what the pane shows: the newest entry ends on
    // the last row.
    let h = area.height.saturating_sub(2) as usize;
    let scroll = lines.len().saturating_sub(h);
    let title = format!(
        " Journal · notes/experiments.md ({} entries) ",
        app.journal.len()
    );
    f.render_widget(
        Paragraph::new(lines)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0))
            .block(block(app, title)),
        area,
    );
}
