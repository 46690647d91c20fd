//! `tinct demo`.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Create a demo project from the embedded footage.
    Demo,
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Demo => anyhow::bail!("`tinct demo` is not available in this build yet"),
    }
}
