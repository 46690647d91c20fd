//! Acting on jobs from outside: list, find, cancel, wait, resume.

use super::error::JobError;
use super::follow;
use super::liveness::{self, Liveness};
use super::record::{self, JobRecord, JobState};
use super::spawn::{self, JobRequest};
use super::worker::{exit_code, log_line};
use crate::project::layout::RUNS;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A job as the CLI and the console show it: `job.json` with the state as it really is
/// (`lost` when the process died without recording an end), plus where it lives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    #[serde(flatten)]
    pub record: JobRecord,
    pub run_dir: PathBuf,
    /// Why the job is `lost` (or why its liveness could not be checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
}

impl JobInfo {
    pub fn id(&self) -> &str {
        &self.record.id
    }

    pub fn state(&self) -> JobState {
        self.record.state
    }

    /// Failed, cancelled or lost: `tinct resume` makes sense.
    pub fn resumable(&self) -> bool {
        matches!(
            self.state(),
            JobState::Failed | JobState::Cancelled | JobState::Lost
        )
    }

    /// Read one run folder and derive its real state.
    pub fn load(run_dir: &Path) -> Result<JobInfo, JobError> {
        let mut record = record::read(run_dir)?;
        let mut lost_reason = None;
        if !record.state.is_final() {
            match liveness::check(&record) {
                Liveness::Alive => {}
                Liveness::Dead(why) => {
                    // The worker records its end and then exits: between our read and the
                    // liveness check it may have done both. Read again before calling it lost.
                    record = record::read(run_dir)?;
                    if !record.state.is_final() {
                        record.state = JobState::Lost;
                        lost_reason = Some(why);
                    }
                }
                Liveness::Elsewhere(why) => lost_reason = Some(format!("not checked: {why}")),
            }
        }
        Ok(JobInfo {
            record,
            run_dir: run_dir.to_path_buf(),
            lost_reason,
        })
    }
}

/// Every job of the project, oldest first. Folders without a readable `job.json` are skipped.
pub fn list(project_root: &Path) -> Vec<JobInfo> {
    let runs = project_root.join(RUNS);
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return Vec::new();
    };
    let mut jobs: Vec<JobInfo> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| JobInfo::load(&e.path()).ok())
        .collect();
    jobs.sort_by(|a, b| (a.record.created, &a.record.id).cmp(&(b.record.created, &b.record.id)));
    jobs
}

/// Find a job by its id or a unique part of it (`3fa2`, `train-3fa2`).
pub fn find(project_root: &Path, id: &str) -> Result<JobInfo, JobError> {
    let runs = project_root.join(RUNS);
    let exact = runs.join(id);
    if exact.join(record::JOB_FILE).is_file() {
        return JobInfo::load(&exact);
    }
    let matches: Vec<JobInfo> = list(project_root)
        .into_iter()
        .filter(|j| j.record.id.contains(id))
        .collect();
    match matches.len() {
        0 => Err(JobError::NotFound {
            id: id.to_string(),
            runs,
        }),
        1 => Ok(matches.into_iter().next().expect("one match")),
        _ => Err(JobError::Ambiguous {
            id: id.to_string(),
            runs,
            candidates: matches
                .iter()
                .map(|j| j.record.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Send `signal` to the job's process group when it leads one (detached), else to its pid.
fn signal_job(record: &JobRecord, signal: Signal) {
    let Some(pid) = record.pid else { return };
    let pid = Pid::from_raw(pid as i32);
    if record.detached && kill(Pid::from_raw(-pid.as_raw()), signal).is_ok() {
        return;
    }
    let _ = kill(pid, signal);
}

/// Cancel a job: SIGTERM (the stage saves what it can and records `cancelled`), then SIGKILL to
/// the whole process group if it has not ended after `grace`. Returns the final state.
pub fn cancel(project_root: &Path, id: &str, grace: Duration) -> anyhow::Result<JobState> {
    let job = find(project_root, id)?;
    if job.state().is_final() {
        return Ok(job.state());
    }
    if let Some(why) = &job.lost_reason {
        anyhow::bail!("job {}: cannot signal it ({why})", job.id());
    }
    log_line(
        &job.run_dir,
        &format!(
            "tinct: cancel requested (SIGTERM, {:.0} s grace)",
            grace.as_secs_f64()
        ),
    );
    signal_job(&job.record, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    // A short bounded wait for the worker to record its end.
    while Instant::now() < deadline {
        let now = JobInfo::load(&job.run_dir)?;
        if now.state().is_final() && now.state() != JobState::Lost {
            return Ok(now.state());
        }
        if now.state() == JobState::Lost {
            break; // died without recording: record it below
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let now = JobInfo::load(&job.run_dir)?;
    let killed = !now.state().is_final();
    if killed {
        signal_job(&job.record, Signal::SIGKILL);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && !JobInfo::load(&job.run_dir)?.state().is_final() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let (code, why) = if killed {
        (
            exit_code::KILLED,
            format!(
                "cancelled: killed after the {:.0} s grace period",
                grace.as_secs_f64()
            ),
        )
    } else {
        (
            exit_code::CANCELLED,
            "cancelled: the process ended without recording it".to_string(),
        )
    };
    let updated = record::update(&job.run_dir, |r| {
        if !r.state.is_final() {
            r.state = JobState::Cancelled;
            r.exit_code = Some(code);
            r.ended = Some(record::now());
            r.error = Some(why.clone());
        }
    })?;
    log_line(&job.run_dir, &format!("tinct: {why}"));
    Ok(updated.state)
}

/// Block until the job ends (or is found lost) and return it. Woken by changes to `job.json`;
/// a slow re-check notices a worker that died without writing.
pub fn wait(project_root: &Path, id: &str) -> anyhow::Result<JobInfo> {
    let job = find(project_root, id)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let _watcher = follow::watch_file(&job.run_dir.join(record::JOB_FILE), move || {
        let _ = tx.send(());
    })?;
    loop {
        let now = JobInfo::load(&job.run_dir)?;
        if now.state().is_final() {
            return Ok(now);
        }
        let _ = rx.recv_timeout(follow::FALLBACK_POLL);
    }
}

/// The exit code `tinct wait` reports for an ended job.
pub fn exit_code_of(job: &JobInfo) -> i32 {
    match (job.state(), job.record.exit_code) {
        (JobState::Succeeded, _) => exit_code::SUCCESS,
        (_, Some(code)) if code != 0 => code,
        (JobState::Cancelled, _) => exit_code::CANCELLED,
        _ => exit_code::FAILED,
    }
}

/// Prepare a new run of a failed, cancelled or lost job's stage that continues from it:
/// the same effective config (plus `extra_sets`), frames and overrides, with `resume_from`
/// pointing at the old run folder (a training picks up its last checkpoint there).
/// Returns the new run folder; launch it with `launch_worker` or run it in the foreground.
pub fn prepare_resume(
    project_root: &Path,
    id: &str,
    extra_sets: &[String],
    argv: Vec<String>,
) -> anyhow::Result<PathBuf> {
    let old = find(project_root, id)?;
    if !old.state().is_final() {
        return Err(JobError::StillActive {
            id: old.id().to_string(),
            state: old.state().to_string(),
        }
        .into());
    }
    let mut project = crate::project::Project::load(project_root)?;
    let old_config = old.run_dir.join(record::CONFIG_FILE);
    let base =
        crate::project::parse_config(&old_config, &crate::fsx::read_to_string(&old_config)?)?;
    project.config = crate::project::apply_overrides(&base, extra_sets)?;
    let mut request = JobRequest::new(old.record.stage.parse()?);
    request.sets = old.record.sets.iter().chain(extra_sets).cloned().collect();
    request.frames = old.record.frames.as_deref().map(str::parse).transpose()?;
    request.force = old.record.force;
    request.resume_from = Some(old.run_dir.clone());
    request.step = old.record.step.clone();
    request.argv = argv;
    spawn::prepare(&project, &request)
}

/// `tinct resume` for the console: a detached new run continuing job `id`. Returns its id.
pub fn resume(project_root: &Path, id: &str, extra_sets: &[String]) -> anyhow::Result<String> {
    let run_dir = prepare_resume(project_root, id, extra_sets, Vec::new())?;
    spawn::launch_worker(&run_dir)?;
    Ok(record::read(&run_dir)?.id)
}
