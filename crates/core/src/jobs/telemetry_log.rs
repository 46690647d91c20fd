//! A running job records machine telemetry (CPU, memory, disk, GPU) into its run folder, so
//! the history is there when someone attaches later or compares runs. Sampling itself is
//! `crate::telemetry`'s; this only writes the samples as JSON lines.

use super::record::TELEMETRY_FILE;
use crate::fsx;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Stops the recording when dropped (the sampler thread ends at its next tick).
pub struct TelemetryLog {
    stop: Arc<AtomicBool>,
}

impl Drop for TelemetryLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Start sampling every `interval_s` seconds into `run_dir/telemetry.jsonl`; `None` when the
/// interval is 0 (recording switched off). `pid` (the worker) is marked as ours in GPU lists.
pub fn start(
    project_root: &Path,
    run_dir: &Path,
    interval_s: f64,
    pid: u32,
) -> Option<TelemetryLog> {
    if interval_s.is_nan() || interval_s <= 0.0 {
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let path = run_dir.join(TELEMETRY_FILE);
    let ours = Arc::new(Mutex::new(HashSet::from([pid])));
    let stopped = stop.clone();
    crate::telemetry::spawn_sampler(
        project_root.to_path_buf(),
        Duration::from_secs_f64(interval_s),
        ours,
        move |sample, _no_gpu_reason| {
            if stopped.load(Ordering::Relaxed) {
                return false;
            }
            if let Ok(mut line) = serde_json::to_vec(&sample) {
                line.push(b'\n');
                // Telemetry is a nice-to-have: a full disk must not fail the job from here.
                let _ = fsx::append(&path, &line);
            }
            true
        },
    );
    Some(TelemetryLog { stop })
}
