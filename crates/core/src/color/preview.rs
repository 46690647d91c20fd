//! Fast 8-bit sRGB encoding of linear images for previews and contact sheets.

use super::transfer::Transfer;
use crate::media::Image;
use rayon::prelude::*;
use std::sync::LazyLock;

/// Linear [0, 1] sampled at 2^16 steps → sRGB code. Fine enough that the result differs from the
/// exact rounding by at most one code value (only right at rounding boundaries).
const LUT_STEPS: usize = 1 << 16;
static LUT: LazyLock<Vec<u8>> = LazyLock::new(|| {
    (0..=LUT_STEPS)
        .map(|i| (Transfer::Srgb.encode(i as f32 / LUT_STEPS as f32) * 255.0).round() as u8)
        .collect()
});

/// One linear value → 8-bit sRGB (clipped to 0..255; NaN → 0).
#[inline]
pub fn srgb_u8_value(v: f32) -> u8 {
    // `as usize` saturates and maps NaN to 0, so no branch is needed for odd input.
    LUT[((v * LUT_STEPS as f32 + 0.5) as usize).min(LUT_STEPS)]
}

/// A linear Rec.709 image → interleaved 8-bit sRGB RGB (alpha dropped, luma replicated).
pub fn srgb_u8(img: &Image) -> Vec<u8> {
    let ch = img.channels;
    let mut out = vec![0u8; img.pixel_count() * 3];
    out.par_chunks_mut(3 * 4096)
        .enumerate()
        .for_each(|(chunk, dst)| {
            for (j, px) in dst.chunks_exact_mut(3).enumerate() {
                let rgb = super::metrics::rgb_at(&img.data, ch, chunk * 4096 + j);
                for c in 0..3 {
                    px[c] = srgb_u8_value(rgb[c]);
                }
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lut_matches_exact_encoding_within_one_code() {
        for i in 0..=10_000 {
            let v = i as f32 / 10_000.0;
            let exact = (Transfer::Srgb.encode(v) * 255.0).round() as i32;
            assert!((i32::from(srgb_u8_value(v)) - exact).abs() <= 1, "{v}");
        }
        assert_eq!(srgb_u8_value(0.215_860_5), 128); // 8-bit 128 decoded
        assert_eq!(
            (
                srgb_u8_value(-1.0),
                srgb_u8_value(7.0),
                srgb_u8_value(f32::NAN)
            ),
            (0, 255, 0)
        );
    }

    #[test]
    fn image_encoding_replicates_luma_and_drops_alpha() {
        let img = Image::from_vec(
            2,
            1,
            4,
            vec![1.0, 0.0, 0.215_860_5, 0.5, 0.0, 1.0, 0.0, 1.0],
        );
        assert_eq!(srgb_u8(&img), vec![255, 0, 128, 0, 255, 0]);
        let luma = Image::from_vec(1, 1, 1, vec![1.0]);
        assert_eq!(srgb_u8(&luma), vec![255, 255, 255]);
    }
}
