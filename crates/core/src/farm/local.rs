//! The local engine: the chunks as parallel workers on this machine, for a box with no
//! scheduler. A supervisor in its own session (so it outlives the console and the SSH link)
//! runs up to N `tinct farm chunk` processes at once; a GPU stage's chunks still wait for a GPU
//! slot each (`jobs::queue`), so N workers never oversubscribe the cards.

use super::plan::{FarmJob, Submission};
use crate::fsx::FsError;
use anyhow::Context;
use std::collections::VecDeque;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// `runs/<id>/local.log`: the supervisor's own lines and its chunks' output.
pub const LOG_FILE: &str = "local.log";

/// Workers when the operator gives none: one per GPU slot for a GPU stage; for a CPU stage one
/// per four cores (each chunk's render is itself parallel), at least one.
pub fn default_workers(farm: &FarmJob) -> usize {
    if farm.gpus_per_task > 0 {
        crate::project::Project::load(&farm.root)
            .map(|p| p.config.jobs.gpu_slots.max(1))
            .unwrap_or(1)
    } else {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / 4).max(1)
    }
}

/// Start the supervisor for `chunks` in a session of its own; `dry_run` starts nothing.
pub fn submit(farm: &FarmJob, chunks: &[usize], dry_run: bool) -> anyhow::Result<Submission> {
    let host = crate::jobs::liveness::hostname();
    let mut submission = Submission {
        at: crate::jobs::record::now(),
        chunks: chunks.to_vec(),
        scheduler_id: None,
        pid: None,
        pid_start: None,
        host,
        submitted: !dry_run,
    };
    if dry_run {
        return Ok(submission);
    }
    let log_path = farm.run_dir().join(LOG_FILE);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| FsError::new(&log_path, e))?;
    let list: Vec<String> = chunks.iter().map(|i| i.to_string()).collect();
    let mut command = Command::new(&farm.exe);
    command
        .arg("--project")
        .arg(&farm.root)
        .args(["farm", "run-local", &farm.id, "--chunks", &list.join(",")])
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| FsError::new(&log_path, e))?)
        .stderr(log);
    let pid = crate::jobs::spawn_detached(command)
        .with_context(|| format!("cannot start {}", farm.exe.display()))?;
    submission.pid = Some(pid);
    submission.pid_start = crate::jobs::liveness::start_ticks(pid);
    Ok(submission)
}

/// The supervisor: run `chunks` through `workers` parallel chunk processes. Returns how many
/// chunks failed.
pub fn supervise(farm: &FarmJob, chunks: &[usize], workers: usize) -> anyhow::Result<usize> {
    let queue = Mutex::new(chunks.iter().copied().collect::<VecDeque<usize>>());
    let failed = Mutex::new(0usize);
    let workers = workers.clamp(1, chunks.len().max(1));
    eprintln!(
        "tinct farm {}: {} chunks on {workers} local worker(s)",
        farm.id,
        chunks.len()
    );
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some(i) = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None) {
                    let range = farm.chunks[i].to_string();
                    let argv = farm.chunk_argv(&range);
                    let status = Command::new(&argv[0])
                        .args(&argv[1..])
                        .stdin(Stdio::null())
                        .status();
                    let ok = status.as_ref().is_ok_and(|s| s.success());
                    eprintln!(
                        "tinct farm {}: chunk {range} {}",
                        farm.id,
                        match &status {
                            Ok(s) if s.success() => "done".to_owned(),
                            Ok(s) => format!("failed ({s})"),
                            Err(e) => format!("could not start: {e}"),
                        }
                    );
                    if !ok && let Ok(mut n) = failed.lock() {
                        *n += 1;
                    }
                }
            });
        }
    });
    Ok(failed.into_inner().unwrap_or(0))
}
