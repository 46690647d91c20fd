//! `tinct init|status|sop|note|journal`: the project, its SOP checklist and its journal.

use super::Global;
use crate::journal::{Entry, Journal, Kind};
use crate::project::{self, Project, status::StatusReport};
use crate::sop::{Checklist, ChecklistReport, Status, Step, StepKind};
use anyhow::{Context, bail};
use clap::Subcommand;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Create a project folder: tinct.toml, notes/experiments.md, pipeline/01..05, runs/.
    Init {
        /// The project folder (created if missing).
        dir: PathBuf,
        /// Source (faded scan) frame pattern, e.g. `scans/reel1.%04d.dpx` or `reel1.####.exr`.
        #[arg(long, value_name = "PATTERN")]
        source: String,
        /// Colour reference frame pattern.
        #[arg(long, value_name = "PATTERN")]
        reference: String,
        /// Reference frame = source frame + N (`tinct run sync` can find it).
        #[arg(
            long,
            value_name = "N",
            default_value_t = 0,
            allow_negative_numbers = true
        )]
        reference_offset: i64,
        /// Write a fresh tinct.toml over an existing one (kept as a backup in .tinct/;
        /// other files are never touched).
        #[arg(long)]
        force: bool,
    },
    /// Show the project, its sequences, SOP progress and last runs.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print the SOP checklist with progress, or tick/undo a step.
    Sop {
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        action: Option<SopAction>,
    },
    /// Append a note, decision or QC result to notes/experiments.md (TEXT `-` reads stdin).
    Note {
        /// SOP stage id (dataset, alignment, training, inference, matchgrade).
        #[arg(long)]
        stage: Option<String>,
        /// SOP step id (its stage is filled in when --stage is not given).
        #[arg(long)]
        step: Option<String>,
        #[arg(long, value_enum, default_value_t = Kind::Note)]
        kind: Kind,
        /// The run the entry is about.
        #[arg(long, value_name = "ID")]
        run: Option<String>,
        text: String,
    },
    /// Print the experiments journal (entries parsed back from notes/experiments.md).
    Journal {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SopAction {
    /// Mark a step done (a qc step: passed). Decision steps need --note with the choice and why.
    Check {
        step: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record that a qc step failed, and why.
    Fail {
        step: String,
        #[arg(long)]
        note: String,
    },
    /// Reopen a step.
    Undo {
        step: String,
        /// Also reopen the steps done after it that depend on it.
        #[arg(long)]
        cascade: bool,
    },
    /// Print a step's instructions and what good looks like.
    Show { step: String },
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Init {
            dir,
            source,
            reference,
            reference_offset,
            force,
        } => init(&dir, &source, &reference, reference_offset, force),
        Commands::Status { json } => status(&open(g)?, json),
        Commands::Sop { json, action } => sop(&open(g)?, json, action),
        Commands::Note {
            stage,
            step,
            kind,
            run,
            text,
        } => note(&open(g)?, stage, step, kind, run, &text),
        Commands::Journal { json } => journal(&open(g)?, json),
    }
}

fn open(g: &Global) -> anyhow::Result<Project> {
    project::open(g.project.as_deref(), &g.set)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<u8> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(0)
}

// ---------------------------------------------------------------------------------------------
// init

fn init(dir: &Path, source: &str, reference: &str, offset: i64, force: bool) -> anyhow::Result<u8> {
    let abs = std::path::absolute(dir).with_context(|| format!("{}: bad folder", dir.display()))?;
    let source = pattern_for_project(&abs, source)?;
    let reference = pattern_for_project(&abs, reference)?;
    let p = project::init(&abs, &source, &reference, offset, force)?;
    println!(
        "project `{}` ready in {}",
        p.config.project.name,
        abs.display()
    );
    println!("  source     {source}");
    println!("  reference  {reference} (offset {offset:+})");
    println!(
        "next: `tinct status -p {}` to see the frames found, `tinct sop` for the first step",
        dir.display()
    );
    Ok(0)
}

/// Patterns are typed relative to the shell's folder; tinct.toml stores them relative to the
/// project when they lie inside it, absolute otherwise. A relative pattern whose folder exists
/// only under the project is taken as already project-relative.
fn pattern_for_project(project: &Path, pattern: &str) -> anyhow::Result<String> {
    let p = Path::new(pattern);
    let resolved = if p.is_absolute() {
        p.to_path_buf()
    } else {
        let from_cwd = std::env::current_dir()?.join(p);
        let folder_exists = |full: &Path| full.parent().is_some_and(Path::is_dir);
        if !folder_exists(&from_cwd) && folder_exists(&project.join(p)) {
            return Ok(pattern.to_string());
        }
        from_cwd
    };
    let clean: PathBuf = resolved
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    Ok(match clean.strip_prefix(project) {
        Ok(rel) => rel.to_string_lossy().into_owned(),
        Err(_) => clean.to_string_lossy().into_owned(),
    })
}

// ---------------------------------------------------------------------------------------------
// status

fn status(p: &Project, json: bool) -> anyhow::Result<u8> {
    let r = StatusReport::of(p)?;
    if json {
        return print_json(&r);
    }
    println!("project    {}  ({})", r.project, r.root);
    for (label, s) in [("source", &r.source), ("reference", &r.reference)] {
        match &s.error {
            Some(e) => println!("{label:<10} {}  — {e}", s.pattern),
            None => {
                let range = match (s.first, s.last) {
                    (Some(a), Some(b)) => format!("{a}-{b}"),
                    _ => "-".into(),
                };
                let gaps = if s.gaps.is_empty() {
                    String::new()
                } else {
                    format!(", {} missing", s.gaps.len())
                };
                println!(
                    "{label:<10} {}  {} frames ({range}{gaps}), {}",
                    s.pattern, s.frames, s.colorspace
                );
            }
        }
    }
    println!("offset     reference = source {:+}", r.reference_offset);
    println!(
        "sop        {}/{} steps done{}",
        r.sop.done,
        r.sop.total,
        next_text(&r.sop)
    );
    if r.runs.is_empty() {
        println!("runs       none yet");
    } else {
        println!("runs       (newest first)");
        for run in &r.runs {
            println!("  {:<28} {:<11} {}", run.id, run.stage, run.state);
        }
    }
    Ok(0)
}

fn next_text(r: &ChecklistReport) -> String {
    match &r.current {
        Some(id) => format!(", next: {id}"),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// sop

fn sop(p: &Project, json: bool, action: Option<SopAction>) -> anyhow::Result<u8> {
    let mut c = Checklist::open(p)?;
    match action {
        None => {
            if json {
                return print_json(&ChecklistReport::of(&c));
            }
            print_checklist(&c);
        }
        Some(SopAction::Show { step }) => {
            let (stage, s) = c
                .sop
                .step(&step)
                .ok_or_else(|| crate::sop::SopError::UnknownStep(step.clone()))?;
            println!("{} — {}", stage.title, s.title);
            print_step_text(s, &c.status(&step)?);
        }
        Some(SopAction::Check { step, note }) => {
            let s = c.check(&step, note.as_deref())?.clone();
            c.save()?;
            let kind = match s.kind {
                StepKind::Qc => Kind::QcPass,
                StepKind::Decision => Kind::Decision,
                StepKind::Check | StepKind::Action => Kind::Note,
            };
            journal_step(p, &c, &s, kind, note.as_deref())?;
            println!("done: {} — {}", s.id, s.title);
            print_next(&c);
        }
        Some(SopAction::Fail { step, note }) => {
            let s = c.fail(&step, &note)?.clone();
            c.save()?;
            journal_step(p, &c, &s, Kind::QcFail, Some(&note))?;
            println!(
                "failed: {} — {} (it stays open; fix and check it again)",
                s.id, s.title
            );
        }
        Some(SopAction::Undo { step, cascade }) => {
            let reopened = c.undo(&step, cascade)?;
            c.save()?;
            println!("reopened: {}", reopened.join(", "));
        }
    }
    Ok(0)
}

/// Record a ticked step in the journal: decisions and qc results always, plain checks only when
/// they carry a note.
fn journal_step(
    p: &Project,
    c: &Checklist,
    step: &Step,
    kind: Kind,
    note: Option<&str>,
) -> anyhow::Result<()> {
    let note = note.map(str::trim).unwrap_or("");
    let text = match (kind, note.is_empty()) {
        (Kind::Note, true) => return Ok(()),
        (_, true) => step.title.clone(),
        (_, false) => note.to_string(),
    };
    let stage = c.sop.step(&step.id).map(|(st, _)| st.id.clone());
    let entry = Entry::new(kind, text).at(stage.as_deref(), Some(&step.id));
    Journal::open(p.journal_path()).append(&entry)?;
    Ok(())
}

fn print_checklist(c: &Checklist) {
    let (done, total) = c.progress();
    println!(
        "{} — {}  [{done}/{total} done]",
        c.sop.meta.id, c.sop.meta.title
    );
    let views = c.steps();
    for stage in &c.sop.stages {
        let mine: Vec<_> = views.iter().filter(|v| v.stage.id == stage.id).collect();
        let d = mine.iter().filter(|v| v.status.is_done()).count();
        println!("\n{}  ({d}/{})", stage.title, mine.len());
        for v in mine {
            let (mark, extra) = match &v.status {
                Status::Done => (
                    "[x]",
                    v.record
                        .map(|r| format!("{} {}", r.operator, r.at))
                        .unwrap_or_default(),
                ),
                Status::Failed => (
                    "[!]",
                    format!(
                        "failed: {}",
                        v.record.map(|r| r.note.as_str()).unwrap_or("")
                    ),
                ),
                Status::Open => ("[ ]", String::new()),
                Status::Blocked { waiting_on } => {
                    ("[-]", format!("waiting on {}", waiting_on.join(", ")))
                }
            };
            println!(
                "  {mark} {:<20} {:<9} {}  {extra}",
                v.step.id,
                v.step.kind.id(),
                v.step.title
            );
        }
    }
    report_reconciliation(c);
    print_next(c);
}

fn report_reconciliation(c: &Checklist) {
    let r = c.reconciliation();
    if r.sop_changed {
        println!(
            "\nThe SOP changed since the checklist was last saved; ticks kept for: {}",
            r.kept.join(", ")
        );
    }
    if !r.unknown.is_empty() {
        println!(
            "Ticks for steps this SOP no longer has (kept in .tinct/state.toml, ignored): {}",
            r.unknown.join(", ")
        );
    }
    if !r.done_but_requirements_open.is_empty() {
        println!(
            "Done although a requirement is now open: {}",
            r.done_but_requirements_open.join(", ")
        );
    }
}

fn print_next(c: &Checklist) {
    match c.current() {
        Some(v) => {
            println!(
                "\nnext: {} — {} ({})",
                v.step.id, v.step.title, v.stage.title
            );
            print_step_text(v.step, &v.status);
        }
        None => println!("\nevery step is done"),
    }
}

fn print_step_text(step: &Step, status: &Status) {
    println!(
        "  kind: {}{}",
        step.kind.id(),
        step.stage
            .map(|s| format!(" (runs `tinct run {}`)", s.id()))
            .unwrap_or_default()
    );
    println!("  status: {}", status.label());
    if let Status::Blocked { waiting_on } = status {
        println!("  waiting on: {}", waiting_on.join(", "));
    }
    for line in step.instructions.trim().lines() {
        println!("  {line}");
    }
    if !step.good.trim().is_empty() {
        println!("  Good:");
        for line in step.good.trim().lines() {
            println!("  {line}");
        }
    }
    let how = match step.kind {
        StepKind::Decision => format!("tinct sop check {} --note \"<choice and why>\"", step.id),
        StepKind::Qc => {
            format!(
                "tinct sop check {0} [--note T]  |  tinct sop fail {0} --note \"<what failed>\"",
                step.id
            )
        }
        _ => format!("tinct sop check {} [--note T]", step.id),
    };
    println!("  → {how}");
}

// ---------------------------------------------------------------------------------------------
// note / journal

fn note(
    p: &Project,
    stage: Option<String>,
    step: Option<String>,
    kind: Kind,
    run: Option<String>,
    text: &str,
) -> anyhow::Result<u8> {
    let text = if text == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the note from stdin")?;
        s
    } else {
        text.to_string()
    };
    let text = text.trim_end();
    if text.trim().is_empty() {
        bail!("the note is empty");
    }
    let stage = resolve_stage(p, stage, step.as_deref())?;
    let mut entry = Entry::new(kind, text).at(stage.as_deref(), step.as_deref());
    entry.run_id = run;
    Journal::open(p.journal_path()).append(&entry)?;
    Ok(0)
}

/// Check `--stage`/`--step` against the project's SOP and fill in the stage of a step.
fn resolve_stage(
    p: &Project,
    stage: Option<String>,
    step: Option<&str>,
) -> anyhow::Result<Option<String>> {
    if stage.is_none() && step.is_none() {
        return Ok(None);
    }
    let c = Checklist::open(p)?;
    if let Some(st) = &stage
        && !c.sop.stages.iter().any(|s| &s.id == st)
    {
        let ids: Vec<&str> = c.sop.stages.iter().map(|s| s.id.as_str()).collect();
        bail!("no stage `{st}` in the SOP (stages: {})", ids.join(", "));
    }
    match step {
        Some(id) => {
            let (owner, _) = c
                .sop
                .step(id)
                .ok_or_else(|| crate::sop::SopError::UnknownStep(id.to_string()))?;
            if let Some(st) = &stage
                && st != &owner.id
            {
                bail!("step `{id}` belongs to stage `{}`, not `{st}`", owner.id);
            }
            Ok(Some(owner.id.clone()))
        }
        None => Ok(stage),
    }
}

fn journal(p: &Project, json: bool) -> anyhow::Result<u8> {
    let j = Journal::open(p.journal_path());
    let entries = j.entries()?;
    if json {
        return print_json(&entries);
    }
    for e in &entries {
        let place = [e.stage.as_deref(), e.step.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/");
        println!(
            "{}  {:<8} {:<10} {place}",
            e.timestamp.format("%Y-%m-%d %H:%M"),
            e.kind,
            e.operator
        );
        for line in e.text.lines() {
            println!("    {line}");
        }
    }
    if entries.is_empty() {
        println!(
            "{}: no entries yet (`tinct note TEXT` adds one)",
            j.path().display()
        );
    }
    Ok(0)
}
