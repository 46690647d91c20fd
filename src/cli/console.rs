//! `tinct` / `tinct open DIR`: the operator console.

use super::Global;
use crate::tui::runtime::{Options, run_terminal};
use crate::tui::source::ProjectSource;
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Open the console on a project (default: the project found upward from the current folder).
    Open { dir: Option<PathBuf> },
}

/// `tinct` with no subcommand: the console on `-p DIR` or the project around the cwd.
pub fn open_default(g: &Global) -> anyhow::Result<u8> {
    open(g.project.as_deref(), g)
}

pub(super) fn open(dir: Option<&std::path::Path>, g: &Global) -> anyhow::Result<u8> {
    let project = crate::project::open(dir, &g.set)?;
    let source = Arc::new(ProjectSource::new(project));
    run_terminal(
        source,
        Options {
            ascii: g.ascii,
            ..Options::default()
        },
    )?;
    Ok(0)
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Open { dir } => open(dir.as_deref().or(g.project.as_deref()), g),
    }
}
