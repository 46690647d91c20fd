//! The experiments journal `notes/experiments.md`: append-only, locked, parsed back.
//!
//! Appends take an exclusive lock on the journal file itself, look at how the file ends (an
//! operator may have edited it by hand, with CRLF line ends or no final newline), and add the
//! entry with one `write` on an `O_APPEND` descriptor. The file is never truncated or rewritten,
//! so concurrent writers (CLI, console, workers) cannot lose or interleave each other's entries.

mod entry;
mod format;

pub use entry::{Entry, Kind, current_operator};
pub use format::{parse, render};

use crate::fsx::FsError;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// A journal file (it need not exist yet: the first append creates it).
#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn open(path: impl Into<PathBuf>) -> Journal {
        Journal { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one entry, atomically with respect to every other tinct process.
    pub fn append(&self, entry: &Entry) -> Result<(), FsError> {
        let err = |e| FsError::new(&self.path, e);
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| FsError::new(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(err)?;
        // Released when `file` is dropped; held across reading the end and writing the entry so
        // two writers cannot both decide the file "ends without a newline".
        file.lock().map_err(err)?;
        let eol = line_ending(&mut file).map_err(err)?;
        let mut record = separator(&mut file, eol).map_err(err)?;
        record.push_str(&render(entry, eol));
        crate::fsx::write_whole_record(&mut file, record.as_bytes()).map_err(err)?;
        file.sync_data().map_err(err)
    }

    /// Every entry, in file order (empty when the journal does not exist yet).
    pub fn entries(&self) -> Result<Vec<Entry>, FsError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(parse(&String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(FsError::new(&self.path, e)),
        }
    }
}

/// The file's own line ending (from its first line), so a CRLF journal stays CRLF.
fn line_ending(file: &mut File) -> std::io::Result<&'static str> {
    let mut head = [0u8; 4096];
    file.seek(SeekFrom::Start(0))?;
    let n = file.read(&mut head)?;
    let head = &head[..n];
    Ok(match head.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && head[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    })
}

/// What must precede a new entry so it starts after a blank line: finish an unterminated last
/// line, then add the blank line if the file lacks one.
fn separator(file: &mut File, eol: &str) -> std::io::Result<String> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(String::new());
    }
    let tail_len = len.min(4);
    file.seek(SeekFrom::End(-(tail_len as i64)))?;
    let mut tail = Vec::with_capacity(4);
    file.read_to_end(&mut tail)?;
    Ok(if tail.ends_with(b"\n\n") || tail.ends_with(b"\n\r\n") {
        String::new()
    } else if tail.ends_with(b"\n") {
        eol.to_string()
    } else {
        format!("{eol}{eol}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal_with(content: &[u8]) -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes/experiments.md");
        if !content.is_empty() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        }
        (dir, Journal::open(path))
    }

    #[test]
    fn append_then_read_back() {
        let (_d, j) = journal_with(b"");
        let a = Entry::new(Kind::Note, "first look at reel 1");
        let b =
            Entry::new(Kind::QcPass, "pairs line up").at(Some("dataset"), Some("dataset.pairs"));
        j.append(&a).unwrap();
        j.append(&b).unwrap();
        assert_eq!(j.entries().unwrap(), vec![a, b]);
    }

    #[test]
    fn appending_keeps_every_byte_already_there() {
        for original in [
            &b"# Log\r\n\r\nhand note, no newline"[..],
            b"# Log\n\nline\n",
            b"# Log\n\n",
        ] {
            let (_d, j) = journal_with(original);
            let e = Entry::new(Kind::Decision, "keep 24 frames");
            j.append(&e).unwrap();
            let after = std::fs::read(j.path()).unwrap();
            assert!(
                after.starts_with(original),
                "prefix changed for {original:?}"
            );
            assert_eq!(j.entries().unwrap(), vec![e]);
            let text = String::from_utf8(after).unwrap();
            let crlf = original.windows(2).any(|w| w == b"\r\n");
            let added = &text[original.len()..];
            assert_eq!(added.contains("\r\n"), crlf, "line ends of {added:?}");
            assert!(
                text.contains("\n\n## ") || text.contains("\r\n\r\n## "),
                "{text:?}"
            );
        }
    }

    #[test]
    fn missing_journal_has_no_entries() {
        let (_d, j) = journal_with(b"");
        assert!(j.entries().unwrap().is_empty());
    }
}
