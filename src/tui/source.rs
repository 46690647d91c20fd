//! The real [`Source`]: a project on disk. Reads the files the other modules write (the run
//! directories, the journal, the SOP state) and acts through the operations API (`crate::ops`),
//! the same calls the CLI makes, so the console and the CLI can never disagree about what a
//! launch, a check or a failed QC means. No `tinct` subprocess, no parsing of its output.

use super::data::{self, JobView, JournalEntryView, Kind, Source, StageView, Verdict};
use crate::ops;
use crate::project::Project;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

pub struct ProjectSource {
    root: PathBuf,
    /// Re-read when `tinct.toml` changes on disk.
    project: RwLock<Project>,
}

impl ProjectSource {
    pub fn new(project: Project) -> ProjectSource {
        ProjectSource {
            root: project.root.clone(),
            project: RwLock::new(project),
        }
    }

    fn project(&self) -> Project {
        self.project
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn run_dir(&self, id: &str) -> PathBuf {
        self.root.join(crate::project::layout::RUNS).join(id)
    }
}

impl Source for ProjectSource {
    fn project_name(&self) -> String {
        let n = self.project().config.project.name;
        if n.is_empty() {
            self.root
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        } else {
            n
        }
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn checklist(&self) -> anyhow::Result<Vec<StageView>> {
        super::sop_view::load(&self.project())
    }

    fn reload_config(&self) -> anyhow::Result<()> {
        let fresh = Project::load(&self.root)?;
        if let Ok(mut p) = self.project.write() {
            *p = fresh;
        }
        Ok(())
    }

    fn watched_files(&self) -> Vec<PathBuf> {
        let p = self.project();
        let mut files = vec![
            self.root.join(crate::project::CONFIG_FILE),
            p.journal_path(),
            self.root.join(crate::project::layout::STATE_DIR),
        ];
        files.extend(super::sop_view::sop_file(&p));
        files
    }

    fn jobs(&self) -> anyhow::Result<Vec<JobView>> {
        Ok(data::read_jobs(&self.root))
    }

    fn log_tail(&self, run: &str, lines: usize) -> anyhow::Result<Vec<String>> {
        let p = self.run_dir(run).join("log.txt");
        data::tail_lines(&p, lines).with_context(|| format!("{}", p.display()))
    }

    fn journal(&self, last: usize) -> anyhow::Result<Vec<JournalEntryView>> {
        let entries = crate::journal::Journal::open(self.project().journal_path()).entries()?;
        Ok(entries
            .iter()
            .skip(entries.len().saturating_sub(last))
            .map(|e| JournalEntryView {
                when: e.timestamp.format("%Y-%m-%d %H:%M").to_string(),
                kind: e.kind.id().to_string(),
                context: [e.stage.as_deref(), e.step.as_deref(), e.run_id.as_deref()]
                    .iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / "),
                text: e.text.clone(),
            })
            .collect())
    }

    fn stage_params(&self, stage: &str) -> Vec<(String, String)> {
        let Ok(value) = toml::Value::try_from(&self.project().config) else {
            return Vec::new();
        };
        let Some(table) = value.get(stage).and_then(|v| v.as_table()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        flatten("", table, &mut out);
        out
    }

    fn latest_picture(&self, run: &str) -> Option<PathBuf> {
        let dir = self.run_dir(run).join("artifacts");
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("png"))
            })
            .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
            .map(|e| e.path())
    }

    fn launch(
        &self,
        stage: &str,
        overrides: &[String],
        step: Option<&str>,
    ) -> anyhow::Result<String> {
        let launch = ops::Launch {
            stage: stage.to_string(),
            sets: overrides.to_vec(),
            step: step.map(str::to_string),
            ..Default::default()
        };
        ops::launch(&self.root, &launch)
    }

    fn answer_step(&self, step: &str, verdict: Verdict, note: &str) -> anyhow::Result<String> {
        let a = ops::answer_step(&self.project(), step, verdict, Some(note), None)?;
        let what = match (a.verdict, a.journaled) {
            (Verdict::Failed, _) => "failed (it stays open; fix and answer it again)",
            (Verdict::Done, Some(Kind::QcPass)) => "passed",
            (Verdict::Done, Some(Kind::Decision)) => "decided",
            (Verdict::Done, _) => "checked",
        };
        Ok(format!("step {step} {what}; the note is in the journal"))
    }

    fn undo_step(&self, step: &str) -> anyhow::Result<()> {
        ops::undo_step(&self.project(), step, false).map(drop)
    }

    fn note(
        &self,
        stage: Option<&str>,
        step: Option<&str>,
        kind: Kind,
        text: &str,
    ) -> anyhow::Result<()> {
        ops::note(&self.project(), stage, step, kind, None, text)
    }

    fn cancel(&self, job: &str) -> anyhow::Result<()> {
        ops::cancel(&self.root, job, None).map(drop)
    }

    fn resume(&self, job: &str) -> anyhow::Result<String> {
        ops::resume(&self.root, job, &[])
    }
}

/// `a.b = v` pairs of a config section, nested tables joined with dots.
fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<(String, String)>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(sub) => flatten(&key, sub, out),
            toml::Value::String(s) => out.push((key, s.clone())),
            other => out.push((key, other.to_string())),
        }
    }
}
