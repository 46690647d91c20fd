//! `[sync]` and `[curate]`: stage 1, dataset curation.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SyncConfig {
    /// Largest |offset| searched, in frames.
    pub max_offset: i64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self { max_offset: 48 }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CurateConfig {
    /// Source frame numbers whose pairs make the training set.
    pub frames: Vec<i64>,
    /// Source frame numbers held out for validation (never trained on).
    pub validation: Vec<i64>,
}
