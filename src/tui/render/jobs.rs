//! Jobs: every run with state, progress bar, elapsed and ETA; the attached job's live log.

use super::super::app::App;
use super::super::data::{ChunkCell, JobState, JobView};
use super::super::theme::Role;
use super::{bar, block, duration};
use crate::farm::ChunkState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn state_role(s: JobState) -> Role {
    match s {
        JobState::Queued => Role::JobQueued,
        JobState::Running => Role::JobRunning,
        JobState::Succeeded => Role::JobSucceeded,
        JobState::Failed => Role::JobFailed,
        JobState::Cancelled => Role::JobCancelled,
        JobState::Lost => Role::JobLost,
    }
}

fn elapsed(app: &App, j: &JobView) -> String {
    match (j.started, j.ended) {
        (Some(s), Some(e)) => duration(e.saturating_sub(s) as f64 / 1000.0),
        (Some(s), None) if app.now_ms >= s => duration((app.now_ms - s) as f64 / 1000.0),
        _ => "—".into(),
    }
}

fn job_line<'a>(app: &App, j: &JobView, width: u16, selected: bool) -> Line<'a> {
    let th = &app.theme;
    let eta = match (j.state, j.eta_s) {
        (JobState::Running, Some(e)) => format!("ETA {}", duration(e)),
        _ => String::new(),
    };
    let fixed = 14 + 10 + 11 + 9 + 12;
    let bar_w = (width as usize).saturating_sub(fixed + 2).clamp(6, 40);
    let mut id_style = th.style(Role::Text);
    if selected {
        id_style = id_style.patch(th.style(Role::Selected));
    }
    Line::from(vec![
        Span::styled(
            format!("{:<14}", truncate(&short_id(&j.id, &app.jobs), 13)),
            id_style,
        ),
        Span::styled(
            format!("{:<10}", truncate(&j.stage, 9)),
            th.style(Role::Text),
        ),
        Span::styled(
            format!("{:<11}", j.state.as_str()),
            th.style(state_role(j.state)),
        ),
        Span::styled(
            if j.chunks.is_empty() {
                bar(j.progress, bar_w, app.ascii)
            } else {
                chunk_bar(&j.chunks, j.progress, bar_w, app.ascii)
            },
            th.style(Role::Gauge),
        ),
        Span::styled(format!(" {:>8}", elapsed(app, j)), th.style(Role::Dim)),
        Span::styled(format!(" {eta}"), th.style(Role::Dim)),
    ])
}

/// The job id as the list shows it: whole when it fits, else its shortest tail (at a `-`) that
/// no other listed job's id contains: `20261206-192101-train-5408` shows as `5408`, which
/// `tinct cancel`/`attach` accept as they are.
pub fn short_id(id: &str, jobs: &[JobView]) -> String {
    if id.chars().count() <= 13 {
        return id.to_string();
    }
    let cuts = id.match_indices('-').map(|(i, _)| i + 1).rev();
    for at in cuts {
        let tail = &id[at..];
        let shared = jobs
            .iter()
            .filter(|j| j.id != id && j.id.contains(tail))
            .count();
        if shared == 0 && !tail.is_empty() {
            return tail.to_string();
        }
    }
    id.to_string()
}

/// A farm job's bar: one cell per chunk (or per group of chunks on a narrow terminal), full
/// when done, shaded while it renders, `x` when it failed, empty while queued or missing;
/// then the percentage of frames on disk.
fn chunk_bar(chunks: &[ChunkCell], progress: Option<f64>, width: usize, ascii: bool) -> String {
    let cells = width.saturating_sub(5).max(1);
    let glyph = |c: &ChunkCell| match c.state {
        ChunkState::Done => {
            if ascii {
                "#"
            } else {
                "█"
            }
        }
        ChunkState::Running if c.done >= 0.5 => {
            if ascii {
                "="
            } else {
                "▓"
            }
        }
        ChunkState::Running => {
            if ascii {
                "-"
            } else {
                "▒"
            }
        }
        ChunkState::Failed => "x",
        ChunkState::Queued | ChunkState::Missing => {
            if ascii {
                "."
            } else {
                "·"
            }
        }
    };
    // Each cell shows the worst chunk it covers, so one failed chunk is never hidden.
    let rank = |c: &ChunkCell| match c.state {
        ChunkState::Failed => 4,
        ChunkState::Missing => 3,
        ChunkState::Queued => 2,
        ChunkState::Running => 1,
        ChunkState::Done => 0,
    };
    let n = chunks.len();
    let used = cells.min(n);
    let mut s = String::new();
    for i in 0..used {
        let group = &chunks[i * n / used..((i + 1) * n / used).max(i * n / used + 1)];
        if let Some(c) = group.iter().max_by_key(|c| rank(c)) {
            s.push_str(glyph(c));
        }
    }
    s.push_str(&" ".repeat(cells - used));
    s.push_str(&format!(
        "{:>4}%",
        (progress.unwrap_or(0.0) * 100.0).floor() as u32
    ));
    s
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    }
}

/// Under the checklist: live jobs (or the last one) at a glance.
pub fn draw_strip(f: &mut Frame, app: &App, area: Rect, rows: usize) {
    let mut shown: Vec<&JobView> = app
        .jobs
        .iter()
        .filter(|j| !j.state.is_final())
        .take(rows)
        .collect();
    if shown.is_empty() {
        shown.extend(app.jobs.first());
    }
    let inner_w = area.width.saturating_sub(2);
    let lines: Vec<Line> = if shown.is_empty() {
        vec![Line::styled("no jobs yet", app.theme.style(Role::Dim))]
    } else {
        shown
            .iter()
            .map(|j| job_line(app, j, inner_w, false))
            .collect()
    };
    f.render_widget(Paragraph::new(lines).block(block(app, " Jobs ")), area);
}

pub fn draw_view(f: &mut Frame, app: &App, area: Rect) {
    let list_h = (app.jobs.len() as u16 + 2).clamp(3, area.height / 2);
    let [list, log] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Min(3)]).areas(area);
    let inner_w = list.width.saturating_sub(2);
    let visible = list_h.saturating_sub(2) as usize;
    let start = app.job_cursor.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = if app.jobs.is_empty() {
        vec![Line::styled(
            "no jobs yet — launch one from an action step of the checklist",
            app.theme.style(Role::Dim),
        )]
    } else {
        app.jobs
            .iter()
            .enumerate()
            .skip(start)
            .take(visible)
            .map(|(i, j)| job_line(app, j, inner_w, i == app.job_cursor))
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).block(block(app, format!(" Jobs ({}) ", app.jobs.len()))),
        list,
    );

    if app.attached.is_none() {
        return draw_result(f, app, log);
    }
    let title = format!(
        " Log · {} (Esc detaches, the job keeps running) ",
        app.attached.as_deref().unwrap_or_default()
    );
    let h = log.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = app
        .log
        .iter()
        .skip(app.log.len().saturating_sub(h))
        .map(|l| Line::styled(l.clone(), app.theme.style(Role::Text)))
        .collect();
    f.render_widget(Paragraph::new(lines).block(block(app, title)), log);
}

/// With no job attached: the selected job's result line (its summary, or its error).
fn draw_result(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let lines = match app.selected_job() {
        Some(j) => vec![
            Line::from(vec![
                Span::styled(format!("{} ", j.id), th.style(Role::Dim)),
                Span::styled(j.state.as_str().to_string(), th.style(state_role(j.state))),
                Span::styled(
                    j.step
                        .as_ref()
                        .map(|s| format!("  (step {s})"))
                        .unwrap_or_default(),
                    th.style(Role::Dim),
                ),
            ]),
            Line::styled(
                j.result
                    .clone()
                    .unwrap_or_else(|| match j.state.is_final() {
                        true => "no result line recorded".into(),
                        false => "no result yet: it is still going".into(),
                    }),
                th.style(Role::Text),
            ),
        ],
        None => Vec::new(),
    };
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(app, " Result (a: attach to follow the log) ")),
        area,
    );
}
