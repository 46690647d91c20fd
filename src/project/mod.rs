//! A project folder: `tinct.toml`, its layout on disk, discovery and `--set` overrides.

pub mod config;

pub use config::Config;

use anyhow::Context;
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "tinct.toml";

/// The folders of a project, named after the workflow they serve.
pub mod layout {
    pub const NOTES: &str = "notes";
    pub const JOURNAL: &str = "notes/experiments.md";
    pub const RUNS: &str = "runs";
    pub const STATE_DIR: &str = ".tinct";
    pub const CURATION: &str = "pipeline/01_dataset_curation";
    pub const ALIGNMENT: &str = "pipeline/02_alignment";
    pub const TRAINING: &str = "pipeline/03_copycat_training";
    pub const INFERENCE: &str = "pipeline/04_inference_render";
    pub const MATCHGRADE: &str = "pipeline/05_matchgrade_render";
    pub const PIPELINE: [&str; 5] = [CURATION, ALIGNMENT, TRAINING, INFERENCE, MATCHGRADE];
}

/// An opened project: where it lives and its configuration.
#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
}

impl Project {
    /// Open the project whose `tinct.toml` is in `root`.
    pub fn load(root: &Path) -> anyhow::Result<Project> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read project config", path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(Project { root: root.to_path_buf(), config })
    }

    /// Resolve a path written in `tinct.toml` (relative to the project root).
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.root.join(layout::RUNS)
    }

    pub fn journal_path(&self) -> PathBuf {
        self.root.join(layout::JOURNAL)
    }
}
