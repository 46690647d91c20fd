//! Plane transforms between pixel grids, as 3x3 row-major matrices acting on (x, y, 1).
//!
//! Coordinates are pixel indices with pixel centres on integers (the OpenCV convention, and the
//! one `pipeline/02_alignment/manifest.json` uses for its `matrix`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Matrix3(pub [[f64; 3]; 3]);

impl Matrix3 {
    pub const IDENTITY: Matrix3 = Matrix3([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);

    pub fn translate(dx: f64, dy: f64) -> Self {
        Matrix3([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
    }

    pub fn scale(sx: f64, sy: f64) -> Self {
        Matrix3([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])
    }

    /// Counter-clockwise on screen is negative here: y points down, as in images.
    pub fn rotate_deg(deg: f64) -> Self {
        let (s, c) = deg.to_radians().sin_cos();
        Matrix3([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    }

    /// `self` after `first`: (self * first)(p) = self(first(p)).
    pub fn after(&self, first: &Matrix3) -> Matrix3 {
        let (a, b) = (&self.0, &first.0);
        Matrix3(std::array::from_fn(|i| {
            std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum())
        }))
    }

    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[2][0] * x + m[2][1] * y + m[2][2];
        (
            (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
        )
    }

    /// The inverse (adjugate / determinant); `None` for a degenerate matrix.
    pub fn inverse(&self) -> Option<Matrix3> {
        let m = &self.0;
        let cof = |r0: usize, r1: usize, c0: usize, c1: usize| {
            m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        };
        let adj = [
            [cof(1, 2, 1, 2), -cof(0, 2, 1, 2), cof(0, 1, 1, 2)],
            [-cof(1, 2, 0, 2), cof(0, 2, 0, 2), -cof(0, 1, 0, 2)],
            [cof(1, 2, 0, 1), -cof(0, 2, 0, 1), cof(0, 1, 0, 1)],
        ];
        let det = m[0][0] * adj[0][0] + m[0][1] * adj[1][0] + m[0][2] * adj[2][0];
        if det.abs() < 1e-12 {
            return None;
        }
        Some(Matrix3(adj.map(|row| row.map(|v| v / det))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_a_similarity() {
        let m = Matrix3::translate(3.0, -2.0)
            .after(&Matrix3::rotate_deg(0.7))
            .after(&Matrix3::scale(0.6, 0.62));
        let back = m.inverse().unwrap().after(&m);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back.0[i][j] - Matrix3::IDENTITY.0[i][j]).abs() < 1e-12);
            }
        }
        let (x, y) = m.apply(10.0, 20.0);
        let (bx, by) = m.inverse().unwrap().apply(x, y);
        assert!((bx - 10.0).abs() < 1e-9 && (by - 20.0).abs() < 1e-9);
    }
}
