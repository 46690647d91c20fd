//! 3x3 matrices in f64: RGB→XYZ from chromaticities and the Bradford chromatic adaptation.

use super::primaries::{Chromaticities, Xy};

/// A row-major 3x3 matrix acting on column vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mat3(pub [[f64; 3]; 3]);

impl Mat3 {
    pub const IDENTITY: Mat3 = Mat3([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);

    /// `self * v`.
    #[inline]
    pub fn apply(&self, v: [f64; 3]) -> [f64; 3] {
        let m = &self.0;
        [
            m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
        ]
    }

    /// `self * rhs` (apply `rhs` first, then `self`).
    pub fn mul(&self, rhs: &Mat3) -> Mat3 {
        let (a, b) = (&self.0, &rhs.0);
        let mut out = [[0.0; 3]; 3];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().enumerate() {
                *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
            }
        }
        Mat3(out)
    }

    pub fn determinant(&self) -> f64 {
        let m = &self.0;
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// The inverse; panics on a singular matrix, which for colourspace matrices means the
    /// primaries were collinear (a programming error in the tables, not a runtime condition).
    pub fn inverse(&self) -> Mat3 {
        let m = &self.0;
        let det = self.determinant();
        assert!(det.abs() > 1e-12, "singular colour matrix {m:?}");
        let c = |r0: usize, c0: usize, r1: usize, c1: usize| {
            m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        };
        let adj = [
            [c(1, 1, 2, 2), -c(0, 1, 2, 2), c(0, 1, 1, 2)],
            [-c(1, 0, 2, 2), c(0, 0, 2, 2), -c(0, 0, 1, 2)],
            [c(1, 0, 2, 1), -c(0, 0, 2, 1), c(0, 0, 1, 1)],
        ];
        Mat3(adj.map(|row| row.map(|v| v / det)))
    }

    /// Largest absolute element-wise difference, for tests and tolerances.
    pub fn max_abs_diff(&self, other: &Mat3) -> f64 {
        let mut d: f64 = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                d = d.max((self.0[i][j] - other.0[i][j]).abs());
            }
        }
        d
    }
}

/// XYZ of a chromaticity at luminance Y = 1.
pub fn xy_to_xyz(xy: Xy) -> [f64; 3] {
    let [x, y] = xy;
    [x / y, 1.0, (1.0 - x - y) / y]
}

/// The normalised primary matrix (SMPTE RP 177): linear RGB → XYZ, with RGB (1,1,1) mapping to the
/// white point at Y = 1.
pub fn rgb_to_xyz(c: &Chromaticities) -> Mat3 {
    let [r, g, b] = [xy_to_xyz(c.red), xy_to_xyz(c.green), xy_to_xyz(c.blue)];
    let p = Mat3([[r[0], g[0], b[0]], [r[1], g[1], b[1]], [r[2], g[2], b[2]]]);
    let s = p.inverse().apply(xy_to_xyz(c.white));
    Mat3(p.0.map(|row| [row[0] * s[0], row[1] * s[1], row[2] * s[2]]))
}

/// The Bradford cone-response matrix (Lam 1985, as used by ICC and ACES).
const BRADFORD: Mat3 = Mat3([
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
]);

/// XYZ under `from` white → XYZ under `to` white (von Kries scaling in Bradford cone space).
pub fn bradford(from: Xy, to: Xy) -> Mat3 {
    if from == to {
        return Mat3::IDENTITY;
    }
    let src = BRADFORD.apply(xy_to_xyz(from));
    let dst = BRADFORD.apply(xy_to_xyz(to));
    let scale = Mat3([
        [dst[0] / src[0], 0.0, 0.0],
        [0.0, dst[1] / src[1], 0.0],
        [0.0, 0.0, dst[2] / src[2]],
    ]);
    BRADFORD.inverse().mul(&scale).mul(&BRADFORD)
}

/// Linear RGB in `from` → linear RGB in `to`, adapting the white with Bradford where they differ.
pub fn rgb_to_rgb(from: &Chromaticities, to: &Chromaticities) -> Mat3 {
    if from == to {
        return Mat3::IDENTITY;
    }
    rgb_to_xyz(to)
        .inverse()
        .mul(&bradford(from.white, to.white))
        .mul(&rgb_to_xyz(from))
}
