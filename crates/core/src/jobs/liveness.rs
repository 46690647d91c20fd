//! Is a job's process still there? A pid alone is not enough: after a kill -9 the number may
//! be recycled by an unrelated process, and after a reboot every recorded pid is meaningless.
//! So a record also keeps the process start time and the boot id, and both must match.

use super::record::JobRecord;

/// What we can tell about the process behind a queued or running record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    /// Gone, with the reason shown to the operator.
    Dead(String),
    /// Recorded on another machine: we cannot look.
    Elsewhere(String),
}

/// This machine's name (recorded as `host`).
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// Changes at every boot (Linux); `None` elsewhere.
pub fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
}

/// `(state letter, start time in clock ticks since boot)` from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    // Field 22 (starttime) overall; `rest` starts at field 3.
    let start = fields.get(22 - 3)?.parse().ok()?;
    Some((state, start))
}

/// The start time of a live process, for recording alongside its pid.
pub fn start_ticks(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|(_, start)| start)
}

/// Whether the process a record names is still the job's.
pub fn check(record: &JobRecord) -> Liveness {
    let Some(pid) = record.pid else {
        // Launched but the pid never got recorded: the launcher died before the worker started.
        let age = super::record::now() - record.created;
        return if age.num_seconds() > 60 {
            Liveness::Dead("no worker process was ever recorded".into())
        } else {
            Liveness::Alive
        };
    };
    process(
        pid,
        record.pid_start,
        record.boot_id.as_deref(),
        &record.host,
    )
}

/// Whether process `pid`, started at `pid_start` (clock ticks) on `host` during boot `boot`,
/// is still running.
pub fn process(pid: u32, pid_start: Option<u64>, boot: Option<&str>, host: &str) -> Liveness {
    if host != hostname() {
        return Liveness::Elsewhere(format!("runs on {host}"));
    }
    if let (Some(recorded), Some(current)) = (boot, boot_id())
        && recorded != current
    {
        return Liveness::Dead("the machine rebooted since the job started".into());
    }
    match proc_stat(pid) {
        Some(('Z', _)) | None if std::path::Path::new("/proc/self/stat").exists() => {
            Liveness::Dead(format!("process {pid} is gone"))
        }
        None => pid_exists_portable(pid),
        Some((_, start)) => match pid_start {
            Some(recorded) if recorded != start => {
                Liveness::Dead(format!("process {pid} is gone (pid reused)"))
            }
            _ => Liveness::Alive,
        },
    }
}

/// Without /proc: signal 0 tells whether the pid exists (reuse cannot be detected).
fn pid_exists_portable(pid: u32) -> Liveness {
    let pid = nix::unistd::Pid::from_raw(pid as i32);
    match nix::sys::signal::kill(pid, None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => Liveness::Alive,
        Err(_) => Liveness::Dead(format!("process {pid} is gone")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_has_a_start_time() {
        let me = std::process::id();
        assert!(start_ticks(me).is_some());
        assert!(!hostname().is_empty());
    }
}
