//! The checklist as plain data, for `tinct sop --json`, `tinct status --json` and the console.

use super::checklist::{Checklist, Reconciliation, Status};
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct ChecklistReport {
    pub sop: String,
    pub title: String,
    /// Where the SOP came from (a project file, or the built-in one).
    pub origin: String,
    pub done: usize,
    pub total: usize,
    /// The step to work on next (`None` when every step is done).
    pub current: Option<String>,
    pub stages: Vec<StageReport>,
    pub reconciliation: Reconciliation,
}

#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    pub id: String,
    pub title: String,
    pub folder: String,
    pub done: usize,
    pub total: usize,
    pub steps: Vec<StepReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub id: String,
    pub title: String,
    pub kind: String,
    /// For action steps: the stage job it launches.
    pub stage: Option<String>,
    pub requires: Vec<String>,
    #[serde(flatten)]
    pub status: Status,
    pub at: Option<String>,
    pub operator: Option<String>,
    pub note: Option<String>,
}

impl ChecklistReport {
    pub fn of(c: &Checklist) -> ChecklistReport {
        let views = c.steps();
        let stages = c
            .sop
            .stages
            .iter()
            .map(|stage| {
                let steps: Vec<StepReport> = views
                    .iter()
                    .filter(|v| v.stage.id == stage.id)
                    .map(|v| StepReport {
                        id: v.step.id.clone(),
                        title: v.step.title.clone(),
                        kind: v.step.kind.id().into(),
                        stage: v.step.stage.map(|s| s.id().to_string()),
                        requires: v.step.requires.clone(),
                        status: v.status.clone(),
                        at: v.record.map(|r| r.at.clone()),
                        operator: v.record.map(|r| r.operator.clone()),
                        note: v.record.map(|r| r.note.clone()).filter(|n| !n.is_empty()),
                    })
                    .collect();
                StageReport {
                    id: stage.id.clone(),
                    title: stage.title.clone(),
                    folder: stage.folder.clone(),
                    done: steps.iter().filter(|s| s.status.is_done()).count(),
                    total: steps.len(),
                    steps,
                }
            })
            .collect();
        let (done, total) = c.progress();
        ChecklistReport {
            sop: c.sop.meta.id.clone(),
            title: c.sop.meta.title.clone(),
            origin: c.sop.origin.display().to_string(),
            done,
            total,
            current: c.current().map(|v| v.step.id.clone()),
            stages,
            reconciliation: c.reconciliation().clone(),
        }
    }
}
