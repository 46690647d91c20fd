//! `[matchgrade]` and `[compare]`: stage 5.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MatchgradeConfig {
    /// 3D LUT points per axis: 17, 33 or 65.
    pub lut_size: usize,
}

impl Default for MatchgradeConfig {
    fn default() -> Self {
        Self { lut_size: 33 }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CompareConfig {}
