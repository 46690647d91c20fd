//! The SOP checklist as the console shows it, built from the `sop` module's [`Checklist`]
//! (the same SOP file and `.tinct` state `tinct sop` uses).

use super::data::{StageView, StepStatus, StepView};
use crate::project::Project;
use crate::sop::{Checklist, Status};
use std::path::PathBuf;

/// The project's own SOP file, when it has one (watched for hot reload).
pub fn sop_file(p: &Project) -> Option<PathBuf> {
    let rel = &p.config.project.sop;
    (!rel.is_empty()).then(|| p.root.join(rel))
}

pub fn load(p: &Project) -> anyhow::Result<Vec<StageView>> {
    let c = Checklist::open(p)?;
    Ok(from_checklist(&c))
}

pub fn from_checklist(c: &Checklist) -> Vec<StageView> {
    let views = c.steps();
    c.sop
        .stages
        .iter()
        .map(|stage| StageView {
            id: stage.id.clone(),
            title: stage.title.clone(),
            steps: views
                .iter()
                .filter(|v| v.stage.id == stage.id)
                .map(|v| {
                    let mut instructions = v.step.instructions.trim_end().to_string();
                    if !v.step.good.trim().is_empty() {
                        instructions.push_str("\n\nGood: ");
                        instructions.push_str(v.step.good.trim());
                    }
                    StepView {
                        id: v.step.id.clone(),
                        title: v.step.title.clone(),
                        kind: v.step.kind,
                        instructions,
                        status: match &v.status {
                            Status::Done => StepStatus::Done,
                            Status::Open => StepStatus::Ready,
                            Status::Failed => StepStatus::Failed(
                                v.record.map(|r| r.note.clone()).unwrap_or_default(),
                            ),
                            Status::Blocked { waiting_on } => {
                                StepStatus::Blocked(waiting_on.clone())
                            }
                        },
                        stage: v.step.stage.map(|s| s.id().to_string()),
                    }
                })
                .collect(),
        })
        .collect()
}
