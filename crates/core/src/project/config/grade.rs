//! `[matchgrade]` and `[compare]`: stage 5.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MatchgradeConfig {
    /// 3D LUT points per axis: 17, 33 or 65.
    pub lut_size: usize,
    /// LUT smoothness λ (relative to the samples per node); larger = smoother, less exact.
    pub smoothness: f64,
    /// Pull towards the global root-polynomial grade where the dataset shows no colour.
    pub prior_weight: f64,
    /// Pixels used for the fit at most (evenly strided over all pairs).
    pub max_samples: usize,
    /// Which fit renders the sequence: lut | cdl | matrix | root-poly.
    pub render: String,
}

impl MatchgradeConfig {
    /// The LUT fit these settings ask for (MatchGrade, the network's prior and `train.luma =
    /// grade` all fit the same LUT).
    pub fn lut_fit_params(&self) -> crate::grade::lut_fit::LutFitParams {
        crate::grade::lut_fit::LutFitParams {
            size: self.lut_size,
            smoothness: self.smoothness,
            prior_weight: self.prior_weight,
            ..Default::default()
        }
    }
}

impl Default for MatchgradeConfig {
    fn default() -> Self {
        Self {
            lut_size: 33,
            smoothness: 0.05,
            prior_weight: 1e-3,
            max_samples: 4_000_000,
            render: "lut".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct CompareConfig {
    /// Wipe position of the split-screen render, 0..1 from the left.
    pub wipe: f64,
    /// Frames of the temporal-flicker measurement at most (consecutive rendered frames).
    pub flicker_frames: usize,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            wipe: 0.5,
            flicker_frames: 200,
        }
    }
}
