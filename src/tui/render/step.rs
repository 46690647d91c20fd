//! The selected step: kind, instructions, what it waits for, and what Enter will do.

use super::super::app::App;
use super::super::data::{StepKind, StepStatus};
use super::super::keymap::Action;
use super::super::theme::Role;
use super::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some((stage, s)) = app.selected_step() else {
        f.render_widget(Paragraph::new("").block(block(app, " Step ")), area);
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} · ", stage.title), th.style(Role::Dim)),
        Span::styled(s.title.clone(), th.style(Role::StageTitle)),
    ])];
    let key = app.keymap.first_key(Action::Activate);
    let (state, role) = match &s.status {
        StepStatus::Done => ("done".to_string(), Role::StepDone),
        StepStatus::Ready => match s.kind {
            StepKind::Action => (
                format!(
                    "ready — {key}: set parameters and launch '{}'",
                    s.stage.as_deref().unwrap_or(&stage.id)
                ),
                Role::StepActive,
            ),
            StepKind::Qc => (
                format!("ready — {key}: record QC pass/fail with notes"),
                Role::StepActive,
            ),
            StepKind::Decision => (
                format!("ready — {key}: record your decision and why"),
                Role::StepActive,
            ),
            StepKind::Check => (
                format!("ready — {key}: confirm with a note"),
                Role::StepActive,
            ),
        },
        StepStatus::Failed(note) => (
            format!("QC failed ({note}) — {key}: record it again once fixed"),
            Role::JobFailed,
        ),
        StepStatus::Blocked(open) => (format!("waits for: {}", open.join(", ")), Role::StepBlocked),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("[{}] ", s.kind.id()), th.style(Role::Dim)),
        Span::styled(state, th.style(role)),
    ]));
    if let Some(j) = app
        .jobs
        .iter()
        .filter(|j| j.step.as_deref() == Some(s.id.as_str()))
        .max_by_key(|j| j.started)
    {
        let what = j
            .result
            .clone()
            .unwrap_or_else(|| j.state.as_str().to_string());
        lines.push(Line::from(vec![
            Span::styled(format!("last job {}: ", j.id), th.style(Role::Dim)),
            Span::styled(what, th.style(super::jobs::state_role(j.state))),
        ]));
    }
    lines.push(Line::raw(""));
    for l in reflow(&s.instructions) {
        lines.push(Line::styled(l, th.style(Role::Text)));
    }
    let scroll = app.detail_scroll.min(lines.len().saturating_sub(1) as u16);
    let title = if scroll > 0 {
        format!(" {} (from line {}, K: back up) ", s.id, scroll + 1)
    } else {
        format!(" {} ", s.id)
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block(app, title)),
        area,
    );
}

/// SOP text as paragraphs and list items, so the pane wraps it once at its own width: the
/// TOML's hard line breaks inside a paragraph (or a list item's indented continuation) are
/// joined; blank lines and `- `/`* `/`1. ` items start anew.
pub fn reflow(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut para = String::new();
    for line in text.lines() {
        let t = line.trim();
        let item = t.starts_with("- ")
            || t.starts_with("* ")
            || t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if t.is_empty() || item || para.is_empty() {
            if !para.is_empty() {
                out.push(std::mem::take(&mut para));
            }
            if t.is_empty() {
                out.push(String::new());
                continue;
            }
            para = line.trim_end().to_string();
        } else {
            para.push(' ');
            para.push_str(t);
        }
    }
    if !para.is_empty() {
        out.push(para);
    }
    out
}
