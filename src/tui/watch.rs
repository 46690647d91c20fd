//! File watching (notify, debounced): changes under `runs/`, to `tinct.toml`, the SOP file and
//! state, the journal, and the theme/key files become [`FileKind`]s. The console never polls.

use super::event::FileKind;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Quiet time that ends a burst, and the longest a burst may delay its report.
const QUIET: Duration = Duration::from_millis(40);
const MAX_DELAY: Duration = Duration::from_millis(150);

/// What to watch and how to name what changed.
pub struct WatchSet {
    pub root: PathBuf,
    pub runs: PathBuf,
    pub files: Vec<PathBuf>,
    /// `$XDG_CONFIG_HOME/tinct` (themes/ and keys.toml).
    pub config_dir: Option<PathBuf>,
}

impl WatchSet {
    pub fn classify(&self, p: &Path) -> Option<FileKind> {
        if let Ok(rest) = p.strip_prefix(&self.runs) {
            let id = rest
                .components()
                .next()?
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            return Some(FileKind::Run(id));
        }
        if let Some(cfg) = &self.config_dir
            && let Ok(rest) = p.strip_prefix(cfg)
        {
            return Some(if rest.starts_with("themes") {
                FileKind::Theme
            } else {
                FileKind::Keys
            });
        }
        let name = p.file_name()?.to_string_lossy();
        if name.starts_with(".tinct-tmp-") {
            return None; // an atomic write in progress; its rename reports the real file
        }
        if name == crate::project::CONFIG_FILE && p.parent() == Some(self.root.as_path()) {
            return Some(FileKind::Config);
        }
        if p.ends_with(crate::project::layout::JOURNAL) {
            return Some(FileKind::Journal);
        }
        if p.starts_with(self.root.join(crate::project::layout::STATE_DIR))
            || self.files.iter().any(|f| f == p)
        {
            return Some(FileKind::Sop);
        }
        None
    }
}

/// Start watching; `send` gets each debounced kind. Returns the watcher (dropping it stops).
pub fn spawn(
    set: WatchSet,
    mut send: impl FnMut(FileKind) -> bool + Send + 'static,
) -> notify::Result<notify::RecommendedWatcher> {
    let (tx, rx) = mpsc::channel::<PathBuf>();
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res
            && !ev.kind.is_access()
        {
            for p in ev.paths {
                let _ = tx.send(p);
            }
        }
    })?;
    std::fs::create_dir_all(&set.runs).ok();
    w.watch(&set.runs, RecursiveMode::Recursive)?;
    // Folders, not files: atomic writes replace the file, which would end a file watch.
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    dirs.insert(set.root.clone());
    for f in &set.files {
        if f.is_dir() {
            dirs.insert(f.clone());
        } else if let Some(d) = f.parent() {
            dirs.insert(d.to_path_buf());
        }
    }
    if let Some(c) = &set.config_dir {
        dirs.insert(c.clone());
        dirs.insert(c.join("themes"));
    }
    for d in &dirs {
        if d.is_dir() {
            let _ = w.watch(d, RecursiveMode::NonRecursive);
        }
    }
    std::thread::Builder::new()
        .name("tinct-watch".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let start = Instant::now();
                let mut kinds: BTreeSet<String> = BTreeSet::new();
                let mut ordered: Vec<FileKind> = Vec::new();
                let mut add = |p: &Path| {
                    if let Some(k) = set.classify(p)
                        && kinds.insert(format!("{k:?}"))
                    {
                        ordered.push(k);
                    }
                };
                add(&first);
                while start.elapsed() < MAX_DELAY {
                    match rx.recv_timeout(QUIET) {
                        Ok(p) => add(&p),
                        Err(mpsc::RecvTimeoutError::Timeout) => break,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
                for k in ordered {
                    if !send(k) {
                        return;
                    }
                }
            }
        })
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(w)
}
