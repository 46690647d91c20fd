//! The note / decision / QC editor overlay (multi-line); long notes go to `$EDITOR`.

use super::super::app::{App, NoteDraft};
use super::super::data::Kind;
use super::super::theme::Role;
use super::{block, centered, clear};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(f: &mut Frame, app: &App, d: &NoteDraft, area: Rect) {
    let th = &app.theme;
    let r = centered(area, 76, 14.min(area.height));
    clear(f, r);
    let mut head = vec![Span::styled(d.prompt.clone(), th.style(Role::StageTitle))];
    if matches!(d.kind, Kind::QcPass | Kind::QcFail) {
        let role = if d.kind == Kind::QcPass {
            Role::JobSucceeded
        } else {
            Role::JobFailed
        };
        head.push(Span::styled(
            format!(
                "  [{}]",
                if d.kind == Kind::QcPass {
                    "PASS"
                } else {
                    "FAIL"
                }
            ),
            th.style(role),
        ));
    }
    let mut lines = vec![Line::from(head), Line::raw("")];
    let text_top = lines.len();
    lines.extend(
        d.text
            .lines
            .iter()
            .map(|l| Line::styled(l.clone(), th.style(Role::Text))),
    );
    let inner_h = r.height.saturating_sub(2) as usize;
    let scroll = (text_top + d.text.row + 1).saturating_sub(inner_h);
    let title = format!(
        " {} · Ctrl-s save · Ctrl-e $EDITOR · Esc discard ",
        d.kind.id()
    );
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0))
            .block(block(app, title)),
        r,
    );
    let col: usize = d
        .text
        .lines
        .get(d.text.row)
        .map(|l| l.chars().take(d.text.col).map(|_| 1).sum())
        .unwrap_or(0);
    let x = r.x + 1 + (col as u16).min(r.width.saturating_sub(3));
    let y = r.y + 1 + (text_top + d.text.row - scroll) as u16;
    if y < r.bottom().saturating_sub(1) {
        f.set_cursor_position(Position::new(x, y));
    }
}
