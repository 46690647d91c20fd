//! One telemetry sample: what the machine looked like at one instant.

use serde::{Deserialize, Serialize};

/// Machine-wide numbers plus one entry per GPU. Serialised one per line into
/// `runs/<id>/telemetry.jsonl` so a job's history survives reattaching.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Unix time in milliseconds.
    pub t: u64,
    /// All cores together, 0–100.
    pub cpu_pct: Option<f32>,
    /// Each core, 0–100 (a training that pins one core shows here, not in the average).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cores_pct: Vec<f32>,
    /// The running jobs' own processes (tinct workers and their children as listed): CPU in
    /// percent of one core, resident memory, and disk bytes per second read and written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<JobsUsage>,
    pub mem_used: Option<u64>,
    pub mem_total: Option<u64>,
    pub swap_used: Option<u64>,
    pub swap_total: Option<u64>,
    /// Free and total bytes of the volume holding the project.
    pub disk_free: Option<u64>,
    pub disk_total: Option<u64>,
    pub gpus: Vec<GpuSample>,
}

/// What the running jobs' processes use, summed over them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JobsUsage {
    pub processes: u32,
    /// Percent of one core (200 = two cores busy).
    pub cpu_pct: f32,
    pub rss: u64,
    pub read_bps: f64,
    pub write_bps: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuSample {
    pub index: u32,
    pub name: Option<String>,
    pub util_pct: Option<u32>,
    pub mem_used: Option<u64>,
    pub mem_total: Option<u64>,
    pub temp_c: Option<u32>,
    pub power_w: Option<f32>,
    pub processes: Vec<GpuProcess>,
}

/// A process holding GPU memory; `ours` marks processes of tinct jobs (by pid).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GpuProcess {
    pub pid: u32,
    pub mem: Option<u64>,
    pub ours: bool,
}

impl Sample {
    pub fn mem_pct(&self) -> Option<f32> {
        pct(self.mem_used?, self.mem_total?)
    }

    pub fn swap_pct(&self) -> Option<f32> {
        pct(self.swap_used?, self.swap_total?)
    }

    pub fn disk_used_pct(&self) -> Option<f32> {
        let total = self.disk_total?;
        pct(total.saturating_sub(self.disk_free?), total)
    }
}

impl GpuSample {
    pub fn mem_pct(&self) -> Option<f32> {
        pct(self.mem_used?, self.mem_total?)
    }

    /// GPU memory held by our own jobs' processes, if the driver reports per-process memory.
    pub fn our_mem(&self) -> Option<u64> {
        let ours: Vec<_> = self.processes.iter().filter(|p| p.ours).collect();
        if ours.is_empty() {
            return None;
        }
        ours.iter().map(|p| p.mem).sum()
    }
}

fn pct(used: u64, total: u64) -> Option<f32> {
    (total > 0).then(|| used as f32 * 100.0 / total as f32)
}
