//! The GPU queue: at most `jobs.gpu-slots` GPU-class jobs run at once, in arrival order.
//!
//! A running GPU job holds an advisory lock on `runs/.gpu-slot-N.lock`. The kernel drops the
//! lock when the process dies however it dies, so a kill -9 never leaves a slot taken (which
//! is why locks beat pid files here). Waiters hold a lock on a ticket file in
//! `runs/.gpu-queue/` named by arrival time; a waiter only tries for a slot when fewer live
//! tickets than slots are ahead of it, which keeps the queue first-come first-served.
//! Waiting is a slow poll (a few times a second): a slot frees at most once per job.

use crate::fsx::FsError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const QUEUE_DIR: &str = ".gpu-queue";
const POLL: Duration = Duration::from_millis(200);

/// A held GPU slot; dropping it (or the process dying) frees the slot.
#[derive(Debug)]
pub struct GpuSlot {
    pub index: usize,
    _lock: File,
}

fn open_lock(path: &Path) -> Result<File, FsError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| FsError::new(path, e))
}

/// Try to take the lock on `file`: Ok(true) when taken, Ok(false) when someone holds it.
fn try_lock(file: &File, path: &Path) -> Result<bool, FsError> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(FsError::new(path, e)),
    }
}

/// Our place in the queue: a locked ticket, removed when we get a slot or give up.
struct Ticket {
    path: PathBuf,
    _lock: File,
}

impl Ticket {
    /// Lock under a temporary name, then rename into place, so nobody ever sees an unlocked
    /// live ticket (and takes it for a dead waiter's).
    fn take(queue: &Path, order_key: &str) -> Result<Ticket, FsError> {
        std::fs::create_dir_all(queue).map_err(|e| FsError::new(queue, e))?;
        let tmp = queue.join(format!(".tmp-{order_key}"));
        let file = open_lock(&tmp)?;
        file.lock().map_err(|e| FsError::new(&tmp, e))?;
        let path = queue.join(order_key);
        std::fs::rename(&tmp, &path).map_err(|e| FsError::new(&path, e))?;
        Ok(Ticket { path, _lock: file })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Live tickets ahead of ours; tickets whose owner died are removed on the way.
fn live_tickets_ahead(queue: &Path, mine: &Path) -> Result<usize, FsError> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(queue)
        .map_err(|e| FsError::new(queue, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    names.sort();
    let mut ahead = 0;
    for path in names.iter().take_while(|p| p.as_path() != mine) {
        let Ok(file) = OpenOptions::new().write(true).open(path) else {
            continue;
        };
        if try_lock(&file, path)? {
            let _ = std::fs::remove_file(path); // its waiter is gone
        } else {
            ahead += 1;
        }
    }
    Ok(ahead)
}

/// Try every slot once.
fn try_any_slot(runs: &Path, slots: usize) -> Result<Option<GpuSlot>, FsError> {
    for index in 0..slots {
        let path = runs.join(format!(".gpu-slot-{index}.lock"));
        let file = open_lock(&path)?;
        if try_lock(&file, &path)? {
            return Ok(Some(GpuSlot { index, _lock: file }));
        }
    }
    Ok(None)
}

/// Wait for a GPU slot. `order_key` sorts by arrival (creation time, then id). Returns `None`
/// when `cancel` is set while waiting. `on_wait` is called once if the job has to wait.
pub fn acquire(
    runs: &Path,
    slots: usize,
    order_key: &str,
    cancel: &AtomicBool,
    on_wait: impl FnOnce(),
) -> Result<Option<GpuSlot>, FsError> {
    let slots = slots.max(1);
    let queue = runs.join(QUEUE_DIR);
    let ticket = Ticket::take(&queue, order_key)?;
    let mut on_wait = Some(on_wait);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        if live_tickets_ahead(&queue, &ticket.path)? < slots
            && let Some(slot) = try_any_slot(runs, slots)?
        {
            return Ok(Some(slot));
        }
        if let Some(f) = on_wait.take() {
            f();
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slot_is_exclusive_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = AtomicBool::new(false);
        let first = acquire(dir.path(), 1, "a", &cancel, || {})
            .unwrap()
            .unwrap();
        assert!(try_any_slot(dir.path(), 1).unwrap().is_none());
        // A waiter gives up when cancelled.
        let stop = AtomicBool::new(true);
        assert!(acquire(dir.path(), 1, "b", &stop, || {}).unwrap().is_none());
        drop(first);
        assert!(
            acquire(dir.path(), 1, "c", &cancel, || {})
                .unwrap()
                .is_some()
        );
        // Tickets are cleaned up.
        assert_eq!(
            std::fs::read_dir(dir.path().join(QUEUE_DIR))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn two_slots_admit_two() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = AtomicBool::new(false);
        let a = acquire(dir.path(), 2, "a", &cancel, || {})
            .unwrap()
            .unwrap();
        let b = acquire(dir.path(), 2, "b", &cancel, || {})
            .unwrap()
            .unwrap();
        assert_ne!(a.index, b.index);
    }
}
