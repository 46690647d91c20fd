//! The checklist: a SOP plus a project's state. Pure state machine (status, gating, check,
//! fail, undo); `open`/`save` are the only I/O.
//!
//! A step is *done* when its record says so, *failed* when a qc check failed (it counts as not
//! done), *blocked* while any of its requirements is not done, and *open* otherwise.

use super::error::SopError;
use super::schema::{Sop, SopStage, Step, StepKind};
use super::state::{Outcome, STATE_FILE, State, StepRecord};
use crate::project::Project;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    Done,
    Failed,
    Open,
    Blocked { waiting_on: Vec<String> },
}

impl Status {
    pub fn is_done(&self) -> bool {
        matches!(self, Status::Done)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Open => "open",
            Status::Blocked { .. } => "blocked",
        }
    }
}

/// How the saved ticks fit the SOP as it is now (after the SOP file was edited, say).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Reconciliation {
    /// The SOP's structure changed since the state was last saved.
    pub sop_changed: bool,
    /// Step ids with a saved state that the SOP still has: their state is kept.
    pub kept: Vec<String>,
    /// Step ids with a saved state that the SOP no longer has: kept in the file, ignored.
    pub unknown: Vec<String>,
    /// Done steps whose requirements are no longer all done (the SOP gained a requirement).
    pub done_but_requirements_open: Vec<String>,
}

impl Reconciliation {
    pub fn needs_attention(&self) -> bool {
        !self.unknown.is_empty() || !self.done_but_requirements_open.is_empty()
    }
}

/// One step as the checklist shows it.
#[derive(Clone, Debug)]
pub struct StepView<'a> {
    pub stage: &'a SopStage,
    pub step: &'a Step,
    pub status: Status,
    pub record: Option<&'a StepRecord>,
}

#[derive(Clone, Debug)]
pub struct Checklist {
    pub sop: Sop,
    state: State,
    /// Where `save` writes; `None` for a checklist built in memory.
    state_path: Option<PathBuf>,
    reconciliation: Reconciliation,
}

impl Checklist {
    /// Combine a SOP with saved state (pure).
    pub fn new(sop: Sop, state: State) -> Checklist {
        let mut c = Checklist {
            sop,
            state,
            state_path: None,
            reconciliation: Reconciliation::default(),
        };
        c.reconciliation = c.reconcile();
        c
    }

    /// The checklist of a project: its own SOP (`project.sop`) or the built-in one, and its
    /// `.tinct/state.toml`.
    pub fn open(project: &Project) -> Result<Checklist, SopError> {
        let sop = match project.config.project.sop.trim() {
            "" => Sop::builtin(),
            rel => Sop::load(&project.path(rel))?,
        };
        let path = project.path(STATE_FILE);
        let mut c = Checklist::new(sop, State::load(&path)?);
        c.state_path = Some(path);
        Ok(c)
    }

    /// Save the state (atomically), stamped with the SOP it now matches.
    pub fn save(&mut self) -> Result<(), SopError> {
        match self.stage()? {
            Some(staged) => staged.commit().map_err(|e| SopError::State {
                path: e.path,
                message: e.source.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The state written beside its file but not yet in place (`None` for a checklist with no
    /// file): [`crate::fsx::Staged::commit`] puts it there.
    pub fn stage(&mut self) -> Result<Option<crate::fsx::Staged>, SopError> {
        self.state.sop = self.sop.meta.id.clone();
        self.state.sop_digest = self.sop.structure_digest();
        match &self.state_path {
            Some(p) => self.state.stage(p).map(Some),
            None => Ok(None),
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn reconciliation(&self) -> &Reconciliation {
        &self.reconciliation
    }

    fn reconcile(&self) -> Reconciliation {
        let (kept, unknown) = self
            .state
            .steps
            .keys()
            .cloned()
            .partition(|id| self.sop.step(id).is_some());
        let done_but_requirements_open = self
            .sop
            .steps()
            .filter(|(_, s)| self.is_done(&s.id) && !self.waiting_on(s).is_empty())
            .map(|(_, s)| s.id.clone())
            .collect();
        Reconciliation {
            sop_changed: !self.state.sop_digest.is_empty()
                && self.state.sop_digest != self.sop.structure_digest(),
            kept,
            unknown,
            done_but_requirements_open,
        }
    }

    fn is_done(&self, id: &str) -> bool {
        self.state
            .steps
            .get(id)
            .is_some_and(|r| r.outcome == Outcome::Done)
    }

    fn waiting_on(&self, step: &Step) -> Vec<String> {
        step.requires
            .iter()
            .filter(|r| !self.is_done(r))
            .cloned()
            .collect()
    }

    fn find(&self, id: &str) -> Result<(&SopStage, &Step), SopError> {
        self.sop
            .step(id)
            .ok_or_else(|| SopError::UnknownStep(id.to_string()))
    }

    pub fn status(&self, id: &str) -> Result<Status, SopError> {
        let (_, step) = self.find(id)?;
        Ok(self.status_of(step))
    }

    fn status_of(&self, step: &Step) -> Status {
        match self.state.steps.get(&step.id).map(|r| r.outcome) {
            Some(Outcome::Done) => Status::Done,
            Some(Outcome::Failed) => Status::Failed,
            None => {
                let waiting_on = self.waiting_on(step);
                if waiting_on.is_empty() {
                    Status::Open
                } else {
                    Status::Blocked { waiting_on }
                }
            }
        }
    }

    /// Every step in SOP order with its status.
    pub fn steps(&self) -> Vec<StepView<'_>> {
        self.sop
            .steps()
            .map(|(stage, step)| StepView {
                stage,
                step,
                status: self.status_of(step),
                record: self.state.steps.get(&step.id),
            })
            .collect()
    }

    /// The step to work on next: the first that is open (or failed and to be redone).
    pub fn current(&self) -> Option<StepView<'_>> {
        self.steps()
            .into_iter()
            .find(|v| matches!(v.status, Status::Open | Status::Failed))
    }

    /// (done, total) over the SOP's steps.
    pub fn progress(&self) -> (usize, usize) {
        let views = self.steps();
        (
            views.iter().filter(|v| v.status.is_done()).count(),
            views.len(),
        )
    }

    /// Mark a step done (qc: passed). Decision steps need the choice and rationale as `note`.
    pub fn check(&mut self, id: &str, note: Option<&str>) -> Result<&Step, SopError> {
        self.record(id, Outcome::Done, note)?;
        Ok(self.find(id)?.1)
    }

    /// Record a failed qc step (it stays open; what follows stays blocked). `note` says why.
    pub fn fail(&mut self, id: &str, note: &str) -> Result<&Step, SopError> {
        if self.find(id)?.1.kind != StepKind::Qc {
            return Err(SopError::NotQc {
                step: id.to_string(),
            });
        }
        self.record(id, Outcome::Failed, Some(note))?;
        Ok(self.find(id)?.1)
    }

    fn record(&mut self, id: &str, outcome: Outcome, note: Option<&str>) -> Result<(), SopError> {
        let (_, step) = self.find(id)?;
        let note = note.map(str::trim).unwrap_or("");
        match self.status_of(step) {
            Status::Done => {
                let r = &self.state.steps[id];
                return Err(SopError::AlreadyDone {
                    step: id.into(),
                    by: r.operator.clone(),
                    at: r.at.clone(),
                });
            }
            Status::Blocked { waiting_on } => {
                return Err(SopError::Blocked {
                    step: id.into(),
                    waiting_on,
                });
            }
            Status::Open | Status::Failed => {}
        }
        let required = match (step.kind, outcome) {
            (StepKind::Decision, _) => Some("the choice and why"),
            (_, Outcome::Failed) => Some("what failed"),
            _ => None,
        };
        if let (Some(what), true) = (required, note.is_empty()) {
            let kind = if outcome == Outcome::Failed {
                "failed qc"
            } else {
                step.kind.id()
            };
            return Err(SopError::NoteRequired {
                step: id.into(),
                kind,
                what,
            });
        }
        let record = StepRecord {
            outcome,
            at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            operator: crate::journal::current_operator(),
            note: note.to_string(),
        };
        self.state.steps.insert(id.to_string(), record);
        self.reconciliation = self.reconcile();
        Ok(())
    }

    /// Reopen a step. Steps recorded after it that require it (directly or not) must be undone
    /// too: with `cascade` they are, otherwise the undo is refused naming them. Returns the ids
    /// reopened, the step itself first.
    pub fn undo(&mut self, id: &str, cascade: bool) -> Result<Vec<String>, SopError> {
        self.find(id)?;
        if !self.state.steps.contains_key(id) {
            return Err(SopError::NotDone(id.to_string()));
        }
        let dependents = self.recorded_dependents(id);
        if !dependents.is_empty() && !cascade {
            return Err(SopError::HasDependents {
                step: id.to_string(),
                dependents,
            });
        }
        let mut reopened = vec![id.to_string()];
        reopened.extend(dependents);
        for r in &reopened {
            self.state.steps.remove(r);
        }
        self.reconciliation = self.reconcile();
        Ok(reopened)
    }

    /// Recorded steps that depend on `id` through their requirements, in SOP order.
    fn recorded_dependents(&self, id: &str) -> Vec<String> {
        let mut affected = vec![id.to_string()];
        // Requirements always point backwards, so one pass in SOP order finds the closure.
        for (_, step) in self.sop.steps() {
            if step.requires.iter().any(|r| affected.contains(r)) {
                affected.push(step.id.clone());
            }
        }
        affected
            .into_iter()
            .skip(1)
            .filter(|s| self.state.steps.contains_key(s))
            .collect()
    }
}
