//! Finding the project a command is about: `-p DIR`, or the nearest `tinct.toml` upward.

use super::CONFIG_FILE;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

/// The nearest folder at or above `start` that holds a `tinct.toml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}

/// The project root for `explicit` (a folder, or its `tinct.toml`) or, without one, the nearest
/// `tinct.toml` upward from the current folder.
pub fn resolve_root(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    match explicit {
        Some(p) => {
            let dir = if p.file_name().is_some_and(|n| n == CONFIG_FILE) && p.is_file() {
                p.parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."))
            } else {
                p.to_path_buf()
            };
            if !dir.join(CONFIG_FILE).is_file() {
                bail!(
                    "{}: no {CONFIG_FILE} here (create one with `tinct init {}`)",
                    dir.display(),
                    dir.display()
                );
            }
            Ok(dir)
        }
        None => {
            let cwd = std::env::current_dir().context("cannot read the current folder")?;
            find_root(&cwd).with_context(|| {
                format!(
                    "no {CONFIG_FILE} in {} or any folder above it: pass -p DIR or run `tinct init DIR`",
                    cwd.display()
                )
            })
        }
    }
}
