//! One chunk of a farm job: `tinct run STAGE --frames A-B` on the farm's overrides, wrapped in
//! a completion record (`runs/<farm>/chunks/A-B.json`) that `farm status` reads.
//!
//! The record is written as `running` (with the process, host and start) before the stage
//! starts and rewritten with the exit code, frames and seconds when it ends, each time by temp
//! file and rename. A chunk killed outright leaves `running` with a dead pid (or a task its
//! scheduler no longer lists): status reports it as failed.

use super::plan::FarmJob;
use crate::jobs::{self, JobRequest};
use crate::stages::{FrameRange, StageRunner};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChunkOutcome {
    Running,
    Succeeded,
    Failed,
}

/// `runs/<farm>/chunks/A-B.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChunkRecord {
    pub first: i64,
    pub last: i64,
    pub state: ChunkOutcome,
    pub host: String,
    pub pid: u32,
    #[serde(default)]
    pub pid_start: Option<u64>,
    #[serde(default)]
    pub boot_id: Option<String>,
    /// The scheduler's name for the task (`SLURM_ARRAY_JOB_ID_SLURM_ARRAY_TASK_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The run of the stage (`runs/<job>/`), once prepared.
    #[serde(default)]
    pub job: Option<String>,
    pub started: DateTime<Utc>,
    #[serde(default)]
    pub ended: Option<DateTime<Utc>>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Frames of the chunk on disk at its end (rendered now or before).
    #[serde(default)]
    pub frames_done: usize,
    /// Frames this run rendered (the rest were already there).
    #[serde(default)]
    pub frames_written: usize,
    #[serde(default)]
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ChunkRecord {
    pub fn range(&self) -> FrameRange {
        FrameRange {
            first: self.first,
            last: self.last,
        }
    }
}

pub fn record_path(farm: &FarmJob, range: FrameRange) -> PathBuf {
    farm.chunks_dir().join(format!("{}.json", range))
}

pub fn read_record(farm: &FarmJob, range: FrameRange) -> Option<ChunkRecord> {
    let text = std::fs::read_to_string(record_path(farm, range)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_record(farm: &FarmJob, record: &ChunkRecord) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(record)?;
    bytes.push(b'\n');
    crate::fsx::write_atomic(&record_path(farm, record.range()), &bytes)?;
    Ok(())
}

/// Source frames of the farm inside `range` and how many of their outputs are on disk.
pub fn frames_on_disk(farm: &FarmJob, source: &[i64], range: FrameRange) -> (usize, usize) {
    let wanted: Vec<i64> = source
        .iter()
        .copied()
        .filter(|&f| range.contains(f))
        .collect();
    let done = wanted
        .iter()
        .filter(|&&f| farm.frame_path(f).is_file())
        .count();
    (wanted.len(), done)
}

/// Run one chunk here, to its end; returns the stage's exit code.
pub fn run(
    farm: &FarmJob,
    range: FrameRange,
    cancel: Arc<AtomicBool>,
    runner: StageRunner,
) -> anyhow::Result<i32> {
    anyhow::ensure!(
        farm.frames.first <= range.first && range.last <= farm.frames.last,
        "frames {} are outside farm job {} ({})",
        range,
        farm.id,
        farm.frames
    );
    let pid = std::process::id();
    let task = match (
        std::env::var("SLURM_ARRAY_JOB_ID"),
        std::env::var("SLURM_ARRAY_TASK_ID"),
    ) {
        (Ok(job), Ok(task)) => Some(format!("{job}_{task}")),
        _ => None,
    };
    let started = jobs::record::now();
    let mut record = ChunkRecord {
        first: range.first,
        last: range.last,
        state: ChunkOutcome::Running,
        host: jobs::liveness::hostname(),
        pid,
        pid_start: jobs::liveness::start_ticks(pid),
        boot_id: jobs::liveness::boot_id(),
        task,
        job: None,
        started,
        ended: None,
        exit_code: None,
        frames_done: 0,
        frames_written: 0,
        seconds: 0.0,
        error: None,
    };
    write_record(farm, &record)?;

    let t0 = std::time::Instant::now();
    let project = crate::project::open(Some(&farm.root), &farm.sets);
    let source = project
        .as_ref()
        .map(|p| source_frames(farm, p))
        .unwrap_or_default();
    let before = frames_on_disk(farm, &source, range).1;
    let result = (|| -> anyhow::Result<i32> {
        let project = project?;
        let mut request = JobRequest::new(jobs::JobTarget::Builtin(farm.stage));
        request.sets = farm.sets.clone();
        request.frames = Some(range);
        request.farm = Some(farm.id.clone());
        let run_dir = jobs::prepare(&project, &request)?;
        record.job = run_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        write_record(farm, &record)?;
        jobs::run_here(&run_dir, cancel, runner)
    })();
    let (wanted, done) = frames_on_disk(farm, &source, range);
    record.ended = Some(jobs::record::now());
    record.seconds = t0.elapsed().as_secs_f64();
    record.frames_done = done;
    record.frames_written = done.saturating_sub(before);
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            record.error = Some(format!("{e:#}"));
            jobs::worker::exit_code::FAILED
        }
    };
    record.exit_code = Some(code);
    record.state = if code == 0 && done == wanted {
        ChunkOutcome::Succeeded
    } else {
        if code == 0 {
            record.error = Some(format!("{} of {wanted} frames on disk", done));
        }
        ChunkOutcome::Failed
    };
    write_record(farm, &record)?;
    Ok(if record.state == ChunkOutcome::Succeeded {
        0
    } else {
        code.max(1)
    })
}

/// The farm's source frames as they are now (empty when the sequence cannot be read: the stage
/// then reports why).
pub fn source_frames(farm: &FarmJob, project: &crate::project::Project) -> Vec<i64> {
    crate::stages::source_frames_of(project, &project.config.source.pattern, Some(farm.frames))
        .map(|(_, frames)| frames)
        .unwrap_or_default()
}
