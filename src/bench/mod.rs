//! `tinct bench`: the benchmarks of the core crate, plus the console's own (it needs the TUI).

pub mod console;
pub mod startup;

pub use tinct_core::bench::{
    BenchOpts, align, farm, footage_dir, grade, io, jobs, python, vtest_frames,
};
