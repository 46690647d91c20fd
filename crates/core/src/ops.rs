//! The operations API: every change an operator makes to a project, one call each. The CLI and
//! the console both call these (the console never runs `tinct`, never parses its output), so
//! the two cannot disagree about what a check, a failed QC, a launch or a resume means.

use crate::jobs::{self, JobRequest, JobState};
use crate::journal::{Entry, Journal, Kind};
use crate::project::Project;
use crate::sop::Checklist;
use crate::stages::FrameRange;
use std::path::Path;
use std::time::Duration;

pub use crate::sop::answer::{Answered, Verdict, answer as answer_step, undo as undo_step};

/// Append one journal entry. `stage`/`step` are checked against the project's SOP, and a step's
/// stage is filled in when only the step is given.
pub fn note(
    project: &Project,
    stage: Option<&str>,
    step: Option<&str>,
    kind: Kind,
    run: Option<&str>,
    text: &str,
) -> anyhow::Result<()> {
    let text = text.trim_end();
    anyhow::ensure!(!text.trim().is_empty(), "the note is empty");
    let stage = resolve_stage(project, stage, step)?;
    let mut entry = Entry::new(kind, text).at(stage.as_deref(), step);
    if let Some(run) = run {
        entry = entry.with_run(run);
    }
    Journal::open(project.journal_path()).append(&entry)?;
    Ok(())
}

/// Check `stage`/`step` against the project's SOP and fill in the stage of a step.
pub fn resolve_stage(
    project: &Project,
    stage: Option<&str>,
    step: Option<&str>,
) -> anyhow::Result<Option<String>> {
    if stage.is_none() && step.is_none() {
        return Ok(None);
    }
    let c = Checklist::open(project)?;
    if let Some(st) = stage
        && !c.sop.stages.iter().any(|s| s.id == st)
    {
        let ids: Vec<&str> = c.sop.stages.iter().map(|s| s.id.as_str()).collect();
        anyhow::bail!("no stage `{st}` in the SOP (stages: {})", ids.join(", "));
    }
    let Some(id) = step else {
        return Ok(stage.map(str::to_string));
    };
    let (owner, _) = c
        .sop
        .step(id)
        .ok_or_else(|| crate::sop::SopError::UnknownStep(id.to_string()))?;
    if let Some(st) = stage
        && st != owner.id
    {
        anyhow::bail!("step `{id}` belongs to stage `{}`, not `{st}`", owner.id);
    }
    Ok(Some(owner.id.clone()))
}

/// What to launch: a stage (or `ext:NAME`) with its overrides, optionally from an SOP step.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    pub stage: String,
    pub sets: Vec<String>,
    pub frames: Option<FrameRange>,
    pub force: bool,
    /// The step that launches it: recorded in `job.json`, checked by the worker on success.
    pub step: Option<String>,
}

/// Launch a detached job and journal it. Returns the new job's id. A stage written
/// `farm:ENGINE:STAGE` (`farm:slurm:infer`, `farm:auto:matchgrade`) is a farm job instead: its
/// chunks go to the engine (`crate::farm`), and the id is the farm job's.
pub fn launch(project_root: &Path, launch: &Launch) -> anyhow::Result<String> {
    let project = crate::project::open(Some(project_root), &launch.sets)?;
    if let Some(spec) = launch.stage.strip_prefix(FARM_PREFIX) {
        return launch_farm(&project, launch, spec);
    }
    let mut request = JobRequest::new(launch.stage.parse()?);
    request.sets = launch.sets.clone();
    request.frames = launch.frames;
    request.force = launch.force;
    request.step = launch.step.clone();
    let run_dir = jobs::prepare(&project, &request)?;
    jobs::launch_worker(&run_dir)?;
    let id = jobs::record::read(&run_dir)?.id;
    let with = if launch.sets.is_empty() {
        String::new()
    } else {
        format!(" with --set {}", launch.sets.join(" --set "))
    };
    let stage = request.target.to_string();
    note(
        &project,
        None,
        launch.step.as_deref(),
        Kind::Note,
        Some(&id),
        &format!("launched {stage} as job {id}{with}"),
    )?;
    Ok(id)
}

/// How a launch names a farm job: `farm:ENGINE:STAGE`.
pub const FARM_PREFIX: &str = "farm:";

fn launch_farm(project: &Project, launch: &Launch, spec: &str) -> anyhow::Result<String> {
    use crate::farm::{Engine, FarmRequest};
    let (engine, stage) = spec.split_once(':').ok_or_else(|| {
        anyhow::anyhow!(
            "'{}': write a farm launch as farm:ENGINE:STAGE",
            launch.stage
        )
    })?;
    let engine = match engine {
        "" | "auto" => Engine::detect(),
        e => <Engine as clap::ValueEnum>::from_str(e, true)
            .map_err(|_| anyhow::anyhow!("'{e}': a farm engine is slurm, local or auto"))?,
    };
    let request = FarmRequest {
        stage: stage.parse()?,
        engine,
        frames: launch.frames,
        chunk: crate::farm::plan::DEFAULT_CHUNK,
        parallel: None,
        gpus_per_task: None,
        partition: None,
        sbatch_args: Vec::new(),
        sets: launch.sets.clone(),
    };
    let farm = crate::farm::submit(project, &request, false)?;
    note(
        project,
        None,
        launch.step.as_deref(),
        Kind::Note,
        Some(&farm.id),
        &format!(
            "launched {stage} on the {} farm as farm job {}: {} chunks of {} frames",
            engine.id(),
            farm.id,
            farm.chunks.len(),
            farm.chunk_size
        ),
    )?;
    Ok(farm.id)
}

/// Cancel a job (SIGTERM, SIGKILL after `grace`, default `jobs.cancel-grace`).
pub fn cancel(project_root: &Path, id: &str, grace: Option<Duration>) -> anyhow::Result<JobState> {
    let grace = match grace {
        Some(g) => g,
        None => {
            let s = Project::load(project_root)?.config.jobs.cancel_grace;
            anyhow::ensure!(
                s.is_finite() && s >= 0.0,
                "config key jobs.cancel-grace: {s} is not a number of seconds >= 0"
            );
            Duration::from_secs_f64(s)
        }
    };
    jobs::cancel(project_root, id, grace)
}

/// Start a detached new run that continues job `id`. Returns the **new** job's id.
pub fn resume(project_root: &Path, id: &str, sets: &[String]) -> anyhow::Result<String> {
    jobs::resume(project_root, id, sets)
}
