//! tinct-ml: the chroma network, patch sampling, training loop, checkpoints and tiled inference
//! (tch), and the torch stages `train` and `infer`. Only the `tinct-worker` binary and this
//! crate's tests link libtorch. Working space: see [`space`]. Architecture and why: see [`net`].

pub mod adam;
pub mod bench_ml;
pub mod bench_render;
pub mod budget;
pub mod checkpoint;
pub mod contact;
pub mod dataset;
pub mod device;
pub mod net;
pub mod prior;
pub mod quality;
pub mod schedule;
pub mod space;
pub mod stages;
pub mod tiles;
pub mod trainer;

// The core modules under the names this crate's code uses (`crate::media`, ...).
pub use tinct_core::{bench, color, fsx, grade, jobs, journal, media, project, sop, telemetry};
