//! Running one job to its end: the body of a detached `tinct worker RUN_DIR` and of a
//! foreground `tinct run`. Everything the worker needs is in the run folder (`job.json`,
//! `config.toml`), so a worker, a foreground run and a resumed run behave the same.
//!
//! State transitions: queued (waiting for a GPU slot) → running → succeeded | failed |
//! cancelled, each written to `job.json` with the exit code. SIGTERM and SIGINT only raise the
//! cancel flag: the stage sees it between units of work, saves what it can and returns.
//! A panic in a stage is caught and recorded as failed.

use super::external::{self, ExternalExit};
use super::liveness;
use super::queue;
use super::record::{self, CONFIG_FILE, JobRecord, JobState, LOG_FILE};
use super::target::JobTarget;
use super::telemetry_log;
use crate::fsx;
use crate::project::Project;
use crate::stages::{Ctx, Outcome, StageRunner};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit codes of a job, as `tinct wait` and the worker process report them.
pub mod exit_code {
    pub const SUCCESS: i32 = 0;
    pub const FAILED: i32 = 1;
    /// A Rust panic's conventional status.
    pub const PANICKED: i32 = 101;
    /// 128 + SIGTERM, as a shell reports a terminated process.
    pub const CANCELLED: i32 = 143;
    /// 128 + SIGKILL: cancelled and killed after the grace period.
    pub const KILLED: i32 = 137;
}

/// How a job ended.
struct Ending {
    state: JobState,
    exit_code: i32,
    summary: Option<String>,
    error: Option<String>,
    outcome: Option<serde_json::Value>,
}

impl Ending {
    fn failed(error: &anyhow::Error) -> Ending {
        let exit_code = error
            .downcast_ref::<ExternalExit>()
            .map(|e| e.code)
            .unwrap_or(exit_code::FAILED);
        Ending {
            state: JobState::Failed,
            exit_code,
            summary: None,
            error: Some(format!("{error:#}")),
            outcome: None,
        }
    }

    fn cancelled(summary: Option<String>, code: Option<i32>) -> Ending {
        Ending {
            state: JobState::Cancelled,
            exit_code: code.filter(|c| *c != 0).unwrap_or(exit_code::CANCELLED),
            summary,
            error: Some("cancelled".into()),
            outcome: None,
        }
    }
}

/// Append a line to the run's `log.txt` (the same format as `Ctx::log`).
pub(crate) fn log_line(run_dir: &Path, msg: &str) {
    let line = format!(
        "{} {msg}\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    let _ = fsx::append(&run_dir.join(LOG_FILE), line.as_bytes());
}

/// SIGTERM and SIGINT raise the returned flag; a second one of either ends the process at once
/// (an operator pressing Ctrl-C twice means it). SIGHUP is ignored: a hung-up terminal must
/// not end a job.
pub fn install_signal_flags() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let cancel = Arc::new(AtomicBool::new(false));
    for sig in [SIGTERM, SIGINT] {
        signal_hook::flag::register_conditional_shutdown(
            sig,
            exit_code::CANCELLED,
            cancel.clone(),
        )?;
        signal_hook::flag::register(sig, cancel.clone())?;
    }
    signal_hook::flag::register(SIGHUP, Arc::new(AtomicBool::new(false)))?;
    Ok(cancel)
}

/// Run the job prepared in `run_dir` in this process and record how it ended. Returns the
/// job's exit code. `verbose` echoes stage log lines to stderr.
pub fn execute(
    run_dir: &Path,
    cancel: Arc<AtomicBool>,
    verbose: bool,
    runner: StageRunner,
) -> anyhow::Result<i32> {
    let pid = std::process::id();
    let leader = nix::unistd::getpgrp().as_raw() as u32 == pid;
    let record = record::update(run_dir, |r| {
        r.pid = Some(pid);
        r.pid_start = liveness::start_ticks(pid);
        r.boot_id = liveness::boot_id();
        r.host = liveness::hostname();
        r.detached = leader;
    })?;
    // A GPU slot is held until the end is recorded, so the next GPU job's start never
    // precedes this one's recorded end.
    let mut gpu_slot = None;
    let ending = match run_job(run_dir, &record, &cancel, verbose, runner, &mut gpu_slot) {
        Ok(ending) => ending,
        Err(e) => {
            log_line(run_dir, &format!("tinct: {e:#}"));
            Ending::failed(&e)
        }
    };
    log_line(
        run_dir,
        &format!(
            "tinct: job {} {} (exit code {})",
            record.id, ending.state, ending.exit_code
        ),
    );
    record::update(run_dir, |r| {
        r.state = ending.state;
        r.exit_code = Some(ending.exit_code);
        r.ended = Some(record::now());
        r.summary = ending.summary.clone();
        r.error = ending.error.clone();
        r.outcome = ending.outcome.clone();
    })?;
    drop(gpu_slot);
    if ending.state == JobState::Succeeded
        && let Some(step) = &record.step
    {
        check_launching_step(run_dir, &record.id, step, ending.summary.as_deref());
    }
    Ok(ending.exit_code)
}

/// A job launched from an SOP step checks that step when it succeeds, with its result line as
/// the journal note, so the tick does not depend on a console still being open. A step that is
/// no longer open (checked meanwhile, or a relaunch) is left as it is.
fn check_launching_step(run_dir: &Path, id: &str, step: &str, summary: Option<&str>) {
    let Some(root) = run_dir.parent().and_then(Path::parent) else {
        return;
    };
    let note = summary.map(|s| format!("job {id} succeeded: {s}"));
    let result = Project::load(root).and_then(|project| {
        crate::sop::answer::check_open_action(&project, step, note.as_deref(), Some(id))
    });
    let line = match result {
        Ok(Some(_)) => format!("tinct: step {step} checked"),
        Ok(None) => format!("tinct: step {step} is not open; left as it is"),
        Err(e) => format!("tinct: could not check step {step}: {e:#}"),
    };
    log_line(run_dir, &line);
}

fn run_job(
    run_dir: &Path,
    record: &JobRecord,
    cancel: &Arc<AtomicBool>,
    verbose: bool,
    runner: StageRunner,
    gpu_slot: &mut Option<queue::GpuSlot>,
) -> anyhow::Result<Ending> {
    let runs = run_dir
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{}: not inside runs/", run_dir.display()))?;
    let root = runs
        .parent()
        .ok_or_else(|| anyhow::anyhow!("{}: not inside a project", run_dir.display()))?;
    let project = Project::load(root)?;
    let config_path = run_dir.join(CONFIG_FILE);
    let config = crate::project::parse_config(&config_path, &fsx::read_to_string(&config_path)?)?;
    let target: JobTarget = record.stage.parse()?;

    if record.gpu {
        let order_key = format!("{}-{}", record.created.timestamp_micros(), record.id);
        let slot = queue::acquire(runs, config.jobs.gpu_slots, &order_key, cancel, || {
            log_line(run_dir, "tinct: queued, waiting for a free GPU slot");
        })?;
        match slot {
            Some(slot) => {
                log_line(run_dir, &format!("tinct: got GPU slot {}", slot.index));
                *gpu_slot = Some(slot);
            }
            None => {
                return Ok(Ending::cancelled(
                    Some("cancelled while queued".into()),
                    None,
                ));
            }
        }
    }

    record::update(run_dir, |r| {
        r.state = JobState::Running;
        r.started = Some(record::now());
    })?;
    log_line(
        run_dir,
        &format!(
            "tinct: job {} running {} (pid {})",
            record.id,
            record.stage,
            std::process::id()
        ),
    );

    let interval = config.jobs.telemetry_interval;
    let mut ctx = Ctx::new(project, config, run_dir.to_path_buf())?;
    ctx.frames = record.frames.as_deref().map(str::parse).transpose()?;
    ctx.force = record.force;
    ctx.cancel = cancel.clone();
    ctx.verbose = verbose;
    ctx.resume_from = record.resume_from.clone();
    let _telemetry = telemetry_log::start(root, run_dir, interval, std::process::id());

    let result = catch_unwind(AssertUnwindSafe(|| match &target {
        JobTarget::Builtin(stage) => runner(*stage, &ctx),
        JobTarget::External(name) => external::run(&ctx, name),
    }));
    let cancelled = cancel.load(Ordering::Relaxed);
    Ok(match result {
        Ok(Ok(outcome)) if !cancelled => succeeded(outcome),
        Ok(Ok(outcome)) => Ending::cancelled(Some(outcome.summary), None),
        Ok(Err(e)) if cancelled => {
            let code = e.downcast_ref::<ExternalExit>().map(|x| x.code);
            Ending::cancelled(Some(format!("{e:#}")), code)
        }
        Ok(Err(e)) => Ending::failed(&e),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Ending {
                state: JobState::Failed,
                exit_code: exit_code::PANICKED,
                summary: None,
                error: Some(format!("stage panicked: {message}")),
                outcome: None,
            }
        }
    })
}

fn succeeded(outcome: Outcome) -> Ending {
    Ending {
        state: JobState::Succeeded,
        exit_code: exit_code::SUCCESS,
        summary: Some(outcome.summary.clone()),
        error: None,
        outcome: serde_json::to_value(&outcome).ok(),
    }
}

/// `tinct worker RUN_DIR` / `tinct-worker worker RUN_DIR`: the worker's whole life.
pub fn worker_main(run_dir: &Path, runner: StageRunner) -> anyhow::Result<u8> {
    let cancel = install_signal_flags()?;
    let code = execute(run_dir, cancel, false, runner)?;
    Ok(code.clamp(0, 255) as u8)
}
