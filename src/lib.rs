//! tinct: ML-assisted chroma recovery for faded and black-and-white film scans.
//!
//! The folder layout is the architecture (see `DESIGN.md`): every module owns one concept, stages
//! never touch the terminal, and the console (`tui`) is a view over files the other modules write.

pub mod bench;
pub mod cli;
pub mod color;
pub mod demo;
pub mod fsx;
pub mod grade;
pub mod jobs;
pub mod journal;
pub mod media;
pub mod ml;
pub mod project;
pub mod sop;
pub mod stages;
pub mod telemetry;
pub mod tui;
