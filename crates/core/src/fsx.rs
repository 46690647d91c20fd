//! File-system habits every module shares: nothing is written in place.
//!
//! Whole files are written to a temporary sibling and renamed over the target (atomic on POSIX),
//! so a crash leaves either the old or the new file, never a torn one. Logs are appended with
//! `O_APPEND`, one `write` per record, so concurrent writers never interleave inside a line.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Error naming the file that could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FsError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl FsError {
    pub fn new(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self {
            path: path.into(),
            source,
        }
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Write `bytes` to `path` atomically (temp file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Let `fill` write a temp file next to `path`, then rename it over `path`.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), FsError> {
    stage_with(path, fill)?.commit()
}

/// A whole file written and synced beside its final name, not yet in place: [`Staged::commit`]
/// renames it over the target; dropping it removes it. A caller that must not do something
/// irreversible (a journal append) unless this write can happen stages it first: the disk has
/// then taken the bytes, and the rename needs no space.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Staged {
    pub fn commit(self) -> Result<(), FsError> {
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| FsError::new(&path, e.error))?;
        Ok(())
    }
}

/// Stage `bytes` for `path` (see [`Staged`]).
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, FsError> {
    stage_with(path, |f| f.write_all(bytes))
}

fn stage_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<Staged, FsError> {
    let dir = parent_of(path);
    fs::create_dir_all(dir).map_err(|e| FsError::new(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tinct-tmp-")
        .tempfile_in(dir)
        .map_err(|e| FsError::new(dir, e))?;
    fill(tmp.as_file_mut()).map_err(|e| FsError::new(path, e))?;
    tmp.as_file_mut()
        .sync_all()
        .map_err(|e| FsError::new(path, e))?;
    Ok(Staged {
        tmp,
        path: path.to_path_buf(),
    })
}

/// Write through a temporary *path* (for encoders that insist on opening the file themselves):
/// `fill` gets a sibling path with the same extension; on success it is renamed over `path`.
pub fn write_atomic_path(
    path: &Path,
    fill: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = parent_of(path);
    fs::create_dir_all(dir).map_err(|e| FsError::new(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".tinct-tmp-{}-{}", std::process::id(), name));
    let result = fill(&tmp);
    match result {
        Ok(()) => fs::rename(&tmp, path).map_err(|e| FsError::new(path, e).into()),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Append one record (a line, or a block) with a single `write` on an `O_APPEND` descriptor.
pub fn append(path: &Path, record: &[u8]) -> Result<(), FsError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| FsError::new(dir, e))?;
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| FsError::new(path, e))?;
    write_whole_record(&mut f, record).map_err(|e| FsError::new(path, e))
}

/// Write one record at the end of an `O_APPEND` file, all or nothing: a full disk can take part
/// of it, and that torn tail is cut again (only while the file has grown by less than the
/// record, i.e. nobody else appended since), so the log still ends on a whole record.
pub fn write_whole_record(f: &mut File, record: &[u8]) -> io::Result<()> {
    let before = f.metadata()?.len();
    let written = f.write_all(record);
    if written.is_err()
        && let Ok(now) = f.metadata().map(|m| m.len())
        && now > before
        && now <= before + record.len() as u64
    {
        let _ = f.set_len(before);
    }
    written
}

/// Open (creating it) the lock file `path` and hold an exclusive lock on it until the returned
/// file is dropped: how processes serialise read-modify-write of a record or state file.
pub fn lock_file(path: &Path) -> Result<File, FsError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| FsError::new(path, e))?;
    file.lock().map_err(|e| FsError::new(path, e))?;
    Ok(file)
}

/// Read a whole text file, naming it on error.
pub fn read_to_string(path: &Path) -> Result<String, FsError> {
    fs::read_to_string(path).map_err(|e| FsError::new(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"first version, longer").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "second");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_fill_keeps_old_contents() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"keep me").unwrap();
        let r = write_atomic_with(&p, |_| Err(io::Error::other("boom")));
        assert!(r.unwrap_err().to_string().contains("a.txt"));
        assert_eq!(fs::read_to_string(&p).unwrap(), "keep me");
    }
}
