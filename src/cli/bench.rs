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
    if let Bench::Ml = name {
        return bench_ml_in_worker(footage, quick);
    }
    let opts = crate::bench::BenchOpts {
        footage: crate::bench::footage_dir(footage)?,
        quick,
    };
    match name {
        Bench::Io => crate::bench::io::run(&opts)?,
        Bench::Align => crate::bench::align::run(&opts)?,
        Bench::Ml => unreachable!("handled above"),
        Bench::Grade => crate::bench::grade::run(&opts)?,
        Bench::Jobs => crate::bench::jobs::run(&opts)?,
        Bench::Console => crate::bench::console::run(&opts)?,
    }
    Ok(0)
}

/// `bench ml` measures torch, so it runs in `tinct-worker` (this binary links no libtorch).
fn bench_ml_in_worker(footage: Option<std::path::PathBuf>, quick: bool) -> anyhow::Result<u8> {
    let mut command = std::process::Command::new(crate::jobs::torch_worker_exe()?);
    command.arg("bench-ml");
    if quick {
        command.arg("--quick");
    }
    if let Some(f) = footage {
        command.arg("--footage").arg(f);
    }
    let status = command.status()?;
    Ok(status.code().unwrap_or(1).clamp(0, 255) as u8)
}
