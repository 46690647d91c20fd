//! `runs/<id>/job.json`: the state machine of one job, rewritten atomically.
//!
//! States: queued → running → succeeded | failed | cancelled. `lost` is never written: it is
//! derived when a queued or running job's process is gone (kill -9, reboot), see `liveness`.
//! Several processes update a record (the launcher records the worker's pid, the worker its
//! progress, `tinct cancel` a forced end), so every change is a read-modify-write under an
//! advisory lock on `runs/<id>/.job.lock`.

use super::error::JobError;
use crate::fsx;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const JOB_FILE: &str = "job.json";
pub const CONFIG_FILE: &str = "config.toml";
pub const LOG_FILE: &str = "log.txt";
pub const METRICS_FILE: &str = "metrics.jsonl";
pub const TELEMETRY_FILE: &str = "telemetry.jsonl";
const LOCK_FILE: &str = ".job.lock";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Derived, never stored: the job's process died without recording how it ended.
    Lost,
}

impl JobState {
    /// The job will not change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Lost => "lost",
        }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything `job.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    /// A built-in stage (`train`) or an external command (`ext:<name>`).
    pub stage: String,
    pub state: JobState,
    /// Waits in the GPU queue.
    pub gpu: bool,
    /// The worker process (a session and process-group leader when detached).
    pub pid: Option<u32>,
    /// The worker's start time in clock ticks since boot (`/proc/<pid>/stat`), so a recycled
    /// pid is not mistaken for the job.
    #[serde(default)]
    pub pid_start: Option<u64>,
    /// `/proc/sys/kernel/random/boot_id` of the machine the worker ran on: after a reboot every
    /// recorded pid is stale.
    #[serde(default)]
    pub boot_id: Option<String>,
    pub host: String,
    /// True when the worker runs in its own session (`tinct run --detach`, the console).
    #[serde(default)]
    pub detached: bool,
    pub created: DateTime<Utc>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    /// The command line that asked for the job.
    pub argv: Vec<String>,
    /// The effective config of this run (`runs/<id>/config.toml`).
    pub config: PathBuf,
    /// `--set` overrides applied on top of `tinct.toml` to make that config.
    #[serde(default)]
    pub sets: Vec<String>,
    /// `--frames A-B`.
    #[serde(default)]
    pub frames: Option<String>,
    #[serde(default)]
    pub force: bool,
    /// The run this one continues (`tinct resume`).
    #[serde(default)]
    pub resume_from: Option<PathBuf>,
    /// The SOP step that launched this job: the worker checks it when the job succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The farm job (`runs/<farm>/farm.json`) this run renders one chunk of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub farm: Option<String>,
    pub summary: Option<String>,
    pub error: Option<String>,
    /// The stage's outputs and numbers when it succeeded.
    #[serde(default)]
    pub outcome: Option<serde_json::Value>,
}

/// Read `run_dir/job.json`.
pub fn read(run_dir: &Path) -> Result<JobRecord, JobError> {
    let path = run_dir.join(JOB_FILE);
    let bad = |reason: String| JobError::BadRecord {
        path: path.clone(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
}

/// Write a whole record (only for a new run folder; later changes go through [`update`]).
pub fn create(run_dir: &Path, record: &JobRecord) -> anyhow::Result<()> {
    write(run_dir, record)
}

fn write(run_dir: &Path, record: &JobRecord) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(record)?;
    bytes.push(b'\n');
    fsx::write_atomic(&run_dir.join(JOB_FILE), &bytes)?;
    Ok(())
}

impl JobRecord {
    /// Whether the job runs a torch stage, and so in `tinct-worker` (see `spawn`).
    pub fn needs_torch(&self) -> bool {
        matches!(
            self.stage.parse(),
            Ok(super::JobTarget::Builtin(stage)) if stage.needs_torch()
        )
    }
}

/// Change a record under the run's lock: read, let `change` edit it, write it back atomically.
pub fn update(run_dir: &Path, change: impl FnOnce(&mut JobRecord)) -> anyhow::Result<JobRecord> {
    let _lock = fsx::lock_file(&run_dir.join(LOCK_FILE))?;
    let mut record = read(run_dir)?;
    change(&mut record);
    write(run_dir, &record)?;
    Ok(record)
}

/// The current time as stored in records.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// `runs/<id>` of a project.
pub fn run_dir_of(project_root: &Path, id: &str) -> PathBuf {
    project_root.join(crate::project::layout::RUNS).join(id)
}
