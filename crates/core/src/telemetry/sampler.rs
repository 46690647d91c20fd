//! Taking samples: sysinfo for CPU/memory/disk, NVML for GPUs.

use super::gpu::GpuProbe;
use super::sample::Sample;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use sysinfo::{Disks, System};

pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

pub struct Sampler {
    system: Option<System>,
    disks: Option<Disks>,
    volume: PathBuf,
    gpu: GpuProbe,
}

impl Sampler {
    /// `volume`: a path on the disk whose free space matters (the project root).
    pub fn new(volume: &Path) -> Sampler {
        let mut system = System::new().ok();
        if let Some(s) = system.as_mut() {
            // CPU usage is a difference between two refreshes; prime the first one now.
            s.refresh_cpu_usage();
        }
        let volume = volume
            .canonicalize()
            .unwrap_or_else(|_| volume.to_path_buf());
        Sampler {
            system,
            disks: Disks::new_with_refreshed_list().ok(),
            volume,
            gpu: GpuProbe::init(),
        }
    }

    pub fn gpu_unavailable_reason(&self) -> Option<&str> {
        self.gpu.unavailable_reason()
    }

    pub fn sample(&mut self, our_pids: &HashSet<u32>) -> Sample {
        let mut s = Sample {
            t: now_ms(),
            ..Default::default()
        };
        if let Some(sys) = self.system.as_mut() {
            sys.refresh_cpu_usage();
            sys.refresh_memory();
            s.cpu_pct = Some(sys.global_cpu_usage());
            s.mem_total = Some(sys.total_memory());
            s.mem_used = Some(sys.used_memory());
            s.swap_total = Some(sys.total_swap());
            s.swap_used = Some(sys.used_swap());
        }
        if let Some(disks) = self.disks.as_mut() {
            disks.refresh(false);
            // The volume is the disk with the longest mount point that prefixes the project path.
            let best = disks
                .iter()
                .filter(|d| self.volume.starts_with(d.mount_point()))
                .max_by_key(|d| d.mount_point().as_os_str().len());
            if let Some(d) = best {
                s.disk_free = Some(d.available_space());
                s.disk_total = Some(d.total_space());
            }
        }
        s.gpus = self.gpu.sample(our_pids);
        s
    }
}

/// Sample every `interval` on a background thread until `send` returns false (receiver gone).
/// `our_pids` is read at each tick so newly launched jobs are marked as ours.
pub fn spawn_sampler(
    volume: PathBuf,
    interval: Duration,
    our_pids: Arc<Mutex<HashSet<u32>>>,
    mut send: impl FnMut(Sample, Option<String>) -> bool + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("tinct-telemetry".into())
        .spawn(move || {
            let mut sampler = Sampler::new(&volume);
            let note = sampler.gpu_unavailable_reason().map(str::to_string);
            loop {
                std::thread::sleep(interval);
                let pids = our_pids.lock().map(|p| p.clone()).unwrap_or_default();
                if !send(sampler.sample(&pids), note.clone()) {
                    break;
                }
            }
        })
        .expect("spawn telemetry thread")
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cpu_memory_and_disk_and_explains_missing_gpu() {
        let mut s = Sampler::new(Path::new("."));
        let sample = s.sample(&HashSet::new());
        assert!(sample.mem_total.unwrap_or(0) > 0);
        assert!(
            sample.disk_total.unwrap_or(0) > 0,
            "no disk found for the current folder"
        );
        match s.gpu_unavailable_reason() {
            Some(why) => assert!(why.starts_with(crate::telemetry::NO_GPU_PREFIX), "{why}"),
            None => assert!(!sample.gpus.is_empty()),
        }
    }
}
