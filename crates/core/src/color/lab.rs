//! CIE XYZ and CIELAB (D65 reference white), from and to scene-linear Rec.709.
//!
//! XYZ is normalised so the D65 white has Y = 1; Lab uses that same white, so linear RGB
//! (1, 1, 1) is exactly L* = 100, a* = b* = 0. Values are f64: ΔE2000 is checked to 4 decimals.

use super::matrix::{self, Mat3};
use super::primaries;
use std::sync::LazyLock;

static REC709_TO_XYZ: LazyLock<Mat3> = LazyLock::new(|| matrix::rgb_to_xyz(&primaries::REC709));
static XYZ_TO_REC709: LazyLock<Mat3> = LazyLock::new(|| REC709_TO_XYZ.inverse());
/// The reference white's XYZ (Y = 1).
static WHITE: LazyLock<[f64; 3]> = LazyLock::new(|| REC709_TO_XYZ.apply([1.0; 3]));

/// CIE constants as exact rationals (CIE 15:2004 note), so the two branches meet continuously.
const EPSILON: f64 = 216.0 / 24389.0;
const KAPPA: f64 = 24389.0 / 27.0;

/// Linear Rec.709 → CIE XYZ (D65, Y of white = 1).
#[inline]
pub fn linear_to_xyz(rgb: [f32; 3]) -> [f64; 3] {
    REC709_TO_XYZ.apply(rgb.map(f64::from))
}

/// CIE XYZ (D65) → linear Rec.709.
#[inline]
pub fn xyz_to_linear(xyz: [f64; 3]) -> [f32; 3] {
    XYZ_TO_REC709.apply(xyz).map(|v| v as f32)
}

#[inline]
fn f(t: f64) -> f64 {
    if t > EPSILON {
        t.cbrt()
    } else {
        (KAPPA * t + 16.0) / 116.0
    }
}

#[inline]
fn f_inv(t: f64) -> f64 {
    let t3 = t * t * t;
    if t3 > EPSILON {
        t3
    } else {
        (116.0 * t - 16.0) / KAPPA
    }
}

/// XYZ (D65) → L*a*b*.
#[inline]
pub fn xyz_to_lab(xyz: [f64; 3]) -> [f64; 3] {
    let w = *WHITE;
    let [fx, fy, fz] = [f(xyz[0] / w[0]), f(xyz[1] / w[1]), f(xyz[2] / w[2])];
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// L*a*b* → XYZ (D65).
#[inline]
pub fn lab_to_xyz([l, a, b]: [f64; 3]) -> [f64; 3] {
    let w = *WHITE;
    let fy = (l + 16.0) / 116.0;
    let fx = fy + a / 500.0;
    let fz = fy - b / 200.0;
    let y = if l > KAPPA * EPSILON {
        fy * fy * fy
    } else {
        l / KAPPA
    };
    [w[0] * f_inv(fx), w[1] * y, w[2] * f_inv(fz)]
}

/// Linear Rec.709 → L*a*b* (D65).
#[inline]
pub fn linear_to_lab(rgb: [f32; 3]) -> [f64; 3] {
    xyz_to_lab(linear_to_xyz(rgb))
}

/// L*a*b* (D65) → linear Rec.709.
#[inline]
pub fn lab_to_linear(lab: [f64; 3]) -> [f32; 3] {
    xyz_to_linear(lab_to_xyz(lab))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::{Colorspace, to_linear};

    #[test]
    fn srgb_primaries_have_their_published_lab_values() {
        // sRGB red with the matrix derived from the BT.709 xy primaries and D65 (0.3127, 0.3290).
        let red = linear_to_lab([1.0, 0.0, 0.0]);
        for (g, w) in red.iter().zip([53.2371, 80.0901, 67.2033]) {
            assert!((g - w).abs() < 1e-3, "{red:?}");
        }
        // colour-science 0.4 uses the 4-decimal IEC sRGB matrix: agreement to that rounding.
        let cases = [
            ([1.0, 0.0, 0.0], [53.2329, 80.1112, 67.2237]),
            ([0.0, 1.0, 0.0], [87.7370, -86.1829, 83.1878]),
            ([0.0, 0.0, 1.0], [32.3026, 79.1981, -107.8504]),
        ];
        for (rgb, want) in cases {
            let got = linear_to_lab(rgb);
            for i in 0..3 {
                assert!(
                    (got[i] - want[i]).abs() < 0.05,
                    "{rgb:?}: {got:?} vs {want:?}"
                );
            }
        }
        let grey = linear_to_lab(to_linear(Colorspace::Srgb, [0.5; 3]));
        assert!(
            (grey[0] - 53.3890).abs() < 1e-3 && grey[1].abs() < 1e-9 && grey[2].abs() < 1e-9,
            "{grey:?}"
        );
    }

    #[test]
    fn white_is_l100_and_round_trips() {
        let w = linear_to_lab([1.0; 3]);
        assert!((w[0] - 100.0).abs() < 1e-9 && w[1].abs() < 1e-9 && w[2].abs() < 1e-9);
        for rgb in [[0.5f32, 0.2, 0.1], [0.001, 0.002, 0.0005], [0.9, 0.95, 0.2]] {
            let back = lab_to_linear(linear_to_lab(rgb));
            for i in 0..3 {
                assert!((back[i] - rgb[i]).abs() < 1e-6, "{rgb:?} → {back:?}");
            }
        }
    }
}
