//! `tinct qc`.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Compare two images or sequences (ΔE2000, chroma PSNR).
    Qc,
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Qc => anyhow::bail!("`tinct qc` is not available in this build yet"),
    }
}
