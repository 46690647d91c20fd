//! Fitting a 3D LUT to colour pairs by regularised least squares.
//!
//! The LUT is written as `prior + residual`: the prior is a smooth global grade (the
//! root-polynomial fit) sampled at the nodes, the residual is solved for. Minimised:
//!
//! ```text
//!   Σ_samples |trilinear(residual)(x) − (y − trilinear(prior)(x))|²
//! + λ Σ_axis-neighbours |residual_i − residual_j|²      (smoothness)
//! + μ Σ_nodes |residual_i|²                              (stay near the prior where no data)
//! ```
//!
//! so colours the dataset never shows follow the global grade instead of snapping to black or to
//! identity. The normal equations are sparse (each node couples to its 27 neighbours); they are
//! accumulated in parallel and solved by Jacobi-preconditioned conjugate gradients.

use super::Lut3d;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug)]
pub struct LutFitParams {
    pub size: usize,
    /// λ relative to the average number of samples per node.
    pub smoothness: f64,
    /// μ relative to the average number of samples per node.
    pub prior_weight: f64,
    pub max_iterations: usize,
}

impl Default for LutFitParams {
    fn default() -> Self {
        Self {
            size: 33,
            smoothness: 0.05,
            prior_weight: 1e-3,
            max_iterations: 2000,
        }
    }
}

/// Offsets of a node's 27 neighbours (including itself), index = (dr+1) + 3(dg+1) + 9(db+1).
fn offset_index(dr: isize, dg: isize, db: isize) -> usize {
    ((dr + 1) + 3 * (dg + 1) + 9 * (db + 1)) as usize
}

/// Parts the normal equations are accumulated in (each holds a full `Normal`, 27 couplings per
/// node: 8 × 7.8 MB at 33³), fixed so the sum's order never changes.
const ACCUMULATION_PARTS: usize = 8;
/// Elements per block of [`dot`].
const DOT_BLOCK: usize = 4096;

struct Normal {
    /// `h[node * 27 + k]`: coupling of `node` with its neighbour `k`.
    h: Vec<f64>,
    rhs: Vec<[f64; 3]>,
}

impl Normal {
    fn zeros(nodes: usize) -> Self {
        Normal {
            h: vec![0.0; nodes * 27],
            rhs: vec![[0.0; 3]; nodes],
        }
    }

    fn add(mut self, o: Normal) -> Self {
        self.h.iter_mut().zip(&o.h).for_each(|(a, b)| *a += b);
        for (a, b) in self.rhs.iter_mut().zip(&o.rhs) {
            for c in 0..3 {
                a[c] += b[c];
            }
        }
        self
    }
}

/// Node coordinates from a flat index.
fn coords(i: usize, n: usize) -> [isize; 3] {
    [
        (i % n) as isize,
        ((i / n) % n) as isize,
        (i / (n * n)) as isize,
    ]
}

/// Fit a LUT mapping `src` → `dst` (both already in the LUT's encoding, 0..1), around `prior`.
pub fn fit(src: &[[f32; 3]], dst: &[[f32; 3]], prior: &Lut3d, p: &LutFitParams) -> Lut3d {
    assert_eq!(src.len(), dst.len());
    assert_eq!(prior.size, p.size, "prior LUT must have the fitted size");
    let n = p.size;
    let nodes = n * n * n;

    // 1. Accumulate the data term's normal equations: over a fixed number of contiguous
    // parts in parallel, then added in part order. Rayon's own fold/reduce splits by work
    // stealing, so its float sums (and the LUT, and every rendered frame) would differ from
    // run to run; a farm renders a reel in chunks that each fit the grade and must agree bit
    // for bit with a single-machine render.
    let part_len = src.len().div_ceil(ACCUMULATION_PARTS).max(1);
    let partials: Vec<Normal> = src
        .par_chunks(part_len)
        .zip(dst.par_chunks(part_len))
        .map(|(xs, ys)| {
            let mut acc = Normal::zeros(nodes);
            for (x, y) in xs.iter().zip(ys) {
                let (idx, w) = prior.corners(*x);
                let base = prior.apply(*x);
                let t = [y[0] - base[0], y[1] - base[1], y[2] - base[2]];
                for a in 0..8 {
                    let ca = coords(idx[a], n);
                    let wa = w[a] as f64;
                    if wa == 0.0 {
                        continue;
                    }
                    for b in 0..8 {
                        let cb = coords(idx[b], n);
                        let k = offset_index(cb[0] - ca[0], cb[1] - ca[1], cb[2] - ca[2]);
                        acc.h[idx[a] * 27 + k] += wa * w[b] as f64;
                    }
                    for c in 0..3 {
                        acc.rhs[idx[a]][c] += wa * t[c] as f64;
                    }
                }
            }
            acc
        })
        .collect();
    let normal = partials
        .into_iter()
        .reduce(Normal::add)
        .unwrap_or_else(|| Normal::zeros(nodes));

    // 2. Regularisers, scaled to the data's mass so λ means the same for 1 or 10 frames.
    let mass = (src.len() as f64 / nodes as f64).max(1.0);
    let lambda = p.smoothness * mass;
    let mu = p.prior_weight * mass;
    let mut h = normal.h;
    for i in 0..nodes {
        let c = coords(i, n);
        h[i * 27 + offset_index(0, 0, 0)] += mu;
        for axis in 0..3 {
            for dir in [-1isize, 1] {
                let mut q = c;
                q[axis] += dir;
                if (0..n as isize).contains(&q[axis]) {
                    let mut d = [0isize; 3];
                    d[axis] = dir;
                    h[i * 27 + offset_index(0, 0, 0)] += lambda;
                    h[i * 27 + offset_index(d[0], d[1], d[2])] -= lambda;
                }
            }
        }
    }

    // 3. Conjugate gradients per channel.
    let matvec = |x: &[f64], y: &mut [f64]| {
        y.par_iter_mut().enumerate().for_each(|(i, yi)| {
            let c = coords(i, n);
            let mut s = 0.0;
            for k in 0..27 {
                let hk = h[i * 27 + k];
                if hk == 0.0 {
                    continue;
                }
                let d = [
                    (k % 3) as isize - 1,
                    ((k / 3) % 3) as isize - 1,
                    (k / 9) as isize - 1,
                ];
                let q = [c[0] + d[0], c[1] + d[1], c[2] + d[2]];
                if q.iter().all(|&v| (0..n as isize).contains(&v)) {
                    s += hk * x[q[0] as usize + n * (q[1] as usize + n * q[2] as usize)];
                }
            }
            *yi = s;
        });
    };
    let diag: Vec<f64> = (0..nodes)
        .map(|i| h[i * 27 + offset_index(0, 0, 0)].max(1e-12))
        .collect();
    let mut out = prior.clone();
    for ch in 0..3 {
        let b: Vec<f64> = normal.rhs.iter().map(|r| r[ch]).collect();
        let x = conjugate_gradient(&matvec, &b, &diag, p.max_iterations, 1e-8);
        for (o, r) in out.data.iter_mut().zip(&x) {
            o[ch] += *r as f32;
        }
    }
    out
}

/// A dot product whose result does not depend on the thread count or on scheduling: fixed
/// blocks summed in parallel, the block sums added in order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let partials: Vec<f64> = a
        .par_chunks(DOT_BLOCK)
        .zip(b.par_chunks(DOT_BLOCK))
        .map(|(x, y)| x.iter().zip(y).map(|(x, y)| x * y).sum::<f64>())
        .collect();
    partials.iter().sum()
}

/// Jacobi-preconditioned CG for a symmetric positive definite system given by `matvec`.
fn conjugate_gradient(
    matvec: &dyn Fn(&[f64], &mut [f64]),
    b: &[f64],
    diag: &[f64],
    max_iter: usize,
    rel_tol: f64,
) -> Vec<f64> {
    let n = b.len();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut z: Vec<f64> = r.iter().zip(diag).map(|(r, d)| r / d).collect();
    let mut p = z.clone();
    let mut ap = vec![0.0; n];
    let mut rz = dot(&r, &z);
    let b_norm = dot(b, b).sqrt().max(1e-30);
    for _ in 0..max_iter {
        if dot(&r, &r).sqrt() <= rel_tol * b_norm {
            break;
        }
        matvec(&p, &mut ap);
        let pap = dot(&p, &ap);
        if pap <= 0.0 {
            break;
        }
        let alpha = rz / pap;
        x.iter_mut().zip(&p).for_each(|(x, p)| *x += alpha * p);
        r.iter_mut().zip(&ap).for_each(|(r, ap)| *r -= alpha * ap);
        z.iter_mut()
            .zip(r.iter().zip(diag))
            .for_each(|(z, (r, d))| *z = r / d);
        let rz_new = dot(&r, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        p.iter_mut().zip(&z).for_each(|(p, z)| *p = z + beta * *p);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth non-linear grade a colourist might dial in.
    fn grade(p: [f32; 3]) -> [f32; 3] {
        [
            (p[0] * 0.9 + 0.05).powf(1.1),
            p[1] * p[1] * 0.3 + p[1] * 0.7,
            (p[2] * 1.1 - 0.05 * p[0]).clamp(0.0, 1.0),
        ]
    }

    fn dense_samples() -> (Vec<[f32; 3]>, Vec<[f32; 3]>) {
        let mut s = Vec::new();
        let k = 40;
        for b in 0..k {
            for g in 0..k {
                for r in 0..k {
                    s.push([
                        r as f32 / (k - 1) as f32,
                        g as f32 / (k - 1) as f32,
                        b as f32 / (k - 1) as f32,
                    ]);
                }
            }
        }
        let d = s.iter().map(|&p| grade(p)).collect();
        (s, d)
    }

    #[test]
    fn recovers_a_smooth_grade_from_dense_samples() {
        let (s, d) = dense_samples();
        let p = LutFitParams {
            size: 17,
            smoothness: 1e-4,
            ..Default::default()
        };
        let lut = fit(&s, &d, &Lut3d::identity(17), &p);
        let mut worst = 0f32;
        for q in [
            [0.2, 0.4, 0.6],
            [0.9, 0.1, 0.3],
            [0.5, 0.5, 0.5],
            [0.05, 0.95, 0.7],
        ] {
            let (a, b) = (lut.apply(q), grade(q));
            worst = worst.max((0..3).map(|c| (a[c] - b[c]).abs()).fold(0.0, f32::max));
        }
        assert!(worst < 5e-3, "worst error {worst}");
    }

    #[test]
    fn colours_without_data_follow_the_prior() {
        // Only dark greys are observed; a bright saturated colour must come from the prior.
        let s: Vec<[f32; 3]> = (0..200).map(|i| [i as f32 / 1000.0; 3]).collect();
        let d = s.clone();
        let mut prior = Lut3d::identity(9);
        for v in &mut prior.data {
            v[2] *= 0.5;
        }
        let lut = fit(
            &s,
            &d,
            &prior,
            &LutFitParams {
                size: 9,
                ..Default::default()
            },
        );
        let far = lut.apply([1.0, 0.0, 1.0]);
        assert!((far[2] - 0.5).abs() < 0.05, "{far:?}");
    }

    #[test]
    fn the_fit_is_the_same_bits_on_any_number_of_threads() {
        // A farm chunk fits on its own node; its frames must equal a single-machine render's.
        let (s, d) = dense_samples();
        let p = LutFitParams {
            size: 17,
            ..Default::default()
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| fit(&s, &d, &Lut3d::identity(17), &p))
        };
        let one = on(1);
        for threads in [2, 3, 5] {
            assert!(
                one.data == on(threads).data,
                "{threads} threads fit a different LUT"
            );
        }
    }
}
