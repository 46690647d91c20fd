//! The core's stages plus the two that need torch. [`run`] is the [`StageRunner`] of
//! `tinct-worker`: every built-in stage, torch or not, runs through it there.

pub use tinct_core::stages::*;

pub mod infer;
pub mod train;

/// Run any built-in stage in this process.
pub fn run(stage: Stage, ctx: &Ctx) -> anyhow::Result<Outcome> {
    match stage {
        Stage::Train => train::run(ctx),
        Stage::Infer => infer::run(ctx),
        other => other.run(ctx),
    }
}

/// The runner handed to the jobs module (checked against [`StageRunner`] at compile time).
pub const RUNNER: StageRunner = run;
