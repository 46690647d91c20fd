//! The training monitor: loss (raw and exponentially smoothed, optional log scale, earlier
//! runs overlaid), validation ΔE00 per checkpoint, images/s, ETA, and the latest contact sheet.

use super::super::app::App;
use super::super::data::{JobView, RunMetrics};
use super::super::theme::Role;
use super::{bar, block, duration, picture};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

/// Exponential moving average with debiasing (TensorBoard's smoothing).
pub fn smooth(points: &[(f64, f64)], weight: f64) -> Vec<(f64, f64)> {
    let mut last = 0.0;
    let mut n = 0i32;
    points
        .iter()
        .map(|&(x, y)| {
            last = last * weight + (1.0 - weight) * y;
            n += 1;
            let debias = 1.0 - weight.powi(n);
            (x, if debias > 0.0 { last / debias } else { y })
        })
        .collect()
}

fn scale(points: &[(f64, f64)], log: bool) -> Vec<(f64, f64)> {
    if log {
        points
            .iter()
            .filter(|p| p.1 > 0.0)
            .map(|&(x, y)| (x, y.log10()))
            .collect()
    } else {
        points.to_vec()
    }
}

/// The smallest "nice" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above `v > 0`.
fn nice_ceil(v: f64) -> f64 {
    const STEPS: [f64; 11] = [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0];
    let mag = 10f64.powf(v.log10().floor());
    STEPS
        .iter()
        .map(|s| s * mag)
        .find(|&n| n >= v * (1.0 - 1e-12))
        .unwrap_or(10.0 * mag)
}

/// Chart bounds that move in steps, not with every new point: the x axis ends at a round
/// number past the last step, the y axis snaps outwards to a grid of a fifth of the decade of
/// its range. A streaming training then only adds points at the right end of a still chart, which
/// reads better and, over SSH, costs a few cells per update instead of a repainted chart.
fn bounds(series: &[&[(f64, f64)]]) -> Option<([f64; 2], [f64; 2])> {
    let pts = series.iter().flat_map(|s| s.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return None;
    }
    // The right end snaps up to a multiple of a quarter of the nice span: round labels, and a
    // rescale only every 20-25 % of growth.
    let span = x1 - x0;
    let x1 = if span > 0.0 {
        let step = nice_ceil(span) / 4.0;
        ((x1 / step).ceil() * step).max(x0 + step)
    } else {
        x0 + 1.0
    };
    let range = (y1 - y0).max(y1.abs() * 1e-3).max(1e-9);
    // From the decade of the range only, so the grid itself changes only when the range
    // crosses a power of ten.
    let grid = 10f64.powf(range.log10().floor()) / 5.0;
    let (y0, y1) = ((y0 / grid).floor() * grid, (y1 / grid).ceil() * grid);
    let (y0, y1) = if y1 - y0 < grid {
        (y0, y0 + grid)
    } else {
        (y0, y1)
    };
    Some(([x0, x1], [y0, y1]))
}

/// Where the monitor's parts go in `area`.
struct Regions {
    chart: Rect,
    info: Rect,
    /// Validation ΔE00 and contact sheet, on wide screens only.
    side: Option<(Rect, Rect)>,
}

fn regions(area: Rect, validations: usize) -> Regions {
    let wide = area.width >= 100;
    let [left, right] = if wide {
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let [chart, info] = Layout::vertical([Constraint::Min(6), Constraint::Length(5)]).areas(left);
    let side = wide.then(|| {
        let [de, pic] = Layout::vertical([
            Constraint::Length((validations as u16 + 2).clamp(3, 10)),
            Constraint::Min(4),
        ])
        .areas(right);
        (de, pic)
    });
    Regions { chart, info, side }
}

/// The contact sheet's box in `area` (the monitor's body), if the monitor shows one.
pub fn picture_box(app: &App, area: Rect) -> Option<Rect> {
    let job = app.monitored_run()?;
    let validations = app.metrics.get(&job.id).map_or(0, |m| m.val_de00.len());
    regions(area, validations).side.map(|(_, pic)| pic)
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let Some(job) = app.monitored_run() else {
        f.render_widget(
            Paragraph::new("no runs yet: launch a training from the checklist")
                .block(block(app, " Training monitor ")),
            area,
        );
        return;
    };
    let empty = RunMetrics::default();
    let m = app.metrics.get(&job.id).unwrap_or(&empty);
    let Regions {
        chart: chart_area,
        info,
        side,
    } = regions(area, m.val_de00.len());

    draw_loss(f, app, job, m, chart_area);
    draw_progress(f, app, job, m, info);
    if let Some((de, pic)) = side {
        draw_validation(f, app, m, de);
        picture::draw(f, app, pic);
    }
}

/// The loss curve (raw and smoothed, with up to three other runs of the stage overlaid).
fn draw_loss(f: &mut Frame, app: &App, job: &JobView, m: &RunMetrics, chart_area: Rect) {
    let th = &app.theme;
    let raw = scale(&m.loss, app.monitor.log_scale);
    let smoothed = smooth(&raw, app.monitor.smoothing);
    let others: Vec<(String, Vec<(f64, f64)>)> = if app.monitor.overlay {
        app.jobs
            .iter()
            .filter(|j| j.id != job.id && j.stage == job.stage)
            .filter_map(|j| {
                app.metrics.get(&j.id).map(|om| {
                    (
                        j.id.clone(),
                        smooth(
                            &scale(&om.loss, app.monitor.log_scale),
                            app.monitor.smoothing,
                        ),
                    )
                })
            })
            .take(3)
            .collect()
    } else {
        Vec::new()
    };
    let marker = if app.ascii {
        Marker::Dot
    } else {
        Marker::Braille
    };
    let mut datasets = vec![
        Dataset::default()
            .name("raw")
            .marker(marker)
            .graph_type(GraphType::Scatter)
            .style(th.style(Role::LossRaw))
            .data(&raw),
        Dataset::default()
            .name(format!("smoothed {:.2}", app.monitor.smoothing))
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(th.style(Role::LossSmooth))
            .data(&smoothed),
    ];
    for (id, pts) in &others {
        datasets.push(
            Dataset::default()
                .name(id.clone())
                .marker(marker)
                .graph_type(GraphType::Line)
                .style(th.style(Role::LossOther))
                .data(pts),
        );
    }
    let mut all: Vec<&[(f64, f64)]> = vec![&raw, &smoothed];
    all.extend(others.iter().map(|(_, p)| p.as_slice()));
    let title = format!(
        " Loss · {} · {}{} ",
        job.id,
        if app.monitor.log_scale { "log10 " } else { "" },
        job.state.as_str()
    );
    match bounds(&all) {
        Some((xb, yb)) => {
            let fmt = |v: f64| {
                if app.monitor.log_scale {
                    format!("{:.2e}", 10f64.powf(v))
                } else {
                    format!("{v:.4}")
                }
            };
            let chart = Chart::new(datasets)
                .block(block(app, title))
                .x_axis(
                    Axis::default()
                        .bounds(xb)
                        .labels([format!("{:.0}", xb[0]), format!("{:.0}", xb[1])])
                        .style(th.style(Role::Dim)),
                )
                .y_axis(
                    Axis::default()
                        .bounds(yb)
                        .labels([fmt(yb[0]), fmt(yb[1])])
                        .style(th.style(Role::Dim)),
                );
            f.render_widget(chart, chart_area);
        }
        None => f.render_widget(
            Paragraph::new("waiting for the first loss value…").block(block(app, title)),
            chart_area,
        ),
    }
}

/// Step, loss, images/s, ETA and the progress bar.
fn draw_progress(f: &mut Frame, app: &App, job: &JobView, m: &RunMetrics, info: Rect) {
    let th = &app.theme;
    let last_loss = m
        .loss
        .last()
        .map(|p| format!("{:.5}", p.1))
        .unwrap_or_else(|| "—".into());
    let lines = vec![
        Line::from(vec![
            Span::styled("step ", th.style(Role::Dim)),
            Span::raw(format!(
                "{}/{}  ",
                m.step.map(|s| format!("{s:.0}")).unwrap_or("—".into()),
                m.total_steps
                    .map(|s| format!("{s:.0}"))
                    .unwrap_or("—".into())
            )),
            Span::styled("loss ", th.style(Role::Dim)),
            Span::styled(last_loss, th.style(Role::LossSmooth)),
        ]),
        Line::from(vec![
            Span::styled("images/s ", th.style(Role::Dim)),
            Span::raw(
                m.images_per_s
                    .map(|r| format!("{r:.1}  "))
                    .unwrap_or("—  ".into()),
            ),
            Span::styled("ETA ", th.style(Role::Dim)),
            Span::raw(m.eta_s.or(job.eta_s).map(duration).unwrap_or("—".into())),
        ]),
        Line::styled(
            bar(
                job.progress.or(m.progress),
                info.width.saturating_sub(2) as usize,
                app.ascii,
            ),
            th.style(Role::Gauge),
        ),
    ];
    f.render_widget(Paragraph::new(lines).block(block(app, " Progress ")), info);
}

/// The validation ΔE00 of the latest checkpoints, the best marked.
fn draw_validation(f: &mut Frame, app: &App, m: &RunMetrics, de: Rect) {
    let th = &app.theme;
    let lines: Vec<Line> = if m.val_de00.is_empty() {
        vec![Line::styled(
            "no checkpoint validated yet",
            th.style(Role::Dim),
        )]
    } else {
        let best = m.val_de00.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        m.val_de00
            .iter()
            .rev()
            .take(8)
            .map(|&(s, d)| {
                Line::from(vec![
                    Span::styled(format!("step {s:>7.0}  "), th.style(Role::Dim)),
                    Span::styled(
                        format!("ΔE00 {d:.3}{}", if d == best { "  best" } else { "" }),
                        th.style(Role::ValDe00),
                    ),
                ])
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).block(block(app, " Validation ΔE00 ")),
        de,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_still_while_points_stream_in() {
        let curve = |n: usize| -> Vec<(f64, f64)> {
            (1..=n)
                .map(|i| (i as f64, 0.3 * (-(i as f64) / 3000.0).exp() + 0.01))
                .collect()
        };
        let a = bounds(&[&curve(1310)]).unwrap();
        let b = bounds(&[&curve(1330)]).unwrap();
        assert_eq!(a, b, "20 more steps must not rescale the chart");
        let (x, y) = a;
        assert!(x[1] >= 1330.0 && x[1] <= 1310.0 * 1.25, "{x:?}");
        let pts = curve(1330);
        assert!(pts.iter().all(|p| p.1 >= y[0] && p.1 <= y[1]), "{y:?}");
        for (v, nice) in [(1201.0, 1500.0), (0.3, 0.3), (7.0, 8.0), (1000.0, 1000.0)] {
            assert!(
                (nice_ceil(v) - nice).abs() < 1e-9 * nice,
                "{v} -> {}",
                nice_ceil(v)
            );
        }
    }

    #[test]
    fn smoothing_zero_is_identity_and_debiased_start_equals_first_value() {
        let pts = [(0.0, 4.0), (1.0, 2.0), (2.0, 3.0)];
        assert_eq!(smooth(&pts, 0.0), pts.to_vec());
        let s = smooth(&pts, 0.9);
        assert!((s[0].1 - 4.0).abs() < 1e-12);
        assert!(s[2].1 < 4.0 && s[2].1 > 2.0);
    }
}
