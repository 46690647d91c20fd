//! The real [`Source`]: a project on disk. Reads the files the other modules write (the run
//! directories, the journal, the SOP state) and acts through the same public interfaces an
//! operator uses from the shell (`tinct run STAGE --detach`, `tinct cancel`, `tinct resume`,
//! `tinct sop check|undo`), so the console and the CLI can never disagree about what a launch
//! or a check means. Journal entries are appended through the journal module (locked appends).

use super::data::{self, JobView, JournalEntryView, NoteKind, Source, StageView};
use crate::project::Project;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::RwLock;

pub struct ProjectSource {
    root: PathBuf,
    /// Re-read when `tinct.toml` changes on disk.
    project: RwLock<Project>,
    /// The `tinct` binary used for launches and SOP changes (this executable by default).
    pub exe: PathBuf,
}

impl ProjectSource {
    pub fn new(project: Project) -> ProjectSource {
        let exe = std::env::var_os("TINCT_EXE")
            .map(PathBuf::from)
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("tinct"));
        ProjectSource {
            root: project.root.clone(),
            project: RwLock::new(project),
            exe,
        }
    }

    fn project(&self) -> Project {
        self.project
            .read()
            .map(|p| p.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Run `tinct -p ROOT ARGS…`, returning its stdout; its stderr becomes the error.
    fn tinct(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.exe)
            .arg("-p")
            .arg(&self.root)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("failed")
                .trim();
            anyhow::bail!("tinct {}: {first}", args.join(" "));
        }
        Ok(stdout)
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

    fn launch(&self, stage: &str, overrides: &[String]) -> anyhow::Result<String> {
        let mut args = vec!["run", stage, "--detach"];
        for o in overrides {
            args.push("--set");
            args.push(o);
        }
        let out = self.tinct(&args)?;
        // The job id is the last line of `tinct run --detach` (issue 7's contract).
        out.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .context("tinct run --detach printed no job id")
    }

    fn check_step(&self, step: &str) -> anyhow::Result<()> {
        self.tinct(&["sop", "check", step]).map(drop)
    }

    fn answer_step(&self, step: &str, fail: bool, note: &str) -> anyhow::Result<()> {
        self.tinct(&[
            "sop",
            if fail { "fail" } else { "check" },
            step,
            "--note",
            note,
        ])
        .map(drop)
    }

    fn undo_step(&self, step: &str) -> anyhow::Result<()> {
        self.tinct(&["sop", "undo", step]).map(drop)
    }

    fn note(
        &self,
        stage: Option<&str>,
        step: Option<&str>,
        kind: NoteKind,
        text: &str,
    ) -> anyhow::Result<()> {
        use crate::journal::{Entry, Journal, Kind};
        let kind = Kind::from_id(kind.name()).unwrap_or(Kind::Note);
        Journal::open(self.project().journal_path())
            .append(&Entry::new(kind, text).at(stage, step))?;
        Ok(())
    }

    fn cancel(&self, job: &str) -> anyhow::Result<()> {
        self.tinct(&["cancel", job]).map(drop)
    }

    fn resume(&self, job: &str) -> anyhow::Result<String> {
        let out = self.tinct(&["resume", job])?;
        Ok(out
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(job)
            .trim()
            .to_string())
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
