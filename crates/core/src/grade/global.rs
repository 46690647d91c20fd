//! Global fits in scene-linear Rec.709: a 3x3 matrix and a degree-2 root-polynomial
//! (Finlayson, Mackiewicz & Hurlbert 2015), both by ordinary least squares.

use super::Samples;

/// `out = M · rgb`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Matrix3(pub [[f32; 3]; 3]);

/// `out_c = Σ_k w[c][k] · term_k(rgb)` with terms r, g, b, √(rg), √(gb), √(rb): exposure-invariant.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RootPoly(pub [[f32; 6]; 3]);

fn root_terms(p: [f32; 3]) -> [f64; 6] {
    let [r, g, b] = p.map(|v| v.max(0.0) as f64);
    [r, g, b, (r * g).sqrt(), (g * b).sqrt(), (r * b).sqrt()]
}

/// Least squares with `N` terms per sample; a tiny ridge keeps degenerate data (a monochrome
/// source has r = g = b) solvable instead of singular.
pub(crate) fn least_squares<const N: usize>(
    s: &Samples,
    terms: impl Fn([f32; 3]) -> [f64; N],
) -> [[f32; N]; 3] {
    let mut ata = vec![0f64; N * N];
    let mut atb = [[0f64; N]; 3];
    for (x, y) in s.src.iter().zip(&s.dst) {
        let t = terms(*x);
        for i in 0..N {
            for j in 0..N {
                ata[i * N + j] += t[i] * t[j];
            }
            for c in 0..3 {
                atb[c][i] += t[i] * y[c] as f64;
            }
        }
    }
    let trace: f64 = (0..N).map(|i| ata[i * N + i]).sum::<f64>().max(1e-12);
    for i in 0..N {
        ata[i * N + i] += trace * 1e-6;
    }
    std::array::from_fn(|c| {
        let w = solve(N, ata.clone(), atb[c].to_vec());
        std::array::from_fn(|i| w[i] as f32)
    })
}

/// Gaussian elimination with partial pivoting on a small dense system.
pub(crate) fn solve(n: usize, mut a: Vec<f64>, mut b: Vec<f64>) -> Vec<f64> {
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
            .unwrap();
        if piv != col {
            for k in 0..n {
                a.swap(col * n + k, piv * n + k);
            }
            b.swap(col, piv);
        }
        let d = a[col * n + col];
        if d.abs() < 1e-300 {
            continue;
        }
        for row in col + 1..n {
            let f = a[row * n + col] / d;
            for k in col..n {
                a[row * n + k] -= f * a[col * n + k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0f64; n];
    for row in (0..n).rev() {
        let mut s = b[row];
        for k in row + 1..n {
            s -= a[row * n + k] * x[k];
        }
        let d = a[row * n + row];
        x[row] = if d.abs() < 1e-300 { 0.0 } else { s / d };
    }
    x
}

impl Matrix3 {
    pub fn fit(s: &Samples) -> Matrix3 {
        Matrix3(least_squares::<3>(s, |p| p.map(f64::from)))
    }

    pub fn apply(&self, p: [f32; 3]) -> [f32; 3] {
        std::array::from_fn(|c| (0..3).map(|k| self.0[c][k] * p[k]).sum())
    }
}

impl RootPoly {
    pub fn fit(s: &Samples) -> RootPoly {
        RootPoly(least_squares::<6>(s, root_terms))
    }

    pub fn apply(&self, p: [f32; 3]) -> [f32; 3] {
        let t = root_terms(p);
        std::array::from_fn(|c| (0..6).map(|k| self.0[c][k] as f64 * t[k]).sum::<f64>() as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(f: impl Fn([f32; 3]) -> [f32; 3]) -> Samples {
        let mut s = Samples::default();
        for i in 0..500 {
            let p = [
                ((i * 37) % 101) as f32 / 100.0,
                ((i * 53) % 97) as f32 / 96.0,
                ((i * 11) % 89) as f32 / 88.0,
            ];
            s.src.push(p);
            s.dst.push(f(p));
        }
        s
    }

    #[test]
    fn matrix_fit_recovers_a_known_matrix() {
        let m = [[0.9, 0.2, -0.1], [0.05, 1.1, 0.0], [0.0, -0.2, 1.3]];
        let truth = Matrix3(m);
        let fit = Matrix3::fit(&samples(|p| truth.apply(p)));
        for c in 0..3 {
            for k in 0..3 {
                assert!((fit.0[c][k] - m[c][k]).abs() < 1e-3, "{:?}", fit.0);
            }
        }
    }

    #[test]
    fn root_poly_is_exposure_invariant() {
        let truth = |p: [f32; 3]| [p[0] * 0.8 + (p[1] * p[2]).sqrt() * 0.2, p[1], p[2] * 1.2];
        let fit = RootPoly::fit(&samples(truth));
        let p = [0.3, 0.5, 0.2];
        let (a, b) = (fit.apply(p), fit.apply(p.map(|v| v * 4.0)));
        for c in 0..3 {
            assert!((a[c] * 4.0 - b[c]).abs() < 1e-4);
            assert!((a[c] - truth(p)[c]).abs() < 1e-3);
        }
    }
}
