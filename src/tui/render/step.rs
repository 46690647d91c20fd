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
    for l in s.instructions.lines() {
        lines.push(Line::styled(l.to_string(), th.style(Role::Text)));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(app, format!(" {} ", s.id))),
        area,
    );
}
