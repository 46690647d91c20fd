//! `tinct bench`: speed and accuracy measurements against named peers, run side by side in the
//! same process invocation so the ratio is meaningful on whatever machine runs it. The console
//! bench lives in the app (it drives the TUI), the ml bench in `tinct-ml` (it needs torch).

pub mod align;
pub mod farm;
pub mod grade;
pub mod guide;
pub mod io;
pub mod jobs;
pub mod quality;
pub mod render;

use std::path::PathBuf;

pub struct BenchOpts {
    /// `../shared/footage`-style folder: `blender-cc0/*.exr`, `vtest/vtest.NNNN.jpg`.
    pub footage: PathBuf,
    pub quick: bool,
}

/// The footage folder: explicit, `$TINCT_FOOTAGE`, or `shared/footage` beside the checkout or
/// beside any folder above it (the workplace keeps `shared/` next to the clones).
pub fn footage_dir(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|a| a.join("shared/footage"))
        .collect::<Vec<_>>();
    let candidates = explicit
        .into_iter()
        .chain(std::env::var_os("TINCT_FOOTAGE").map(PathBuf::from))
        .chain(beside);
    for c in candidates {
        if c.join("blender-cc0").is_dir() || c.join("vtest").is_dir() {
            return Ok(c);
        }
    }
    anyhow::bail!("footage folder not found: pass --footage DIR or set TINCT_FOOTAGE")
}

/// `n` frames of `footage/vtest` spread evenly over the clip, and the sequence.
pub fn vtest_frames(
    footage: &std::path::Path,
    n: usize,
) -> anyhow::Result<(crate::media::Sequence, Vec<i64>)> {
    let seq = crate::media::Sequence::discover(&footage.join("vtest/vtest.%04d.jpg"))?;
    let frames = seq
        .frames
        .iter()
        .step_by((seq.frames.len() / n).max(1))
        .take(n)
        .copied()
        .collect();
    Ok((seq, frames))
}

/// A peer script in `benches/`: from `TINCT_BENCH_PEER_DIR` when set (a binary carried to
/// another machine, e.g. by `scripts/gpu-check`), else the source tree it was built from.
pub fn peer_script(name: &str) -> PathBuf {
    std::env::var_os("TINCT_BENCH_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../benches")))
        .join(name)
}

/// The Python interpreter that has the peers (OpenImageIO, cv2, torch): `$TINCT_PYTHON` or python3.
pub fn python() -> String {
    std::env::var("TINCT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// This process's peak resident memory (`VmHWM`), in KiB; `None` where /proc has no such line.
/// CPU seconds (user + system) of `who` (`libc::RUSAGE_SELF`: this process, all its threads;
/// `RUSAGE_THREAD`: the calling thread); 0 if the call fails.
pub fn rusage_seconds(who: libc::c_int) -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; `who` is one of its documented values.
    if unsafe { libc::getrusage(who, usage.as_mut_ptr()) } != 0 {
        return 0.0;
    }
    // SAFETY: initialised by the successful call above (and zeroed before it).
    let u = unsafe { usage.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

pub fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
