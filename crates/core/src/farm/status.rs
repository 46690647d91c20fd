//! Where a farm job stands: each chunk's record, the frames on disk and the scheduler's view,
//! merged into done / running / queued / failed / missing.

use super::chunk::{self, ChunkOutcome, ChunkRecord};
use super::plan::{Engine, FarmJob, Submission};
use crate::jobs::liveness::{self, Liveness};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChunkState {
    /// Every frame of the chunk is on disk and its last run ended well.
    Done,
    Running,
    /// Submitted, not started.
    Queued,
    /// Its run ended badly, was killed, or its task ended without a record of its end.
    Failed,
    /// Never submitted, or submitted and gone without a trace.
    Missing,
}

impl ChunkState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChunkState::Done => "done",
            ChunkState::Running => "running",
            ChunkState::Queued => "queued",
            ChunkState::Failed => "failed",
            ChunkState::Missing => "missing",
        }
    }

    /// What `farm resubmit` sends again.
    pub fn needs_resubmit(self) -> bool {
        matches!(self, ChunkState::Failed | ChunkState::Missing)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ChunkStatus {
    pub index: usize,
    pub first: i64,
    pub last: i64,
    pub state: ChunkState,
    /// Source frames in the chunk, and how many of their outputs are on disk.
    pub frames: usize,
    pub frames_done: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The chunk's run (`runs/<job>/`), for its log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The scheduler's state of its task (`PENDING`, `RUNNING` …), while it lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FarmStatus {
    pub id: String,
    pub stage: String,
    pub engine: String,
    pub frames: usize,
    pub frames_done: usize,
    /// Source frames whose output is not on disk, as `A-B` runs.
    pub missing_frames: Vec<String>,
    pub chunks: Vec<ChunkStatus>,
    /// The scheduler could not be asked (its view is then left out, and said so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduler_error: Option<String>,
}

impl FarmStatus {
    pub fn count(&self, state: ChunkState) -> usize {
        self.chunks.iter().filter(|c| c.state == state).count()
    }

    /// Nothing left to wait for: every chunk done, failed or missing.
    pub fn settled(&self) -> bool {
        self.chunks
            .iter()
            .all(|c| !matches!(c.state, ChunkState::Running | ChunkState::Queued))
    }

    /// One line: `12/40 frames; chunks 1 done, 1 running, 2 queued`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for s in [
            ChunkState::Done,
            ChunkState::Running,
            ChunkState::Queued,
            ChunkState::Failed,
            ChunkState::Missing,
        ] {
            let n = self.count(s);
            if n > 0 {
                parts.push(format!("{n} {}", s.as_str()));
            }
        }
        format!(
            "{}/{} frames; chunks {}",
            self.frames_done,
            self.frames,
            parts.join(", ")
        )
    }
}

/// The latest submission that sent chunk `i`.
fn latest_submission(farm: &FarmJob, i: usize) -> Option<&Submission> {
    farm.submissions
        .iter()
        .rev()
        .find(|s| s.submitted && s.chunks.contains(&i))
}

fn supervisor_alive(s: &Submission) -> bool {
    s.pid
        .is_some_and(|pid| liveness::process(pid, s.pid_start, None, &s.host) == Liveness::Alive)
}

pub fn status(farm: &FarmJob) -> FarmStatus {
    let source = crate::project::open(Some(&farm.root), &farm.sets)
        .map(|p| chunk::source_frames(farm, &p))
        .unwrap_or_default();
    // One look at the disk per frame; a chunk's count is a slice of it (`source` is sorted).
    let on_disk: Vec<bool> = source
        .iter()
        .map(|&f| farm.frame_path(f).is_file())
        .collect();
    let (queue, scheduler_error) = match farm.engine {
        Engine::Slurm if farm.submissions.iter().any(|s| s.submitted) => {
            match super::slurm::queue(farm) {
                Ok(q) => (q, None),
                Err(e) => (Default::default(), Some(format!("{e:#}"))),
            }
        }
        _ => (Default::default(), None),
    };
    let chunks = farm
        .chunks
        .iter()
        .enumerate()
        .map(|(i, &range)| {
            let span = source.partition_point(|&f| f < range.first)
                ..source.partition_point(|&f| f <= range.last);
            let frames = span.len();
            let frames_done = on_disk[span].iter().filter(|&&d| d).count();
            let sub = latest_submission(farm, i);
            let listed = sub
                .and_then(|s| s.scheduler_id.clone())
                .and_then(|id| queue.get(&(id, i)).cloned());
            let pending = listed.is_some()
                || (farm.engine == Engine::Local && sub.is_some_and(supervisor_alive));
            // A record from before the latest submission describes the earlier attempt; while
            // the new one waits its turn, the chunk is queued, not failed.
            let record = chunk::read_record(farm, range)
                .filter(|r| !(pending && sub.is_some_and(|s| r.started < s.at)));
            let mut st = ChunkStatus {
                index: i,
                first: range.first,
                last: range.last,
                state: ChunkState::Missing,
                frames,
                frames_done,
                detail: None,
                host: None,
                seconds: None,
                exit_code: None,
                job: None,
                scheduler: listed.clone(),
            };
            if let Some(r) = &record {
                from_record(&mut st, r, farm.engine, listed.is_some());
            } else if listed.as_deref() == Some("RUNNING") {
                st.state = ChunkState::Running;
            } else if pending {
                st.state = ChunkState::Queued;
            } else if frames > 0 && frames_done == frames {
                st.state = ChunkState::Done;
                st.detail = Some("every frame on disk (rendered outside this farm job)".into());
            } else if sub.is_some() {
                st.detail = Some("submitted, but it never started and is no longer queued".into());
            }
            st
        })
        .collect();
    FarmStatus {
        id: farm.id.clone(),
        stage: farm.stage.id().into(),
        engine: farm.engine.id().into(),
        frames: source.len(),
        frames_done: on_disk.iter().filter(|&&d| d).count(),
        missing_frames: runs_of_missing(&source, &on_disk),
        chunks,
        scheduler_error,
    }
}

fn from_record(st: &mut ChunkStatus, r: &ChunkRecord, engine: Engine, listed: bool) {
    st.host = Some(r.host.clone());
    st.job = r.job.clone();
    st.exit_code = r.exit_code;
    st.seconds = r.ended.map(|_| r.seconds);
    match r.state {
        ChunkOutcome::Running => {
            match liveness::process(r.pid, r.pid_start, r.boot_id.as_deref(), &r.host) {
                Liveness::Alive => st.state = ChunkState::Running,
                Liveness::Dead(why) => {
                    st.state = ChunkState::Failed;
                    st.detail = Some(format!("killed: {why} without recording an end"));
                }
                Liveness::Elsewhere(_) if engine == Engine::Slurm && !listed => {
                    st.state = ChunkState::Failed;
                    st.detail = Some("its Slurm task ended without recording an end".into());
                }
                Liveness::Elsewhere(_) => st.state = ChunkState::Running,
            }
        }
        ChunkOutcome::Succeeded if st.frames_done == st.frames => st.state = ChunkState::Done,
        ChunkOutcome::Succeeded => {
            st.state = ChunkState::Failed;
            st.detail = Some(format!(
                "{} of {} frames gone since it ended",
                st.frames - st.frames_done,
                st.frames
            ));
        }
        ChunkOutcome::Failed => {
            st.state = ChunkState::Failed;
            st.detail = r
                .error
                .clone()
                .or_else(|| r.exit_code.map(|c| format!("exit code {c}")));
        }
    }
}

/// `["13-20", "35-35"]` for the frames of `source` not on disk.
fn runs_of_missing(source: &[i64], on_disk: &[bool]) -> Vec<String> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    let mut in_run = false;
    for (&f, &done) in source.iter().zip(on_disk) {
        match (done, in_run, runs.last_mut()) {
            (true, ..) => in_run = false,
            (false, true, Some((_, last))) => *last = f,
            (false, ..) => {
                runs.push((f, f));
                in_run = true;
            }
        }
    }
    runs.into_iter().map(|(a, b)| format!("{a}-{b}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_frames_come_as_runs() {
        let source: Vec<i64> = (1..=10).collect();
        let on_disk = [
            true, false, false, true, true, true, false, true, true, false,
        ];
        assert_eq!(runs_of_missing(&source, &on_disk), ["2-3", "7-7", "10-10"]);
    }
}
