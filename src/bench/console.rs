//! `tinct bench console`: what the console costs an operator over SSH while nothing happens
//! but a training streaming metrics (10 lines/s): bytes written to the terminal per minute and
//! CPU time, against a naive peer that re-reads the files and redraws everything at 15 fps; and
//! the time to the first frame on a project whose sequences hold 10,000 frames.
//!
//! The tinct side is the console's own event loop ([`run_loop`]) with its real event sources
//! (the notify watcher on the project and `runs/`, the 1 Hz telemetry sampler, the ETA tick);
//! only the keyboard is off, as an idle operator types nothing. Both loops draw through the real
//! crossterm backend into a byte-counting sink with a fixed 120x40 viewport, so the bytes are
//! exactly what a terminal (or an SSH link) would receive, and no tty is needed: the benchmark
//! runs in CI and in non-interactive shells. The first frame is timed in process (project open
//! + first draw) and, as a whole process, `tinct open DIR` on a pseudo-terminal ([`pty`]).

mod pty;

use super::BenchOpts;
use crate::jobs::{JobRequest, JobState, JobTarget};
use crate::project::Project;
use crate::tui::app::{App, View};
use crate::tui::data::{self, Source};
use crate::tui::keymap::KeyMap;
use crate::tui::runtime::{Options, run_loop};
use crate::tui::source::ProjectSource;
use crate::tui::terminal::{CountingWriter, Term, draw_synchronized};
use crate::tui::theme::Theme;
use crate::tui::{event::Event, render};
use crossterm::queue;
use crossterm::terminal::{Clear, ClearType};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FRAMES: usize = 10_000;
const SIZE: (u16, u16) = (120, 40);
/// The first seconds of each loop (opening, first full paint) are left out of the idle rates.
const SETTLE: Duration = Duration::from_secs(2);

/// A project with 10,000-frame source and reference sequences (empty files: the console must
/// not read them to open) and one running training job (a real `job.json`, made by the jobs
/// module, whose worker pid is this process). Returns the job's run folder.
fn make_project(dir: &Path) -> anyhow::Result<PathBuf> {
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
    let project = Project::load(dir)?;
    let run = crate::jobs::prepare(&project, &JobRequest::new("train".parse::<JobTarget>()?))?;
    crate::jobs::record::update(&run, |r| {
        r.state = JobState::Running;
        r.pid = Some(std::process::id());
        r.started = Some(crate::jobs::record::now());
    })?;
    Ok(run)
}

/// The training's side of the benchmark: metrics and log lines appended at a fixed rate.
struct Feed {
    stop: Arc<AtomicBool>,
    /// CPU time of the feeding thread itself (µs), subtracted from the console's.
    cpu_us: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Feed {
    fn start(run: &Path, rate: f64) -> Feed {
        let run = run.to_path_buf();
        let stop = Arc::new(AtomicBool::new(false));
        let cpu_us = Arc::new(AtomicU64::new(0));
        let (s, c) = (stop.clone(), cpu_us.clone());
        let thread = std::thread::spawn(move || {
            let mut step = 0u64;
            let period = Duration::from_secs_f64(1.0 / rate);
            let mut next = Instant::now();
            while !s.load(Ordering::Relaxed) {
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
                c.store(
                    (tinct_core::bench::rusage_seconds(libc::RUSAGE_THREAD) * 1e6) as u64,
                    Ordering::Relaxed,
                );
                next += period;
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
        Feed {
            stop,
            cpu_us,
            thread,
        }
    }

    fn cpu(&self) -> f64 {
        self.cpu_us.load(Ordering::Relaxed) as f64 / 1e6
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

fn sink_terminal() -> anyhow::Result<(Term<CountingWriter<std::io::Sink>>, Arc<AtomicU64>)> {
    let w = CountingWriter::new(std::io::sink());
    let count = w.count.clone();
    let t = Terminal::with_options(
        CrosstermBackend::new(w),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, SIZE.0, SIZE.1)),
        },
    )?;
    Ok((t, count))
}

/// Bytes, process CPU and feeder CPU at one instant.
#[derive(Clone, Copy)]
struct Snapshot {
    at: Instant,
    bytes: u64,
    cpu: f64,
    feed_cpu: f64,
}

impl Snapshot {
    fn take(count: &AtomicU64, feed: &Feed) -> Snapshot {
        Snapshot {
            at: Instant::now(),
            bytes: count.load(Ordering::Relaxed),
            cpu: tinct_core::bench::rusage_seconds(libc::RUSAGE_SELF),
            feed_cpu: feed.cpu(),
        }
    }
}

struct Measured {
    /// Bytes of the opening seconds (first full paint included).
    open_bytes: u64,
    bytes_per_min: f64,
    /// CPU of the console (the feeding thread's own CPU taken out), % of one core.
    cpu_pct: f64,
    frames: u64,
}

/// Run `body` (a loop drawing into `count`) and measure it after [`SETTLE`].
fn measure(
    count: &Arc<AtomicU64>,
    feed: &Feed,
    body: impl FnOnce() -> anyhow::Result<u64>,
) -> anyhow::Result<Measured> {
    let start = Snapshot::take(count, feed);
    let settled = std::thread::scope(|s| {
        let probe = s.spawn(|| {
            std::thread::sleep(SETTLE);
            Snapshot::take(count, feed)
        });
        let frames = body();
        (probe.join().expect("probe thread"), frames)
    });
    let (settled, frames) = (settled.0, settled.1?);
    let end = Snapshot::take(count, feed);
    let wall = (end.at - settled.at).as_secs_f64();
    Ok(Measured {
        open_bytes: settled.bytes - start.bytes,
        bytes_per_min: (end.bytes - settled.bytes) as f64 * 60.0 / wall,
        cpu_pct: ((end.cpu - settled.cpu) - (end.feed_cpu - settled.feed_cpu)).max(0.0) * 100.0
            / wall,
        frames,
    })
}

/// Open the project and run the console's event loop for `secs`. Returns the stats and the
/// time from before the project was opened to the first frame.
fn ours(
    root: &Path,
    view: View,
    secs: f64,
    term: &mut Term<CountingWriter<std::io::Sink>>,
) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let source: Arc<dyn Source> = Arc::new(ProjectSource::new(Project::load(root)?));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let opts = Options {
        input: false,
        quit_after: Some(Duration::from_secs_f64(secs)),
        view,
        ..Options::default()
    };
    let stats = rt.block_on(run_loop(source, term, opts, false))?;
    let first = stats
        .first_frame_at
        .map(|t| t - started)
        .ok_or_else(|| anyhow::anyhow!("the console drew no frame"))?;
    Ok((stats.frames, first))
}

/// The peer: what a console without change tracking does — every 1/15 s re-read the project's
/// files and repaint the whole screen.
fn naive(
    source: &dyn Source,
    view: View,
    secs: f64,
    term: &mut Term<CountingWriter<std::io::Sink>>,
) -> anyhow::Result<u64> {
    let t0 = Instant::now();
    let mut frames = 0;
    let mut app = App::new(
        source.project_name(),
        KeyMap::defaults(),
        Theme::embedded("default")?,
        false,
    );
    app.size = SIZE;
    app.view = view;
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
        // Forget what the terminal shows and repaint every cell: what `Terminal::clear` does on
        // a full screen, without asking a tty for the cursor position (there is none here).
        queue!(term.backend_mut(), Clear(ClearType::All))?;
        term.swap_buffers();
        draw_synchronized(term, |f| render::draw(f, &app))?;
        frames += 1;
        std::thread::sleep(Duration::from_secs_f64(1.0 / 15.0).saturating_sub(tick.elapsed()));
    }
    term.backend_mut().flush()?;
    Ok(frames)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

// Long by design: a benchmark script, its steps in the order it prints them.
pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let secs = if opts.quick { 10.0 } else { 60.0 };
    let dir = tempfile::tempdir()?;
    let root = dir.path().canonicalize()?;
    println!(
        "bench console: project with two {FRAMES}-frame sequences, a training streaming 10 metrics lines/s, {}x{} terminal, {secs:.0} s per loop (the first {} s of each left out of the idle rates)",
        SIZE.0,
        SIZE.1,
        SETTLE.as_secs()
    );
    let run_dir = make_project(&root)?;

    // Time to first frame: project open + first draw, in this process, median of 5 opens.
    let mut firsts = Vec::new();
    for _ in 0..5 {
        let (mut t, _) = sink_terminal()?;
        firsts.push(ours(&root, View::Checklist, 0.05, &mut t)?.1);
    }
    let first = median(firsts);
    // And as a whole process on a pseudo-terminal: exec, open, first frame.
    let exe = std::env::current_exe()?;
    let mut procs = Vec::new();
    let mut proc_err = None;
    for _ in 0..5 {
        match pty::time_to_first_frame(
            &exe,
            &[OsStr::new("open"), root.as_os_str()],
            SIZE,
            Duration::from_secs(10),
        ) {
            Ok(d) => procs.push(d),
            Err(e) => {
                proc_err = Some(format!("{e:#}"));
                break;
            }
        }
    }
    let first_process = (!procs.is_empty()).then(|| median(procs));
    // What any run of this binary costs before its own code starts (the dynamic loader and the
    // static initialisers of the linked libraries): `tinct --version`, exec to exit.
    let mut floor = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        std::process::Command::new(&exe)
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .status()?;
        floor.push(t0.elapsed());
    }
    let floor = median(floor);

    let feed = Feed::start(&run_dir, 10.0);
    std::thread::sleep(Duration::from_millis(300));
    let source = ProjectSource::new(Project::load(&root)?);
    let mut rows = Vec::new();
    for view in [View::Checklist, View::Monitor] {
        let (mut t, count) = sink_terminal()?;
        let mine = measure(&count, &feed, || Ok(ours(&root, view, secs, &mut t)?.0))?;
        let (mut t, count) = sink_terminal()?;
        let peer = measure(&count, &feed, || naive(&source, view, secs, &mut t))?;
        rows.push((view, mine, peer));
    }
    feed.stop();

    println!(
        "{:<10} {:<32} {:>10} {:>8} {:>10} {:>7}",
        "view", "loop", "bytes/min", "open B", "CPU %core", "frames"
    );
    for (view, mine, peer) in &rows {
        for (name, m) in [
            ("tinct console (draw on change)", mine),
            ("peer: naive 15 fps full redraw", peer),
        ] {
            println!(
                "{:<10} {:<32} {:>10.0} {:>8} {:>10.2} {:>7}",
                view.title(),
                name,
                m.bytes_per_min,
                m.open_bytes,
                m.cpu_pct,
                m.frames
            );
        }
    }
    println!(
        "first frame, project open + first draw, in process (median of 5): {:.1} ms",
        first.as_secs_f64() * 1e3
    );
    match (first_process, &proc_err) {
        (Some(d), _) => println!(
            "first frame, `tinct open DIR` as a process on a pty (exec to frame, median of 5): {:.1} ms",
            d.as_secs_f64() * 1e3
        ),
        (None, Some(e)) => println!("first frame as a process: not measured ({e})"),
        (None, None) => {}
    }
    println!(
        "process start floor, `tinct --version` exec to exit (median of 5): {:.1} ms",
        floor.as_secs_f64() * 1e3
    );
    let met = |ok: bool| if ok { "met" } else { "NOT met" };
    for (view, mine, peer) in &rows {
        println!(
            "{}: ratio peer/tinct bytes {:.0}x, CPU {:.1}x | targets: < 30 KB/min ({}), < 1% core ({})",
            view.title(),
            peer.bytes_per_min / mine.bytes_per_min.max(1.0),
            peer.cpu_pct / mine.cpu_pct.max(1e-3),
            met(mine.bytes_per_min < 30_000.0),
            met(mine.cpu_pct < 1.0),
        );
    }
    println!(
        "first frame < 200 ms: in process {}{}",
        met(first < Duration::from_millis(200)),
        first_process
            .map(|d| format!(", as a process {}", met(d < Duration::from_millis(200))))
            .unwrap_or_default()
    );
    println!(
        "(console CPU includes its 1 Hz telemetry sampler and file watcher; the benchmark's metrics writer thread is subtracted)"
    );
    Ok(())
}
