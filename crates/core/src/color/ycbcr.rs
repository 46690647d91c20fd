//! Y'CbCr: a luma/chroma split of RGB with BT.709 or BT.2020 coefficients.
//!
//! The functions are pure matrix algebra on whatever RGB they are given: pass gamma-encoded
//! R'G'B' for the broadcast Y'CbCr, or linear RGB for "constant-luminance-style" linear YCbCr.
//! Ranges are full-range and unscaled: Y in [0, 1], Cb/Cr in [-0.5, 0.5] for RGB in [0, 1].
//! The pipeline's chroma working space (`working.rs`) uses BT.709 on sRGB-encoded values.

/// Luma weights of the red and blue primaries (green is `1 - kr - kb`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LumaCoefficients {
    pub kr: f32,
    pub kb: f32,
}

/// ITU-R BT.709.
pub const REC709: LumaCoefficients = LumaCoefficients {
    kr: 0.2126,
    kb: 0.0722,
};
/// ITU-R BT.2020 (non-constant luminance).
pub const REC2020: LumaCoefficients = LumaCoefficients {
    kr: 0.2627,
    kb: 0.0593,
};

impl LumaCoefficients {
    pub fn kg(self) -> f32 {
        1.0 - self.kr - self.kb
    }

    /// RGB → [Y, Cb, Cr].
    #[inline]
    pub fn rgb_to_ycbcr(self, [r, g, b]: [f32; 3]) -> [f32; 3] {
        let y = self.kr * r + self.kg() * g + self.kb * b;
        [
            y,
            (b - y) / (2.0 * (1.0 - self.kb)),
            (r - y) / (2.0 * (1.0 - self.kr)),
        ]
    }

    /// [Y, Cb, Cr] → RGB, the exact inverse of [`Self::rgb_to_ycbcr`].
    #[inline]
    pub fn ycbcr_to_rgb(self, [y, cb, cr]: [f32; 3]) -> [f32; 3] {
        let r = y + 2.0 * (1.0 - self.kr) * cr;
        let b = y + 2.0 * (1.0 - self.kb) * cb;
        let g = (y - self.kr * r - self.kb * b) / self.kg();
        [r, g, b]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primaries_and_white_land_on_the_published_values() {
        // BT.709 table: white Y=1 with no chroma; red Cr=0.5; blue Cb=0.5.
        let w = REC709.rgb_to_ycbcr([1.0, 1.0, 1.0]);
        assert!((w[0] - 1.0).abs() < 1e-6 && w[1].abs() < 1e-6 && w[2].abs() < 1e-6);
        assert!((REC709.rgb_to_ycbcr([1.0, 0.0, 0.0])[2] - 0.5).abs() < 1e-6);
        assert!((REC2020.rgb_to_ycbcr([0.0, 0.0, 1.0])[1] - 0.5).abs() < 1e-6);
        assert!((REC2020.rgb_to_ycbcr([0.0, 1.0, 0.0])[0] - 0.678).abs() < 1e-6);
    }

    #[test]
    fn round_trips() {
        for k in [REC709, REC2020] {
            for rgb in [[0.2f32, 0.5, 0.9], [1.0, 0.0, 0.3], [-0.1, 1.4, 0.0]] {
                let back = k.ycbcr_to_rgb(k.rgb_to_ycbcr(rgb));
                for c in 0..3 {
                    assert!((back[c] - rgb[c]).abs() < 1e-6, "{k:?} {rgb:?} {back:?}");
                }
            }
        }
    }
}
