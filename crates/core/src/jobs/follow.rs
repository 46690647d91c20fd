//! Following append-only files (`log.txt`, `metrics.jsonl`) as they grow, driven by file-system
//! events (`notify`): a new line reaches the subscriber within a millisecond or so of being
//! written, with no polling loop. A slow fallback re-read (every couple of seconds) covers file
//! systems that deliver no events (NFS, some container mounts).
//!
//! Files may not exist yet when followed (a job's `metrics.jsonl` appears with its first
//! record): their folders are watched (and created if missing) and the file is picked up when
//! it appears. Only complete
//! lines are delivered; a partly written last line waits for its newline.

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// Re-read everything this often even without events.
pub const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// Where to start reading a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Deliver the lines already there, then the new ones.
    Beginning,
    /// Only lines appended from now on.
    End,
}

/// One new complete line of a followed file (without its newline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineEvent {
    pub path: PathBuf,
    pub line: String,
}

enum Msg {
    Fs(notify::Result<notify::Event>),
    Add(PathBuf, Start),
    Stop,
}

/// The read position in one followed file.
struct Tail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
}

impl Tail {
    fn new(path: PathBuf, start: Start) -> Tail {
        let offset = match start {
            Start::Beginning => 0,
            Start::End => std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        };
        Tail {
            path,
            offset,
            partial: Vec::new(),
        }
    }

    /// Read what was appended since last time and return the complete lines.
    fn read_new(&mut self) -> Vec<String> {
        let Ok(mut file) = File::open(&self.path) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            // Truncated or replaced: start over.
            self.offset = 0;
            self.partial.clear();
        }
        if len == self.offset || file.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut bytes = Vec::new();
        let Ok(n) = file.read_to_end(&mut bytes) else {
            return Vec::new();
        };
        self.offset += n as u64;
        self.partial.extend_from_slice(&bytes);
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Vec::new();
        };
        let complete: Vec<u8> = self.partial.drain(..=last_newline).collect();
        complete
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                String::from_utf8_lossy(l)
                    .trim_end_matches('\r')
                    .to_string()
            })
            .collect()
    }
}

/// Follows files on a background thread and hands each new line to a sink.
/// Dropping it delivers the lines already written, then stops the thread.
pub struct Follower {
    tx: Sender<Msg>,
    watcher: RecommendedWatcher,
    watched_dirs: HashSet<PathBuf>,
    thread: Option<JoinHandle<()>>,
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Follower {
    /// Follow `files`; `sink` gets every new line and returns false to stop following.
    pub fn spawn(
        files: &[PathBuf],
        start: Start,
        mut sink: impl FnMut(LineEvent) -> bool + Send + 'static,
    ) -> notify::Result<Follower> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let events = tx.clone();
        let watcher = notify::recommended_watcher(move |res| {
            let _ = events.send(Msg::Fs(res));
        })?;
        let thread = std::thread::Builder::new()
            .name("tinct-follow".into())
            .spawn(move || {
                let mut tails: Vec<Tail> = Vec::new();
                'outer: loop {
                    let mut dirty: Option<HashSet<PathBuf>> = Some(HashSet::new()); // None = all
                    let first = rx.recv_timeout(FALLBACK_POLL);
                    let mut pending = match first {
                        Ok(m) => vec![m],
                        Err(RecvTimeoutError::Timeout) => {
                            dirty = None;
                            Vec::new()
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    };
                    // Coalesce a burst of events into one read per file.
                    pending.extend(rx.try_iter());
                    let mut stopping = false;
                    for msg in pending {
                        match msg {
                            // Deliver what was written before the stop, then end.
                            Msg::Stop => {
                                stopping = true;
                                dirty = None;
                            }
                            Msg::Add(path, start) => {
                                if let Some(d) = dirty.as_mut() {
                                    d.insert(path.clone());
                                }
                                tails.push(Tail::new(path, start));
                            }
                            Msg::Fs(Ok(event)) if is_read_only(&event) => {}
                            Msg::Fs(Ok(event))
                                if !event.need_rescan() && !event.paths.is_empty() =>
                            {
                                if let Some(d) = dirty.as_mut() {
                                    d.extend(event.paths);
                                }
                            }
                            Msg::Fs(_) => dirty = None,
                        }
                    }
                    for tail in tails.iter_mut() {
                        if dirty.as_ref().is_some_and(|d| !d.contains(&tail.path)) {
                            continue;
                        }
                        for line in tail.read_new() {
                            if !sink(LineEvent {
                                path: tail.path.clone(),
                                line,
                            }) {
                                break 'outer;
                            }
                        }
                    }
                    if stopping {
                        break;
                    }
                }
            })
            .map_err(notify::Error::io)?;
        let mut follower = Follower {
            tx,
            watcher,
            watched_dirs: HashSet::new(),
            thread: Some(thread),
        };
        for f in files {
            follower.add(f, start)?;
        }
        Ok(follower)
    }

    /// Follow `files`, delivering lines through a channel.
    pub fn channel(
        files: &[PathBuf],
        start: Start,
    ) -> notify::Result<(Follower, Receiver<LineEvent>)> {
        let (tx, rx) = mpsc::channel();
        let follower = Follower::spawn(files, start, move |event| tx.send(event).is_ok())?;
        Ok((follower, rx))
    }

    /// Follow one more file (e.g. a job that just started).
    pub fn add(&mut self, file: &Path, start: Start) -> notify::Result<()> {
        // Events name absolute paths; compare like with like.
        let file = absolute(file);
        let dir = folder_of(&file);
        if self.watched_dirs.insert(dir.clone()) {
            std::fs::create_dir_all(&dir).map_err(notify::Error::io)?;
            self.watcher.watch(&dir, RecursiveMode::NonRecursive)?;
        }
        let _ = self.tx.send(Msg::Add(file, start));
        Ok(())
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    // Resolve symlinked folders (e.g. /tmp on macOS) the way the watcher reports them.
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map(|d| d.join(name)).unwrap_or(abs),
        _ => abs,
    }
}

/// Call `on_change` whenever `file` is created, written, replaced or removed. Used to notice
/// `job.json` rewrites (which are renames, so its folder is watched). Keep the watcher alive.
/// An open, read or close-without-writing: what our own reading of a watched file causes.
/// Acting on it would read again, which causes another: a busy loop at 100% CPU (seen on
/// `tinct wait` and the bench while a job ran).
fn is_read_only(event: &notify::Event) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    matches!(event.kind, EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write))
}

pub fn watch_file(
    file: &Path,
    on_change: impl Fn() + Send + 'static,
) -> notify::Result<RecommendedWatcher> {
    let file = absolute(file);
    let dir = folder_of(&file);
    let target = file.clone();
    let mut watcher =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(event) if is_read_only(&event) => {}
            Ok(event) if !event.need_rescan() && !event.paths.contains(&target) => {}
            _ => on_change(),
        })?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_reads_do_not_wake_a_watcher_but_writes_do() {
        use notify::event::{AccessKind, AccessMode, DataChange, EventKind, ModifyKind};
        let ev = |kind| notify::Event::new(kind);
        assert!(is_read_only(&ev(EventKind::Access(AccessKind::Open(
            AccessMode::Any
        )))));
        assert!(is_read_only(&ev(EventKind::Access(AccessKind::Close(
            AccessMode::Read
        )))));
        assert!(!is_read_only(&ev(EventKind::Access(AccessKind::Close(
            AccessMode::Write
        )))));
        assert!(!is_read_only(&ev(EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        )))));
    }

    #[test]
    fn delivers_complete_lines_appended_after_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.jsonl");
        crate::fsx::append(&path, b"{\"old\":1}\n").unwrap();
        let (_f, rx) = Follower::channel(std::slice::from_ref(&path), Start::End).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        crate::fsx::append(&path, b"{\"a\":1}\n{\"a\":").unwrap();
        let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(got.line, "{\"a\":1}");
        crate::fsx::append(&path, b"2}\n").unwrap();
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap().line,
            "{\"a\":2}"
        );
    }

    #[test]
    fn picks_up_a_file_created_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run").join("log.txt");
        let (_f, rx) = Follower::channel(std::slice::from_ref(&path), Start::Beginning).unwrap();
        crate::fsx::append(&path, b"hello\n").unwrap();
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap().line,
            "hello"
        );
    }
}
