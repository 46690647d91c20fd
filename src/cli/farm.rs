//! `tinct farm submit|status|resubmit|wait|list|export|chunk`: a reel rendered in chunks by a
//! scheduler (see `tinct_core::farm`).

use super::Global;
use crate::farm::{self, ChunkState, Engine, FarmRequest, FarmStatus};
use crate::stages::{FrameRange, Stage};
use clap::Subcommand;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Render a reel across a farm: Slurm (a job array), or parallel local workers.
    #[command(subcommand)]
    Farm(FarmCommand),
}

#[derive(Subcommand, Debug)]
pub enum FarmCommand {
    /// Plan the chunks, write the job under `runs/<id>/` and submit it; prints the id last.
    Submit {
        /// slurm (default when `sbatch` is on PATH) or local.
        #[arg(long, value_enum)]
        engine: Option<Engine>,
        #[command(flatten)]
        plan: PlanArgs,
        /// Slurm: array tasks running at once (`--array=0-K%P`); local: parallel workers.
        #[arg(long, value_name = "N")]
        parallel: Option<usize>,
        /// GPUs per task (default: 1 for infer, 0 for matchgrade).
        #[arg(long, value_name = "N")]
        gpus_per_task: Option<u32>,
        /// Slurm partition.
        #[arg(long, value_name = "P")]
        partition: Option<String>,
        /// Extra `#SBATCH` option for the site, e.g. `--sbatch-arg=--time=4:00:00` (repeatable).
        #[arg(long = "sbatch-arg", value_name = "OPT", allow_hyphen_values = true)]
        sbatch_args: Vec<String>,
        /// Write the job files without submitting.
        #[arg(long)]
        dry_run: bool,
    },
    /// Done / running / queued / failed / missing per chunk, and the frames not on disk.
    Status {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Submit again only the chunks that failed or are missing.
    Resubmit {
        id: String,
        #[arg(long)]
        dry_run: bool,
    },
    /// Wait until no chunk is queued or running; exit 0 when every chunk is done.
    Wait {
        id: String,
        /// Give up after this many seconds (exit 2).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<f64>,
    },
    /// List the project's farm jobs.
    List,
    /// Write OpenCue or Deadline job files for a site that submits itself.
    Export {
        #[arg(long, value_enum)]
        engine: Engine,
        #[command(flatten)]
        plan: PlanArgs,
    },
    /// Render one chunk (what every farm task runs): `tinct run STAGE --frames A-B` with the
    /// farm's overrides, plus the chunk's completion record.
    Chunk {
        id: String,
        #[arg(long, value_name = "A-B")]
        frames: FrameRange,
    },
    /// The local engine's supervisor (started by `farm submit --engine local`).
    #[command(hide = true)]
    RunLocal {
        id: String,
        #[arg(long, value_delimiter = ',')]
        chunks: Vec<usize>,
    },
}

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// infer (the ML render) or matchgrade (the global-grade render).
    #[arg(long, value_enum, default_value = "infer")]
    stage: Stage,
    /// Source frames, `A-B` (default: the whole sequence).
    #[arg(long, value_name = "A-B")]
    frames: Option<FrameRange>,
    /// Frames per chunk.
    #[arg(long, value_name = "N", default_value_t = farm::plan::DEFAULT_CHUNK)]
    chunk: usize,
}

impl PlanArgs {
    fn request(&self, engine: Engine, g: &Global) -> FarmRequest {
        FarmRequest {
            stage: self.stage,
            engine,
            frames: self.frames,
            chunk: self.chunk,
            parallel: None,
            gpus_per_task: None,
            partition: None,
            sbatch_args: Vec::new(),
            sets: g.set.clone(),
        }
    }
}

// Long by design: one arm per `tinct farm` subcommand, each a few calls into `farm`.
pub fn run(Commands::Farm(cmd): Commands, g: &Global) -> anyhow::Result<u8> {
    let root = crate::project::resolve_root(g.project.as_deref())?;
    match cmd {
        FarmCommand::Submit {
            engine,
            plan,
            parallel,
            gpus_per_task,
            partition,
            sbatch_args,
            dry_run,
        } => {
            let project = crate::project::open(Some(&root), &g.set)?;
            let mut request = plan.request(engine.unwrap_or_else(Engine::detect), g);
            request.parallel = parallel;
            request.gpus_per_task = gpus_per_task;
            request.partition = partition;
            request.sbatch_args = sbatch_args;
            let job = farm::submit(&project, &request, dry_run)?;
            for n in &job.notes {
                eprintln!("note: {n}");
            }
            let sub = job.submissions.last();
            eprintln!(
                "farm job {}: {} of frames {} in {} chunks of {} ({}{})",
                job.id,
                job.stage.id(),
                job.frames,
                job.chunks.len(),
                job.chunk_size,
                job.engine.id(),
                match sub {
                    Some(s) if !s.submitted => ", dry run: nothing submitted".to_owned(),
                    Some(s) => s
                        .scheduler_id
                        .as_ref()
                        .map(|id| format!(" job {id}"))
                        .unwrap_or_default(),
                    None => String::new(),
                }
            );
            if job.engine == Engine::Slurm {
                eprintln!(
                    "script: {}",
                    job.run_dir().join(farm::slurm::SCRIPT_FILE).display()
                );
            }
            eprintln!("follow it with `tinct farm status {}`", job.id);
            println!("{}", job.id);
            Ok(0)
        }
        FarmCommand::Status { id, json } => {
            let job = farm::find(&root, &id)?;
            let st = farm::status::status(&job);
            if json {
                println!("{}", serde_json::to_string_pretty(&st)?);
            } else {
                print_status(&st);
            }
            Ok(0)
        }
        FarmCommand::Resubmit { id, dry_run } => {
            let mut job = farm::find(&root, &id)?;
            let sent = farm::resubmit(&mut job, dry_run)?;
            if sent.is_empty() {
                eprintln!("farm job {}: no chunk failed or is missing", job.id);
            } else {
                let labels: Vec<String> = sent.iter().map(|&i| job.chunks[i].to_string()).collect();
                eprintln!(
                    "farm job {}: {} {} chunk(s): {}",
                    job.id,
                    if dry_run {
                        "would resubmit"
                    } else {
                        "resubmitted"
                    },
                    sent.len(),
                    labels.join(", ")
                );
            }
            Ok(0)
        }
        FarmCommand::Wait { id, timeout } => {
            let job = farm::find(&root, &id)?;
            let t0 = Instant::now();
            loop {
                let st = farm::status::status(&job);
                if st.settled() {
                    eprintln!("farm job {}: {}", job.id, st.summary());
                    return Ok(u8::from(st.count(ChunkState::Done) != st.chunks.len()));
                }
                if timeout.is_some_and(|t| t0.elapsed().as_secs_f64() > t) {
                    eprintln!("farm job {}: still going: {}", job.id, st.summary());
                    return Ok(2);
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        FarmCommand::List => {
            for job in farm::list(&root) {
                let st = farm::status::status(&job);
                println!(
                    "{}  {:<10} {:<8} {}",
                    job.id,
                    job.stage.id(),
                    job.engine.id(),
                    st.summary()
                );
            }
            Ok(0)
        }
        FarmCommand::Export { engine, plan } => {
            let project = crate::project::open(Some(&root), &g.set)?;
            let (job, files) = farm::export(&project, &plan.request(engine, g))?;
            for f in &files {
                eprintln!("wrote {}", f.display());
            }
            eprintln!(
                "farm job {}: {} chunks of {}; `tinct farm status {}` follows it once the site runs it",
                job.id,
                job.chunks.len(),
                job.chunk_size,
                job.id
            );
            println!("{}", job.id);
            Ok(0)
        }
        FarmCommand::Chunk { id, frames } => {
            let job = farm::find(&root, &id)?;
            let cancel = crate::jobs::worker::install_signal_flags()?;
            let code = farm::chunk::run(&job, frames, cancel, crate::stages::Stage::run)?;
            Ok(code.clamp(0, 255) as u8)
        }
        FarmCommand::RunLocal { id, chunks } => {
            let job = farm::find(&root, &id)?;
            let workers = job
                .parallel
                .unwrap_or_else(|| farm::local::default_workers(&job));
            let failed = farm::local::supervise(&job, &chunks, workers)?;
            Ok(u8::from(failed > 0))
        }
    }
}

fn print_status(st: &FarmStatus) {
    println!(
        "farm job {}: {} on {}; {}",
        st.id,
        st.stage,
        st.engine,
        st.summary()
    );
    if let Some(e) = &st.scheduler_error {
        println!("scheduler: {e}");
    }
    println!(
        "  {:<13} {:<8} {:>7}  {:<12} {:>7}  detail",
        "chunk", "state", "frames", "host", "seconds"
    );
    for c in &st.chunks {
        println!(
            "  {:<13} {:<8} {:>7}  {:<12} {:>7}  {}",
            format!("{}-{}", c.first, c.last),
            c.state.as_str(),
            format!("{}/{}", c.frames_done, c.frames),
            c.host.as_deref().unwrap_or("-"),
            c.seconds.map_or("-".into(), |s| format!("{s:.1}")),
            c.detail.as_deref().unwrap_or("")
        );
    }
    if !st.missing_frames.is_empty() {
        println!("missing frames: {}", st.missing_frames.join(", "));
    }
}
