//! Frame sequences and image files: patterns, ranges, gaps; readers and writers for EXR, DPX,
//! TIFF, PNG and JPEG, all to and from the one in-memory [`Image`].
//!
//! Readers return the samples as the file stores them plus the colourspace that encoding implies
//! ([`Decoded`]); [`read_linear`] converts to scene-linear Rec.709, which is what stages work in.
//! Writers take linear Rec.709 and convert to the requested colourspace on the way out.
//!
//! (The signatures below are the contract other modules code against.)

mod image;

pub use image::Image;

use crate::color::Colorspace;
use std::path::{Path, PathBuf};

/// A decoded file: samples as stored (integers normalised to 0..1) and what they mean.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub image: Image,
    /// The colourspace the file's encoding implies (EXR: linear Rec.709 unless its
    /// chromaticities say otherwise; DPX: from the transfer header; 8/16-bit PNG/TIFF/JPEG: sRGB;
    /// float TIFF: linear).
    pub colorspace: Colorspace,
}

/// Read any supported file as stored.
pub fn read(path: &Path) -> anyhow::Result<Decoded> {
    todo!("media::read {}", path.display())
}

/// Read any supported file and convert to scene-linear Rec.709; `assume` overrides the
/// colourspace the file implies (e.g. a DPX scan known to be Cineon log).
pub fn read_linear(path: &Path, assume: Option<Colorspace>) -> anyhow::Result<Image> {
    let mut d = read(path)?;
    let from = assume.unwrap_or(d.colorspace);
    if d.image.channels >= 3 {
        crate::color::convert_image(&mut d.image, from, Colorspace::LinearRec709);
    }
    Ok(d.image)
}

/// How to write a file; the format comes from the extension (.exr .dpx .tif/.tiff .png).
#[derive(Clone, Debug)]
pub struct WriteOptions {
    /// Colourspace to encode into (input is linear Rec.709).
    pub colorspace: Colorspace,
    /// EXR: write half floats (else 32-bit float).
    pub half: bool,
    /// EXR compression: "none" | "zip" | "piz".
    pub compression: String,
    /// Integer formats: bits per sample (DPX 8/10/12/16, TIFF 8/16, PNG 8/16).
    pub bits: u8,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self { colorspace: Colorspace::LinearRec709, half: true, compression: "zip".into(), bits: 16 }
    }
}

/// Write a linear Rec.709 image (atomically: temp file + rename).
pub fn write(path: &Path, img: &Image, opts: &WriteOptions) -> anyhow::Result<()> {
    let _ = (img, opts);
    todo!("media::write {}", path.display())
}

/// A frame sequence on disk: `name.%04d.exr`, `name.####.exr`, `name.@.exr`, or one file.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// The pattern as given.
    pub pattern: String,
    /// Frame numbers found, ascending.
    pub frames: Vec<i64>,
}

impl Sequence {
    /// Find the frames of `pattern` on disk (without reading pixels).
    pub fn discover(pattern: &Path) -> anyhow::Result<Sequence> {
        todo!("Sequence::discover {}", pattern.display())
    }

    /// The file of frame `n`.
    pub fn path(&self, n: i64) -> PathBuf {
        todo!("Sequence::path {n}")
    }

    /// Missing frame numbers between the first and the last.
    pub fn gaps(&self) -> Vec<i64> {
        let mut gaps = Vec::new();
        for w in self.frames.windows(2) {
            gaps.extend(w[0] + 1..w[1]);
        }
        gaps
    }
}
