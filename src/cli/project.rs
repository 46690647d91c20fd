//! `tinct init|status|sop|note|journal`: the project, its SOP checklist and its journal.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Show the project, its sequences, SOP progress and last runs.
    Status,
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Status => anyhow::bail!("`tinct status` is not available in this build yet"),
    }
}
