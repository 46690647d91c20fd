//! Shared helpers for the fuzz targets in `src/bin/` (see `scripts/fuzz`).

use std::path::{Path, PathBuf};

/// The pixel budget for fuzzing: 4 Mpixel. A header may legitimately declare any size up to the
/// default budget (2^29 pixels), and a reader then really allocates and decodes that much: the
/// fuzzer would spend its time (and per-exec timeout) on huge but valid allocations instead of
/// exploring parser paths. The budget check itself is still exercised, just with a lower limit.
pub const FUZZ_MAX_PIXELS: u64 = 1 << 22;

/// A scratch file `name` for the readers that only take a path: in a directory of this process
/// under `/dev/shm` (RAM, no disk writes per exec), else the system temp dir. Call it once, before
/// `afl::fuzz!` starts the fork server, so every forked child reuses the same file; each iteration
/// overwrites it. `scripts/fuzz` removes the directory once the fuzzer is gone.
pub fn scratch_file(target: &str, name: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("tinct-fuzz-{target}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create scratch dir {}: {e}", dir.display()));
    dir.join(name)
}

/// Write the input to `path` (truncating what the previous iteration left).
pub fn put(path: &Path, data: &[u8]) {
    std::fs::write(path, data)
        .unwrap_or_else(|e| panic!("cannot write scratch file {}: {e}", path.display()));
}

/// The body of every image-format target: write the bytes under the format's extension, then
/// decode and probe them. Errors are fine; a panic or abort is a finding.
pub fn fuzz_media(target: &str, ext: &str) {
    tinct_core::media::budget::set_max_pixels(FUZZ_MAX_PIXELS);
    let path = scratch_file(target, &format!("input.{ext}"));
    afl::fuzz!(|data: &[u8]| {
        put(&path, data);
        let _ = tinct_core::media::read(&path);
        let _ = tinct_core::media::probe(&path);
    });
}
