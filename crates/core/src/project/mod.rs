//! A project folder: `tinct.toml`, its layout on disk, discovery and `--set` overrides.

pub mod config;
mod discover;
mod error;
mod init;
mod overrides;
pub mod reference;

pub use config::Config;
pub use discover::{find_root, resolve_root};
pub use error::{ConfigError, line_col};
pub use init::{InitOptions, JOURNAL_TEMPLATE, init, init_with};
pub use overrides::apply as apply_overrides;

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

/// An opened project: where it lives and its configuration. Opened through [`open`], `config`
/// is the *effective* config: `tinct.toml` plus this command's `--set` overrides.
#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
}

/// Open the project of a command: `explicit` (`-p DIR`) or the nearest `tinct.toml` upward from
/// the current folder, with `set` (`--set key.path=value`) applied.
pub fn open(explicit: Option<&Path>, set: &[String]) -> anyhow::Result<Project> {
    let root = resolve_root(explicit)?;
    let mut project = Project::load(&root)?;
    project.config = overrides::apply(&project.config, set)?;
    project.apply_process_limits();
    Ok(project)
}

/// Parse `tinct.toml` text; errors name `path`, line, column and key.
pub fn parse_config(path: &Path, text: &str) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))
}

/// The whole config as `tinct.toml` text, every key written out with its value.
pub fn config_file_text(config: &Config) -> anyhow::Result<String> {
    let body = toml::to_string_pretty(config).context("cannot serialise the config")?;
    Ok(format!(
        "# tinct project configuration: every stage's parameters, with their defaults.\n\
         # Override one value for one command with `--set section.key=value`.\n\n{body}"
    ))
}

impl Project {
    /// Open the project whose `tinct.toml` is in `root` (no overrides).
    pub fn load(root: &Path) -> anyhow::Result<Project> {
        let path = root.join(CONFIG_FILE);
        let text = crate::fsx::read_to_string(&path)?;
        let config = parse_config(&path, &text)?;
        let project = Project {
            root: root.to_path_buf(),
            config,
        };
        project.apply_process_limits();
        Ok(project)
    }

    /// Make this project's `[media]` limits the ones every reader in this process applies.
    pub fn apply_process_limits(&self) {
        crate::media::budget::set_max_pixels(self.config.media.max_pixels);
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

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(layout::STATE_DIR)
    }

    /// The effective config (with this command's overrides) as TOML text.
    pub fn effective_config_toml(&self) -> anyhow::Result<String> {
        config_file_text(&self.config)
    }

    /// Save the effective config as `<run_dir>/config.toml` (atomically) and return its path.
    pub fn save_effective_config(&self, run_dir: &Path) -> anyhow::Result<PathBuf> {
        let path = run_dir.join("config.toml");
        crate::fsx::write_atomic(&path, self.effective_config_toml()?.as_bytes())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_round_trips_through_its_file_text() {
        let text = config_file_text(&Config::default()).unwrap();
        assert_eq!(
            parse_config(Path::new("tinct.toml"), &text).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn open_finds_project_upward_and_applies_overrides() {
        let tmp = tempfile::tempdir().unwrap();
        init(tmp.path(), "s.%04d.exr", "r.%04d.exr", 0, false).unwrap();
        let deep = tmp.path().join(layout::ALIGNMENT);
        assert_eq!(find_root(&deep).unwrap(), tmp.path());
        let p = open(Some(tmp.path()), &["train.steps=7".into()]).unwrap();
        assert_eq!(p.config.train.steps, config::Steps::Count(7));
        let run = tmp.path().join("runs/x");
        let saved = p.save_effective_config(&run).unwrap();
        let back = parse_config(&saved, &std::fs::read_to_string(&saved).unwrap()).unwrap();
        assert_eq!(back.train.steps, config::Steps::Count(7));
    }

    #[test]
    fn open_without_project_says_how_to_make_one() {
        let tmp = tempfile::tempdir().unwrap();
        let e = open(Some(tmp.path()), &[]).unwrap_err().to_string();
        assert!(e.contains("tinct init"), "{e}");
    }
}
