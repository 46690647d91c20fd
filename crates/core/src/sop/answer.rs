//! Answering a step: the one call behind `tinct sop check|fail`, the console's step forms and a
//! worker whose job was launched from a step. The checklist state changes and exactly one
//! journal entry is appended, or (when the checklist refuses) nothing is written at all.
//!
//! Order: validate in memory, append the journal entry, then save the state. A failure after
//! the validation therefore leaves either nothing or a journal entry without the tick (the
//! operator sees the note and answers again), never a tick without its rationale.

use super::{Checklist, Status, Step, StepKind};
use crate::journal::{Entry, Journal, Kind};
use crate::project::Project;

/// What the operator (or a finished job) says about a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Done; for a qc step: passed; for a decision: the choice made (the note says which and why).
    Done,
    /// A qc step failed (the note says what). It stays open and what follows stays blocked.
    Failed,
}

/// What was recorded.
#[derive(Clone, Debug)]
pub struct Answered {
    pub step: Step,
    pub verdict: Verdict,
    /// The journal entry's kind, or `None` when nothing needed journaling (a plain check with no
    /// note).
    pub journaled: Option<Kind>,
}

/// The journal kind an answer of `kind` is recorded as.
pub fn journal_kind(kind: StepKind, verdict: Verdict) -> Kind {
    match (kind, verdict) {
        (_, Verdict::Failed) => Kind::QcFail,
        (StepKind::Qc, Verdict::Done) => Kind::QcPass,
        (StepKind::Decision, Verdict::Done) => Kind::Decision,
        (StepKind::Check | StepKind::Action, Verdict::Done) => Kind::Note,
    }
}

/// Answer `step` of `project`'s checklist. `run` names the job the answer refers to (a worker
/// checking the step that launched it).
pub fn answer(
    project: &Project,
    step: &str,
    verdict: Verdict,
    note: Option<&str>,
    run: Option<&str>,
) -> anyhow::Result<Answered> {
    let _lock = lock_state(project)?;
    let mut c = Checklist::open(project)?;
    record(project, &mut c, step, verdict, note, run)
}

/// What a worker does when its job succeeds: check `step` if it is an action step that is still
/// open (not checked meanwhile, not a relaunch of a done step), in the same locked
/// read-modify-write. `None` when it was left as it is.
pub fn check_open_action(
    project: &Project,
    step: &str,
    note: Option<&str>,
    run: Option<&str>,
) -> anyhow::Result<Option<Answered>> {
    let _lock = lock_state(project)?;
    let mut c = Checklist::open(project)?;
    let kind = c.sop.step(step).map(|(_, s)| s.kind);
    if kind != Some(StepKind::Action) || !matches!(c.status(step)?, Status::Open) {
        return Ok(None);
    }
    record(project, &mut c, step, Verdict::Done, note, run).map(Some)
}

/// Change the checklist in memory (refused → nothing written), write the new state beside its
/// file, append the one journal entry, then rename the state into place. A disk that cannot take
/// the state fails the answer before anything is journaled; a journal append that fails leaves
/// the state as it was. The caller holds the state lock.
fn record(
    project: &Project,
    c: &mut Checklist,
    step: &str,
    verdict: Verdict,
    note: Option<&str>,
    run: Option<&str>,
) -> anyhow::Result<Answered> {
    let recorded = match verdict {
        Verdict::Done => c.check(step, note)?.clone(),
        Verdict::Failed => c.fail(step, note.unwrap_or(""))?.clone(),
    };
    let stage = c.sop.step(step).map(|(st, _)| st.id.clone());
    let note = note.map(str::trim).unwrap_or("");
    let kind = journal_kind(recorded.kind, verdict);
    // A plain check with nothing to say leaves the journal alone; a qc or decision entry always
    // exists (its text is the note, or the step's title for a qc pass without one).
    let text = match (kind, note.is_empty()) {
        (Kind::Note, true) => None,
        (_, true) => Some(recorded.title.clone()),
        (_, false) => Some(note.to_string()),
    };
    let staged = c.stage()?;
    if let Some(text) = &text {
        let mut entry = Entry::new(kind, text.clone()).at(stage.as_deref(), Some(step));
        if let Some(run) = run {
            entry = entry.with_run(run);
        }
        Journal::open(project.journal_path()).append(&entry)?;
    }
    if let Some(staged) = staged {
        staged.commit()?;
    }
    Ok(Answered {
        step: recorded,
        verdict,
        journaled: text.map(|_| kind),
    })
}

/// Reopen `step` (and with `cascade` the recorded steps that depend on it). Returns the ids.
pub fn undo(project: &Project, step: &str, cascade: bool) -> Result<Vec<String>, anyhow::Error> {
    let _lock = lock_state(project)?;
    let mut c = Checklist::open(project)?;
    let reopened = c.undo(step, cascade)?;
    c.save()?;
    Ok(reopened)
}

/// Serialises read-modify-write of `.tinct/state.toml` across processes (the console, the CLI
/// and workers may answer at the same moment).
fn lock_state(project: &Project) -> anyhow::Result<std::fs::File> {
    let dir = project.state_dir();
    std::fs::create_dir_all(&dir).map_err(|e| crate::fsx::FsError::new(&dir, e))?;
    Ok(crate::fsx::lock_file(&dir.join("state.lock"))?)
}
