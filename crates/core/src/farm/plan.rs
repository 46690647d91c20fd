//! The farm job: what to render, in which chunks, and every submission of it.

use super::{CHUNKS_DIR, FARM_FILE};
use crate::fsx::FsError;
use crate::project::{Project, layout};
use crate::stages::output::OutputSpec;
use crate::stages::{FrameRange, Stage};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Frames per chunk unless the operator says otherwise: at 2K a few minutes of GPU time, so a
/// lost chunk costs little and the scheduling overhead stays small.
pub const DEFAULT_CHUNK: usize = 50;

/// Who runs the chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// A Slurm job array (`sbatch`), one task per chunk.
    Slurm,
    /// Parallel workers on this machine, GPU stages through the GPU-slot queue.
    Local,
    /// An OpenCue job spec the site submits itself (`farm export`).
    Opencue,
    /// A Deadline `job_info.job` + `plugin_info.job` pair (`farm export`).
    Deadline,
}

impl Engine {
    pub fn id(self) -> &'static str {
        match self {
            Engine::Slurm => "slurm",
            Engine::Local => "local",
            Engine::Opencue => "opencue",
            Engine::Deadline => "deadline",
        }
    }

    /// Slurm when this machine can submit to one (`sbatch` on PATH), else local workers.
    pub fn detect() -> Engine {
        if super::slurm::available() {
            Engine::Slurm
        } else {
            Engine::Local
        }
    }
}

/// One hand-over of chunks to the engine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Submission {
    pub at: DateTime<Utc>,
    /// Indices into [`FarmJob::chunks`].
    pub chunks: Vec<usize>,
    /// Slurm: the array job id (`sbatch --parsable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler_id: Option<String>,
    /// Local: the supervisor process and where it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_start: Option<u64>,
    pub host: String,
    /// Submitted for real (false: `--dry-run`, files only).
    pub submitted: bool,
}

/// What the operator asked for (`tinct farm submit|export`).
#[derive(Clone, Debug)]
pub struct FarmRequest {
    pub stage: Stage,
    pub engine: Engine,
    pub frames: Option<FrameRange>,
    /// Frames per chunk.
    pub chunk: usize,
    /// Local: workers at once; Slurm: array tasks running at once (`%P`); `None` = no limit.
    pub parallel: Option<usize>,
    pub gpus_per_task: Option<u32>,
    pub partition: Option<String>,
    /// Extra `#SBATCH` options for the site (`--account=x`, `--time=2:00:00`).
    pub sbatch_args: Vec<String>,
    /// `--set` overrides, applied by every chunk.
    pub sets: Vec<String>,
}

/// `runs/<id>/farm.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FarmJob {
    pub id: String,
    pub stage: Stage,
    pub engine: Engine,
    /// The project folder as the chunks see it (shared storage: the same path on every node).
    pub root: PathBuf,
    /// The `tinct` binary the chunks run.
    pub exe: PathBuf,
    pub frames: FrameRange,
    pub chunk_size: usize,
    pub chunks: Vec<FrameRange>,
    /// Source frames in the range (the chunks hold them all).
    pub frame_count: usize,
    /// Where the frames land: `pipeline/…/<stem>.%04d.<ext>`, relative to `root`.
    pub output: String,
    pub parallel: Option<usize>,
    pub gpus_per_task: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(default)]
    pub sbatch_args: Vec<String>,
    #[serde(default)]
    pub sets: Vec<String>,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub submissions: Vec<Submission>,
    /// Notes the plan made for the operator (a chunk size raised for `MaxArraySize`, a pinned
    /// checkpoint).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The render's output folder and stem for a stage.
pub fn output_of(stage: Stage) -> anyhow::Result<(&'static str, &'static str)> {
    match stage {
        Stage::Infer => Ok((layout::INFERENCE, "render")),
        Stage::Matchgrade => Ok((layout::MATCHGRADE, "matchgrade")),
        other => anyhow::bail!(
            "stage {} does not render a sequence: a farm runs `infer` or `matchgrade`",
            other.id()
        ),
    }
}

/// Split `frames` (sorted source frame numbers) into runs of `size` frames.
pub fn split(frames: &[i64], size: usize) -> Vec<FrameRange> {
    frames
        .chunks(size.max(1))
        .map(|c| FrameRange {
            first: c[0],
            last: c[c.len() - 1],
        })
        .collect()
}

impl FarmJob {
    /// Plan a farm job for `project` (its config already holds `request.sets`) and write it to
    /// `runs/<id>/farm.json`. `max_tasks` is the scheduler's limit on chunks (Slurm's
    /// `MaxArraySize`): a larger plan gets bigger chunks, and says so in its notes.
    pub fn create(
        project: &Project,
        request: &FarmRequest,
        max_tasks: Option<usize>,
    ) -> anyhow::Result<FarmJob> {
        let (dir, stem) = output_of(request.stage)?;
        crate::project::config::validate::check(&project.config, request.stage, &project.root)?;
        anyhow::ensure!(request.chunk >= 1, "--chunk must be at least 1 frame");
        let root = project
            .root
            .canonicalize()
            .with_context(|| format!("{}: cannot open project folder", project.root.display()))?;
        let pattern = &project.config.source.pattern;
        let (_, frames) = crate::stages::source_frames_of(project, pattern, request.frames)?;
        let (Some(&first), Some(&last)) = (frames.first(), frames.last()) else {
            anyhow::bail!(
                "no source frames of {pattern} in {}",
                request
                    .frames
                    .map_or("the sequence".into(), |r| r.to_string())
            );
        };
        let mut notes = Vec::new();
        let mut chunk_size = request.chunk;
        if let Some(max) = max_tasks.filter(|&m| m >= 1)
            && frames.len().div_ceil(chunk_size) > max
        {
            chunk_size = frames.len().div_ceil(max);
            notes.push(format!(
                "chunk size raised from {} to {chunk_size} frames: the scheduler takes at most {max} tasks per array (MaxArraySize)",
                request.chunk
            ));
        }
        let mut sets = request.sets.clone();
        if request.stage == Stage::Infer && project.config.infer.checkpoint.is_empty() {
            // Every chunk must apply the same network, even if a training ends mid-reel.
            if let Some(train) = newest_training(&root) {
                let rel = train.strip_prefix(&root).unwrap_or(&train).to_path_buf();
                notes.push(format!("checkpoint pinned to {}", rel.display()));
                sets.push(format!("infer.checkpoint={}", toml_string(&rel)));
            }
        }
        let spec = OutputSpec::from_config(&project.config.infer)?;
        let output = format!("{dir}/{stem}.%04d.{}", spec.ext);
        let exe = crate::jobs::tinct_exe()?;
        let created = crate::jobs::record::now();
        let runs = root.join(layout::RUNS);
        std::fs::create_dir_all(&runs).map_err(|e| FsError::new(&runs, e))?;
        let (id, run_dir) = loop {
            let id = format!(
                "{}-farm-{}-{:04x}",
                created.format("%Y%m%d-%H%M%S"),
                request.stage.id(),
                rand::random::<u16>()
            );
            let dir = runs.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => break (id, dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(FsError::new(&dir, e).into()),
            }
        };
        let chunks_dir = run_dir.join(CHUNKS_DIR);
        std::fs::create_dir_all(&chunks_dir).map_err(|e| FsError::new(&chunks_dir, e))?;
        let job = FarmJob {
            id,
            stage: request.stage,
            engine: request.engine,
            root,
            exe,
            frames: FrameRange { first, last },
            chunk_size,
            chunks: split(&frames, chunk_size),
            frame_count: frames.len(),
            output,
            parallel: request.parallel,
            gpus_per_task: request
                .gpus_per_task
                .unwrap_or(u32::from(request.stage.uses_gpu())),
            partition: request.partition.clone(),
            sbatch_args: request.sbatch_args.clone(),
            sets,
            created,
            submissions: Vec::new(),
            notes,
        };
        job.save()?;
        Ok(job)
    }

    pub fn load(run_dir: &Path) -> anyhow::Result<FarmJob> {
        let path = run_dir.join(FARM_FILE);
        let text = crate::fsx::read_to_string(&path)?;
        serde_json::from_str(&text).with_context(|| format!("{}: not a farm job", path.display()))
    }

    pub fn save(&self) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        crate::fsx::write_atomic(&self.run_dir().join(FARM_FILE), &bytes)?;
        Ok(())
    }

    pub fn run_dir(&self) -> PathBuf {
        self.root.join(layout::RUNS).join(&self.id)
    }

    pub fn chunks_dir(&self) -> PathBuf {
        self.run_dir().join(CHUNKS_DIR)
    }

    /// The output file of source frame `f`.
    pub fn frame_path(&self, f: i64) -> PathBuf {
        self.root
            .join(self.output.replace("%04d", &format!("{f:04}")))
    }

    /// The command a scheduler runs for one chunk; `range` is spelled the scheduler's way
    /// (`$RANGE`, `#FRAME_START#-#FRAME_END#`, `<STARTFRAME>-<ENDFRAME>`).
    pub fn chunk_argv(&self, range: &str) -> Vec<String> {
        vec![
            self.exe.display().to_string(),
            "--project".into(),
            self.root.display().to_string(),
            "farm".into(),
            "chunk".into(),
            self.id.clone(),
            "--frames".into(),
            range.into(),
        ]
    }
}

/// The newest succeeded training run of the project.
fn newest_training(root: &Path) -> Option<PathBuf> {
    crate::jobs::list(root)
        .into_iter()
        .filter(|j| {
            j.record.stage == Stage::Train.id()
                && j.record.state == crate::jobs::JobState::Succeeded
        })
        .max_by_key(|j| j.record.ended)
        .map(|j| j.run_dir)
}

/// A path as a TOML string value for `--set` (quoted, escaped).
fn toml_string(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_the_frames_that_exist() {
        let frames: Vec<i64> = (1..=25).chain(30..=34).collect();
        let chunks = split(&frames, 10);
        let labels: Vec<String> = chunks.iter().map(|c| c.to_string()).collect();
        assert_eq!(labels, ["1-10", "11-20", "21-34"]);
        assert_eq!(split(&[5], 10)[0], FrameRange { first: 5, last: 5 });
    }
}
