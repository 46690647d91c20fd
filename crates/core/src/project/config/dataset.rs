//! `[sync]` and `[curate]`: stage 1, dataset curation.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SyncConfig {
    /// Largest |offset| searched, in frames.
    pub max_offset: i64,
    /// Record the offset found in `tinct.toml` (`reference.offset`); `false` only reports it.
    pub write_offset: bool,
    /// How many source frames (from the first, or from `--frames`) the signatures cover.
    pub sample: usize,
    /// Fewest overlapping frame pairs an offset needs before it is scored at all.
    pub min_overlap: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            max_offset: 48,
            write_offset: true,
            sample: 240,
            min_overlap: 8,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CurateConfig {
    /// Source frame numbers whose pairs make the training set.
    pub frames: Vec<i64>,
    /// Source frame numbers held out for validation (never trained on).
    pub validation: Vec<i64>,
    /// `tinct run suggest`: how many frames to propose in all (at least one per shot).
    pub suggest_count: usize,
    /// `tinct run suggest`: a cut is a frame change this many robust deviations (MAD) above the
    /// local median change.
    pub cut_sensitivity: f64,
}

impl Default for CurateConfig {
    fn default() -> Self {
        Self {
            frames: Vec::new(),
            validation: Vec::new(),
            suggest_count: 12,
            cut_sensitivity: 6.0,
        }
    }
}
