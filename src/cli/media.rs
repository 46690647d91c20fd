//! `tinct media info|convert`.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Inspect and convert image files and frame sequences.
    #[command(subcommand)]
    Media(MediaCmd),
}

#[derive(Subcommand, Debug)]
pub enum MediaCmd {
    /// Size, channels, pixel type, compression, frame range and gaps.
    Info { path: String },
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Media(_) => anyhow::bail!("`tinct media` is not available in this build yet"),
    }
}
