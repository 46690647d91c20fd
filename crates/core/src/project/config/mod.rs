//! `tinct.toml`: every stage's parameters with defaults. Keys are kebab-case, unknown keys are
//! rejected. One file per group of sections, owned by the stages that read them.

mod align;
mod dataset;
mod grade;
mod jobs;
mod media;
mod ml;
pub mod validate;

pub use align::AlignConfig;
pub use dataset::{CurateConfig, SyncConfig};
pub use grade::{CompareConfig, MatchgradeConfig};
pub use jobs::JobsConfig;
pub use media::MediaConfig;
pub use ml::{InferConfig, LumaMode, PrepConfig, TrainConfig};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub project: ProjectSection,
    pub source: SequenceSection,
    pub reference: ReferenceSection,
    pub sync: SyncConfig,
    pub curate: CurateConfig,
    pub align: AlignConfig,
    pub prep: PrepConfig,
    pub train: TrainConfig,
    pub infer: InferConfig,
    pub matchgrade: MatchgradeConfig,
    pub compare: CompareConfig,
    pub jobs: JobsConfig,
    pub media: MediaConfig,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProjectSection {
    /// Shown in the console title and the journal.
    pub name: String,
    /// Optional project-local SOP file (relative to the project); empty = the built-in SOP.
    pub sop: String,
}

/// The faded/monochrome scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SequenceSection {
    /// Frame-sequence pattern relative to the project, e.g. `footage/src/reel1.%04d.exr`.
    pub pattern: String,
    /// How the files are encoded; `auto` = from the file (EXR linear, DPX header, 8/16-bit sRGB).
    pub colorspace: String,
}

/// The colour reference (video transfer, another print).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReferenceSection {
    pub pattern: String,
    pub colorspace: String,
    /// reference frame = source frame + offset.
    pub offset: i64,
}

impl Default for SequenceSection {
    fn default() -> Self {
        Self {
            pattern: String::new(),
            colorspace: "auto".into(),
        }
    }
}

impl Default for ReferenceSection {
    fn default() -> Self {
        Self {
            pattern: String::new(),
            colorspace: "auto".into(),
            offset: 0,
        }
    }
}
