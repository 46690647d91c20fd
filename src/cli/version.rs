//! `tinct --version`: our version, plus libtorch's and CUDA's as `tinct-worker version` reports
//! them. Asking the worker loads libtorch (~0.4 s), so its answer is cached per worker binary
//! (path, size, mtime) and per boot (a driver change needs a reboot), and `--version` stays a
//! millisecond command after the first call.

use std::path::{Path, PathBuf};

pub fn text() -> String {
    let ours = format!("tinct {}", env!("CARGO_PKG_VERSION"));
    let torch = match crate::jobs::torch_worker_exe() {
        Ok(exe) => torch_lines(&exe),
        Err(e) => format!("libtorch: unknown ({e})"),
    };
    format!("{ours}\n{torch}")
}

/// The libtorch and CUDA lines of `tinct-worker version` (cached).
fn torch_lines(exe: &Path) -> String {
    let key = cache_key(exe);
    let cache = cache_file();
    if let (Some(key), Some(path)) = (&key, &cache)
        && let Ok(text) = std::fs::read_to_string(path)
        && let Some(rest) = text.strip_prefix(key.as_str())
        && let Some(body) = rest.strip_prefix('\n')
    {
        return body.trim_end().to_string();
    }
    let out = std::process::Command::new(exe).arg("version").output();
    let body = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with("tinct "))
            .collect::<Vec<_>>()
            .join("\n"),
        Ok(o) => {
            return format!(
                "libtorch: {} failed: {}",
                exe.display(),
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        Err(e) => return format!("libtorch: cannot run {}: {e}", exe.display()),
    };
    if let (Some(key), Some(path)) = (key, cache) {
        // A lost cache write only costs the next call its 0.4 s.
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = crate::fsx::write_atomic(&path, format!("{key}\n{body}\n").as_bytes());
    }
    body
}

fn cache_key(exe: &Path) -> Option<String> {
    let meta = std::fs::metadata(exe).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Some(format!(
        "{} {} {} {}",
        exe.display(),
        meta.len(),
        mtime.as_nanos(),
        boot.trim()
    ))
}

fn cache_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("tinct").join("worker-version.txt"))
}
