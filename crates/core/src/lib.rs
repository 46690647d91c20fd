//! tinct-core: everything tinct does that needs no torch.
//!
//! The folder layout is the architecture (see `DESIGN.md`): every module owns one concept and
//! stages never touch the terminal. The torch stages (`train`, `infer`) live in `tinct-ml` and
//! run in its `tinct-worker` binary; this crate knows them only by name ([`stages::Stage`]).

pub mod bench;
pub mod color;
pub mod demo;
pub mod farm;
pub mod fsx;
pub mod grade;
pub mod jobs;
pub mod journal;
pub mod media;
pub mod ops;
pub mod project;
pub mod report;
pub mod sop;
pub mod stages;
pub mod status;
pub mod telemetry;
