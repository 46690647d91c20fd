//! `tinct init`: a new project folder laid out like the workflow it serves.
//!
//! Init only ever adds: folders that exist are kept with their contents, an existing journal is
//! never touched, and with `force` the old `tinct.toml` is kept as a dated backup in `.tinct/`.

use super::{CONFIG_FILE, Config, Project, layout};
use crate::fsx;
use anyhow::{Context, bail};
use std::path::Path;

/// The journal a new project starts with (the repository's `notes/experiments.md`).
pub const JOURNAL_TEMPLATE: &str = include_str!("../../../../notes/experiments.md");

/// What a new project's `tinct.toml` holds before the stage defaults.
pub struct InitOptions<'a> {
    pub source_pattern: &'a str,
    pub reference_pattern: &'a str,
    /// reference frame = source frame + offset.
    pub reference_offset: i64,
    /// Rewrite an existing `tinct.toml` (the old one is backed up, nothing else is touched).
    pub force: bool,
}

/// Create (or with `force`, re-initialise) the project in `dir`.
pub fn init(
    dir: &Path,
    source_pattern: &str,
    reference_pattern: &str,
    offset: i64,
    force: bool,
) -> anyhow::Result<Project> {
    init_with(
        dir,
        &InitOptions {
            source_pattern,
            reference_pattern,
            reference_offset: offset,
            force,
        },
    )
}

pub fn init_with(dir: &Path, opts: &InitOptions) -> anyhow::Result<Project> {
    let config_path = dir.join(CONFIG_FILE);
    if config_path.exists() && !opts.force {
        bail!(
            "{}: a tinct project already lives here; pass --force to write a fresh {CONFIG_FILE} \
             (the old one is kept in {}/, operator files are never deleted)",
            config_path.display(),
            layout::STATE_DIR
        );
    }
    for sub in [layout::NOTES, layout::RUNS, layout::STATE_DIR]
        .iter()
        .chain(layout::PIPELINE.iter())
    {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p)
            .with_context(|| format!("{}: cannot create folder", p.display()))?;
    }
    if config_path.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let backup = dir
            .join(layout::STATE_DIR)
            .join(format!("{CONFIG_FILE}.{stamp}.bak"));
        std::fs::copy(&config_path, &backup).with_context(|| {
            format!(
                "{}: cannot back up to {}",
                config_path.display(),
                backup.display()
            )
        })?;
    }

    let config = new_config(dir, opts);
    fsx::write_atomic(&config_path, super::config_file_text(&config)?.as_bytes())?;

    let journal = dir.join(layout::JOURNAL);
    if !journal.exists() {
        fsx::write_atomic(&journal, JOURNAL_TEMPLATE.as_bytes())?;
    }
    Ok(Project {
        root: dir.to_path_buf(),
        config,
    })
}

fn new_config(dir: &Path, opts: &InitOptions) -> Config {
    let mut config = Config::default();
    config.project.name = project_name(dir);
    config.source.pattern = opts.source_pattern.to_string();
    config.reference.pattern = opts.reference_pattern.to_string();
    config.reference.offset = opts.reference_offset;
    config
}

/// The folder's own name (resolving `.`), which is what operators call the project.
fn project_name(dir: &Path) -> String {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.components()
        .rfind(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_else(|| "tinct project".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_lays_out_the_workflow_and_refuses_to_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reel1");
        let p = init(&dir, "scans/r1.%04d.dpx", "telecine/r1.%04d.tif", 12, false).unwrap();
        for sub in layout::PIPELINE
            .iter()
            .chain([layout::RUNS, layout::JOURNAL, CONFIG_FILE].iter())
        {
            assert!(dir.join(sub).exists(), "{sub} missing");
        }
        assert_eq!(p.config.project.name, "reel1");
        let reopened = Project::load(&dir).unwrap();
        assert_eq!(reopened.config, p.config);
        assert_eq!(reopened.config.reference.offset, 12);

        let err = init(&dir, "a", "b", 0, false).unwrap_err().to_string();
        assert!(err.contains("already") && err.contains("--force"), "{err}");
    }

    #[test]
    fn force_keeps_operator_files_and_backs_up_config() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        init(dir, "a.%04d.exr", "b.%04d.exr", 0, false).unwrap();
        std::fs::write(dir.join(layout::JOURNAL), "my notes\n").unwrap();
        std::fs::write(dir.join(layout::CURATION).join("pick.txt"), "1 2 3").unwrap();
        init(dir, "c.%04d.exr", "d.%04d.exr", 3, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(layout::JOURNAL)).unwrap(),
            "my notes\n"
        );
        assert!(dir.join(layout::CURATION).join("pick.txt").exists());
        let backups = std::fs::read_dir(dir.join(layout::STATE_DIR))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".bak")
            })
            .count();
        assert_eq!(backups, 1);
        assert_eq!(
            Project::load(dir).unwrap().config.source.pattern,
            "c.%04d.exr"
        );
    }
}
