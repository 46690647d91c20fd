//! `tinct run|jobs|attach|cancel|wait|resume`: stages as jobs.

use super::Global;
use crate::stages::Stage;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Run a pipeline stage (in the foreground, or detached with --detach).
    Run { stage: Stage },
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Run { stage } => anyhow::bail!("`tinct run {}` is not available in this build yet", stage.id()),
    }
}
