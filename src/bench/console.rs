//! `tinct bench console`: what the console costs an operator over SSH while nothing happens
//! but a training streaming metrics (10 lines/s): bytes written to the terminal per minute and
//! CPU time, against a naive peer that redraws everything at 15 fps; and the time to the first
//! frame on a project whose sequences hold 10,000 frames.
//!
//! Both loops draw into a byte-counting sink through the real crossterm backend, so the bytes
//! are exactly what a terminal (or an SSH link) would receive.

use super::BenchOpts;
use crate::tui::app::App;
use crate::tui::data::{self, Source};
use crate::tui::keymap::KeyMap;
use crate::tui::runtime::{Options, run_loop};
use crate::tui::source::ProjectSource;
use crate::tui::terminal::{CountingWriter, Term, draw_synchronized};
use crate::tui::theme::Theme;
use crate::tui::{event::Event, render};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const FRAMES: usize = 10_000;

fn cpu_seconds() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// A project with 10,000-frame source and reference sequences (empty files: the console must
/// not read them to open) and one running training job.
fn make_project(dir: &Path) -> anyhow::Result<()> {
    for (sub, stem) in [("footage/src", "src"), ("footage/ref", "ref")] {
        std::fs::create_dir_all(dir.join(sub))?;
        for f in 1..=FRAMES {
            std::fs::File::create(dir.join(sub).join(format!("{stem}.{f:04}.exr")))?;
        }
    }
    std::fs::write(
        dir.join("tinct.toml"),
        "[project]\nname = \"bench\"\n[source]\npattern = \"footage/src/src.%04d.exr\"\n[reference]\npattern = \"footage/ref/ref.%04d.exr\"\n",
    )?;
    let run = dir.join("runs/0001-train");
    std::fs::create_dir_all(run.join("artifacts"))?;
    let job = serde_json::json!({"id": "0001-train", "stage": "train", "state": "running", "pid": std::process::id(), "started": chrono::Utc::now().to_rfc3339()});
    crate::fsx::write_atomic(&run.join("job.json"), job.to_string().as_bytes())?;
    Ok(())
}

/// Append metrics and log lines at `rate` per second until `stop`.
fn stream_metrics(run: &Path, rate: f64, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let run = run.to_path_buf();
    std::thread::spawn(move || {
        let mut step = 0u64;
        let period = Duration::from_secs_f64(1.0 / rate);
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            step += 1;
            let loss = 0.3 * (-(step as f64) / 3000.0).exp() + 0.01;
            let line = format!(
                "{{\"t\":{},\"step\":{step},\"steps\":100000,\"loss\":{loss:.6},\"images_per_s\":41.2,\"eta_s\":{}}}\n",
                chrono::Utc::now().timestamp_millis(),
                (100000 - step) / 10
            );
            let _ = crate::fsx::append(&run.join("metrics.jsonl"), line.as_bytes());
            let _ = crate::fsx::append(
                &run.join("log.txt"),
                format!("step {step} loss {loss:.6}\n").as_bytes(),
            );
            next += period;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    })
}

fn sink_terminal() -> anyhow::Result<(
    Term<CountingWriter<std::io::Sink>>,
    Arc<std::sync::atomic::AtomicU64>,
)> {
    let w = CountingWriter::new(std::io::sink());
    let count = w.count.clone();
    let t = Terminal::with_options(
        CrosstermBackend::new(w),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )?;
    Ok((t, count))
}

struct Measured {
    bytes_per_min: f64,
    cpu_pct: f64,
    frames: u64,
}

fn ours(source: Arc<dyn Source>, secs: f64) -> anyhow::Result<(Measured, Duration)> {
    let (mut t, count) = sink_terminal()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let opts = Options {
        input: false,
        quit_after: Some(Duration::from_secs_f64(secs)),
        ..Options::default()
    };
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let stats = rt.block_on(run_loop(source, &mut t, opts, false))?;
    let wall = t0.elapsed().as_secs_f64();
    let bytes = count.load(Ordering::Relaxed) as f64;
    let m = Measured {
        bytes_per_min: bytes * 60.0 / wall,
        cpu_pct: (cpu_seconds() - cpu0) * 100.0 / wall,
        frames: stats.frames,
    };
    Ok((m, stats.first_frame.unwrap_or_default()))
}

/// The peer: what a console without change tracking does — every 1/15 s re-read the project's
/// files and repaint the whole screen.
fn naive(source: Arc<dyn Source>, secs: f64) -> anyhow::Result<(Measured, Duration)> {
    let (mut t, count) = sink_terminal()?;
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut first = None;
    let mut frames = 0;
    let mut app = App::new(
        source.project_name(),
        KeyMap::defaults(),
        Theme::embedded("default")?,
        false,
    );
    app.size = (120, 40);
    while t0.elapsed().as_secs_f64() < secs {
        let tick = Instant::now();
        app.handle(Event::Checklist(source.checklist().unwrap_or_default()));
        let jobs = source.jobs()?;
        app.metrics.clear();
        for j in &jobs {
            let m = data::read_metrics(&source.root().join("runs").join(&j.id));
            app.handle(Event::Metrics(j.id.clone(), m));
        }
        app.handle(Event::JobUpdate(jobs));
        app.handle(Event::Journal(source.journal(200).unwrap_or_default()));
        app.now_ms = chrono::Utc::now().timestamp_millis() as u64;
        t.clear()?;
        draw_synchronized(&mut t, |f| render::draw(f, &app))?;
        frames += 1;
        first.get_or_insert(t0.elapsed());
        std::thread::sleep(Duration::from_secs_f64(1.0 / 15.0).saturating_sub(tick.elapsed()));
    }
    t.backend_mut().flush()?;
    let wall = t0.elapsed().as_secs_f64();
    let bytes = count.load(Ordering::Relaxed) as f64;
    Ok((
        Measured {
            bytes_per_min: bytes * 60.0 / wall,
            cpu_pct: (cpu_seconds() - cpu0) * 100.0 / wall,
            frames,
        },
        first.unwrap_or_default(),
    ))
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let secs = if opts.quick { 10.0 } else { 60.0 };
    let dir = tempfile::tempdir()?;
    println!(
        "bench console: project with two {FRAMES}-frame sequences, a training streaming 10 metrics lines/s, 120x40 terminal, {secs:.0} s per loop"
    );
    make_project(dir.path())?;
    let source: Arc<dyn Source> = Arc::new(ProjectSource::new(crate::project::Project::load(
        dir.path(),
    )?));

    // Time to first frame, cold-ish: median of 5 opens.
    let mut firsts = Vec::new();
    for _ in 0..5 {
        let (_, first) = ours(source.clone(), 0.05)?;
        firsts.push(first);
    }
    firsts.sort();
    let first = firsts[2];

    let stop = Arc::new(AtomicBool::new(false));
    let writer = stream_metrics(&dir.path().join("runs/0001-train"), 10.0, stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    let (mine, _) = ours(source.clone(), secs)?;
    let (peer, peer_first) = naive(source.clone(), secs)?;
    stop.store(true, Ordering::Relaxed);
    let _ = writer.join();

    println!(
        "{:<34} {:>14} {:>10} {:>8} {:>14}",
        "loop", "bytes/min", "CPU %core", "frames", "first frame"
    );
    println!(
        "{:<34} {:>14.0} {:>10.2} {:>8} {:>11.1} ms",
        "tinct console (draw on change)",
        mine.bytes_per_min,
        mine.cpu_pct,
        mine.frames,
        first.as_secs_f64() * 1e3
    );
    println!(
        "{:<34} {:>14.0} {:>10.2} {:>8} {:>11.1} ms",
        "peer: naive 15 fps full redraw",
        peer.bytes_per_min,
        peer.cpu_pct,
        peer.frames,
        peer_first.as_secs_f64() * 1e3
    );
    println!(
        "ratio peer/tinct: bytes {:.1}x, CPU {:.1}x | targets: < 30 KB/min ({}), < 1% core ({}), first frame < 200 ms ({})",
        peer.bytes_per_min / mine.bytes_per_min.max(1.0),
        peer.cpu_pct / mine.cpu_pct.max(1e-6),
        if mine.bytes_per_min < 30_000.0 {
            "met"
        } else {
            "NOT met"
        },
        if mine.cpu_pct < 1.0 { "met" } else { "NOT met" },
        if first < Duration::from_millis(200) {
            "met"
        } else {
            "NOT met"
        },
    );
    println!(
        "(CPU includes the sampler thread (1 Hz telemetry) and the metrics writer thread of this benchmark)"
    );
    Ok(())
}
