//! Taking samples: sysinfo for CPU/memory/disk, NVML for GPUs.

use super::gpu::GpuProbe;
use super::sample::{JobsUsage, Sample};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use sysinfo::{Disks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

pub struct Sampler {
    system: Option<System>,
    /// When the jobs' processes were last refreshed (their disk bytes are "since then").
    jobs_at: Option<std::time::Instant>,
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
            jobs_at: None,
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
            s.cores_pct = sys.cpus().iter().map(|c| c.usage()).collect();
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
        s.jobs = self.jobs_usage(our_pids);
        s.gpus = self.gpu.sample(our_pids);
        s
    }

    /// CPU, memory and disk throughput of the jobs' processes; `None` when none runs.
    fn jobs_usage(&mut self, our_pids: &HashSet<u32>) -> Option<JobsUsage> {
        let sys = self.system.as_mut()?;
        if our_pids.is_empty() {
            self.jobs_at = None;
            return None;
        }
        let pids: Vec<Pid> = our_pids.iter().map(|&p| Pid::from_u32(p)).collect();
        sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&pids),
            true,
            ProcessRefreshKind::nothing()
                .with_cpu()
                .with_memory()
                .with_disk_usage(),
        );
        let now = std::time::Instant::now();
        // The first refresh of a process counts its bytes since it started: no rate yet.
        let secs = self.jobs_at.replace(now).map(|t| (now - t).as_secs_f64());
        let mut u = JobsUsage::default();
        for p in pids.iter().filter_map(|&pid| sys.process(pid)) {
            let d = p.disk_usage();
            u.processes += 1;
            u.cpu_pct += p.cpu_usage();
            u.rss += p.memory();
            if let Some(s) = secs.filter(|s| *s > 0.0) {
                u.read_bps += d.read_bytes as f64 / s;
                u.write_bps += d.written_bytes as f64 / s;
            }
        }
        (u.processes > 0).then_some(u)
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
        assert!(!sample.cores_pct.is_empty(), "per-core CPU");
        // Our own process stands in for a job: its CPU, memory and disk rates are measured.
        let me: HashSet<u32> = [std::process::id()].into();
        s.sample(&me);
        let path = std::env::temp_dir().join(format!("tinct-telemetry-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 4 << 20]).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        f.sync_all().unwrap();
        let jobs = s.sample(&me).jobs.expect("our process is measured");
        let _ = std::fs::remove_file(&path);
        assert_eq!(jobs.processes, 1);
        assert!(jobs.rss > 1 << 20, "{jobs:?}");
        match s.gpu_unavailable_reason() {
            Some(why) => assert!(why.starts_with(crate::telemetry::NO_GPU_PREFIX), "{why}"),
            None => assert!(!sample.gpus.is_empty()),
        }
    }
}
