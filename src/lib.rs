//! tinct: ML-assisted chroma recovery for faded and black-and-white film scans — the app (CLI
//! and console). It links no libtorch: everything it does goes through `tinct-core`, and torch
//! stages run in the `tinct-worker` binary that the jobs module starts.

pub mod bench;
pub mod cli;
pub mod tui;

// The library the app is a view over, under the names the app and its tests have always used.
pub use tinct_core::{
    color, demo, farm, fsx, grade, jobs, journal, media, ops, project, report, sop, stages, status,
    telemetry,
};
