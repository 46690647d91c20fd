//! The SOP: schema (`sop/*.toml`) and the checklist state machine.
//!
//! The SOP is data: stages of ordered steps, each with instructions for the operator, a kind and
//! the steps it requires. The checklist combines it with the project's saved state and enforces
//! the gating; the console and `tinct sop` are two views of the same files.

pub mod answer;
mod checklist;
mod error;
mod report;
mod schema;
mod state;

pub use answer::{Answered, Verdict, answer};
pub use checklist::{Checklist, Reconciliation, Status, StepView};
pub use error::SopError;
pub use report::{ChecklistReport, StageReport, StepReport};
pub use schema::{BUILTIN_TEXT, Sop, SopMeta, SopStage, Step, StepKind};
pub use state::{Outcome, STATE_FILE, State, StepRecord};

#[cfg(test)]
mod tests;
