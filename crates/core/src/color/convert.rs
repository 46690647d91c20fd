//! Conversions between named colourspaces, per pixel and per image.
//!
//! A conversion is decode (transfer → linear) · one 3x3 matrix (primaries and white, Bradford
//! adaptation folded in) · encode. The matrices are derived once per process from the
//! chromaticity tables and cached; [`Conversion`] fuses the two matrices of a from→to pair so a
//! whole image costs one matrix per pixel.

use super::Colorspace;
use super::matrix::{self, Mat3};
use super::primaries;
use super::transfer::Transfer;
use crate::media::Image;
use rayon::prelude::*;
use std::sync::LazyLock;

/// Per colourspace (indexed like [`Colorspace::ALL`]): its linear RGB → linear Rec.709, and back.
static TO_REC709: LazyLock<[Mat3; Colorspace::ALL.len()]> = LazyLock::new(|| {
    Colorspace::ALL.map(|cs| matrix::rgb_to_rgb(&cs.chromaticities(), &primaries::REC709))
});
static FROM_REC709: LazyLock<[Mat3; Colorspace::ALL.len()]> =
    LazyLock::new(|| TO_REC709.map(|m| m.inverse()));

fn index(cs: Colorspace) -> usize {
    Colorspace::ALL
        .iter()
        .position(|&c| c == cs)
        .expect("Colorspace::ALL lists every variant")
}

/// Linear RGB in `cs` → linear Rec.709 (D65).
pub fn matrix_to_rec709(cs: Colorspace) -> Mat3 {
    TO_REC709[index(cs)]
}

/// Linear Rec.709 (D65) → linear RGB in `cs`.
pub fn matrix_from_rec709(cs: Colorspace) -> Mat3 {
    FROM_REC709[index(cs)]
}

/// A prepared from→to conversion: build once, apply to many pixels.
#[derive(Clone, Copy, Debug)]
pub struct Conversion {
    decode: Transfer,
    /// `None` when source and target share primaries and white (transfer-only conversion).
    matrix: Option<Mat3>,
    encode: Transfer,
}

impl Conversion {
    pub fn new(from: Colorspace, to: Colorspace) -> Conversion {
        let same_gamut = from.chromaticities() == to.chromaticities();
        let matrix = (!same_gamut).then(|| matrix_from_rec709(to).mul(&matrix_to_rec709(from)));
        Conversion {
            decode: from.transfer(),
            matrix,
            encode: to.transfer(),
        }
    }

    /// True when the conversion changes nothing.
    pub fn is_identity(&self) -> bool {
        self.matrix.is_none() && self.decode == self.encode
    }

    #[inline]
    pub fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let lin = rgb.map(|v| self.decode.decode(v));
        let lin = match &self.matrix {
            Some(m) => m.apply(lin.map(f64::from)).map(|v| v as f32),
            None => lin,
        };
        lin.map(|v| self.encode.encode(v))
    }

    /// Convert the first three channels of every `channels`-wide pixel in `data`, in parallel
    /// for large buffers.
    pub fn apply_slice(&self, data: &mut [f32], channels: usize) {
        assert!(
            channels >= 3,
            "colour conversion needs RGB, got {channels} channel(s)"
        );
        if self.is_identity() {
            return;
        }
        // Below ~64k pixels the rayon fan-out costs more than it saves.
        const PAR_CHUNK_PIXELS: usize = 16 * 1024;
        let run = |chunk: &mut [f32]| {
            for px in chunk.chunks_exact_mut(channels) {
                let out = self.apply([px[0], px[1], px[2]]);
                px[..3].copy_from_slice(&out);
            }
        };
        if data.len() / channels > 4 * PAR_CHUNK_PIXELS {
            data.par_chunks_mut(PAR_CHUNK_PIXELS * channels)
                .for_each(run);
        } else {
            run(data);
        }
    }
}

/// Encoded RGB in `cs` → scene-linear Rec.709 (D65).
pub fn to_linear(cs: Colorspace, rgb: [f32; 3]) -> [f32; 3] {
    Conversion::new(cs, Colorspace::LinearRec709).apply(rgb)
}

/// Scene-linear Rec.709 (D65) → encoded RGB in `cs`.
pub fn from_linear(cs: Colorspace, rgb: [f32; 3]) -> [f32; 3] {
    Conversion::new(Colorspace::LinearRec709, cs).apply(rgb)
}

/// Convert every pixel of `img` (RGB or RGBA; alpha untouched) from `from` to `to`.
pub fn convert_image(img: &mut Image, from: Colorspace, to: Colorspace) {
    if from == to {
        return;
    }
    assert!(
        img.channels >= 3,
        "convert_image needs RGB, got {} channel(s)",
        img.channels
    );
    Conversion::new(from, to).apply_slice(&mut img.data, img.channels);
}
