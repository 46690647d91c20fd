//! `[align]`: stage 2, fitting the reference onto the source.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlignConfig {
    /// translation | similarity | affine | homography
    pub model: String,
    /// What the fit compares: `luma` (gamma-encoded luma; the fit's gain/offset absorbs fading)
    /// or `gradient` (gradient magnitude of luma; for grades that differ non-linearly).
    pub feature: String,
    /// Pyramid levels; 0 = automatic (coarsest level about 64 px on its short side).
    pub levels: usize,
    /// Most iterations per pyramid level.
    pub iterations: usize,
    /// Stop a level when an update moves no corner further than this (pixels of that level).
    pub epsilon: f64,
    /// Pairs whose ECC correlation is below this are flagged, not used downstream.
    pub min_confidence: f64,
    /// Flagged pairs the operator has looked at and accepts anyway (source frame numbers).
    pub accept: Vec<i64>,
    /// Linked crop `[x, y, width, height]` in source pixels, applied to source and aligned
    /// reference alike; empty = the whole source frame.
    pub crop: Vec<usize>,
    /// Resampling filter for the delivered aligned reference: bicubic | lanczos3 | bilinear.
    pub filter: String,
    /// Write the QC renders (dissolve, difference, checkerboard) per pair.
    pub qc: bool,
    /// Manual per-pair transforms, keyed by source frame number: `[align.override.1001]`.
    #[serde(rename = "override")]
    pub overrides: BTreeMap<String, AlignOverride>,
}

impl Default for AlignConfig {
    fn default() -> Self {
        Self {
            model: "similarity".into(),
            feature: "luma".into(),
            levels: 0,
            iterations: 60,
            epsilon: 1e-3,
            min_confidence: 0.8,
            accept: Vec::new(),
            crop: Vec::new(),
            filter: "bicubic".into(),
            qc: true,
            overrides: BTreeMap::new(),
        }
    }
}

/// A Nuke-Transform-like correction of the aligned reference, in source pixels, about the
/// source frame's centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlignOverride {
    /// `[dx, dy]` in source pixels (x right, y down).
    pub translate: [f64; 2],
    /// Degrees, counter-clockwise as seen on screen.
    pub rotate: f64,
    pub scale: f64,
    /// `on-top` (applied after the fit) or `instead` (replaces the fit; starts from the
    /// size-ratio, centred placement).
    pub mode: String,
}

impl Default for AlignOverride {
    fn default() -> Self {
        Self {
            translate: [0.0, 0.0],
            rotate: 0.0,
            scale: 1.0,
            mode: "on-top".into(),
        }
    }
}
