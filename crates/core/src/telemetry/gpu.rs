//! NVIDIA GPUs through NVML, loaded at run time: the same binary runs on a box without a driver
//! and says why there is no GPU instead of failing.

use super::sample::{GpuProcess, GpuSample};
use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::enums::device::UsedGpuMemory;
use std::collections::HashSet;

/// How every "no GPU" explanation starts, so the console and tests can recognise it.
pub const NO_GPU_PREFIX: &str = "no NVIDIA GPU";

pub enum GpuProbe {
    /// Boxed: the NVML handle is large and lives once per process.
    Nvml(Box<Nvml>),
    /// "no NVIDIA GPU: <reason>" (driver library missing, no device, permission …).
    Unavailable(String),
}

impl GpuProbe {
    pub fn init() -> GpuProbe {
        match Nvml::init() {
            Ok(nvml) => match nvml.device_count() {
                Ok(0) => {
                    GpuProbe::Unavailable(format!("{NO_GPU_PREFIX}: the driver reports no device"))
                }
                Ok(_) => GpuProbe::Nvml(Box::new(nvml)),
                Err(e) => GpuProbe::Unavailable(format!("{NO_GPU_PREFIX}: {e}")),
            },
            Err(e) => GpuProbe::Unavailable(format!("{NO_GPU_PREFIX}: {e}")),
        }
    }

    /// Why there is no GPU, or `None` when NVML works.
    pub fn unavailable_reason(&self) -> Option<&str> {
        match self {
            GpuProbe::Nvml(_) => None,
            GpuProbe::Unavailable(why) => Some(why),
        }
    }

    /// One sample per device; a field the driver refuses is `None`, the others still come.
    pub fn sample(&self, our_pids: &HashSet<u32>) -> Vec<GpuSample> {
        let GpuProbe::Nvml(nvml) = self else {
            return Vec::new();
        };
        let count = nvml.device_count().unwrap_or(0);
        (0..count)
            .filter_map(|index| {
                let dev = nvml.device_by_index(index).ok()?;
                let mem = dev.memory_info().ok();
                let processes = dev
                    .running_compute_processes()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| GpuProcess {
                        pid: p.pid,
                        mem: match p.used_gpu_memory {
                            UsedGpuMemory::Used(b) => Some(b),
                            UsedGpuMemory::Unavailable => None,
                        },
                        ours: our_pids.contains(&p.pid),
                    })
                    .collect();
                Some(GpuSample {
                    index,
                    name: dev.name().ok(),
                    util_pct: dev.utilization_rates().ok().map(|u| u.gpu),
                    mem_used: mem.as_ref().map(|m| m.used),
                    mem_total: mem.as_ref().map(|m| m.total),
                    temp_c: dev.temperature(TemperatureSensor::Gpu).ok(),
                    power_w: dev.power_usage().ok().map(|mw| mw as f32 / 1000.0),
                    processes,
                })
            })
            .collect()
    }
}
