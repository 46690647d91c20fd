//! Creating a run folder and launching its worker in a session of its own.
//!
//! A detached worker is `tinct worker RUN_DIR` (the stages that need no torch) or
//! `tinct-worker worker RUN_DIR` (train, infer: the only binary that links libtorch), made a
//! session leader with `setsid` before `exec`: it has no controlling terminal, so closing the console,
//! a dropped SSH link (SIGHUP) or killing the launching shell's process group cannot reach it.
//! Its stdin is /dev/null and its stdout/stderr go to the run's `log.txt`.

use super::liveness;
use super::record::{self, JobRecord, JobState, LOG_FILE};
use super::target::JobTarget;
use crate::fsx::FsError;
use crate::project::Project;
use crate::stages::FrameRange;
use anyhow::Context;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variable naming the `tinct` binary to run workers with (default: this process's
/// own executable; set it when launching jobs from a test harness or another program).
pub const WORKER_EXE_ENV: &str = "TINCT_EXE";

/// What to run, as asked.
#[derive(Clone, Debug)]
pub struct JobRequest {
    pub target: JobTarget,
    /// `--set` overrides already applied to the project's config (recorded for `resume`).
    pub sets: Vec<String>,
    pub frames: Option<FrameRange>,
    pub force: bool,
    pub resume_from: Option<PathBuf>,
    /// The SOP step this job answers (checked by the worker when the job succeeds).
    pub step: Option<String>,
    /// The command line that asked for it (recorded in `job.json`).
    pub argv: Vec<String>,
    /// The farm job this run is one chunk of (`crate::farm`).
    pub farm: Option<String>,
}

impl JobRequest {
    pub fn new(target: JobTarget) -> JobRequest {
        JobRequest {
            target,
            sets: Vec::new(),
            frames: None,
            force: false,
            resume_from: None,
            step: None,
            argv: Vec::new(),
            farm: None,
        }
    }

    /// The `tinct run ...` line equivalent to this request (for jobs not started from a shell).
    pub fn equivalent_argv(&self) -> Vec<String> {
        let mut argv = vec![
            "tinct".to_string(),
            "run".to_string(),
            self.target.to_string(),
        ];
        for s in &self.sets {
            argv.extend(["--set".to_string(), s.clone()]);
        }
        if let Some(f) = self.frames {
            argv.extend(["--frames".to_string(), f.to_string()]);
        }
        if self.force {
            argv.push("--force".into());
        }
        argv
    }
}

/// A new sortable id: `20261126-141500-train-3fa2` (UTC time, stage, random suffix).
fn new_id(target: &JobTarget) -> String {
    format!(
        "{}-{}-{:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        target.slug(),
        rand::random::<u16>()
    )
}

/// Create `runs/<id>/` with `config.toml` (the project's effective config) and a queued
/// `job.json`. `project.config` must already include the request's overrides.
pub fn prepare(project: &Project, request: &JobRequest) -> anyhow::Result<PathBuf> {
    let root = project
        .root
        .canonicalize()
        .with_context(|| format!("{}: cannot open project folder", project.root.display()))?;
    let config_path = root.join(crate::project::CONFIG_FILE);
    if let JobTarget::Builtin(stage) = &request.target {
        crate::project::config::validate::check(&project.config, *stage, &root)?;
    }
    let gpu = request.target.uses_gpu(&project.config, &config_path)?;
    let runs = root.join(crate::project::layout::RUNS);
    std::fs::create_dir_all(&runs).map_err(|e| FsError::new(&runs, e))?;
    let (id, run_dir) = loop {
        let id = new_id(&request.target);
        let dir = runs.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => break (id, dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(FsError::new(&dir, e).into()),
        }
    };
    let project = Project {
        root,
        config: project.config.clone(),
    };
    let config = project.save_effective_config(&run_dir)?;
    let argv = if request.argv.is_empty() {
        request.equivalent_argv()
    } else {
        request.argv.clone()
    };
    let record = JobRecord {
        id,
        stage: request.target.to_string(),
        state: JobState::Queued,
        gpu,
        pid: None,
        pid_start: None,
        boot_id: None,
        host: liveness::hostname(),
        detached: false,
        created: record::now(),
        started: None,
        ended: None,
        exit_code: None,
        argv,
        config,
        sets: request.sets.clone(),
        frames: request.frames.map(|f| f.to_string()),
        force: request.force,
        resume_from: request.resume_from.clone(),
        step: request.step.clone(),
        farm: request.farm.clone(),
        summary: None,
        error: None,
        outcome: None,
    };
    record::create(&run_dir, &record)?;
    Ok(run_dir)
}

/// Environment variable naming the torch worker binary (default: `tinct-worker` beside the
/// `tinct` binary, or one folder up from a test binary in `target/*/deps/`).
pub const TORCH_WORKER_EXE_ENV: &str = "TINCT_WORKER";

/// The `tinct` binary that workers (and farm chunks) run.
pub fn tinct_exe() -> anyhow::Result<PathBuf> {
    match std::env::var_os(WORKER_EXE_ENV) {
        Some(p) => Ok(PathBuf::from(p)),
        None => {
            std::env::current_exe().context("cannot find the tinct executable to start a worker")
        }
    }
}

/// The `tinct-worker` binary that runs torch stages.
pub fn torch_worker_exe() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(TORCH_WORKER_EXE_ENV) {
        return Ok(PathBuf::from(p));
    }
    let mut bases = vec![tinct_exe()?];
    if let Ok(me) = std::env::current_exe() {
        bases.push(me);
    }
    for base in &bases {
        for dir in base.ancestors().skip(1).take(2) {
            let candidate = dir.join("tinct-worker");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    anyhow::bail!(
        "tinct-worker (the binary that runs torch stages) not found beside {}: build it with \
         `cargo build --release --workspace` (scripts/dev does) or set {TORCH_WORKER_EXE_ENV}",
        bases[0].display()
    )
}

/// The command that runs the job of `run_dir` to its end, output appended to its `log.txt`.
fn worker_command(run_dir: &Path) -> anyhow::Result<Command> {
    let exe = if record::read(run_dir)?.needs_torch() {
        torch_worker_exe()?
    } else {
        tinct_exe()?
    };
    let log_path = run_dir.join(LOG_FILE);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| FsError::new(&log_path, e))?;
    let mut command = Command::new(exe);
    command
        .arg("worker")
        .arg(run_dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| FsError::new(&log_path, e))?)
        .stderr(log);
    Ok(command)
}

fn record_spawn_failure(run_dir: &Path, e: std::io::Error) -> anyhow::Error {
    let message = format!("cannot start the worker: {e}");
    if let Err(e) = record::update(run_dir, |r| {
        r.state = JobState::Failed;
        r.ended = Some(record::now());
        r.error = Some(message.clone());
    }) {
        return e;
    }
    anyhow::anyhow!("{}: {message}", run_dir.display())
}

/// Run the job of `run_dir` in a child worker process of this one (same session, so Ctrl-C
/// reaches both) and wait for it: how a foreground `tinct run train` runs a torch stage.
pub fn run_worker_attached(run_dir: &Path) -> anyhow::Result<i32> {
    let mut child = worker_command(run_dir)?
        .spawn()
        .map_err(|e| record_spawn_failure(run_dir, e))?;
    let status = child.wait().context("waiting for the worker")?;
    Ok(status.code().unwrap_or(super::worker::exit_code::CANCELLED))
}

/// Run a prepared job here, to its end, and return its exit code: a torch stage in a
/// `tinct-worker` child, any other in this process (`runner`), as a foreground `tinct run` does.
pub fn run_here(
    run_dir: &Path,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    runner: crate::stages::StageRunner,
) -> anyhow::Result<i32> {
    if record::read(run_dir)?.needs_torch() {
        run_worker_attached(run_dir)
    } else {
        super::worker::execute(run_dir, cancel, false, runner)
    }
}

/// Make `command` start a session of its own (`setsid` before `exec`): no controlling
/// terminal, so a closed console, a dropped SSH link or a killed shell cannot reach it.
fn in_own_session(command: &mut Command) {
    // SAFETY: setsid is async-signal-safe and touches no memory of the forked child.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Start `command` in a session of its own and return its pid at once. The child is reaped
/// when it ends, so a long-lived launcher (the console) collects no zombies; a short-lived one
/// (`tinct run --detach`, `tinct farm submit`) exits first and init adopts it.
pub fn spawn_detached(mut command: Command) -> std::io::Result<u32> {
    in_own_session(&mut command);
    let mut child = command.spawn()?;
    let pid = child.id();
    std::thread::Builder::new()
        .name("tinct-reaper".into())
        .spawn(move || {
            let _ = child.wait();
        })?;
    Ok(pid)
}

/// Start the job's worker in its own session and return its pid at once.
pub fn launch_worker(run_dir: &Path) -> anyhow::Result<u32> {
    let pid =
        spawn_detached(worker_command(run_dir)?).map_err(|e| record_spawn_failure(run_dir, e))?;
    record::update(run_dir, |r| {
        // The worker records the same values itself; whoever comes first wins, both agree.
        if r.pid.is_none() {
            r.pid = Some(pid);
            r.pid_start = liveness::start_ticks(pid);
            r.boot_id = liveness::boot_id();
        }
        r.detached = true;
    })?;
    Ok(pid)
}
