//! Coarse-to-fine, inverse-compositional fit of a motion model by maximising the enhanced
//! correlation coefficient (ECC) between source and warped reference.
//!
//! Per pyramid level, per iteration: warp the reference with the current matrix (bilinear),
//! fit the gain and offset that best map it onto the source (that is what makes the score the
//! ECC correlation and what lets fading and grading differences through), then solve the
//! Gauss-Newton step on the *source's* gradients. Those do not change with the warp, so the
//! Hessian is built once per level (inverse compositional, Baker & Matthews 2004) and only the
//! contribution of pixels the reference does not cover is taken back out each iteration. The
//! update is composed as `M <- M * Δ^-1`. The coarsest level first fits a shift alone, which
//! widens the basin of convergence for the richer models.

use super::motion::{self, Mat3, Model};
use super::pyramid::{self, Plane};
use super::warp::bilinear;
use rayon::prelude::*;

#[derive(Clone, Debug)]
pub struct FitParams {
    pub model: Model,
    /// 0 = automatic.
    pub levels: usize,
    pub iterations: usize,
    /// Stop a level once no corner moves further than this (pixels of that level).
    pub epsilon: f64,
    /// Gaussian pre-blur of both level-0 planes (pixels); tames grain and aliasing.
    pub blur_sigma: f32,
}

impl Default for FitParams {
    fn default() -> Self {
        Self {
            model: Model::Similarity,
            levels: 0,
            iterations: 60,
            epsilon: 1e-3,
            blur_sigma: 1.0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Fit {
    /// Source px -> reference px.
    pub matrix: Mat3,
    /// ECC correlation at full resolution (1 = identical up to gain and offset).
    pub confidence: f64,
    /// RMS difference after the gain/offset match, in feature units (encoded luma 0..1).
    pub residual: f64,
    /// Share of source pixels the warped reference covers.
    pub coverage: f64,
    /// Iterations spent per level, coarsest first.
    pub iterations: Vec<usize>,
}

/// How well `image` warped by `m` matches `template`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Score {
    pub correlation: f64,
    pub residual: f64,
    pub coverage: f64,
}

/// Fit `image` (reference features) onto `template` (source features), starting from `init`.
pub fn fit(template: &Plane, image: &Plane, init: &Mat3, p: &FitParams) -> Fit {
    let t0 = pyramid::blur(template, p.blur_sigma);
    let i0 = pyramid::blur(image, p.blur_sigma);
    let levels = if p.levels == 0 {
        pyramid::auto_levels((t0.width, t0.height), (i0.width, i0.height), 64)
    } else {
        p.levels
    };
    let tp = pyramid::build(t0, levels);
    let ip = pyramid::build(i0, levels);
    let mut m = *init;
    let mut iterations = Vec::new();
    for level in (0..levels).rev() {
        let mut ml = motion::to_level(&m, level);
        let mut spent = 0;
        if level == levels - 1 && p.model != Model::Translation {
            spent += fit_level(
                &tp[level],
                &ip[level],
                &mut ml,
                Model::Translation,
                p.iterations,
                p.epsilon,
            );
        }
        spent += fit_level(
            &tp[level],
            &ip[level],
            &mut ml,
            p.model,
            p.iterations,
            p.epsilon,
        );
        m = motion::from_level(&ml, level);
        iterations.push(spent);
    }
    let s = score(&tp[0], &ip[0], &m);
    Fit {
        matrix: m,
        confidence: s.correlation,
        residual: s.residual,
        coverage: s.coverage,
        iterations,
    }
}

/// The ECC score of a given matrix on (unblurred) feature planes, e.g. for a manual override.
pub fn score_planes(template: &Plane, image: &Plane, m: &Mat3, blur_sigma: f32) -> Score {
    score(
        &pyramid::blur(template, blur_sigma),
        &pyramid::blur(image, blur_sigma),
        m,
    )
}

fn score(t: &Plane, i: &Plane, m: &Mat3) -> Score {
    let model = Model::Translation;
    let frame = LevelFrame::new(t);
    let acc = accumulate(t, None, i, m, model, &frame);
    let st = acc.photometric();
    Score {
        correlation: st.rho,
        residual: st.residual,
        coverage: acc.count / ((t.width * t.height) as f64).max(1.0),
    }
}

/// Normalised template coordinates: centred, scaled by half the longer side.
struct LevelFrame {
    cx: f64,
    cy: f64,
    scale: f64,
}

impl LevelFrame {
    fn new(t: &Plane) -> LevelFrame {
        LevelFrame {
            cx: (t.width as f64 - 1.0) / 2.0,
            cy: (t.height as f64 - 1.0) / 2.0,
            scale: (t.width.max(t.height) as f64 / 2.0).max(1.0),
        }
    }

    /// Pixel-space matrix of a warp given in normalised coordinates.
    fn to_pixels(&self, d: &Mat3) -> Mat3 {
        let n = [
            [1.0 / self.scale, 0.0, -self.cx / self.scale],
            [0.0, 1.0 / self.scale, -self.cy / self.scale],
            [0.0, 0.0, 1.0],
        ];
        let n_inv = [
            [self.scale, 0.0, self.cx],
            [0.0, self.scale, self.cy],
            [0.0, 0.0, 1.0],
        ];
        motion::mul(&n_inv, &motion::mul(d, &n))
    }
}

/// Sums gathered over the source pixels in one pass.
#[derive(Clone, Default)]
struct Acc {
    count: f64,
    st: f64,
    si: f64,
    stt: f64,
    sii: f64,
    sti: f64,
    /// Σ g·I, Σ g, Σ g·T over covered pixels.
    g_i: [f64; 8],
    g_1: [f64; 8],
    g_t: [f64; 8],
    /// Σ g gᵀ over pixels *not* covered (taken back out of the full-frame Hessian).
    h_out: [[f64; 8]; 8],
}

impl Acc {
    fn add(&mut self, o: &Acc, n: usize) {
        self.count += o.count;
        self.st += o.st;
        self.si += o.si;
        self.stt += o.stt;
        self.sii += o.sii;
        self.sti += o.sti;
        for k in 0..n {
            self.g_i[k] += o.g_i[k];
            self.g_1[k] += o.g_1[k];
            self.g_t[k] += o.g_t[k];
            for j in 0..n {
                self.h_out[k][j] += o.h_out[k][j];
            }
        }
    }

    fn photometric(&self) -> Photometric {
        let n = self.count.max(1.0);
        let (mt, mi) = (self.st / n, self.si / n);
        let vt = (self.stt / n - mt * mt).max(0.0);
        let vi = (self.sii / n - mi * mi).max(0.0);
        let cov = self.sti / n - mt * mi;
        let rho = if vt > 1e-20 && vi > 1e-20 {
            cov / (vt * vi).sqrt()
        } else {
            0.0
        };
        let gain = if vi > 1e-20 { cov / vi } else { 0.0 };
        let offset = mt - gain * mi;
        let residual = (vt * (1.0 - rho * rho).max(0.0)).sqrt();
        Photometric {
            rho,
            gain,
            offset,
            residual,
        }
    }
}

struct Photometric {
    rho: f64,
    gain: f64,
    offset: f64,
    residual: f64,
}

/// Source gradients of one level, pre-scaled to normalised coordinates.
struct Steepest {
    gx: Plane,
    gy: Plane,
}

/// One pass over the source: warp the reference, gather the photometric sums and (with
/// `grads`) the Gauss-Newton right-hand side and the uncovered pixels' Hessian.
fn accumulate(
    t: &Plane,
    grads: Option<&Steepest>,
    img: &Plane,
    m: &Mat3,
    model: Model,
    frame: &LevelFrame,
) -> Acc {
    let n = model.n_params();
    let (w, h) = (t.width, t.height);
    let (iw, ih) = ((img.width - 1) as f64, (img.height - 1) as f64);
    let mf = m.map(|r| r.map(|v| v as f64));
    let rows: Vec<Acc> = (0..h)
        .into_par_iter()
        .map(|y| {
            let mut a = Acc::default();
            let trow = &t.data[y * w..(y + 1) * w];
            let yn = ((y as f64 - frame.cy) / frame.scale) as f32;
            for (x, &tv) in trow.iter().enumerate() {
                let (xf, yf) = (x as f64, y as f64);
                let den = mf[2][0] * xf + mf[2][1] * yf + mf[2][2];
                let sx = (mf[0][0] * xf + mf[0][1] * yf + mf[0][2]) / den;
                let sy = (mf[1][0] * xf + mf[1][1] * yf + mf[1][2]) / den;
                let inside = sx >= 0.0 && sy >= 0.0 && sx <= iw && sy <= ih;
                let g = grads.map(|s| {
                    let xn = ((x as f64 - frame.cx) / frame.scale) as f32;
                    let (jx, jy) = model.jacobian(xn, yn);
                    let (gx, gy) = (s.gx.data[y * w + x], s.gy.data[y * w + x]);
                    let mut g = [0.0f32; 8];
                    for k in 0..n {
                        g[k] = gx * jx[k] + gy * jy[k];
                    }
                    g
                });
                if inside {
                    let iv = bilinear(img, sx as f32, sy as f32) as f64;
                    let tv = tv as f64;
                    a.count += 1.0;
                    a.st += tv;
                    a.si += iv;
                    a.stt += tv * tv;
                    a.sii += iv * iv;
                    a.sti += tv * iv;
                    if let Some(g) = g {
                        for k in 0..n {
                            let gk = g[k] as f64;
                            a.g_i[k] += gk * iv;
                            a.g_1[k] += gk;
                            a.g_t[k] += gk * tv;
                        }
                    }
                } else if let Some(g) = g {
                    for k in 0..n {
                        for j in k..n {
                            a.h_out[k][j] += (g[k] * g[j]) as f64;
                        }
                    }
                }
            }
            a
        })
        .collect();
    let mut total = Acc::default();
    for r in &rows {
        total.add(r, n);
    }
    total
}

/// Iterate one level; returns the iterations spent.
fn fit_level(
    t: &Plane,
    img: &Plane,
    m: &mut Mat3,
    model: Model,
    max_iter: usize,
    eps: f64,
) -> usize {
    let n = model.n_params();
    let frame = LevelFrame::new(t);
    let (gx, gy) = pyramid::gradients(t);
    // d/d(normalised coordinate) = scale * d/d(pixel).
    let sc = frame.scale as f32;
    let steep = Steepest {
        gx: Plane {
            data: gx.data.iter().map(|v| v * sc).collect(),
            ..gx
        },
        gy: Plane {
            data: gy.data.iter().map(|v| v * sc).collect(),
            ..gy
        },
    };
    let h_full = full_hessian(&steep, model, &frame);
    let corners = [
        (0.0, 0.0),
        (t.width as f64 - 1.0, 0.0),
        (0.0, t.height as f64 - 1.0),
        (t.width as f64 - 1.0, t.height as f64 - 1.0),
    ];
    for it in 0..max_iter {
        let acc = accumulate(t, Some(&steep), img, m, model, &frame);
        if acc.count < (4 * n) as f64 {
            return it;
        }
        let ph = acc.photometric();
        let mut hess = [[0.0f64; 8]; 8];
        let mut rhs = [0.0f64; 8];
        for k in 0..n {
            for j in k..n {
                let v = h_full[k][j] - acc.h_out[k][j];
                hess[k][j] = v;
                hess[j][k] = v;
            }
            // Σ g (gain·I + offset − T) over covered pixels.
            rhs[k] = ph.gain * acc.g_i[k] + ph.offset * acc.g_1[k] - acc.g_t[k];
        }
        let Some(dp) = solve(&hess, &rhs, n) else {
            return it;
        };
        let delta = frame.to_pixels(&model.matrix(&dp));
        let Some(delta_inv) = motion::inverse(&delta) else {
            return it;
        };
        *m = motion::normalised(&motion::mul(m, &delta_inv));
        let moved = corners
            .iter()
            .map(|&(x, y)| {
                let (u, v) = motion::apply(&delta, x, y);
                (u - x).hypot(v - y)
            })
            .fold(0.0, f64::max);
        if !moved.is_finite() {
            return it + 1;
        }
        if moved < eps {
            return it + 1;
        }
    }
    max_iter
}

/// Σ g gᵀ over every source pixel (upper triangle filled, then mirrored by the caller).
fn full_hessian(s: &Steepest, model: Model, frame: &LevelFrame) -> [[f64; 8]; 8] {
    let n = model.n_params();
    let (w, h) = (s.gx.width, s.gx.height);
    let rows: Vec<[[f64; 8]; 8]> = (0..h)
        .into_par_iter()
        .map(|y| {
            let mut hm = [[0.0f64; 8]; 8];
            let yn = ((y as f64 - frame.cy) / frame.scale) as f32;
            for x in 0..w {
                let xn = ((x as f64 - frame.cx) / frame.scale) as f32;
                let (jx, jy) = model.jacobian(xn, yn);
                let (gx, gy) = (s.gx.data[y * w + x], s.gy.data[y * w + x]);
                let mut g = [0.0f32; 8];
                for k in 0..n {
                    g[k] = gx * jx[k] + gy * jy[k];
                }
                for k in 0..n {
                    for j in k..n {
                        hm[k][j] += (g[k] * g[j]) as f64;
                    }
                }
            }
            hm
        })
        .collect();
    let mut out = [[0.0f64; 8]; 8];
    for r in rows {
        for k in 0..n {
            for j in k..n {
                out[k][j] += r[k][j];
            }
        }
    }
    out
}

/// Solve `a x = b` (n x n) by Gaussian elimination with partial pivoting.
fn solve(a: &[[f64; 8]; 8], b: &[f64; 8], n: usize) -> Option<[f64; 8]> {
    let mut m = *a;
    let mut r = *b;
    for c in 0..n {
        let piv = (c..n).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs()))?;
        if m[piv][c].abs() < 1e-12 {
            return None;
        }
        m.swap(c, piv);
        r.swap(c, piv);
        for i in c + 1..n {
            let f = m[i][c] / m[c][c];
            for j in c..n {
                m[i][j] -= f * m[c][j];
            }
            r[i] -= f * r[c];
        }
    }
    let mut x = [0.0; 8];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| m[i][j] * x[j]).sum();
        x[i] = (r[i] - s) / m[i][i];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth, textured test plane (sums of sines; no file needed).
    fn texture(w: usize, h: usize, m: &Mat3) -> Plane {
        let mut p = Plane::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = motion::apply(m, x as f64, y as f64);
                p.data[y * w + x] =
                    (0.5 + 0.2 * (u * 0.11).sin() * (v * 0.07).cos()
                        + 0.15 * ((u + 2.0 * v) * 0.05).sin()
                        + 0.1 * ((u * 0.23 - v * 0.19).cos())) as f32;
            }
        }
        p
    }

    #[test]
    fn recovers_a_subpixel_shift() {
        let truth = motion::scale_translate(1.0, 2.37, -1.61);
        let t = texture(160, 120, &motion::IDENTITY);
        // reference(truth * x) == source(x): sample the analytic texture at truth^-1.
        let i = texture(160, 120, &motion::inverse(&truth).unwrap());
        let p = FitParams {
            model: Model::Translation,
            ..Default::default()
        };
        let f = fit(&t, &i, &motion::IDENTITY, &p);
        let err = motion::rms_corner_error(&f.matrix, &truth, 160, 120);
        assert!(err < 0.02, "corner error {err}, fit {:?}", f.matrix);
        assert!(f.confidence > 0.99);
    }

    #[test]
    fn recovers_a_homography_with_gain_and_offset() {
        let truth = [[0.98, 0.03, 3.2], [-0.02, 1.01, -2.1], [2e-5, -1e-5, 1.0]];
        let t = texture(200, 150, &motion::IDENTITY);
        let mut i = texture(200, 150, &motion::inverse(&truth).unwrap());
        i.data.iter_mut().for_each(|v| *v = 0.4 * *v + 0.1);
        let p = FitParams {
            model: Model::Homography,
            ..Default::default()
        };
        let f = fit(&t, &i, &motion::IDENTITY, &p);
        let err = motion::rms_corner_error(&f.matrix, &truth, 200, 150);
        assert!(err < 0.05, "corner error {err}");
    }
}
