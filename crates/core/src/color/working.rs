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
    let [y, cb, cr] = rgb_to_ycbcr(rgb_linear);
    (y, [cb, cr])
}

/// (Y', [Cb, Cr]) → linear Rec.709 RGB; the inverse of [`split_luma_chroma`].
#[inline]
pub fn combine(luma: f32, chroma: [f32; 2]) -> [f32; 3] {
    ycbcr_to_rgb([luma, chroma[0], chroma[1]])
}

/// Y' of a linear Rec.709 pixel in the working space.
#[inline]
pub fn luma(rgb_linear: [f32; 3]) -> f32 {
    split_luma_chroma(rgb_linear).0
}

// The BT.709 weights as constants, for the tensor code in the ml crate (`space`), which has to
// repeat the matrix on tensors; the scalar functions below use `ycbcr::REC709` itself.
pub const KR: f32 = ycbcr::REC709.kr;
pub const KB: f32 = ycbcr::REC709.kb;
pub const KG: f32 = 1.0 - KR - KB;
pub const CB_SCALE: f32 = 2.0 * (1.0 - KB);
pub const CR_SCALE: f32 = 2.0 * (1.0 - KR);

/// sRGB OETF, odd-extended.
#[inline]
pub fn encode(l: f32) -> f32 {
    Transfer::Srgb.encode(l)
}

/// Inverse of [`encode`].
#[inline]
pub fn decode(e: f32) -> f32 {
    Transfer::Srgb.decode(e)
}

/// Linear Rec.709 RGB → Y'CbCr.
#[inline]
pub fn rgb_to_ycbcr(rgb: [f32; 3]) -> [f32; 3] {
    encoded_to_ycbcr(rgb.map(encode))
}

/// sRGB-encoded R'G'B' → Y'CbCr (the matrix step alone).
#[inline]
pub fn encoded_to_ycbcr(rgb: [f32; 3]) -> [f32; 3] {
    ycbcr::REC709.rgb_to_ycbcr(rgb)
}

/// Y'CbCr → linear Rec.709 RGB.
#[inline]
pub fn ycbcr_to_rgb(ycc: [f32; 3]) -> [f32; 3] {
    ycbcr::REC709.ycbcr_to_rgb(ycc).map(decode)
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
