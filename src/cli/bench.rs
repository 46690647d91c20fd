//! `tinct bench NAME`: measurements printed as ratios against a named peer run side by side.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Run a benchmark against its peer (io, align, ml, grade, jobs, console).
    Bench {
        /// Which benchmark.
        #[arg(value_enum)]
        name: Bench,
        /// Footage folder (default: ../shared/footage next to the checkout, or $TINCT_FOOTAGE).
        #[arg(long)]
        footage: Option<std::path::PathBuf>,
        /// Shorter run (fewer repetitions / smaller frames).
        #[arg(long)]
        quick: bool,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Bench {
    Io,
    Align,
    Ml,
    Grade,
    Jobs,
    Console,
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    let Commands::Bench {
        name,
        footage,
        quick,
    } = cmd;
    let opts = crate::bench::BenchOpts {
        footage: crate::bench::footage_dir(footage)?,
        quick,
    };
    match name {
        Bench::Io => crate::bench::io::run(&opts)?,
        Bench::Align => crate::bench::align::run(&opts)?,
        Bench::Ml => crate::bench::ml::run(&opts)?,
        Bench::Grade => crate::bench::grade::run(&opts)?,
        Bench::Jobs => crate::bench::jobs::run(&opts)?,
        Bench::Console => crate::bench::console::run(&opts)?,
    }
    Ok(0)
}
