//! `[prep]`, `[train]`, `[infer]`: stages 3 and 4.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrepConfig {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrainConfig {
    pub steps: u64,
    pub crop_size: usize,
    /// 0 = automatic from free memory.
    pub batch_size: usize,
    /// auto | cpu | cuda | cuda:N
    pub device: String,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self { steps: 2000, crop_size: 256, batch_size: 0, device: "auto".into() }
    }
}

/// Output settings shared by every render (ML inference and the MatchGrade baseline).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct InferConfig {
    /// Output colourspace id (see `color::Colorspace`), e.g. `p3-d65`, `linear-rec709`, `acescg`.
    pub colorspace: String,
    /// exr | dpx | tiff
    pub format: String,
    /// EXR compression: zip | piz | none.
    pub exr_compression: String,
    /// Picture area kept, in source pixels: [x, y, width, height]; empty = whole frame.
    /// Removes sprocket holes and the optical sound track.
    pub crop: Vec<usize>,
}

impl Default for InferConfig {
    fn default() -> Self {
        Self {
            colorspace: "p3-d65".into(),
            format: "exr".into(),
            exr_compression: "zip".into(),
            crop: Vec::new(),
        }
    }
}
