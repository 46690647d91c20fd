//! Telemetry: CPU (and each core) and RAM, the running jobs' own CPU, memory and disk
//! throughput, and per GPU utilisation, memory, temperature and power as sparklines with the
//! latest value; our jobs' GPU memory. No GPU: the reason, once.

use super::super::app::App;
use super::super::theme::Role;
use super::block;
use crate::telemetry::Ring;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

fn gib(b: u64) -> String {
    format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
}

fn spark(
    f: &mut Frame,
    app: &App,
    area: Rect,
    label: String,
    ring: &Ring<f32>,
    max: f32,
    role: Role,
) {
    let [l, s] = Layout::horizontal([Constraint::Length(30), Constraint::Min(4)]).areas(area);
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(label, app.theme.style(role)))),
        l,
    );
    let data: Vec<u64> = ring
        .tail(s.width as usize)
        .map(|v| (v.max(0.0) * 100.0 / max.max(1e-6)) as u64)
        .collect();
    f.render_widget(
        Sparkline::default()
            .data(&data)
            .max(100)
            .style(app.theme.style(role)),
        s,
    );
}

fn rate(bps: f64) -> String {
    format!("{:.1}MB/s", bps / 1e6)
}

/// One glyph per core, its height its load: a pinned core shows even when the average is low.
fn cores_line(cores: &[f32], ascii: bool) -> String {
    if cores.is_empty() {
        return "cores n/a".into();
    }
    let glyphs: &[char] = if ascii {
        &['.', ':', '-', '=', '+', '*', '#', '@']
    } else {
        &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
    };
    let busiest = cores.iter().copied().fold(0.0f32, f32::max);
    let bars: String = cores
        .iter()
        .map(|&c| glyphs[((c.clamp(0.0, 100.0) / 100.0) * 7.0).round() as usize])
        .collect();
    format!("cores {bars}  busiest {busiest:.0}%")
}

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map(|v| format!("{v}{unit}"))
        .unwrap_or_else(|| "n/a".into())
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let h = &app.telemetry;
    let b = block(app, " Telemetry ");
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(s) = &h.latest else {
        f.render_widget(
            Paragraph::new("sampling…").style(th.style(Role::Dim)),
            inner,
        );
        return;
    };
    let mut rows: Vec<Rect> = Layout::vertical(vec![Constraint::Length(1); inner.height as usize])
        .split(inner)
        .to_vec();
    rows.reverse();
    let mut next = || rows.pop();
    if let Some(r) = next() {
        spark(
            f,
            app,
            r,
            format!("CPU {}", opt(s.cpu_pct.map(|v| format!("{v:.0}")), "%")),
            &h.cpu,
            100.0,
            Role::Cpu,
        );
    }
    if let Some(r) = next() {
        f.render_widget(
            Paragraph::new(cores_line(&s.cores_pct, app.ascii)).style(th.style(Role::Cpu)),
            r,
        );
    }
    if let Some(r) = next() {
        let label = match (s.mem_used, s.mem_total) {
            (Some(u), Some(t)) => format!("RAM {} / {}", gib(u), gib(t)),
            _ => "RAM n/a".into(),
        };
        spark(f, app, r, label, &h.mem_pct, 100.0, Role::Mem);
    }
    if let Some(r) = next() {
        let swap = match (s.swap_used, s.swap_total) {
            (Some(u), Some(t)) if t > 0 => format!("swap {} / {}", gib(u), gib(t)),
            _ => "swap none".into(),
        };
        let disk = match (s.disk_free, s.disk_total) {
            (Some(fr), Some(t)) => format!("project disk {} free of {}", gib(fr), gib(t)),
            _ => "project disk n/a".into(),
        };
        f.render_widget(
            Paragraph::new(format!("{swap} · {disk}")).style(th.style(Role::Dim)),
            r,
        );
    }
    if let Some(r) = next() {
        let jobs = match &s.jobs {
            Some(j) => format!(
                "jobs x{} · CPU {:.0}% · RSS {} · disk r {} w {}",
                j.processes,
                j.cpu_pct,
                gib(j.rss),
                rate(j.read_bps),
                rate(j.write_bps)
            ),
            None => "jobs none running".into(),
        };
        f.render_widget(Paragraph::new(jobs).style(th.style(Role::Text)), r);
    }
    next();
    if let Some(note) = &h.gpu_note {
        if let Some(r) = next() {
            f.render_widget(
                Paragraph::new(note.clone()).style(th.style(Role::Warning)),
                r,
            );
        }
        return;
    }
    for (gh, g) in h.gpus.iter().zip(&s.gpus) {
        let temp_role = match g.temp_c {
            Some(t) if t >= 85 => Role::GpuHot,
            Some(t) if t >= 75 => Role::GpuWarm,
            _ => Role::GpuOk,
        };
        if let Some(r) = next() {
            let ours = g
                .our_mem()
                .map(|b| format!(" · our jobs {}", gib(b)))
                .unwrap_or_default();
            f.render_widget(
                Paragraph::new(format!(
                    "GPU {} {}{ours}",
                    g.index,
                    g.name.clone().unwrap_or_default()
                ))
                .style(th.style(Role::StageTitle)),
                r,
            );
        }
        let series = [
            (
                format!(" util {}", opt(g.util_pct, "%")),
                &gh.util,
                100.0,
                Role::GpuOk,
            ),
            (
                format!(
                    " mem {}",
                    match (g.mem_used, g.mem_total) {
                        (Some(u), Some(t)) => format!("{} / {}", gib(u), gib(t)),
                        _ => "n/a".into(),
                    }
                ),
                &gh.mem_pct,
                100.0,
                Role::Mem,
            ),
            (
                format!(" temp {}", opt(g.temp_c, "°C")),
                &gh.temp,
                100.0,
                temp_role,
            ),
            (
                format!(" power {}", opt(g.power_w.map(|p| format!("{p:.0}")), " W")),
                &gh.power,
                gh.power.iter().cloned().fold(1.0, f32::max),
                Role::GpuWarm,
            ),
        ];
        for (label, ring, max, role) in series {
            if let Some(r) = next() {
                spark(f, app, r, label, ring, max, role);
            }
        }
    }
}
