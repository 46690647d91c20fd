//! The SOP checklist: stages as headers, steps with progress glyphs; the current step marked,
//! the selected one highlighted. Beside it (or below, when narrow) the step's detail and a
//! one-line-per-job strip.

use super::super::app::App;
use super::super::data::StepStatus;
use super::super::theme::Role;
use super::{block, glyphs, jobs, step};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

pub fn draw_view(f: &mut Frame, app: &App, area: Rect) {
    let live_jobs = app
        .jobs
        .iter()
        .filter(|j| !j.state.is_final())
        .count()
        .clamp(1, 3) as u16;
    let [main, strip] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(live_jobs + 2)]).areas(area);
    if area.width >= 100 {
        let [list, detail] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(main);
        draw(f, app, list);
        step::draw(f, app, detail);
    } else {
        let [list, detail] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
        draw(f, app, list);
        step::draw(f, app, detail);
    }
    jobs::draw_strip(f, app, strip, live_jobs as usize);
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let g = glyphs(app.ascii);
    let done = app
        .steps()
        .filter(|(_, s)| s.status == StepStatus::Done)
        .count();
    let total = app.steps().count();
    let current = app.current_step();
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    let mut i = 0;
    for stage in &app.stages {
        let sd = stage
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Done)
            .count();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", stage.title), th.style(Role::StageTitle)),
            Span::styled(format!("{sd}/{}", stage.steps.len()), th.style(Role::Dim)),
        ]));
        for s in &stage.steps {
            // A failed QC keeps its own mark even when it is the current step.
            let (glyph, role) = match &s.status {
                StepStatus::Done => (g.done, Role::StepDone),
                StepStatus::Failed(_) => (g.failed, Role::JobFailed),
                _ if Some(i) == current => (g.current, Role::StepActive),
                StepStatus::Ready => (g.ready, Role::StepReady),
                StepStatus::Blocked(_) => (g.blocked, Role::StepBlocked),
            };
            let mut style = th.style(role);
            if i == app.cursor {
                style = style.patch(th.style(Role::Selected));
                selected_line = lines.len();
            }
            // The title gives way on a narrow pane, never the kind tag.
            let tag = format!("[{}]", s.kind.id());
            let room = (area.width as usize).saturating_sub(2 + glyph.width() + 1 + tag.width());
            lines.push(Line::from(vec![
                Span::styled(glyph, th.style(role)),
                Span::styled(format!("{} ", super::jobs::truncate(&s.title, room)), style),
                Span::styled(tag, th.style(Role::Dim)),
            ]));
            i += 1;
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled("no SOP loaded", th.style(Role::Warning)));
    }
    let inner_h = area.height.saturating_sub(2) as usize;
    let scroll = selected_line
        .saturating_sub(inner_h.saturating_sub(2).max(1) / 2 + inner_h / 4)
        .min(lines.len().saturating_sub(inner_h));
    let title = format!(" SOP {done}/{total} ");
    f.render_widget(
        Paragraph::new(lines)
            .block(block(app, title))
            .scroll((scroll as u16, 0)),
        area,
    );
}
