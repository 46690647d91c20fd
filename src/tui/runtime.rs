//! The event loop: one channel of [`Event`]s fed by the keyboard, the file watcher, the
//! telemetry sampler and signal handlers. Apply every pending event, then draw once if anything
//! visible changed, at most `max_fps` times a second; when nothing happens, nothing is drawn
//! and the loop sleeps in `recv`. SIGHUP/SIGTERM restore the terminal and quit; jobs are
//! separate processes and keep running.

use super::app::{App, Effect, Overlay, View};
use super::data::{self, JobView, Source};
use super::event::{Event, FileKind};
use super::graphics::{self, Graphics};
use super::keymap::KeyMap;
use super::terminal::{self, Term};
use super::theme::{self, Theme};
use super::{editor, render, watch};
use anyhow::Context;
use crossterm::event as ct;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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

/// What the loop remembers about runs between file events.
#[derive(Default)]
struct Runs {
    jobs: Vec<JobView>,
    /// metrics.jsonl: bytes and lines already read.
    offsets: HashMap<String, (u64, usize)>,
    /// The contact sheet asked for (path, mtime, cells), so it is decoded and encoded again
    /// only when the file or its area on screen changes.
    picture: Option<(PathBuf, SystemTime, Rect)>,
    our_pids: Arc<Mutex<HashSet<u32>>>,
}

struct Loop<'a, W: Write> {
    source: Arc<dyn Source>,
    term: &'a mut Term<W>,
    app: App,
    tx: UnboundedSender<Event>,
    runs: Runs,
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
    let keymap = KeyMap::load(cfg_dir.as_ref().map(|d| d.join("keys.toml")).as_deref())?;
    let theme = Theme::load(
        &opts.theme,
        cfg_dir.as_ref().map(|d| d.join("themes")).as_deref(),
        theme::no_color_requested(),
    )?;
    let mut app = App::new(source.project_name(), keymap, theme, opts.ascii);
    app.view = opts.view;
    // The frame's area, not `term.size()`: a fixed viewport (benchmarks) has no tty to ask.
    let size = term.get_frame().area();
    app.size = (size.width, size.height);
    let (tx, mut rx) = unbounded_channel::<Event>();
    let input_paused = Arc::new(AtomicBool::new(false));

    if opts.input {
        spawn_input(tx.clone(), input_paused.clone());
    }
    spawn_signals(tx.clone());
    let mut lp = Loop {
        source: source.clone(),
        term,
        app,
        tx: tx.clone(),
        runs: Runs::default(),
        real_tty,
        input_paused,
        opts: opts.clone(),
    };
    if opts.telemetry {
        let t = tx.clone();
        crate::telemetry::spawn_sampler(
            source.root().to_path_buf(),
            crate::telemetry::SAMPLE_INTERVAL,
            lp.runs.our_pids.clone(),
            move |s, note| t.send(Event::Telemetry(s, note)).is_ok(),
        );
    }
    let _watcher = if opts.watch {
        let set = watch::WatchSet {
            root: source.root().to_path_buf(),
            runs: source.root().join(crate::project::layout::RUNS),
            files: source.watched_files(),
            config_dir: cfg_dir.clone(),
        };
        let t = tx.clone();
        match watch::spawn(set, move |k| t.send(Event::FileChanged(k)).is_ok()) {
            Ok(w) => Some(w),
            Err(e) => {
                lp.app.handle(Event::Done(Err(format!(
                    "file watching is off ({e}): press Ctrl-l to refresh"
                ))));
                None
            }
        }
    } else {
        None
    };
    if let Some(after) = opts.quit_after {
        let t = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = t.send(Event::Quit);
        });
    }

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

async fn drain<W: Write>(lp: &mut Loop<'_, W>, rx: &mut UnboundedReceiver<Event>) {
    while let Ok(ev) = rx.try_recv() {
        lp.apply(ev).await;
    }
}

fn spawn_input(tx: UnboundedSender<Event>, paused: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("tinct-input".into())
        .spawn(move || {
            while !tx.is_closed() {
                // While $EDITOR owns the terminal, keystrokes are its, not ours.
                if paused.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                match ct::poll(Duration::from_millis(250)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(_) => break,
                }
                let ev = match ct::read() {
                    Ok(ct::Event::Key(k)) if k.kind != ct::KeyEventKind::Release => Event::Key(k),
                    Ok(ct::Event::Resize(w, h)) => Event::Resize(w, h),
                    Ok(_) => continue,
                    Err(_) => break,
                };
                if tx.send(ev).is_err() {
                    break;
                }
            }
        })
        .expect("spawn input thread");
}

fn spawn_signals(tx: UnboundedSender<Event>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut hup), Ok(mut term)) = (
            signal(SignalKind::hangup()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        tokio::select! {
            _ = hup.recv() => {}
            _ = term.recv() => {}
        }
        let _ = tx.send(Event::Quit);
    });
}

impl<W: Write> Loop<'_, W> {
    fn draw(&mut self, stats: &mut Stats, start: Instant) -> anyhow::Result<()> {
        self.app.now_ms = now_ms();
        let app = &self.app;
        terminal::draw_synchronized(self.term, |f| render::draw(f, app))?;
        self.app.dirty = false;
        self.app.urgent = false;
        stats.frames += 1;
        stats.first_frame.get_or_insert(start.elapsed());
        stats.first_frame_at.get_or_insert_with(Instant::now);
        Ok(())
    }

    async fn apply(&mut self, ev: Event) {
        match ev {
            Event::FileChanged(kind) => self.reload(kind),
            Event::Resize(w, h) => {
                let _ = self.term.autoresize();
                self.app.handle(Event::Resize(w, h));
            }
            ev => {
                let was_monitor = self.app.view == View::Monitor;
                let effects = self.app.handle(ev);
                for fx in effects {
                    self.effect(fx);
                }
                if let Some(Overlay::Launch(f)) = &self.app.overlay
                    && !f.filled
                {
                    let params = self.source.stage_params(&f.stage);
                    self.app.fill_launch_form(params);
                }
                if self.app.view == View::Monitor && !was_monitor {
                    self.refresh_picture();
                }
            }
        }
    }

    fn send_later(&self, f: impl FnOnce(&dyn Source) -> Vec<Event> + Send + 'static) {
        let source = self.source.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            for ev in f(source.as_ref()) {
                let _ = tx.send(ev);
            }
        });
    }

    fn effect(&mut self, fx: Effect) {
        match fx {
            Effect::Launch { .. }
            | Effect::Note { .. }
            | Effect::UndoStep(_)
            | Effect::Cancel(_)
            | Effect::Resume(_) => {
                self.send_later(move |s| super::effects::run(s, fx).unwrap_or_default());
            }
            Effect::Attach(id) => {
                self.send_log(&id);
                self.refresh_picture();
            }
            Effect::OpenEditor(text) => self.open_editor(text),
            Effect::Redraw => {
                let _ = self.term.clear();
                self.reload(FileKind::Sop);
                self.reload(FileKind::Journal);
                self.app.touch();
            }
        }
    }

    fn open_editor(&mut self, text: String) {
        if !self.real_tty {
            self.app
                .handle(Event::Done(Err("no terminal to hand to $EDITOR".into())));
            return;
        }
        self.input_paused.store(true, Ordering::SeqCst);
        terminal::restore();
        let r = editor::edit(&text);
        let _ = terminal::enter();
        let _ = self.term.clear();
        self.input_paused.store(false, Ordering::SeqCst);
        match r {
            Ok(t) => self.app.editor_returned(t),
            Err(e) => {
                self.app.handle(Event::Done(Err(format!("{e:#}"))));
            }
        }
        self.app.touch();
    }

    fn send_log(&self, id: &str) {
        if let Ok(lines) = self.source.log_tail(id, 400) {
            let _ = self.tx.send(Event::Log(id.to_string(), lines));
        }
    }

    fn read_metrics(&mut self, id: &str) {
        let dir = self
            .source
            .root()
            .join(crate::project::layout::RUNS)
            .join(id);
        let (off, lines) = self.runs.offsets.get(id).copied().unwrap_or((0, 0));
        let (delta, new_off) = data::read_metrics_from(&dir, off, lines);
        if new_off != off {
            self.runs
                .offsets
                .insert(id.to_string(), (new_off, lines + delta.lines));
            self.app.handle(Event::Metrics(id.to_string(), delta));
        }
    }

    /// Decode the newest contact sheet of the monitored run and make it ready for its cells,
    /// off the draw path, if the file or its area changed.
    fn refresh_picture(&mut self) {
        let Some(area) = render::picture_area(&self.app) else {
            return;
        };
        let Some(run) = self.app.monitored_run().map(|j| j.id.clone()) else {
            return;
        };
        let Some(path) = self.source.latest_picture(&run) else {
            return;
        };
        let mtime = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or(UNIX_EPOCH);
        let key = (path.clone(), mtime, area);
        if self.runs.picture.as_ref() == Some(&key) {
            return;
        }
        self.runs.picture = Some(key);
        let graphics = self.opts.graphics.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let ev = match render::picture::prepare(&path, area, &graphics) {
                Ok(p) => Event::Picture(run, p),
                Err(e) => Event::Done(Err(format!("contact sheet: {e:#}"))),
            };
            let _ = tx.send(ev);
        });
    }

    /// The contact sheet's cells changed (resize, a validation line pushed it down): make it
    /// again for the new area. Only layout is computed here; files are read only if it moved.
    fn follow_picture_area(&mut self) {
        if let Some((_, _, asked)) = &self.runs.picture
            && render::picture_area(&self.app).is_some_and(|a| a != *asked)
        {
            self.refresh_picture();
        }
    }

    fn reload(&mut self, kind: FileKind) {
        match kind {
            FileKind::Run(id) => self.reload_run(&id),
            FileKind::Config => {
                let r = self.source.reload_config();
                self.app.project = self.source.project_name();
                if let Err(e) = r {
                    self.app.handle(Event::Done(Err(format!("{e:#}"))));
                }
                self.app.touch();
            }
            FileKind::Sop => {
                let ev = match self.source.checklist() {
                    Ok(c) => Event::Checklist(c),
                    Err(e) => Event::Done(Err(format!("SOP: {e:#}"))),
                };
                self.app.handle(ev);
            }
            FileKind::Journal => {
                if let Ok(j) = self.source.journal(200) {
                    self.app.handle(Event::Journal(j));
                }
            }
            FileKind::Theme | FileKind::Keys => {
                let cfg = theme::config_dir();
                match Theme::load(
                    &self.opts.theme,
                    cfg.as_ref().map(|d| d.join("themes")).as_deref(),
                    theme::no_color_requested(),
                ) {
                    Ok(t) => self.app.theme = t,
                    Err(e) => {
                        self.app.handle(Event::Done(Err(e.to_string())));
                    }
                }
                match KeyMap::load(cfg.as_ref().map(|d| d.join("keys.toml")).as_deref()) {
                    Ok(k) => self.app.keymap = k,
                    Err(e) => {
                        self.app.handle(Event::Done(Err(e.to_string())));
                    }
                }
                self.app.touch();
            }
        }
    }

    fn reload_run(&mut self, id: &str) {
        let dir = self
            .source
            .root()
            .join(crate::project::layout::RUNS)
            .join(id);
        if let Ok(mut job) = data::read_job(&dir) {
            let changed = match self.runs.jobs.iter_mut().find(|j| j.id == job.id) {
                Some(old) => {
                    let differs = (old.state, old.pid, old.ended, old.exit_code)
                        != (job.state, job.pid, job.ended, job.exit_code);
                    job.progress = job.progress.or(old.progress);
                    job.eta_s = old.eta_s;
                    *old = job.clone();
                    differs
                }
                None => {
                    self.runs.jobs.push(job.clone());
                    self.runs
                        .jobs
                        .sort_by(|a, b| b.started.cmp(&a.started).then(b.id.cmp(&a.id)));
                    true
                }
            };
            if changed {
                if let Ok(mut pids) = self.runs.our_pids.lock() {
                    *pids = self
                        .runs
                        .jobs
                        .iter()
                        .filter(|j| !j.state.is_final())
                        .filter_map(|j| j.pid)
                        .collect();
                }
                self.app.handle(Event::JobUpdate(self.runs.jobs.clone()));
            }
        }
        self.read_metrics(id);
        if self.app.attached.as_deref() == Some(id) {
            self.send_log(id);
        }
        if self.app.view == View::Monitor {
            self.refresh_picture();
        }
    }
}
