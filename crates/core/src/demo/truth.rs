//! `demo-truth.json`: what the generator did, so tests and the sync/align/train stages can be
//! checked against the answer (true offset, shot boundaries, the transfer's geometry, the fade).

use super::film::{Fade, PrintStock, SmoothField};
use super::geometry::Matrix3;
use super::shots::Shot;
use super::transfer::TransferSpec;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const TRUTH_FILE: &str = "demo-truth.json";

/// Which print the project's source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A colour print whose dyes faded (magenta cast, uneven, grainy).
    Faded,
    /// A black-and-white print: luminance only.
    Monochrome,
}

/// One frame sequence the generator wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Footage {
    /// faded | monochrome | clean | video-transfer
    pub kind: String,
    /// Relative to the project root, `%04d` for the frame number.
    pub pattern: String,
    pub first_frame: i64,
    pub last_frame: i64,
    pub width: usize,
    pub height: usize,
}

impl Footage {
    pub fn frames(&self) -> std::ops::RangeInclusive<i64> {
        self.first_frame..=self.last_frame
    }

    /// The file of frame `n`, under `root`.
    pub fn path(&self, root: &Path, n: i64) -> std::path::PathBuf {
        root.join(self.pattern.replace("%04d", &format!("{n:04}")))
    }
}

/// The reference and exactly how it relates to the source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceTruth {
    pub footage: Footage,
    /// reference frame = source frame + offset (what `sync` should find).
    pub offset: i64,
    /// Source pixel → reference pixel, 3x3 row-major, pixel centres on integers (what `align`
    /// should find).
    pub matrix: Matrix3,
    /// Linear gain the transfer applied (clear base to white); chroma is unaffected.
    pub video_gain: f32,
    pub chroma_subsampling: String,
    pub transfer: TransferSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoTruth {
    pub seed: u64,
    pub source_kind: SourceKind,
    pub source: Footage,
    /// The other kind of print, written beside for the operator to try.
    pub alternate_source: Option<Footage>,
    /// The clean print in source geometry: the colour a perfect recovery would produce.
    pub clean: Option<Footage>,
    pub reference: ReferenceTruth,
    pub shots: Vec<Shot>,
    pub stock: PrintStock,
    pub fade: Fade,
    /// The uneven-fading fields of the cyan, magenta and yellow layers.
    pub fade_fields: [SmoothField; 3],
}

impl DemoTruth {
    pub fn load(project: &Path) -> anyhow::Result<DemoTruth> {
        let path = project.join(TRUTH_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read demo truth", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a demo truth file", path.display()))
    }

    pub fn save(&self, project: &Path) -> anyhow::Result<()> {
        let path = project.join(TRUTH_FILE);
        let text = serde_json::to_string_pretty(self)?;
        crate::fsx::write_atomic(&path, format!("{text}\n").as_bytes())?;
        Ok(())
    }

    /// Source frames where a new shot starts (cuts), excluding the first frame.
    pub fn cuts(&self) -> Vec<i64> {
        self.shots.iter().skip(1).map(|s| s.first_frame).collect()
    }
}
