//! SOP errors. Loading errors name the file and, where the text is at fault, the line and the
//! step id; checklist errors name the step and what stands in its way.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SopError {
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}: step `{step}`: {problem}", path.display())]
    InvalidStep {
        path: PathBuf,
        line: usize,
        step: String,
        problem: String,
    },
    #[error("{}:{line}: stage `{stage}`: {problem}", path.display())]
    InvalidStage {
        path: PathBuf,
        line: usize,
        stage: String,
        problem: String,
    },
    #[error("no step `{0}` in this SOP (`tinct sop` lists the steps)")]
    UnknownStep(String),
    #[error("step `{step}` is blocked: first finish {}", quoted(.waiting_on))]
    Blocked {
        step: String,
        waiting_on: Vec<String>,
    },
    #[error("step `{step}` is already done ({by}, {at}); `tinct sop undo {step}` to redo it")]
    AlreadyDone {
        step: String,
        by: String,
        at: String,
    },
    #[error("step `{0}` is not done")]
    NotDone(String),
    #[error("step `{step}` is a {kind} step: record {what} with --note")]
    NoteRequired {
        step: String,
        kind: &'static str,
        what: &'static str,
    },
    #[error("step `{step}` is not a qc step: only qc steps can fail")]
    NotQc { step: String },
    #[error("steps done after `{step}` depend on it: {}; undo them first (or undo with --cascade)", quoted(.dependents))]
    HasDependents {
        step: String,
        dependents: Vec<String>,
    },
    #[error("{}: {message}", path.display())]
    State { path: PathBuf, message: String },
}

impl SopError {
    /// A TOML syntax or schema error in `text` (read from `path`), at its line and column.
    pub fn from_toml(path: &Path, text: &str, e: toml::de::Error) -> SopError {
        let (line, column) = e
            .span()
            .map(|s| crate::project::line_col(text, s.start))
            .unwrap_or((0, 0));
        SopError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    }
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
