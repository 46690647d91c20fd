//! The checklist state of a project, `.tinct/state.toml`: which steps are done (or failed), when,
//! by whom, with what note. Rewritten whole and atomically on every change, so closing tinct at
//! any moment resumes at the same step.

use super::error::SopError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Where a project keeps its checklist state, relative to the project root.
pub const STATE_FILE: &str = ".tinct/state.toml";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct State {
    /// Id of the SOP the ticks were made against.
    pub sop: String,
    /// Its structure digest at the last save (see `Sop::structure_digest`).
    pub sop_digest: String,
    /// Step id → what happened. Ids the SOP no longer has are kept (and reported), never dropped.
    pub steps: BTreeMap<String, StepRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StepRecord {
    pub outcome: Outcome,
    /// UTC, ISO 8601.
    pub at: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Checked, performed, decided, or passed.
    Done,
    /// A qc step that failed: it stays open (and keeps what follows blocked) until it passes.
    Failed,
}

impl State {
    /// The state in `path`; a missing file is a fresh project.
    pub fn load(path: &Path) -> Result<State, SopError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => {
                return Err(SopError::State {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
            }
        };
        toml::from_str(&text).map_err(|e| SopError::from_toml(path, &text, e))
    }

    /// Write the whole state atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<(), SopError> {
        self.stage(path)?.commit().map_err(|e| SopError::State {
            path: path.to_path_buf(),
            message: e.source.to_string(),
        })
    }

    /// The new state written beside `path`, not yet in place (see [`crate::fsx::Staged`]).
    pub fn stage(&self, path: &Path) -> Result<crate::fsx::Staged, SopError> {
        let body = toml::to_string_pretty(self).map_err(|e| SopError::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let text = format!(
            "# tinct SOP checklist state: written by `tinct sop` and the console.\n\n{body}"
        );
        crate::fsx::stage(path, text.as_bytes()).map_err(|e| SopError::State {
            path: path.to_path_buf(),
            message: e.source.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATE_FILE);
        assert_eq!(State::load(&path).unwrap(), State::default());
        let mut s = State {
            sop: "chroma-recovery".into(),
            sop_digest: "abc".into(),
            ..State::default()
        };
        s.steps.insert(
            "sync".into(),
            StepRecord {
                outcome: Outcome::Done,
                at: "2026-11-26T14:00:00Z".into(),
                operator: "ana".into(),
                note: String::new(),
            },
        );
        s.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), s);
    }
}
