//! A reel rendered in chunks by a scheduler: Slurm (an HPC site), this machine's own cores
//! (`local`), or job files that an OpenCue or Deadline site submits itself.
//!
//! tinct does not grow its own farm. A farm job is a plan (`runs/<id>/farm.json`: the stage,
//! the frames, the chunks, the overrides, every submission) and each chunk is an ordinary
//! `tinct` run of the stage on a frame range, started by whatever scheduler the site has
//! (`tinct farm chunk ID --frames A-B`). Each chunk leaves a small completion record
//! (`runs/<id>/chunks/A-B.json`), so `farm status` tells done / running / failed / missing from
//! files on shared storage plus the scheduler's own view, and `farm resubmit` sends only what is
//! not done. A chunk skips frames already rendered and decodable (`stages::render`), so a
//! resubmit never redoes work.
//!
//! - [`plan`]: the farm job and its chunks; [`chunk`]: running one chunk and its record;
//! - [`slurm`]: the job-array script, `sbatch`, `squeue`; [`local`]: parallel local workers;
//! - [`status`]: merging the records, the frames on disk and the scheduler;
//! - [`export`]: OpenCue (cjsl XML) and Deadline (`job_info`/`plugin_info`) job files.

pub mod chunk;
pub mod export;
pub mod local;
pub mod loopback;
pub mod plan;
pub mod slurm;
pub mod status;

pub use chunk::{ChunkOutcome, ChunkRecord};
pub use plan::{Engine, FarmJob, FarmRequest, Submission};
pub use status::{ChunkState, ChunkStatus, FarmStatus};

/// `runs/<id>/farm.json`: the plan and its submissions.
pub const FARM_FILE: &str = "farm.json";
/// `runs/<id>/chunks/A-B.json`: one record per chunk run.
pub const CHUNKS_DIR: &str = "chunks";

use std::path::Path;

/// Every farm job of a project, oldest first.
pub fn list(project_root: &Path) -> Vec<FarmJob> {
    let runs = project_root.join(crate::project::layout::RUNS);
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return Vec::new();
    };
    let mut farms: Vec<FarmJob> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(FARM_FILE).is_file())
        .filter_map(|e| FarmJob::load(&e.path()).ok())
        .collect();
    farms.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    farms
}

/// Find a farm job by its id or a unique part of it.
pub fn find(project_root: &Path, id: &str) -> anyhow::Result<FarmJob> {
    let exact = project_root.join(crate::project::layout::RUNS).join(id);
    if exact.join(FARM_FILE).is_file() {
        return FarmJob::load(&exact);
    }
    let mut matches: Vec<FarmJob> = list(project_root)
        .into_iter()
        .filter(|f| f.id.contains(id))
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => anyhow::bail!(
            "no farm job '{id}' in {} (list them with `tinct farm list`)",
            project_root.join(crate::project::layout::RUNS).display()
        ),
        n => anyhow::bail!("'{id}' matches {n} farm jobs: give more of the id"),
    }
}

/// Plan a farm job and hand all its chunks to its engine (Slurm or local); `dry_run` writes
/// the plan (and the Slurm script) without submitting.
pub fn submit(
    project: &crate::project::Project,
    request: &FarmRequest,
    dry_run: bool,
) -> anyhow::Result<FarmJob> {
    let max_tasks = match request.engine {
        Engine::Slurm if dry_run => slurm::max_array_size().ok(),
        Engine::Slurm => Some(slurm::max_array_size()?),
        Engine::Local => None,
        other => anyhow::bail!(
            "{} jobs are submitted by the site: write their files with `tinct farm export --engine {}`",
            other.id(),
            other.id()
        ),
    };
    let mut farm = FarmJob::create(project, request, max_tasks)?;
    let all: Vec<usize> = (0..farm.chunks.len()).collect();
    hand_over(&mut farm, &all, dry_run)?;
    Ok(farm)
}

/// Submit again only the chunks that failed or are missing; returns their indices (none: the
/// farm job is done or still running).
pub fn resubmit(farm: &mut FarmJob, dry_run: bool) -> anyhow::Result<Vec<usize>> {
    let todo: Vec<usize> = status::status(farm)
        .chunks
        .iter()
        .filter(|c| c.state.needs_resubmit())
        .map(|c| c.index)
        .collect();
    if !todo.is_empty() {
        hand_over(farm, &todo, dry_run)?;
    }
    Ok(todo)
}

fn hand_over(farm: &mut FarmJob, chunks: &[usize], dry_run: bool) -> anyhow::Result<()> {
    let submission = match farm.engine {
        Engine::Slurm => slurm::submit(farm, chunks, dry_run)?,
        Engine::Local => local::submit(farm, chunks, dry_run)?,
        other => anyhow::bail!(
            "farm job {} is for {}: the site submits it (`tinct farm export`)",
            farm.id,
            other.id()
        ),
    };
    farm.submissions.push(submission);
    farm.save()
}

/// Plan a farm job for an engine the site drives itself and write its job files.
pub fn export(
    project: &crate::project::Project,
    request: &FarmRequest,
) -> anyhow::Result<(FarmJob, Vec<std::path::PathBuf>)> {
    anyhow::ensure!(
        matches!(request.engine, Engine::Opencue | Engine::Deadline),
        "`farm export` writes OpenCue or Deadline job files; `farm submit` runs slurm and local"
    );
    let farm = FarmJob::create(project, request, None)?;
    let files = export::write(&farm)?;
    Ok((farm, files))
}
