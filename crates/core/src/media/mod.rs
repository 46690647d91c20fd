//! Frame sequences and image files: patterns, ranges, gaps; readers and writers for EXR, DPX,
//! TIFF, PNG and JPEG, all to and from the one in-memory [`Image`].
//!
//! Readers return the samples as the file stores them plus the colourspace that encoding implies
//! ([`Decoded`]); [`read_linear`] converts to scene-linear Rec.709, which is what stages work in.
//! Writers take linear Rec.709 and convert to the requested colourspace on the way out.
//!
//! (The signatures below are the contract other modules code against.)

pub mod budget;
mod clip;
mod dpx;
mod error;
mod exr_io;
mod header;
mod image;
pub mod info;
mod raster;
mod sequence;
mod tiff16;
pub mod video;

pub use clip::Clip;
pub use error::MediaError;
pub use image::Image;
pub use info::{FileInfo, PixelType, probe};
pub use sequence::{FramePattern, Sequence};

use crate::color::Colorspace;
use std::path::Path;

/// File formats, chosen by extension (the magic number is then checked against it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Exr,
    Dpx,
    Tiff,
    Png,
    Jpeg,
}

impl Format {
    pub fn of(path: &Path) -> error::Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        Ok(match ext.as_str() {
            "exr" => Format::Exr,
            "dpx" => Format::Dpx,
            "tif" | "tiff" => Format::Tiff,
            "png" => Format::Png,
            "jpg" | "jpeg" => Format::Jpeg,
            _ => {
                return Err(MediaError::UnknownFormat {
                    path: path.into(),
                    ext,
                });
            }
        })
    }
}

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
    Ok(read_media(path)?)
}

/// [`read`] with the typed error (callers that want to match on [`MediaError`]).
pub fn read_media(path: &Path) -> error::Result<Decoded> {
    match Format::of(path)? {
        Format::Exr => exr_io::read(path),
        Format::Dpx => dpx::read(path),
        f @ (Format::Png | Format::Tiff | Format::Jpeg) => raster::read(path, f),
    }
}

/// Read any supported file and convert to scene-linear Rec.709; `assume` overrides the
/// colourspace the file implies (e.g. a DPX scan known to be Cineon log).
pub fn read_linear(path: &Path, assume: Option<Colorspace>) -> anyhow::Result<Image> {
    let mut d = read(path)?;
    linearize(&mut d.image, assume.unwrap_or(d.colorspace));
    Ok(d.image)
}

/// Convert samples encoded in `from` to scene-linear Rec.709, in place (what every reader's
/// `read_linear` does after decoding).
pub fn linearize(image: &mut Image, from: Colorspace) {
    if from == Colorspace::LinearRec709 {
        return;
    }
    if image.channels >= 3 {
        crate::color::convert_image(image, from, Colorspace::LinearRec709);
    } else {
        // Luma: a neutral grey stays neutral, so decode it as R=G=B and keep one value.
        for v in &mut image.data {
            *v = crate::color::to_linear(from, [*v; 3])[1];
        }
    }
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
        Self {
            colorspace: Colorspace::LinearRec709,
            half: true,
            compression: "zip".into(),
            bits: 16,
        }
    }
}

/// A 0..1 sample (clipped) as an integer code `0..=max` (`max` < 2^23), rounded half away from
/// zero: exactly `(v.clamp(0.0, 1.0) * max).round()` (NaN gives 0), in operations the compiler
/// vectorises (the integer writers' hot loop: DPX, PNG, TIFF). No libm `round`, and no
/// float-to-integer `as` cast, whose saturating semantics keep a loop scalar (2-4x slower).
/// `y` is `x + 0.5` (0 below 0.5, NaN included: just below 0.5 the sum itself rounds up to 1.0);
/// its integer part is taken by adding 2^23, which rounds to the nearest integer (ties to even),
/// stepping back one where that rounded up, and reading the integer off the float's bits
/// (2^23 + n holds n in its low mantissa bits). Checked against `round` for every f32 in 0..1
/// at 8, 10, 12 and 16 bits.
#[inline]
pub(crate) fn quantize(v: f32, max: f32) -> u32 {
    const MAGIC: f32 = 8_388_608.0;
    let x = v.clamp(0.0, 1.0) * max;
    let y = if x >= 0.5 { x + 0.5 } else { 0.0 };
    let nearest = (y + MAGIC) - MAGIC;
    let floor = if nearest > y { nearest - 1.0 } else { nearest };
    (floor + MAGIC).to_bits() - MAGIC.to_bits()
}

/// Write a linear Rec.709 image (atomically: temp file + rename).
pub fn write(path: &Path, img: &Image, opts: &WriteOptions) -> anyhow::Result<()> {
    Ok(write_media(path, img, opts)?)
}

/// [`write`] with the typed error.
pub fn write_media(path: &Path, img: &Image, opts: &WriteOptions) -> error::Result<()> {
    let format = Format::of(path)?;
    error::check_finite(path, img)?;
    let encoded;
    let img = if opts.colorspace == Colorspace::LinearRec709 {
        img
    } else {
        let mut e = img.clone();
        if e.channels >= 3 {
            crate::color::convert_image(&mut e, Colorspace::LinearRec709, opts.colorspace);
        } else {
            for v in &mut e.data {
                *v = crate::color::from_linear(opts.colorspace, [*v; 3])[1];
            }
        }
        encoded = e;
        &encoded
    };
    match format {
        Format::Exr => exr_io::write(path, img, opts),
        Format::Dpx => dpx::write(path, img, opts),
        Format::Png | Format::Tiff => raster::write(path, format, img, opts),
        Format::Jpeg => Err(MediaError::CannotWrite {
            path: path.into(),
            what: "JPEG (read-only format)".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `quantize` is `round` without the libm call: the same code at every step's edges, and
    /// where `x + 0.5` itself rounds (just below 0.5, and in the top binade).
    #[test]
    fn quantize_is_round_of_the_clipped_sample() {
        for max in [255.0f32, 1023.0, 4095.0, 65535.0] {
            let mut vs = vec![-1.0, 0.0, 1.0, 2.0, 0.5 / max, 0.49999997 / max, 1e-30];
            for k in [0.0f32, 1.0, 2.0, 511.0, 1022.0, max - 1.0] {
                for x in [k + 0.5, k + 0.49999, k + 0.50001] {
                    let v = x / max;
                    vs.extend([
                        v,
                        f32::from_bits(v.to_bits() - 1),
                        f32::from_bits(v.to_bits() + 1),
                    ]);
                }
            }
            for v in vs {
                let want = (v.clamp(0.0, 1.0) * max).round() as u32;
                assert_eq!(quantize(v, max), want, "v = {v:e}, max = {max}");
            }
        }
        // Just below 0.5 after scaling: x + 0.5 rounds up to 1.0 in f32, round() says 0.
        let x = 0.49999997f32;
        assert_eq!(x.round(), 0.0);
        assert_eq!(x + 0.5, 1.0);
        assert_eq!(quantize(x, 1.0), 0);
    }

    /// `quantize` is `round` on a spread of f32 in 0..1 (every 97th bit pattern), at every
    /// code's rounding edges, and outside 0..1 (NaN and infinities included).
    #[test]
    fn quantize_rounds_exactly_on_a_spread_of_samples() {
        for max in [255.0f32, 65535.0] {
            let mut vs: Vec<f32> = (0..=1.0f32.to_bits())
                .step_by(97)
                .map(f32::from_bits)
                .collect();
            for k in 0..max as u32 {
                let v = (k as f32 + 0.5) / max;
                vs.extend([
                    v,
                    f32::from_bits(v.to_bits() - 1),
                    f32::from_bits(v.to_bits() + 1),
                ]);
            }
            vs.extend([
                -1.0,
                -0.0,
                1.0,
                1.0000001,
                2.0,
                f32::NAN,
                f32::INFINITY,
                0.49999997 / max,
            ]);
            for v in vs {
                let want = (v.clamp(0.0, 1.0) * max).round() as u32;
                assert_eq!(quantize(v, max), want, "v = {v:e}, max = {max}");
            }
        }
    }
}
