//! Motion models and the 3x3 matrices they produce.
//!
//! Every matrix maps **source pixels to reference pixels** (homogeneous, row-major), with the
//! pixel-centre convention used throughout tinct: integer coordinates are pixel centres, the
//! top-left pixel's centre is (0, 0), x right, y down. There is no half-pixel offset anywhere.
//!
//! The fit updates a model's parameters in *normalised* template coordinates (centred, scaled
//! by half the longer side) so that the homography's quadratic terms stay well conditioned.

use std::fmt;
use std::str::FromStr;

pub type Mat3 = [[f64; 3]; 3];

pub const IDENTITY: Mat3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// How many degrees of freedom the fit has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// Shift only (the linear part stays at its initial value: the size-ratio scale).
    Translation,
    /// Rotation, uniform scale and shift.
    Similarity,
    /// Any linear map plus shift.
    Affine,
    /// Full projective (8 parameters).
    Homography,
}

impl Model {
    pub const ALL: [Model; 4] = [
        Model::Translation,
        Model::Similarity,
        Model::Affine,
        Model::Homography,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Model::Translation => "translation",
            Model::Similarity => "similarity",
            Model::Affine => "affine",
            Model::Homography => "homography",
        }
    }

    pub fn n_params(self) -> usize {
        match self {
            Model::Translation => 2,
            Model::Similarity => 4,
            Model::Affine => 6,
            Model::Homography => 8,
        }
    }

    /// dW/dp at the identity warp for a point (x, y) in normalised coordinates, as the rows
    /// for W_x and W_y. Only the first `n_params()` entries are meaningful.
    #[inline]
    pub fn jacobian(self, x: f32, y: f32) -> ([f32; 8], [f32; 8]) {
        match self {
            Model::Translation => (
                [1.0, 0.0, 0., 0., 0., 0., 0., 0.],
                [0.0, 1.0, 0., 0., 0., 0., 0., 0.],
            ),
            Model::Similarity => (
                [x, -y, 1.0, 0.0, 0., 0., 0., 0.],
                [y, x, 0.0, 1.0, 0., 0., 0., 0.],
            ),
            Model::Affine => (
                [x, y, 1.0, 0.0, 0.0, 0.0, 0., 0.],
                [0.0, 0.0, 0.0, x, y, 1.0, 0., 0.],
            ),
            Model::Homography => (
                [x, y, 1.0, 0.0, 0.0, 0.0, -x * x, -x * y],
                [0.0, 0.0, 0.0, x, y, 1.0, -x * y, -y * y],
            ),
        }
    }

    /// The small warp a parameter vector describes (normalised coordinates).
    pub fn matrix(self, p: &[f64]) -> Mat3 {
        match self {
            Model::Translation => [[1.0, 0.0, p[0]], [0.0, 1.0, p[1]], [0.0, 0.0, 1.0]],
            Model::Similarity => [
                [1.0 + p[0], -p[1], p[2]],
                [p[1], 1.0 + p[0], p[3]],
                [0.0, 0.0, 1.0],
            ],
            Model::Affine => [
                [1.0 + p[0], p[1], p[2]],
                [p[3], 1.0 + p[4], p[5]],
                [0.0, 0.0, 1.0],
            ],
            Model::Homography => [
                [1.0 + p[0], p[1], p[2]],
                [p[3], 1.0 + p[4], p[5]],
                [p[6], p[7], 1.0],
            ],
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown motion model '{0}' (translation, similarity, affine, homography)")]
pub struct UnknownModel(pub String);

impl FromStr for Model {
    type Err = UnknownModel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s2 = s.trim().to_ascii_lowercase();
        Model::ALL
            .into_iter()
            .find(|m| m.id() == s2)
            .ok_or_else(|| UnknownModel(s.to_owned()))
    }
}

pub fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

/// Inverse (None when singular).
pub fn inverse(m: &Mat3) -> Option<Mat3> {
    let c =
        |r0: usize, r1: usize, c0: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    let det = m[0][0] * c(1, 2, 1, 2) - m[0][1] * c(1, 2, 0, 2) + m[0][2] * c(1, 2, 0, 1);
    if !det.is_finite() || det.abs() < 1e-18 {
        return None;
    }
    let adj = [
        [c(1, 2, 1, 2), -c(0, 2, 1, 2), c(0, 1, 1, 2)],
        [-c(1, 2, 0, 2), c(0, 2, 0, 2), -c(0, 1, 0, 2)],
        [c(1, 2, 0, 1), -c(0, 2, 0, 1), c(0, 1, 0, 1)],
    ];
    Some(adj.map(|r| r.map(|v| v / det)))
}

/// Apply to a point (with the perspective divide).
#[inline]
pub fn apply(m: &Mat3, x: f64, y: f64) -> (f64, f64) {
    let w = m[2][0] * x + m[2][1] * y + m[2][2];
    (
        (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
        (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
    )
}

/// Scale both axes by `s` about the origin and shift: the matrix of `x -> s*x + (tx, ty)`.
pub fn scale_translate(s: f64, tx: f64, ty: f64) -> Mat3 {
    [[s, 0.0, tx], [0.0, s, ty], [0.0, 0.0, 1.0]]
}

/// Normalise so that m[2][2] == 1 (when possible).
pub fn normalised(m: &Mat3) -> Mat3 {
    let d = m[2][2];
    if d.abs() < 1e-12 {
        *m
    } else {
        m.map(|r| r.map(|v| v / d))
    }
}

/// Re-express a pixel-space matrix at pyramid level `level` (both images decimated by
/// 2^level, taking every other sample: level pixel i sits at level-0 coordinate 2^level * i).
pub fn to_level(m: &Mat3, level: usize) -> Mat3 {
    let f = (1u64 << level) as f64;
    let up = scale_translate(f, 0.0, 0.0);
    let down = scale_translate(1.0 / f, 0.0, 0.0);
    normalised(&mul(&down, &mul(m, &up)))
}

/// The inverse of [`to_level`].
pub fn from_level(m: &Mat3, level: usize) -> Mat3 {
    let f = (1u64 << level) as f64;
    let up = scale_translate(f, 0.0, 0.0);
    let down = scale_translate(1.0 / f, 0.0, 0.0);
    normalised(&mul(&up, &mul(m, &down)))
}

/// Where a reference of `ref_size` most plausibly sits on a source of `src_size` before any fit:
/// uniform scale from the size ratio (the mean of the width and height ratios, so a different
/// aspect still starts close) and the centres on top of each other.
pub fn initial(src_size: (usize, usize), ref_size: (usize, usize)) -> Mat3 {
    let (sw, sh) = (src_size.0.max(1) as f64, src_size.1.max(1) as f64);
    let (rw, rh) = (ref_size.0.max(1) as f64, ref_size.1.max(1) as f64);
    let s = 0.5 * (rw / sw + rh / sh);
    let (scx, scy) = ((sw - 1.0) / 2.0, (sh - 1.0) / 2.0);
    let (rcx, rcy) = ((rw - 1.0) / 2.0, (rh - 1.0) / 2.0);
    scale_translate(s, rcx - s * scx, rcy - s * scy)
}

/// A Nuke-Transform-like move of the image (translate, rotate in degrees counter-clockwise on
/// screen, uniform scale) about `centre`, as a matrix acting on positions.
pub fn transform_about(
    centre: (f64, f64),
    translate: [f64; 2],
    rotate_deg: f64,
    scale: f64,
) -> Mat3 {
    // Screen y points down, so a counter-clockwise turn on screen is a negative angle here.
    let a = -rotate_deg.to_radians();
    let (c, s) = (a.cos() * scale, a.sin() * scale);
    let (cx, cy) = centre;
    [
        [c, -s, cx - c * cx + s * cy + translate[0]],
        [s, c, cy - s * cx - c * cy + translate[1]],
        [0.0, 0.0, 1.0],
    ]
}

/// Root-mean-square distance, in source pixels, between where two source->reference matrices
/// put the four corners of a `w` x `h` source (measured back in the source through `truth`).
pub fn rms_corner_error(fit: &Mat3, truth: &Mat3, w: usize, h: usize) -> f64 {
    let Some(back) = inverse(truth) else {
        return f64::INFINITY;
    };
    let corners = [
        (0.0, 0.0),
        (w as f64 - 1.0, 0.0),
        (0.0, h as f64 - 1.0),
        (w as f64 - 1.0, h as f64 - 1.0),
    ];
    let sum: f64 = corners
        .iter()
        .map(|&(x, y)| {
            let (rx, ry) = apply(fit, x, y);
            let (bx, by) = apply(&back, rx, ry);
            (bx - x).powi(2) + (by - y).powi(2)
        })
        .sum();
    (sum / 4.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_round_trips() {
        let m = [[1.1, 0.2, 5.0], [-0.1, 0.9, -3.0], [1e-4, -2e-4, 1.0]];
        let p = mul(&m, &inverse(&m).unwrap());
        for i in 0..3 {
            for j in 0..3 {
                assert!((p[i][j] - IDENTITY[i][j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn initial_placement_maps_centre_to_centre() {
        let m = initial((200, 100), (100, 50));
        let (x, y) = apply(&m, 99.5, 49.5);
        assert!(
            (x - 49.5).abs() < 1e-9 && (y - 24.5).abs() < 1e-9,
            "{x} {y}"
        );
    }

    #[test]
    fn levels_round_trip() {
        let m = [[1.1, 0.2, 5.0], [-0.1, 0.9, -3.0], [1e-4, -2e-4, 1.0]];
        let back = from_level(&to_level(&m, 3), 3);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i][j] - m[i][j]).abs() < 1e-12);
            }
        }
        // A pure shift of 8 px is a shift of 1 px three levels down.
        let t = to_level(&scale_translate(1.0, 8.0, -16.0), 3);
        assert_eq!((t[0][2], t[1][2]), (1.0, -2.0));
    }

    #[test]
    fn rotation_about_centre_keeps_centre() {
        let t = transform_about((50.0, 40.0), [0.0, 0.0], 30.0, 1.2);
        let (x, y) = apply(&t, 50.0, 40.0);
        assert!((x - 50.0).abs() < 1e-9 && (y - 40.0).abs() < 1e-9);
    }
}
