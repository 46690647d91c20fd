//! `tinct init|status|sop|note|journal`: the project, its SOP checklist and its journal.

use super::Global;
use crate::journal::{Journal, Kind};
use crate::ops::{self, Verdict};
use crate::project::{self, Project};
use crate::sop::{Checklist, ChecklistReport, Status, Step, StepKind};
use crate::status::StatusReport;
use anyhow::Context;
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
    if crate::media::video::is_video(Path::new(&reference)) {
        // Probe now, so a missing ffmpeg or an unreadable file shows before the first stage.
        match project::reference::open(&p, &p.config.reference) {
            Ok(r) => match r.clip {
                crate::media::Clip::Video(v) => println!("             {}", v.describe()),
                crate::media::Clip::Sequence(_) => {}
            },
            Err(e) => println!("  warning: {e:#}"),
        }
    }
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
                if let Some(v) = &s.video {
                    println!("{:<10} {v}", "");
                }
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
    let c = Checklist::open(p)?;
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
            drop(c);
            let a = ops::answer_step(p, &step, Verdict::Done, note.as_deref(), None)?;
            println!("done: {} — {}", a.step.id, a.step.title);
            print_next(&Checklist::open(p)?);
        }
        Some(SopAction::Fail { step, note }) => {
            let a = ops::answer_step(p, &step, Verdict::Failed, Some(&note), None)?;
            println!(
                "failed: {} — {} (it stays open; fix and check it again)",
                a.step.id, a.step.title
            );
        }
        Some(SopAction::Undo { step, cascade }) => {
            let reopened = ops::undo_step(p, &step, cascade)?;
            println!("reopened: {}", reopened.join(", "));
        }
    }
    Ok(0)
}

/// Record a ticked step in the journal: decisions and qc results always, plain checks only when
/// they carry a note.
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
    crate::ops::note(
        p,
        stage.as_deref(),
        step.as_deref(),
        kind,
        run.as_deref(),
        &text,
    )?;
    Ok(0)
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
