//! The SOP file: stages of ordered steps, loaded from TOML and validated as a whole, so a
//! mistake in a hand-edited SOP is reported with its file, line and step id before anyone uses it.

use super::error::SopError;
use crate::stages::Stage;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The SOP that ships with tinct (`sop/chroma-recovery.toml`).
pub const BUILTIN_TEXT: &str = include_str!("../../../../sop/chroma-recovery.toml");
pub const BUILTIN_NAME: &str = "sop/chroma-recovery.toml (built in)";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sop {
    #[serde(rename = "sop")]
    pub meta: SopMeta,
    #[serde(rename = "stage", default)]
    pub stages: Vec<SopStage>,
    /// Where it was loaded from (for messages); not part of the file.
    #[serde(skip)]
    pub origin: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SopMeta {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub version: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SopStage {
    pub id: String,
    pub title: String,
    /// The project folder this stage's outputs go to, e.g. `pipeline/02_alignment`.
    #[serde(default)]
    pub folder: String,
    #[serde(default)]
    pub summary: String,
    #[serde(rename = "step", default)]
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Step {
    pub id: String,
    pub title: String,
    pub kind: StepKind,
    /// What to do and what to look at.
    #[serde(default)]
    pub instructions: String,
    /// What "right" looks like.
    #[serde(default)]
    pub good: String,
    /// Step ids that must be done first (all earlier in the file).
    #[serde(default)]
    pub requires: Vec<String>,
    /// For `action` steps: the stage job it launches.
    #[serde(default)]
    pub stage: Option<Stage>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// The operator confirms they looked and it is right.
    Check,
    /// Launches a stage job.
    Action,
    /// The operator records a choice and its rationale.
    Decision,
    /// Pass or fail, with notes.
    Qc,
}

impl StepKind {
    pub fn id(self) -> &'static str {
        match self {
            StepKind::Check => "check",
            StepKind::Action => "action",
            StepKind::Decision => "decision",
            StepKind::Qc => "qc",
        }
    }
}

impl Sop {
    /// The SOP embedded in the binary.
    pub fn builtin() -> Sop {
        Sop::parse(Path::new(BUILTIN_NAME), BUILTIN_TEXT)
            .expect("the built-in SOP is valid (tested)")
    }

    /// Load and validate a SOP file.
    pub fn load(path: &Path) -> Result<Sop, SopError> {
        let text = std::fs::read_to_string(path).map_err(|e| SopError::State {
            path: path.to_path_buf(),
            message: format!("cannot read SOP: {e}"),
        })?;
        Sop::parse(path, &text)
    }

    /// Parse and validate SOP text; `path` only names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Sop, SopError> {
        let mut sop: Sop = toml::from_str(text).map_err(|e| SopError::from_toml(path, text, e))?;
        sop.origin = path.to_path_buf();
        validate(&sop, text)?;
        Ok(sop)
    }

    /// Every step in order, with the id of its stage.
    pub fn steps(&self) -> impl Iterator<Item = (&SopStage, &Step)> {
        self.stages
            .iter()
            .flat_map(|st| st.steps.iter().map(move |s| (st, s)))
    }

    pub fn step(&self, id: &str) -> Option<(&SopStage, &Step)> {
        self.steps().find(|(_, s)| s.id == id)
    }

    /// A digest of the SOP's structure (ids, order, requirements), to notice that the file
    /// changed under a project in progress. Wording changes do not count.
    pub fn structure_digest(&self) -> String {
        let mut h: u64 = 0xcbf29ce484222325; // FNV-1a: stable across builds, unlike std's hasher
        for (stage, step) in self.steps() {
            for part in [stage.id.as_str(), step.id.as_str(), step.kind.id()]
                .into_iter()
                .chain(step.requires.iter().map(String::as_str))
            {
                for b in part.bytes().chain([0u8]) {
                    h ^= b as u64;
                    h = h.wrapping_mul(0x100000001b3);
                }
            }
        }
        format!("{h:016x}")
    }
}

/// Whole-file checks: ids unique and non-empty, requirements name earlier steps, action steps
/// name their stage (and only they do).
fn validate(sop: &Sop, text: &str) -> Result<(), SopError> {
    let path = &sop.origin;
    let step_err = |step: &str, problem: String| SopError::InvalidStep {
        path: path.clone(),
        line: line_of_id(text, step, 0),
        step: step.to_string(),
        problem,
    };
    let mut stage_ids = HashMap::new();
    for stage in &sop.stages {
        if stage.id.trim().is_empty() || stage_ids.insert(stage.id.as_str(), ()).is_some() {
            return Err(SopError::InvalidStage {
                path: path.clone(),
                line: line_of_id(text, &stage.id, usize::from(!stage.id.trim().is_empty())),
                stage: stage.id.clone(),
                problem: if stage.id.trim().is_empty() {
                    "empty id".into()
                } else {
                    "duplicate stage id".into()
                },
            });
        }
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let all: HashMap<&str, ()> = sop.steps().map(|(_, s)| (s.id.as_str(), ())).collect();
    for (stage, step) in sop.steps() {
        let id = step.id.as_str();
        if id.trim().is_empty() || id.contains(char::is_whitespace) {
            return Err(step_err(
                id,
                "a step id must be one word (letters, digits, '-', '.')".into(),
            ));
        }
        if let Some(first) = seen.insert(id, &stage.id) {
            return Err(SopError::InvalidStep {
                path: path.clone(),
                line: line_of_id(text, id, 1),
                step: id.to_string(),
                problem: format!("duplicate step id (already used in stage `{first}`)"),
            });
        }
        for req in &step.requires {
            if req == id {
                return Err(step_err(id, "requires itself".into()));
            }
            if !all.contains_key(req.as_str()) {
                return Err(step_err(id, format!("requires unknown step `{req}`")));
            }
            if !seen.contains_key(req.as_str()) {
                return Err(step_err(
                    id,
                    format!(
                        "requires `{req}`, which comes later in the SOP (requirements must come first)"
                    ),
                ));
            }
        }
        match (step.kind, step.stage) {
            (StepKind::Action, None) => {
                return Err(step_err(
                    id,
                    "action step without `stage` (the stage job it launches, e.g. stage = \"align\")".into(),
                ));
            }
            (kind, Some(_)) if kind != StepKind::Action => {
                return Err(step_err(
                    id,
                    format!(
                        "`stage` is only for action steps, this is a {} step",
                        kind.id()
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The 1-based line of the `nth` (from 0) `id = "<id>"` in the SOP text (0 when not found).
fn line_of_id(text: &str, id: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim();
            l.strip_prefix("id")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
                .map(|r| r.trim().trim_matches(|c| c == '"' || c == '\'') == id)
                .unwrap_or(false)
        })
        .nth(nth)
        .map(|(i, _)| i + 1)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_sop_is_valid_and_covers_five_stages() {
        let sop = Sop::builtin();
        let stages: Vec<&str> = sop.stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            stages,
            [
                "dataset",
                "alignment",
                "training",
                "inference",
                "matchgrade"
            ]
        );
        for (_, step) in sop.steps() {
            assert!(
                !step.instructions.trim().is_empty(),
                "{} has no instructions",
                step.id
            );
            assert!(
                !step.good.trim().is_empty(),
                "{} does not say what good looks like",
                step.id
            );
        }
        let launched: Vec<Stage> = sop.steps().filter_map(|(_, s)| s.stage).collect();
        for stage in [
            Stage::Sync,
            Stage::Suggest,
            Stage::Curate,
            Stage::Align,
            Stage::Prep,
            Stage::Train,
            Stage::Infer,
            Stage::Matchgrade,
            Stage::Compare,
        ] {
            assert!(
                launched.contains(&stage),
                "no SOP step launches {}",
                stage.id()
            );
        }
    }

    #[test]
    fn repo_file_matches_embedded_copy() {
        let on_disk = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sop/chroma-recovery.toml"
        ))
        .unwrap();
        assert_eq!(on_disk, BUILTIN_TEXT);
    }
}
