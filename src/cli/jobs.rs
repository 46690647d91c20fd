//! `tinct run|jobs|attach|cancel|wait|resume`: stages as jobs (see `crate::jobs`).
//!
//! `STAGE` is a built-in stage (`train`) or an external command configured as
//! `[jobs.external.<name>]`, named `ext:<name>`.

use super::Global;
use crate::jobs::follow::{self, Follower, Start};
use crate::jobs::record::{LOG_FILE, METRICS_FILE};
use crate::jobs::{self, JobInfo, JobRequest, JobState, worker};
use crate::stages::FrameRange;
use clap::Subcommand;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Run a pipeline stage (`train`) or an external stage (`ext:NAME`): in the foreground with a
    /// progress line, or detached with --detach (prints the job id as the last line).
    Run {
        stage: String,
        /// Start a background worker in its own session and return at once.
        #[arg(long)]
        detach: bool,
        /// Source frames to work on, `A-B` or `N`.
        #[arg(long, value_name = "A-B")]
        frames: Option<FrameRange>,
        /// Redo outputs that already exist.
        #[arg(long)]
        force: bool,
        /// For `curate`: take the frames and validation frames of `suggested.toml` (what
        /// `tinct run suggest` proposed, as the operator edited it).
        #[arg(long)]
        from_suggested: bool,
    },
    /// List jobs (state `lost` = its process died without recording an end).
    Jobs {
        /// One JSON array with every field of each job's `job.json` plus `run_dir`.
        #[arg(long)]
        json: bool,
    },
    /// Follow a job's log and metrics until it ends (Ctrl-C detaches, the job keeps running).
    Attach { id: String },
    /// Stop a job: SIGTERM (it saves what it can), SIGKILL after the grace period.
    Cancel {
        id: String,
        /// Seconds to wait before SIGKILL (default: `jobs.cancel-grace`, 10).
        #[arg(long, value_name = "SECONDS")]
        grace: Option<f64>,
    },
    /// Wait for a job to end; the exit code is the job's.
    Wait { id: String },
    /// Start a new run of a failed, cancelled or lost job's stage that continues from it.
    Resume {
        id: String,
        /// Run it in the background and print the new job id as the last line.
        #[arg(long)]
        detach: bool,
    },
    /// Run a prepared job (started by `run --detach`; not for operators).
    #[command(hide = true)]
    Worker { run_dir: PathBuf },
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Worker { run_dir } => worker::worker_main(&run_dir, crate::stages::Stage::run),
        Commands::Run {
            stage,
            detach,
            frames,
            force,
            from_suggested,
        } => {
            let mut sets = g.set.clone();
            if from_suggested {
                anyhow::ensure!(
                    stage == "curate",
                    "--from-suggested is for `tinct run curate`"
                );
                let root = crate::project::resolve_root(g.project.as_deref())?;
                sets.extend(crate::stages::curate::suggested_overrides(&root)?);
            }
            let project = crate::project::open(g.project.as_deref(), &sets)?;
            let mut request = JobRequest::new(stage.parse()?);
            request.sets = sets;
            request.frames = frames;
            request.force = force;
            request.argv = std::env::args().collect();
            let run_dir = jobs::prepare(&project, &request)?;
            start(&run_dir, detach)
        }
        Commands::Resume { id, detach } => {
            let root = crate::project::resolve_root(g.project.as_deref())?;
            let run_dir = jobs::prepare_resume(&root, &id, &g.set, std::env::args().collect())?;
            start(&run_dir, detach)
        }
        Commands::Jobs { json } => {
            let root = crate::project::resolve_root(g.project.as_deref())?;
            let list = jobs::list(&root);
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_table(&list);
            }
            Ok(0)
        }
        Commands::Attach { id } => {
            let root = crate::project::resolve_root(g.project.as_deref())?;
            attach(&jobs::find(&root, &id)?)
        }
        Commands::Cancel { id, grace } => {
            let root = crate::project::resolve_root(g.project.as_deref())?;
            if let Some(s) = grace {
                anyhow::ensure!(
                    s.is_finite() && s >= 0.0,
                    "--grace must be a number of seconds >= 0"
                );
            }
            let state = crate::ops::cancel(&root, &id, grace.map(Duration::from_secs_f64))?;
            println!("{state}");
            Ok(0)
        }
        Commands::Wait { id } => {
            let root = crate::project::resolve_root(g.project.as_deref())?;
            let job = jobs::wait(&root, &id)?;
            eprintln!(
                "job {}: {}{}",
                job.id(),
                job.state(),
                detail(&job).map(|d| format!(" ({d})")).unwrap_or_default()
            );
            Ok(jobs::exit_code_of(&job).clamp(0, 255) as u8)
        }
    }
}

/// Launch a prepared run: detached (print the id last) or here, in the foreground.
fn start(run_dir: &Path, detach: bool) -> anyhow::Result<u8> {
    let record = jobs::record::read(run_dir)?;
    let id = record.id.clone();
    if detach {
        jobs::launch_worker(run_dir)?;
        eprintln!("started job {id} (follow it with `tinct attach {id}`)");
        println!("{id}");
        return Ok(0);
    }
    eprintln!("job {id} in {}", run_dir.display());
    let cancel = worker::install_signal_flags()?;
    let mut progress = Progress::new(&id);
    let (tx, rx) = mpsc::channel();
    let follower = Follower::spawn(
        &[run_dir.join(LOG_FILE), run_dir.join(METRICS_FILE)],
        Start::Beginning,
        move |e| tx.send(e).is_ok(),
    )?;
    // A torch stage runs in a `tinct-worker` child (this binary links no libtorch); the others
    // run here, on a thread, while this one prints their progress.
    let runner = {
        let run_dir = run_dir.to_path_buf();
        let torch = record.needs_torch();
        std::thread::spawn(move || {
            if torch {
                jobs::run_worker_attached(&run_dir)
            } else {
                worker::execute(&run_dir, cancel, false, crate::stages::Stage::run)
            }
        })
    };
    while !runner.is_finished() {
        if let Ok(event) = rx.recv_timeout(Duration::from_millis(250)) {
            progress.show(&event);
        }
    }
    drop(follower); // delivers the last lines
    for event in rx.try_iter() {
        progress.show(&event);
    }
    progress.clear();
    let code = runner
        .join()
        .map_err(|_| anyhow::anyhow!("the job runner panicked"))??;
    let job = JobInfo::load(run_dir)?;
    eprintln!(
        "job {id}: {}{}",
        job.state(),
        detail(&job).map(|d| format!(" — {d}")).unwrap_or_default()
    );
    Ok(code.clamp(0, 255) as u8)
}

/// Follow a job until it ends; returns its exit code.
fn attach(job: &JobInfo) -> anyhow::Result<u8> {
    if job.state().is_final() {
        eprintln!("job {} already ended: {}", job.id(), job.state());
    } else {
        eprintln!(
            "attached to job {} ({}); Ctrl-C detaches, the job keeps running",
            job.id(),
            job.state()
        );
    }
    enum Msg {
        Line(follow::LineEvent),
        JobChanged,
    }
    let (tx, rx) = mpsc::channel();
    let lines = tx.clone();
    let follower = Follower::spawn(
        &[job.run_dir.join(LOG_FILE), job.run_dir.join(METRICS_FILE)],
        Start::Beginning,
        move |e| lines.send(Msg::Line(e)).is_ok(),
    )?;
    let _watcher = follow::watch_file(&job.run_dir.join(jobs::record::JOB_FILE), move || {
        let _ = tx.send(Msg::JobChanged);
    })?;
    let mut progress = Progress::new(job.id());
    let end = loop {
        match rx.recv_timeout(follow::FALLBACK_POLL) {
            Ok(Msg::Line(event)) => progress.show(&event),
            Ok(Msg::JobChanged) | Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = JobInfo::load(&job.run_dir)?;
                if now.state().is_final() {
                    break now;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break JobInfo::load(&job.run_dir)?,
        }
    };
    drop(follower);
    for msg in rx.try_iter() {
        if let Msg::Line(event) = msg {
            progress.show(&event);
        }
    }
    progress.clear();
    eprintln!(
        "job {}: {}{}",
        end.id(),
        end.state(),
        detail(&end).map(|d| format!(" — {d}")).unwrap_or_default()
    );
    if end.resumable() {
        eprintln!("continue it with `tinct resume {}`", end.id());
    }
    Ok(jobs::exit_code_of(&end).clamp(0, 255) as u8)
}

/// Log lines scroll on stderr; the latest metrics record stays on one status line below them
/// (only on a terminal: redirected output gets the log lines alone).
struct Progress {
    id: String,
    started: Instant,
    status: Option<String>,
    tty: bool,
}

impl Progress {
    fn new(id: &str) -> Progress {
        Progress {
            id: id.to_string(),
            started: Instant::now(),
            status: None,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, event: &follow::LineEvent) {
        let mut err = std::io::stderr().lock();
        if event.path.ends_with(METRICS_FILE) {
            let Ok(serde_json::Value::Object(record)) = serde_json::from_str(&event.line) else {
                return;
            };
            let fields: Vec<String> = record
                .iter()
                .filter(|(k, _)| *k != "t")
                .map(|(k, v)| metric_text(k, v))
                .collect();
            self.status = Some(fields.join(" "));
        } else {
            if self.tty {
                let _ = write!(err, "\r\x1b[2K");
            }
            // Log lines carry their own UTC timestamp; the terminal shows the message.
            let message = event
                .line
                .split_once(' ')
                .filter(|(ts, _)| ts.ends_with('Z'))
                .map_or(&*event.line, |(_, m)| m);
            let _ = writeln!(err, "{message}");
        }
        if self.tty
            && let Some(status) = &self.status
        {
            let elapsed = self.started.elapsed().as_secs();
            let _ = write!(
                err,
                "\r\x1b[2K[{} {:02}:{:02}] {status}",
                self.id,
                elapsed / 60,
                elapsed % 60
            );
        }
        let _ = err.flush();
    }

    fn clear(&self) {
        if self.tty && self.status.is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}

/// The summary, error or lost reason worth showing next to a state.
fn detail(job: &JobInfo) -> Option<String> {
    job.lost_reason
        .clone()
        .or_else(|| job.record.error.clone())
        .or_else(|| job.record.summary.clone())
}

fn print_table(list: &[JobInfo]) {
    if list.is_empty() {
        println!("no jobs yet (start one with `tinct run STAGE --detach`)");
        return;
    }
    println!(
        "{:<34} {:<14} {:<10} {:>8}  {:<20} {:>8}  DETAIL",
        "ID", "STAGE", "STATE", "PID", "STARTED", "ELAPSED"
    );
    for job in list {
        let r = &job.record;
        let started = r
            .started
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into());
        let elapsed = r
            .started
            .map(|s| (r.ended.unwrap_or_else(chrono::Utc::now) - s).num_seconds())
            .map(|s| format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60))
            .unwrap_or_else(|| "-".into());
        let pid = r.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
        let mut detail = detail(job).unwrap_or_default();
        if job.state() == JobState::Lost {
            detail.push_str("; resume with `tinct resume ID`");
        }
        println!(
            "{:<34} {:<14} {:<10} {:>8}  {:<20} {:>8}  {detail}",
            r.id, r.stage, r.state, pid, started, elapsed
        );
    }
}

/// One metric as a person reads it: durations as `1m55s` (`eta_s` → `eta 1m55s`), other numbers
/// to four significant digits, everything else as it is.
fn metric_text(key: &str, value: &serde_json::Value) -> String {
    let Some(x) = value.as_f64() else {
        return format!("{key}={value}");
    };
    if let Some(name) = key.strip_suffix("_s").filter(|n| !n.ends_with("per")) {
        return format!("{name} {}", duration_text(x));
    }
    if value.is_i64() || value.is_u64() {
        return format!("{key}={value}");
    }
    let digits = if x == 0.0 {
        0
    } else {
        (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize
    };
    format!("{key}={x:.digits$}")
}

fn duration_text(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::metric_text;
    use serde_json::json;

    #[test]
    fn metrics_read_like_a_person_wrote_them() {
        assert_eq!(metric_text("eta_s", &json!(115.356563595)), "eta 1m55s");
        assert_eq!(metric_text("elapsed_s", &json!(4000.2)), "elapsed 1h06m");
        assert_eq!(
            metric_text("frames_per_s", &json!(1.60123)),
            "frames_per_s=1.601"
        );
        assert_eq!(metric_text("loss", &json!(0.0091234567)), "loss=0.009123");
        assert_eq!(metric_text("step", &json!(400)), "step=400");
        assert_eq!(metric_text("stage", &json!("curate")), "stage=\"curate\"");
    }
}
