//! The pipeline stages. Each is `run(&Ctx) -> Outcome`: pure computation plus files, callable
//! from the CLI, a detached worker or a test, never touching the terminal. The torch stages
//! (`train`, `infer`) are implemented in `tinct-ml`; here they are names that the jobs module
//! hands to the `tinct-worker` binary.

mod ctx;
pub mod handoff;
pub mod output;
pub mod render;
pub mod steady;

pub mod align;
pub mod compare;
pub mod curate;
pub mod guide;
pub mod matchgrade;
pub mod prep;
pub mod suggest;
pub mod sync;

pub use ctx::{Ctx, FrameRange, source_frames_of};

use std::path::PathBuf;

/// What a stage reports when it ends well.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Outcome {
    /// One line for the operator ("offset 12 (confidence 0.97)").
    pub summary: String,
    /// Files written (operator-facing outputs first).
    pub outputs: Vec<PathBuf>,
    /// Numbers worth keeping in `job.json` and the journal.
    pub metrics: serde_json::Value,
}

/// Runs one built-in stage in this process: [`Stage::run`] in `tinct`, a runner that also knows
/// the torch stages in `tinct-worker`.
pub type StageRunner = fn(Stage, &Ctx) -> anyhow::Result<Outcome>;

/// Every stage `tinct run` knows, in SOP order.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Sync,
    Suggest,
    Curate,
    Align,
    Prep,
    Train,
    Infer,
    Matchgrade,
    Compare,
}

impl Stage {
    pub fn id(self) -> &'static str {
        match self {
            Stage::Sync => "sync",
            Stage::Suggest => "suggest",
            Stage::Curate => "curate",
            Stage::Align => "align",
            Stage::Prep => "prep",
            Stage::Train => "train",
            Stage::Infer => "infer",
            Stage::Matchgrade => "matchgrade",
            Stage::Compare => "compare",
        }
    }

    /// Stages that want the GPU queue to themselves (one at a time per GPU by default).
    pub fn uses_gpu(self) -> bool {
        matches!(self, Stage::Train | Stage::Infer)
    }

    /// Stages whose code lives in `tinct-ml` and runs only in the `tinct-worker` binary.
    pub fn needs_torch(self) -> bool {
        matches!(self, Stage::Train | Stage::Infer)
    }

    /// Run a stage that needs no torch in this process; a torch stage is an error here (the
    /// jobs module starts `tinct-worker` for it, whose [`StageRunner`] knows it).
    pub fn run(self, ctx: &Ctx) -> anyhow::Result<Outcome> {
        match self {
            Stage::Sync => sync::run(ctx),
            Stage::Suggest => suggest::run(ctx),
            Stage::Curate => curate::run(ctx),
            Stage::Align => align::run(ctx),
            Stage::Prep => prep::run(ctx),
            Stage::Train | Stage::Infer => anyhow::bail!(
                "stage {} needs torch: it runs in tinct-worker, not in this process",
                self.id()
            ),
            Stage::Matchgrade => matchgrade::run(ctx),
            Stage::Compare => compare::run(ctx),
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        <Stage as clap::ValueEnum>::from_str(s, true)
            .map_err(|_| anyhow::anyhow!("unknown stage '{s}'"))
    }
}
