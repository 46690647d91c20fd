//! `tinct bench`.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Run benchmarks against named peers.
    Bench,
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Bench => anyhow::bail!("`tinct bench` is not available in this build yet"),
    }
}
