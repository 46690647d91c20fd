//! What the console shows, as plain view-model types, and where it comes from.
//!
//! The app renders only these types. [`Source`] is the seam to the rest of tinct: the real one
//! ([`ProjectSource`]) reads the project's files and calls the SOP, journal and jobs modules;
//! tests use fixtures. Reading is cheap (small files) and happens in the runtime, never while
//! drawing.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// A step's kind: the SOP's own type.
pub use crate::sop::StepKind;

#[derive(Clone, Debug, PartialEq)]
pub enum StepStatus {
    Done,
    /// Open and all its requirements are met.
    Ready,
    /// Open, waiting for the named requirements.
    Blocked(Vec<String>),
    /// A QC step that failed (with the operator's note); it stays open until it passes.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepView {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    pub instructions: String,
    pub status: StepStatus,
    /// For `action` steps: the stage whose job it launches (`train`, `align` …).
    pub stage: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StageView {
    pub id: String,
    pub title: String,
    pub steps: Vec<StepView>,
}

/// Job states are the jobs module's own, so the console shows `lost` exactly as `tinct jobs`.
pub use crate::jobs::JobState;

#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    pub id: String,
    pub stage: String,
    pub state: JobState,
    pub pid: Option<u32>,
    /// Unix ms.
    pub started: Option<u64>,
    pub ended: Option<u64>,
    pub exit_code: Option<i32>,
    /// 0..=1 from the last metrics line, when the stage reports it.
    pub progress: Option<f64>,
    pub eta_s: Option<f64>,
    /// A farm job's chunks, in order (empty for a single run): its row draws one bar cell per
    /// chunk, so a failed chunk shows where it is in the reel.
    pub chunks: Vec<ChunkCell>,
    /// The SOP step that launched it.
    pub step: Option<String>,
    /// Its result line once it ended: the stage's summary, or `error: …`.
    pub result: Option<String>,
}

/// One chunk of a farm job as its row shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChunkCell {
    pub state: crate::farm::ChunkState,
    /// Frames of the chunk on disk, 0..=1.
    pub done: f64,
}

/// Parsed `metrics.jsonl` of one run: the series the training monitor plots.
#[derive(Clone, Debug, PartialEq)]
pub struct RunMetrics {
    /// (step, loss).
    pub loss: Vec<(f64, f64)>,
    /// (step, validation ΔE2000) per checkpoint.
    pub val_de00: Vec<(f64, f64)>,
    pub images_per_s: Option<f64>,
    pub eta_s: Option<f64>,
    pub progress: Option<f64>,
    pub step: Option<f64>,
    pub total_steps: Option<f64>,
    pub lines: usize,
    /// Decimation state (see [`MAX_POINTS`]).
    pub loss_seen: usize,
    pub stride: usize,
}

impl Default for RunMetrics {
    fn default() -> Self {
        RunMetrics {
            loss: Vec::new(),
            val_de00: Vec::new(),
            images_per_s: None,
            eta_s: None,
            progress: None,
            step: None,
            total_steps: None,
            lines: 0,
            loss_seen: 0,
            stride: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct JournalEntryView {
    pub when: String,
    pub kind: String,
    pub context: String,
    pub text: String,
}

/// The latest contact sheet, made ready (scaled, or encoded) for the cells the monitor gives
/// it, off the draw path; re-made only when the file or that area changes.
#[derive(Clone, Debug)]
pub struct Picture {
    pub path: PathBuf,
    /// The cells it was made for.
    pub area: ratatui::layout::Rect,
    pub image: PictureImage,
}

#[derive(Clone)]
pub enum PictureImage {
    /// Pixels for half blocks: row-major RGB8, one pixel per cell across, two per cell down.
    HalfBlocks {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    },
    /// Encoded once for the terminal's graphics protocol (kitty, sixel or iTerm2).
    Protocol(Box<ratatui_image::protocol::Protocol>),
}

impl std::fmt::Debug for PictureImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PictureImage::HalfBlocks { width, height, .. } => {
                write!(f, "HalfBlocks({width}x{height} px)")
            }
            PictureImage::Protocol(p) => write!(f, "Protocol({:?})", p.area()),
        }
    }
}

/// How an operator answer lands in the journal: the journal's own kinds.
pub use crate::journal::Kind;
/// What an answer says about a step: the SOP's own verdicts.
pub use crate::sop::Verdict;

/// Everything the console reads and does, behind one seam.
pub trait Source: Send + Sync {
    fn project_name(&self) -> String;
    fn root(&self) -> &Path;
    fn checklist(&self) -> anyhow::Result<Vec<StageView>>;
    /// Re-read `tinct.toml` after it changed on disk.
    fn reload_config(&self) -> anyhow::Result<()>;
    /// Files worth watching besides `runs/` (config, SOP file and state, journal).
    fn watched_files(&self) -> Vec<PathBuf>;
    fn jobs(&self) -> anyhow::Result<Vec<JobView>>;
    fn log_tail(&self, run: &str, lines: usize) -> anyhow::Result<Vec<String>>;
    fn journal(&self, last: usize) -> anyhow::Result<Vec<JournalEntryView>>;
    /// The config keys of one stage's section with their current values (`key`, `value`).
    fn stage_params(&self, stage: &str) -> Vec<(String, String)>;
    /// The newest contact sheet of a run, if any.
    fn latest_picture(&self, run: &str) -> Option<PathBuf>;

    /// Start `stage` as a detached job with `--set` overrides, launched from `step` (which the
    /// worker checks when the job succeeds); returns the job id.
    fn launch(
        &self,
        stage: &str,
        overrides: &[String],
        step: Option<&str>,
    ) -> anyhow::Result<String>;
    /// Answer a step with the operator's note: one checklist change and one journal entry
    /// (`ops::answer_step`). Returns a line for the status bar.
    fn answer_step(&self, step: &str, verdict: Verdict, note: &str) -> anyhow::Result<String>;
    fn undo_step(&self, step: &str) -> anyhow::Result<()>;
    fn note(
        &self,
        stage: Option<&str>,
        step: Option<&str>,
        kind: Kind,
        text: &str,
    ) -> anyhow::Result<()>;
    fn cancel(&self, job: &str) -> anyhow::Result<()>;
    fn resume(&self, job: &str) -> anyhow::Result<String>;
}

// ---- readers of the run-directory files (shared by ProjectSource and the bench) ----

/// One run's job, with its state derived by the jobs module (a dead worker shows as `lost`).
pub fn read_job(dir: &Path) -> anyhow::Result<JobView> {
    Ok(JobView::from(&crate::jobs::JobInfo::load(dir)?))
}

impl From<&crate::jobs::JobInfo> for JobView {
    fn from(info: &crate::jobs::JobInfo) -> JobView {
        let r = &info.record;
        let ms = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp_millis() as u64);
        let state = info.state();
        JobView {
            id: r.id.clone(),
            stage: r.stage.clone(),
            state,
            pid: r.pid,
            started: ms(r.started.or(Some(r.created))),
            ended: ms(r.ended),
            exit_code: r.exit_code,
            progress: (state == JobState::Succeeded).then_some(1.0),
            eta_s: None,
            chunks: Vec::new(),
            step: r.step.clone(),
            result: state
                .is_final()
                .then(|| {
                    r.summary
                        .clone()
                        .or_else(|| r.error.as_ref().map(|e| format!("error: {e}")))
                })
                .flatten(),
        }
    }
}

/// Loss points kept per run; past this, every other point is dropped and later points are
/// sampled at twice the stride. A week-long training stays a few kilobytes and draws fast.
pub const MAX_POINTS: usize = 4096;

impl RunMetrics {
    /// Add the metrics of later lines (`delta`, parsed from the bytes after what was read).
    pub fn merge(&mut self, delta: RunMetrics) {
        for p in delta.loss {
            self.loss_seen += 1;
            if self.loss_seen.is_multiple_of(self.stride) {
                self.loss.push(p);
            }
            if self.loss.len() > MAX_POINTS {
                self.loss = self.loss.iter().step_by(2).copied().collect();
                self.stride *= 2;
            }
        }
        self.val_de00.extend(delta.val_de00);
        self.images_per_s = delta.images_per_s.or(self.images_per_s);
        self.eta_s = delta.eta_s.or(self.eta_s);
        self.step = delta.step.or(self.step);
        self.total_steps = delta.total_steps.or(self.total_steps);
        self.lines += delta.lines;
        self.progress = delta.progress.or(self.progress);
        if let (Some(s), Some(t)) = (self.step, self.total_steps)
            && t > 0.0
            && delta.progress.is_none()
        {
            self.progress = Some((s / t).clamp(0.0, 1.0));
        }
    }
}

/// Metrics lines as JSON values ([`crate::jobs::metrics::Record`] says what they mean).
/// `first_line` numbers the lines for x when a line has no step.
pub fn parse_metrics(lines: &[Value], first_line: usize) -> RunMetrics {
    let mut m = RunMetrics {
        stride: 1,
        ..Default::default()
    };
    for v in lines {
        let r = crate::jobs::metrics::Record::read(v);
        m.lines += 1;
        let step = r.step.map(|s| s as f64);
        if step.is_some() {
            m.step = step;
        }
        if let Some(t) = r.steps {
            m.total_steps = Some(t as f64);
        }
        let x = step.unwrap_or((first_line + m.lines) as f64);
        if let Some(l) = r.loss {
            m.loss.push((x, l));
        }
        if let Some(d) = r.val_de00_mean {
            m.val_de00.push((x, d));
        }
        m.images_per_s = r.images_per_s.or(m.images_per_s);
        m.eta_s = r.eta_s.or(m.eta_s);
        m.progress = r.progress.or(m.progress);
    }
    if m.progress.is_none()
        && let (Some(s), Some(t)) = (m.step, m.total_steps)
        && t > 0.0
    {
        m.progress = Some((s / t).clamp(0.0, 1.0));
    }
    m
}

/// The complete lines of `runs/<id>/metrics.jsonl` after byte `offset`, parsed; returns the
/// new offset (a half-written last line waits for the next call).
pub fn read_metrics_from(run_dir: &Path, offset: u64, lines_before: usize) -> (RunMetrics, u64) {
    let (lines, offset) = crate::jobs::metrics::read_from(run_dir, offset);
    (parse_metrics(&lines, lines_before), offset)
}

pub fn read_metrics(run_dir: &Path) -> RunMetrics {
    read_metrics_from(run_dir, 0, 0).0
}

/// The last `n` lines of a file, reading only its end (logs can be long).
pub fn tail_lines(path: &Path, n: usize) -> std::io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let take = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - take))?;
    let mut buf = Vec::with_capacity(take as usize);
    f.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text.lines().map(|l| l.replace('\r', "")).collect();
    if take < len && !lines.is_empty() {
        lines.remove(0); // first line is cut
    }
    Ok(lines.split_off(lines.len().saturating_sub(n)))
}

/// A farm job as one row: its state from its chunks, its progress from the frames on disk.
pub fn farm_view(farm: &crate::farm::FarmJob) -> JobView {
    use crate::farm::ChunkState;
    let st = crate::farm::status::status(farm);
    let any = |s: ChunkState| st.chunks.iter().any(|c| c.state == s);
    let state = if st.chunks.iter().all(|c| c.state == ChunkState::Done) {
        JobState::Succeeded
    } else if any(ChunkState::Running) {
        JobState::Running
    } else if any(ChunkState::Queued) {
        JobState::Queued
    } else {
        JobState::Failed
    };
    JobView {
        id: farm.id.clone(),
        stage: format!("farm {}", farm.stage.id()),
        state,
        pid: None,
        started: None,
        ended: None,
        exit_code: None,
        progress: Some(st.frames_done as f64 / st.frames.max(1) as f64),
        eta_s: None,
        step: None,
        result: None,
        chunks: st
            .chunks
            .iter()
            .map(|c| ChunkCell {
                state: c.state,
                done: c.frames_done as f64 / c.frames.max(1) as f64,
            })
            .collect(),
    }
}

/// All jobs of the project, newest first (progress comes from their metrics, merged by the app).
/// A farm job is one row; the runs of its chunks are not listed on their own.
pub fn read_jobs(project_root: &Path) -> Vec<JobView> {
    let mut jobs: Vec<JobView> = crate::jobs::list(project_root)
        .iter()
        .filter(|info| info.record.farm.is_none())
        .map(JobView::from)
        .collect();
    let farms: Vec<JobView> = crate::farm::list(project_root)
        .iter()
        .map(farm_view)
        .collect();
    jobs.extend(farms);
    jobs.sort_by(|a, b| b.started.cmp(&a.started).then(b.id.cmp(&a.id)));
    jobs
}
