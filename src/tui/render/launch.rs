//! The launch form: the stage's config keys, editable; changed ones are marked and become
//! `--set` overrides for this run.

use super::super::app::App;
use super::super::form::ParamForm;
use super::super::theme::Role;
use super::{block, centered, clear};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App, form: &ParamForm, area: Rect) {
    let th = &app.theme;
    let h = (form.fields.len() as u16 + 5).min(area.height);
    let r = centered(area, 72, h);
    let visible = h.saturating_sub(5) as usize;
    let start = form.cursor.saturating_sub(visible.saturating_sub(1));
    let mut lines: Vec<Line> = form
        .fields
        .iter()
        .enumerate()
        .skip(start)
        .take(visible)
        .map(|(i, fl)| {
            let changed = fl.value != fl.original;
            let mut vs = th.style(if changed {
                Role::StepActive
            } else {
                Role::Text
            });
            if i == form.cursor {
                vs = vs.patch(th.style(Role::Selected));
            }
            Line::from(vec![
                Span::styled(
                    format!("{}{:<24}", if changed { "*" } else { " " }, fl.key),
                    th.style(Role::Dim),
                ),
                Span::styled(format!("{} ", fl.value), vs),
            ])
        })
        .collect();
    if !form.has_params() {
        lines.push(Line::styled(
            "(this stage has no parameters in tinct.toml)",
            th.style(Role::Dim),
        ));
    }
    lines.push(Line::raw(""));
    let ov = form.overrides();
    lines.push(Line::styled(
        if ov.is_empty() {
            "Enter: launch with tinct.toml as is".to_string()
        } else {
            format!("Enter: launch with --set {}", ov.join(" --set "))
        },
        th.style(Role::HelpKey),
    ));
    clear(f, r);
    f.render_widget(
        Paragraph::new(lines).block(block(
            app,
            format!(" Launch '{}' (Esc cancels) ", form.stage),
        )),
        r,
    );
}
