//! The event loop: one channel of [`Event`]s fed by the keyboard, the file watcher, the
//! telemetry sampler and signal handlers. Apply every pending event, then draw once if anything
//! visible changed, at most `max_fps` times a second; when nothing happens, nothing is drawn
//! and the loop sleeps in `recv`. SIGHUP/SIGTERM restore the terminal and quit; jobs are
//! separate processes and keep running.

mod apply;
mod caches;
mod sources;

use super::app::{App, View};
use super::data::Source;
use super::event::{Event, FileKind};
use super::graphics::{self, Graphics};
use super::keymap::KeyMap;
use super::terminal::{self, Term};
use super::theme::{self, Theme};
use anyhow::Context;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

#[derive(Clone, Debug)]
pub struct Options {
    pub ascii: bool,
    /// Theme name (`$TINCT_THEME`, default `default`).
    pub theme: String,
    /// Frames per second at most, for what the operator does (keys, launches, messages).
    pub max_fps: u32,
    /// Streaming data alone (metrics, telemetry, log tails, the clock) redraws at most this
    /// often: a loss curve read by a person needs no 10 updates a second, an SSH link does not
    /// need the bytes. Keys and state changes still draw at once (at most `max_fps`).
    pub stream_interval: Duration,
    /// Read keys from the terminal (off for benchmarks).
    pub input: bool,
    pub telemetry: bool,
    pub watch: bool,
    /// Quit on its own after this long (benchmarks).
    pub quit_after: Option<Duration>,
    /// The view the console opens on.
    pub view: View,
    /// How pictures are drawn; [`run_terminal`] asks the terminal, everything else (tests,
    /// benchmarks) keeps half blocks.
    pub graphics: Graphics,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ascii: false,
            theme: std::env::var("TINCT_THEME").unwrap_or_else(|_| "default".into()),
            max_fps: 15,
            stream_interval: Duration::from_secs(1),
            input: true,
            telemetry: true,
            watch: true,
            quit_after: None,
            view: View::Checklist,
            graphics: Graphics::HalfBlocks,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub frames: u64,
    /// From entering the loop to the first frame on the terminal.
    pub first_frame: Option<Duration>,
    /// When the first frame was on the terminal (to time a whole open from outside the loop).
    pub first_frame_at: Option<Instant>,
}

/// Open the console on a real terminal and run until the operator quits.
pub fn run_terminal(source: Arc<dyn Source>, mut opts: Options) -> anyhow::Result<()> {
    terminal::install_panic_hook();
    terminal::enter().context("cannot put the terminal into raw mode (is this a terminal?)")?;
    // Once, before the loop reads keys: the terminal's answers come in on the same input.
    opts.graphics = graphics::detect(&graphics::Environment::current(
        opts.ascii,
        theme::no_color_requested(),
    ));
    let result = (|| {
        let mut t = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
        t.clear()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(run_loop(source, &mut t, opts, true))
    })();
    terminal::restore();
    result.map(drop)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

struct Loop<'a, W: Write> {
    source: Arc<dyn Source>,
    term: &'a mut Term<W>,
    app: App,
    tx: UnboundedSender<Event>,
    runs: caches::Runs,
    real_tty: bool,
    input_paused: Arc<AtomicBool>,
    opts: Options,
}

pub async fn run_loop<W: Write>(
    source: Arc<dyn Source>,
    term: &mut Term<W>,
    opts: Options,
    real_tty: bool,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let cfg_dir = theme::config_dir();
    let app = new_app(source.as_ref(), term, &opts, cfg_dir.as_deref())?;
    let (tx, mut rx) = unbounded_channel::<Event>();
    let input_paused = Arc::new(AtomicBool::new(false));
    let mut lp = Loop {
        source: source.clone(),
        term,
        app,
        tx: tx.clone(),
        runs: caches::Runs::default(),
        real_tty,
        input_paused,
        opts: opts.clone(),
    };
    let _watcher = sources::spawn_all(&mut lp, cfg_dir);

    // First frame first: the checklist and job list are small files; metrics of past runs
    // (possibly long) are read after the first frame is on screen.
    lp.reload(FileKind::Sop);
    lp.reload(FileKind::Journal);
    lp.runs.jobs = lp.source.jobs().unwrap_or_default();
    lp.app.handle(Event::JobUpdate(lp.runs.jobs.clone()));
    let mut stats = Stats::default();
    lp.draw(&mut stats, start)?;
    let ids: Vec<String> = lp.runs.jobs.iter().map(|j| j.id.clone()).collect();
    for id in ids {
        lp.read_metrics(&id);
    }
    if lp.app.dirty {
        lp.app.touch(); // the rest of the opening view, not a streaming update
    }

    let frame = Duration::from_secs_f64(1.0 / opts.max_fps.max(1) as f64);
    let mut last_draw = Instant::now();
    loop {
        // A change waits for its frame: one interval after the last frame, short for what the
        // operator does, long for streaming data; events keep coming in meanwhile, so a key
        // pressed while data waits is drawn at once.
        let due = lp.app.dirty.then(|| {
            last_draw
                + if lp.app.urgent {
                    frame
                } else {
                    opts.stream_interval.max(frame)
                }
        });
        let ev = match due {
            Some(due) if due <= Instant::now() => None,
            Some(due) => match tokio::time::timeout_at(due.into(), rx.recv()).await {
                Ok(Some(ev)) => Some(ev),
                Ok(None) => break,
                Err(_) => None, // the frame is due
            },
            None if lp.app.wants_tick() => {
                match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
                    Ok(Some(ev)) => Some(ev),
                    Ok(None) => break,
                    Err(_) => Some(Event::Tick),
                }
            }
            None => match rx.recv().await {
                Some(ev) => Some(ev),
                None => break,
            },
        };
        if let Some(ev) = ev {
            lp.apply(ev).await;
            drain(&mut lp, &mut rx).await;
            if lp.app.quit {
                break;
            }
            lp.follow_picture_area();
            continue;
        }
        lp.draw(&mut stats, start)?;
        last_draw = Instant::now();
    }
    Ok(stats)
}

/// The app as the operator's config makes it (key map, theme) at the terminal's size.
fn new_app<W: Write>(
    source: &dyn Source,
    term: &mut Term<W>,
    opts: &Options,
    cfg_dir: Option<&std::path::Path>,
) -> anyhow::Result<App> {
    let keymap = KeyMap::load(cfg_dir.map(|d| d.join("keys.toml")).as_deref())?;
    let theme = Theme::load(
        &opts.theme,
        cfg_dir.map(|d| d.join("themes")).as_deref(),
        theme::no_color_requested(),
    )?;
    let mut app = App::new(source.project_name(), keymap, theme, opts.ascii);
    app.view = opts.view;
    // The frame's area, not `term.size()`: a fixed viewport (benchmarks) has no tty to ask.
    let size = term.get_frame().area();
    app.size = (size.width, size.height);
    Ok(app)
}

async fn drain<W: Write>(lp: &mut Loop<'_, W>, rx: &mut UnboundedReceiver<Event>) {
    while let Ok(ev) = rx.try_recv() {
        lp.apply(ev).await;
    }
}
