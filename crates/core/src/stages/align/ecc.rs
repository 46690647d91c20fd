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
//!
//! The residuals are Huber-weighted ([`FitParams::robust`]): a faded print and a video
//! transfer differ by more than a gain and offset (dyes fade unevenly, so luma does not map
//! one to one; dust and scratches), and a pixel that disagrees badly should not pull harder
//! than one that agrees. The gain and offset of a pass come from the previous pass, so the
//! residual is formed per pixel and weighted in the same sweep. Measured against OpenCV's
//! plain ECC (`tinct bench align`): the weighting is what brings the error below it.

use super::motion::{self, Mat3, Model};
use super::pass::{self, ImageLevel, Step, TemplateLevel};
use super::pyramid::{self, Plane};

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
    /// Huber threshold, in multiples of the RMS residual: pixels that differ by more (dust,
    /// scratches, dyes that faded unlike their neighbours) are down-weighted. 0 = plain ECC.
    pub robust: f64,
}

impl Default for FitParams {
    fn default() -> Self {
        Self {
            model: Model::Similarity,
            levels: 0,
            iterations: 60,
            epsilon: 1e-3,
            blur_sigma: 1.0,
            robust: 2.0,
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
    let mut photo: Option<(f64, f64, f64)> = None;
    let mut finest = None;
    for level in (0..levels).rev() {
        let t = TemplateLevel::new(&tp[level]);
        let img = ImageLevel::new(&ip[level]);
        let mut ml = motion::to_level(&m, level);
        let mut ph = photo.unwrap_or_else(|| {
            let s = pass::accumulate(&t, &img, &ml, None).photometric();
            (s.gain, s.offset, s.residual)
        });
        let run = |model: Model, ml: &mut Mat3, ph: &mut (f64, f64, f64)| {
            fit_level(
                &t,
                &img,
                ml,
                Solve {
                    model,
                    max_iter: p.iterations,
                    eps: p.epsilon,
                    robust: p.robust,
                },
                ph,
            )
        };
        let mut spent = 0;
        if level == levels - 1 && p.model != Model::Translation {
            spent += run(Model::Translation, &mut ml, &mut ph);
        }
        spent += run(p.model, &mut ml, &mut ph);
        photo = Some(ph);
        m = motion::from_level(&ml, level);
        iterations.push(spent);
        if level == 0 {
            finest = Some((t, img));
        }
    }
    let (t, img) = finest.expect("a pyramid has a level 0");
    let s = score_levels(&t, &img, &m);
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
    let t = pyramid::blur(template, blur_sigma);
    let i = pyramid::blur(image, blur_sigma);
    score_levels(&TemplateLevel::new(&t), &ImageLevel::new(&i), m)
}

fn score_levels(t: &TemplateLevel, img: &ImageLevel, m: &Mat3) -> Score {
    let s = pass::accumulate(t, img, m, None);
    let ph = s.photometric();
    Score {
        correlation: ph.rho,
        residual: ph.residual,
        coverage: s.count / ((t.plane.width * t.plane.height) as f64).max(1.0),
    }
}

/// How one level is iterated.
#[derive(Clone, Copy)]
struct Solve {
    model: Model,
    max_iter: usize,
    eps: f64,
    /// Huber threshold in multiples of the residual's RMS; 0 = off.
    robust: f64,
}

/// Iterate one level; returns the iterations spent. `photo` carries the gain and offset from
/// pass to pass (and level to level).
fn fit_level(
    t: &TemplateLevel,
    img: &ImageLevel,
    m: &mut Mat3,
    how: Solve,
    photo: &mut (f64, f64, f64),
) -> usize {
    let model = how.model;
    let n = model.n_params();
    let h_full = t.full_hessian(model);
    let (w, h) = (t.plane.width as f64, t.plane.height as f64);
    let corners = [
        (0.0, 0.0),
        (w - 1.0, 0.0),
        (0.0, h - 1.0),
        (w - 1.0, h - 1.0),
    ];
    for it in 0..how.max_iter {
        let step = Step {
            model,
            gain: photo.0,
            offset: photo.1,
            huber: (how.robust * photo.2) as f32,
        };
        let sums = pass::accumulate(t, img, m, Some(&step));
        if sums.count < (4 * n) as f64 {
            return it;
        }
        let ph = sums.photometric();
        *photo = (ph.gain, ph.offset, ph.residual);
        // Down-weighted pixels count less: scale the (unweighted) Hessian to match.
        let hw = sums.weight / sums.count;
        let mut hess = [[0.0f64; 8]; 8];
        for k in 0..n {
            for j in k..n {
                let v = (h_full[k][j] - sums.h_out[k][j]) * hw;
                hess[k][j] = v;
                hess[j][k] = v;
            }
        }
        let Some(dp) = solve(&hess, &sums.rhs, n) else {
            return it;
        };
        let delta = t.frame.to_pixels(&model.matrix(&dp));
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
        if !moved.is_finite() || moved < how.eps {
            return it + 1;
        }
    }
    how.max_iter
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
