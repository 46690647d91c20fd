//! The help overlay, generated from the key map (so it always tells the truth).

use super::super::app::App;
use super::super::keymap::Action;
use super::super::theme::Role;
use super::{block, centered, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let lines: Vec<Line> = Action::ALL
        .iter()
        .map(|a| {
            let keys = app
                .keymap
                .bindings
                .get(a)
                .map(|k| k.join(" "))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(format!("{keys:<16}"), th.style(Role::HelpKey)),
                Span::styled(a.help().to_string(), th.style(Role::Text)),
            ])
        })
        .collect();
    let r = centered(area, 78, lines.len() as u16 + 2);
    let rows = r.height.saturating_sub(2) as usize;
    let scroll = app.help_scroll.min(lines.len().saturating_sub(rows));
    let title = if rows < lines.len() {
        format!(
            " Keys {}-{} of {} (j/k scroll, any other key closes) ",
            scroll + 1,
            (scroll + rows).min(lines.len()),
            lines.len()
        )
    } else {
        " Keys (any key closes) ".to_string()
    };
    clear(f, r);
    f.render_widget(
        Paragraph::new(lines)
            .scroll((scroll as u16, 0))
            .block(block(app, title)),
        r,
    );
}
