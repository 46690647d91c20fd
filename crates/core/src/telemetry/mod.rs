//! CPU, memory, disk and GPU (NVML) sampling into ring buffers.
//!
//! One [`Sampler`] takes a [`Sample`] about once a second; [`History`] keeps the last few
//! minutes of them in bounded [`Ring`]s for the console's sparklines. Every GPU metric is an
//! `Option`: a box without an NVIDIA driver (or a field the driver does not report) shows
//! "n/a", never a made-up zero. NVML is loaded at run time, so one binary serves both.

mod gpu;
mod history;
mod ring;
mod sample;
mod sampler;

pub use gpu::{GpuProbe, NO_GPU_PREFIX};
pub use history::{GpuHistory, History};
pub use ring::Ring;
pub use sample::{GpuProcess, GpuSample, JobsUsage, Sample};
pub use sampler::{SAMPLE_INTERVAL, Sampler, spawn_sampler};
