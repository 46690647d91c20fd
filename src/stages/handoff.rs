//! Reading the files one stage leaves for the next (the contracts in DESIGN.md).

use crate::project::{Project, layout};
use anyhow::Context;
use serde::Deserialize;
use std::path::PathBuf;

/// One aligned pair from `pipeline/02_alignment/manifest.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct AlignedPair {
    pub frame: i64,
    /// Source image (cropped to the linked crop), relative to the project.
    pub source: PathBuf,
    /// Aligned reference at the same size, relative to the project.
    pub reference: PathBuf,
    #[serde(default)]
    pub flagged: bool,
    #[serde(default)]
    pub confidence: f64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AlignedSet {
    /// The linked crop in source pixels, `[x, y, w, h]` (empty = whole frame).
    #[serde(default)]
    pub crop: Vec<usize>,
    pub pairs: Vec<AlignedPair>,
}

impl AlignedSet {
    pub fn load(project: &Project) -> anyhow::Result<AlignedSet> {
        let path = project.path(layout::ALIGNMENT).join("manifest.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: no aligned dataset (run `tinct run align` first)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not a valid alignment manifest", path.display()))
    }

    /// Pairs usable for fitting: not flagged, not held out for validation.
    pub fn training_pairs(&self, validation: &[i64]) -> Vec<&AlignedPair> {
        self.pairs.iter().filter(|p| !p.flagged && !validation.contains(&p.frame)).collect()
    }

    /// The crop origin in source pixels.
    pub fn crop_origin(&self) -> (usize, usize) {
        match self.crop.as_slice() {
            [x, y, ..] => (*x, *y),
            _ => (0, 0),
        }
    }
}
