//! `tinct` / `tinct open DIR`: the operator console.

use super::Global;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Open the console on a project (default: the current folder's project).
    Open { dir: Option<PathBuf> },
}

pub fn open_default(_g: &Global) -> anyhow::Result<u8> {
    anyhow::bail!("the console is not available in this build yet; see `tinct --help`")
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Open { .. } => open_default(g),
    }
}
