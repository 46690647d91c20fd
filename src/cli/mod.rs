//! Command-line interface: clap definitions that call into the library. Each area owns one
//! file with its own subcommand enum, flattened into [`Command`].

mod bench;
mod console;
mod demo;
mod farm;
mod jobs;
mod media;
mod project;
mod qc;
mod version;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "tinct",
    about = "Operator console for ML-assisted chroma recovery of film scans",
    disable_version_flag = true
)]
pub struct Cli {
    /// Print tinct's and libtorch's versions and whether CUDA is usable.
    #[arg(short = 'V', long)]
    pub version: bool,
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Global {
    /// Project folder (default: the nearest `tinct.toml` upward from the current folder).
    #[arg(short = 'p', long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Override one config value for this command, e.g. `--set train.steps=200` (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Draw the console with ASCII only (no Unicode box drawing or Braille).
    #[arg(long, global = true)]
    pub ascii: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    #[command(flatten)]
    Console(console::Commands),
    #[command(flatten)]
    Demo(demo::Commands),
    #[command(flatten)]
    Project(project::Commands),
    #[command(flatten)]
    Jobs(jobs::Commands),
    #[command(flatten)]
    Farm(farm::Commands),
    #[command(flatten)]
    Media(media::Commands),
    #[command(flatten)]
    Qc(qc::Commands),
    #[command(flatten)]
    Bench(bench::Commands),
}

/// Entry point of the `tinct` binary: parse, dispatch, report errors in one readable block.
pub fn main() -> ExitCode {
    // A CLI piped into `head` should end quietly, as Unix tools do, not panic on EPIPE.
    // SAFETY: restoring the default disposition of one signal before any output is written.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    if cli.version {
        println!("{}", version::text());
        return ExitCode::SUCCESS;
    }
    let g = cli.global.clone();
    let result = match cli.command {
        None => console::open_default(&g),
        Some(Command::Console(c)) => console::run(c, &g),
        Some(Command::Demo(c)) => demo::run(c, &g),
        Some(Command::Project(c)) => project::run(c, &g),
        Some(Command::Jobs(c)) => jobs::run(c, &g),
        Some(Command::Farm(c)) => farm::run(c, &g),
        Some(Command::Media(c)) => media::run(c, &g),
        Some(Command::Qc(c)) => qc::run(c, &g),
        Some(Command::Bench(c)) => bench::run(c, &g),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            crate::report::print_error(&e);
            ExitCode::FAILURE
        }
    }
}
