//! The pipeline's chroma working space: **Y'CbCr, BT.709 coefficients, on sRGB-encoded
//! scene-linear Rec.709** (id `ycbcr709-srgb`; the same space `ml::space` implements on tensors).
//!
//! Why: the sRGB curve spaces code values roughly perceptually, so errors in Cb/Cr weigh shadows
//! and highlights alike; Y' is "the scan's density" that must come from the source untouched; and
//! the split is closed-form invertible, so "source luma + predicted chroma" is exact (CIELAB's L*
//! would need the chroma to recover Y). The sRGB curve is odd-extended, so negative and >1 linear
//! values (out-of-gamut, highlights) round-trip instead of clipping.
//!
//! `chroma_psnr` in `metrics.rs` is measured on the Cb/Cr of this space.

use super::transfer::Transfer;
use super::ycbcr;

/// The id recorded in run metadata next to anything stored in this space.
pub const WORKING_SPACE_ID: &str = "ycbcr709-srgb";

/// Linear Rec.709 RGB → (Y', [Cb, Cr]).
#[inline]
pub fn split_luma_chroma(rgb_linear: [f32; 3]) -> (f32, [f32; 2]) {
    let [y, cb, cr] = ycbcr::REC709.rgb_to_ycbcr(rgb_linear.map(|v| Transfer::Srgb.encode(v)));
    (y, [cb, cr])
}

/// (Y', [Cb, Cr]) → linear Rec.709 RGB; the inverse of [`split_luma_chroma`].
#[inline]
pub fn combine(luma: f32, chroma: [f32; 2]) -> [f32; 3] {
    ycbcr::REC709
        .ycbcr_to_rgb([luma, chroma[0], chroma[1]])
        .map(|v| Transfer::Srgb.decode(v))
}

/// Y' of a linear Rec.709 pixel in the working space.
#[inline]
pub fn luma(rgb_linear: [f32; 3]) -> f32 {
    split_luma_chroma(rgb_linear).0
}

// Scalar twins of the tensor code in the ml crate (`space`): the same constants, so a pixel
// prepared here and a tensor converted there agree to float rounding.
pub const KR: f32 = 0.2126;
pub const KG: f32 = 0.7152;
pub const KB: f32 = 0.0722;
pub const CB_SCALE: f32 = 1.8556; // 2 * (1 - KB)
pub const CR_SCALE: f32 = 1.5748; // 2 * (1 - KR)

/// sRGB OETF, odd-extended.
pub fn encode(l: f32) -> f32 {
    let a = l.abs();
    let e = if a <= 0.003_130_8 {
        12.92 * a
    } else {
        1.055 * a.powf(1.0 / 2.4) - 0.055
    };
    e.copysign(l)
}

/// Inverse of [`encode`].
pub fn decode(e: f32) -> f32 {
    let a = e.abs();
    let l = if a <= 0.040_45 {
        a / 12.92
    } else {
        ((a + 0.055) / 1.055).powf(2.4)
    };
    l.copysign(e)
}

/// Linear Rec.709 RGB → Y'CbCr.
pub fn rgb_to_ycbcr(rgb: [f32; 3]) -> [f32; 3] {
    encoded_to_ycbcr(rgb.map(encode))
}

/// sRGB-encoded R'G'B' → Y'CbCr (the matrix step alone).
pub fn encoded_to_ycbcr([r, g, b]: [f32; 3]) -> [f32; 3] {
    let y = KR * r + KG * g + KB * b;
    [y, (b - y) / CB_SCALE, (r - y) / CR_SCALE]
}

/// Y'CbCr → linear Rec.709 RGB.
pub fn ycbcr_to_rgb([y, cb, cr]: [f32; 3]) -> [f32; 3] {
    let r = y + CR_SCALE * cr;
    let b = y + CB_SCALE * cb;
    let g = (y - KR * r - KB * b) / KG;
    [r, g, b].map(decode)
}

/// Clamp to the valid range of the working space.
pub fn clamp_ycbcr([y, cb, cr]: [f32; 3]) -> [f32; 3] {
    [y.clamp(0.0, 1.0), cb.clamp(-0.5, 0.5), cr.clamp(-0.5, 0.5)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_combine_round_trip_including_out_of_range_values() {
        for rgb in [
            [0.18f32, 0.18, 0.18],
            [0.9, 0.1, 0.02],
            [0.0, 0.0, 0.0],
            [2.5, 0.7, -0.01],
            [1e-4, 0.3, 0.8],
        ] {
            let (y, c) = split_luma_chroma(rgb);
            let back = combine(y, c);
            for i in 0..3 {
                assert!(
                    (back[i] - rgb[i]).abs() <= 1e-5 * rgb[i].abs().max(1.0),
                    "{rgb:?} → {back:?}"
                );
            }
        }
    }

    #[test]
    fn greys_have_no_chroma_and_luma_is_the_srgb_code() {
        let (y, c) = split_luma_chroma([0.214_041_14; 3]);
        assert!((y - 0.5).abs() < 1e-6 && c[0].abs() < 1e-7 && c[1].abs() < 1e-7);
    }

    #[test]
    fn source_luma_with_reference_chroma_keeps_the_source_luma() {
        let source = [0.3f32, 0.3, 0.3];
        let reference = [0.5f32, 0.2, 0.1];
        let out = combine(luma(source), split_luma_chroma(reference).1);
        assert!((luma(out) - luma(source)).abs() < 1e-6);
    }
}
