//! `tinct.toml`: every stage's parameters with defaults. Keys are kebab-case, unknown keys are
//! rejected. One file per group of sections, owned by the stages that read them.

mod align;
mod choices;
mod dataset;
mod grade;
mod jobs;
mod media;
mod ml;
pub mod validate;

pub use align::AlignConfig;
pub use choices::{
    Device, ExrCompression, Guide, LrSchedule, ModelSize, OutputFormat, Prior, ShotGrades, Steps,
};
pub use dataset::{CurateConfig, SyncConfig};
pub use grade::{CompareConfig, MatchgradeConfig};
pub use jobs::JobsConfig;
pub use media::MediaConfig;
pub use ml::{InferConfig, LumaMode, PrepConfig, TrainConfig};

use crate::color::Colorspace;
use anyhow::Context;
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

/// The colour reference (video transfer, another print): an image sequence, or a video file
/// read through ffmpeg (`media::video`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReferenceSection {
    /// A sequence pattern, or a video file (`.mov`, `.mp4`, `.mxf`, `.mpg`, ...).
    pub pattern: String,
    /// `auto` = from the files (sequence) or from the stream's transfer tag (video: untagged is
    /// `rec709`, BT.709 primaries on a 2.4-gamma display).
    pub colorspace: String,
    /// reference frame = source frame + offset.
    pub offset: i64,
    /// Video: `auto`, `bt601`, `bt709`, `bt2020` (auto = as tagged; untagged SD 601, HD 709).
    pub matrix: crate::media::video::Matrix,
    /// Video: `auto`, `limited`, `full`.
    pub range: crate::media::video::Range,
    /// Video: inverse telecine of a 29.97 transfer of 24 fps film; `auto` (interlaced 29.97/59.94),
    /// `on`, `none`.
    pub pulldown: crate::media::video::Pulldown,
    /// Video: the number of its first frame (1, as a Nuke Read node numbers a movie).
    pub first_frame: i64,
    /// Optional: `"SOURCE_FRAME = TIMECODE"` (or `= REFERENCE_FRAME`), e.g. `"1001 = 01:00:10:00"`;
    /// when set it fixes the offset, and `reference.offset` is not used.
    pub anchor: String,
}

impl ReferenceSection {
    /// How a video reference is to be read.
    pub fn video_options(&self) -> anyhow::Result<crate::media::video::VideoOptions> {
        Ok(crate::media::video::VideoOptions {
            matrix: self.matrix,
            range: self.range,
            pulldown: self.pulldown,
            first_frame: self.first_frame,
            colorspace: assumed_colorspace("reference.colorspace", &self.colorspace)?,
        })
    }
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
            matrix: Default::default(),
            range: Default::default(),
            pulldown: Default::default(),
            first_frame: 1,
            anchor: String::new(),
        }
    }
}

/// `auto` / empty = trust the file; anything else must name a colourspace.
pub fn assumed_colorspace(key: &str, value: &str) -> anyhow::Result<Option<Colorspace>> {
    match value.trim() {
        "" | "auto" => Ok(None),
        v => Ok(Some(
            v.parse::<Colorspace>()
                .with_context(|| format!("config key {key}"))?,
        )),
    }
}
