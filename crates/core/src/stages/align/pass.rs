//! One pass of the ECC fit over a pyramid level: warp the reference with the current matrix and
//! gather, over the source pixels it covers, the photometric sums and the Gauss-Newton
//! right-hand side.
//!
//! Speed comes from the shape of the covered set rather than from per-pixel tests: for an
//! affine or projective map the source pixels of one row whose warped position falls inside
//! the reference form one interval (each bound is a linear inequality in x once multiplied by
//! the positive denominator), so a row is one tight loop over that interval plus a short loop
//! over the uncovered ends. The model Jacobian is a polynomial in (x, y); with y fixed per row
//! the right-hand side needs only five x-moments of the gradient-weighted residual, whatever
//! the model, instead of one running sum per parameter.

use super::motion::{Mat3, Model};
use super::pyramid::{self, Plane};
use rayon::prelude::*;

/// Rows per parallel work item: large enough to amortise scheduling, small enough that both
/// cores stay busy on a 2K frame. The partial sums are added in row order, so a fit does not
/// depend on how rayon scheduled it.
const ROWS_PER_TASK: usize = 16;

/// Normalised template coordinates: centred, scaled by half the longer side.
#[derive(Clone, Copy, Debug)]
pub(super) struct LevelFrame {
    pub cx: f64,
    pub cy: f64,
    pub scale: f64,
}

impl LevelFrame {
    pub fn new(width: usize, height: usize) -> LevelFrame {
        LevelFrame {
            cx: (width as f64 - 1.0) / 2.0,
            cy: (height as f64 - 1.0) / 2.0,
            scale: (width.max(height) as f64 / 2.0).max(1.0),
        }
    }

    /// Pixel-space matrix of a warp given in normalised coordinates.
    pub fn to_pixels(self, d: &Mat3) -> Mat3 {
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
        super::motion::mul(&n_inv, &super::motion::mul(d, &n))
    }
}

/// The source side of a level: the plane, its gradients in normalised coordinates (they do not
/// change with the warp: inverse compositional) and the frame.
pub(super) struct TemplateLevel<'a> {
    pub plane: &'a Plane,
    gx: Vec<f32>,
    gy: Vec<f32>,
    pub frame: LevelFrame,
}

impl<'a> TemplateLevel<'a> {
    pub fn new(plane: &'a Plane) -> TemplateLevel<'a> {
        let frame = LevelFrame::new(plane.width, plane.height);
        let (gx, gy) = pyramid::gradients(plane);
        // d/d(normalised coordinate) = scale * d/d(pixel).
        let sc = frame.scale as f32;
        TemplateLevel {
            plane,
            gx: gx.data.iter().map(|v| v * sc).collect(),
            gy: gy.data.iter().map(|v| v * sc).collect(),
            frame,
        }
    }

    /// Steepest-descent vector `∇T · ∂W/∂p` at pixel (x, y).
    #[inline]
    fn steepest(&self, model: Model, x: usize, y: usize) -> [f32; 8] {
        let w = self.plane.width;
        let xn = ((x as f64 - self.frame.cx) / self.frame.scale) as f32;
        let yn = ((y as f64 - self.frame.cy) / self.frame.scale) as f32;
        let (jx, jy) = model.jacobian(xn, yn);
        let (gx, gy) = (self.gx[y * w + x], self.gy[y * w + x]);
        let mut g = [0.0f32; 8];
        for k in 0..model.n_params() {
            g[k] = gx * jx[k] + gy * jy[k];
        }
        g
    }

    /// Σ g gᵀ over every source pixel (upper triangle filled). With y fixed per row, every
    /// entry is a sum of x-moments (up to x⁴) of gx², gx·gy and gy², so a pixel costs 15
    /// multiply-adds whatever the model; the entries are assembled once per row.
    pub fn full_hessian(&self, model: Model) -> [[f64; 8]; 8] {
        let n = model.n_params();
        let (w, h) = (self.plane.width, self.plane.height);
        let inv_scale = 1.0 / self.frame.scale;
        let parts: Vec<[[f64; 8]; 8]> = (0..h.div_ceil(ROWS_PER_TASK))
            .into_par_iter()
            .map(|task| {
                let mut hm = [[0.0f64; 8]; 8];
                for y in task * ROWS_PER_TASK..((task + 1) * ROWS_PER_TASK).min(h) {
                    // [gx², gx·gy, gy²] x [x⁰ … x⁴]
                    let mut mom = [[0.0f64; 5]; 3];
                    let (gxr, gyr) = (&self.gx[y * w..(y + 1) * w], &self.gy[y * w..(y + 1) * w]);
                    for (x, (&gx, &gy)) in gxr.iter().zip(gyr).enumerate() {
                        let xn = ((x as f64 - self.frame.cx) * inv_scale) as f32;
                        let (x2, x3, x4) = (xn * xn, xn * xn * xn, xn * xn * xn * xn);
                        for (row, v) in mom.iter_mut().zip([gx * gx, gx * gy, gy * gy]) {
                            row[0] += v as f64;
                            row[1] += (v * xn) as f64;
                            row[2] += (v * x2) as f64;
                            row[3] += (v * x3) as f64;
                            row[4] += (v * x4) as f64;
                        }
                    }
                    let yn = (y as f64 - self.frame.cy) * inv_scale;
                    let (cx, cy) = jacobian_coefficients(model, yn);
                    for k in 0..n {
                        for j in k..n {
                            let mut v = 0.0;
                            for p in 0..3 {
                                for q in 0..3 {
                                    v += cx[k][p] * cx[j][q] * mom[0][p + q]
                                        + (cx[k][p] * cy[j][q] + cy[k][p] * cx[j][q])
                                            * mom[1][p + q]
                                        + cy[k][p] * cy[j][q] * mom[2][p + q];
                                }
                            }
                            hm[k][j] += v;
                        }
                    }
                }
                hm
            })
            .collect();
        let mut out = [[0.0f64; 8]; 8];
        for p in &parts {
            for k in 0..n {
                for j in k..n {
                    out[k][j] += p[k][j];
                }
            }
        }
        out
    }
}

/// [`Model::jacobian`] on a row `y`, as polynomials in x: `jx[k] = Σ_p cx[k][p] xᵖ`, same for jy.
fn jacobian_coefficients(model: Model, y: f64) -> ([[f64; 3]; 8], [[f64; 3]; 8]) {
    let mut cx = [[0.0; 3]; 8];
    let mut cy = [[0.0; 3]; 8];
    match model {
        Model::Translation => {
            cx[0][0] = 1.0;
            cy[1][0] = 1.0;
        }
        Model::Similarity => {
            cx[0][1] = 1.0;
            cx[1][0] = -y;
            cx[2][0] = 1.0;
            cy[0][0] = y;
            cy[1][1] = 1.0;
            cy[3][0] = 1.0;
        }
        Model::Affine | Model::Homography => {
            cx[0][1] = 1.0;
            cx[1][0] = y;
            cx[2][0] = 1.0;
            cy[3][1] = 1.0;
            cy[4][0] = y;
            cy[5][0] = 1.0;
            if model == Model::Homography {
                cx[6][2] = -1.0;
                cx[7][1] = -y;
                cy[6][1] = -y;
                cy[7][0] = -y * y;
            }
        }
    }
    (cx, cy)
}

#[inline]
fn add_outer(h: &mut [[f64; 8]; 8], g: &[f32; 8], n: usize) {
    for k in 0..n {
        for j in k..n {
            h[k][j] += (g[k] * g[j]) as f64;
        }
    }
}

/// Border kept around the reference samples so that the bilinear taps never need a bounds
/// test of their own (edge values repeated).
const PAD: usize = 1;

/// The reference side of a level, padded by [`PAD`] repeated edge samples.
pub(super) struct ImageLevel {
    pub width: usize,
    pub height: usize,
    stride: usize,
    data: Vec<f32>,
}

impl ImageLevel {
    pub fn new(plane: &Plane) -> ImageLevel {
        let (w, h) = (plane.width, plane.height);
        let stride = w + 2 * PAD;
        let mut data = vec![0.0f32; stride * (h + 2 * PAD)];
        data.par_chunks_mut(stride)
            .enumerate()
            .for_each(|(py, row)| {
                let src = &plane.data[py.saturating_sub(PAD).min(h - 1) * w..][..w];
                row[PAD..PAD + w].copy_from_slice(src);
                row[..PAD].fill(src[0]);
                row[PAD + w..].fill(src[w - 1]);
            });
        ImageLevel {
            width: w,
            height: h,
            stride,
            data,
        }
    }

    /// Bilinear sample at (ix + fx, iy + fy), `ix <= width - 1`, `iy <= height - 1`.
    #[inline]
    fn bilinear(&self, ix: usize, iy: usize, fx: f32, fy: f32) -> f32 {
        let i = (iy + PAD) * self.stride + ix + PAD;
        let top = &self.data[i..i + 2];
        let bot = &self.data[i + self.stride..i + self.stride + 2];
        let t = top[0] + fx * (top[1] - top[0]);
        let b = bot[0] + fx * (bot[1] - bot[0]);
        t + fy * (b - t)
    }
}

/// What one pass computes besides the photometric sums.
#[derive(Clone, Copy, Debug)]
pub(super) struct Step {
    pub model: Model,
    /// Gain and offset mapping the warped reference onto the source, from the previous pass
    /// (they settle together with the warp, so the fixed point is the joint optimum).
    pub gain: f64,
    pub offset: f64,
    /// Residuals beyond this are down-weighted (Huber); 0 = plain least squares.
    pub huber: f32,
}

/// Sums gathered over the source pixels in one pass.
#[derive(Clone, Default)]
pub(super) struct Sums {
    pub count: f64,
    st: f64,
    si: f64,
    stt: f64,
    sii: f64,
    sti: f64,
    /// Σ w g (gain·I + offset − T) over covered pixels, per parameter.
    pub rhs: [f64; 8],
    /// Σ w, the robust weights of the covered pixels (= count without down-weighting).
    pub weight: f64,
    /// Σ g gᵀ (source gradients) over pixels *not* covered, taken back out of the full Hessian.
    pub h_out: [[f64; 8]; 8],
}

/// Correlation and the least-squares gain/offset of the warped reference onto the source.
pub(super) struct Photometric {
    pub rho: f64,
    pub gain: f64,
    pub offset: f64,
    pub residual: f64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.count += o.count;
        self.weight += o.weight;
        self.st += o.st;
        self.si += o.si;
        self.stt += o.stt;
        self.sii += o.sii;
        self.sti += o.sti;
        for k in 0..8 {
            self.rhs[k] += o.rhs[k];
            for j in k..8 {
                self.h_out[k][j] += o.h_out[k][j];
            }
        }
    }

    pub fn photometric(&self) -> Photometric {
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

/// The interval of x in `[0, w-1]` whose warped position lies inside `[0, iw] x [0, ih]`, for a
/// row where the map is `u = (a0 x + b0) / (c x + d)`, `v = (a1 x + b1) / (c x + d)`.
fn covered_span(
    w: usize,
    (a0, b0): (f64, f64),
    (a1, b1): (f64, f64),
    (c, d): (f64, f64),
    iw: f64,
    ih: f64,
) -> Option<(usize, usize)> {
    let (mut lo, mut hi) = (0.0f64, w as f64 - 1.0);
    // Keep x where alpha x + beta >= 0.
    let mut keep = |alpha: f64, beta: f64| {
        if alpha > 0.0 {
            lo = lo.max(-beta / alpha);
        } else if alpha < 0.0 {
            hi = hi.min(-beta / alpha);
        } else if beta < 0.0 {
            hi = -1.0;
        }
    };
    keep(c, d - 1e-12); // positive denominator (in front of the camera)
    keep(a0, b0); // u >= 0
    keep(iw * c - a0, iw * d - b0); // u <= iw
    keep(a1, b1); // v >= 0
    keep(ih * c - a1, ih * d - b1); // v <= ih
    let (x0, x1) = (lo.ceil(), hi.floor());
    (x0.is_finite() && x1.is_finite() && x0 <= x1).then_some((x0 as usize, x1 as usize))
}

/// One pass: photometric sums over the covered pixels, and with `step` the right-hand side and
/// the uncovered pixels' Hessian.
pub(super) fn accumulate(
    t: &TemplateLevel,
    img: &ImageLevel,
    m: &Mat3,
    step: Option<&Step>,
) -> Sums {
    let h = t.plane.height;
    let parts: Vec<Sums> = (0..h.div_ceil(ROWS_PER_TASK))
        .into_par_iter()
        .map(|task| {
            let mut s = Sums::default();
            for y in task * ROWS_PER_TASK..((task + 1) * ROWS_PER_TASK).min(h) {
                row(t, img, m, y, step, &mut s);
            }
            s
        })
        .collect();
    let mut total = Sums::default();
    for p in &parts {
        total.add(p);
    }
    total
}

fn row(t: &TemplateLevel, img: &ImageLevel, m: &Mat3, y: usize, step: Option<&Step>, s: &mut Sums) {
    let w = t.plane.width;
    let yf = y as f64;
    let (iw, ih) = ((img.width - 1) as f64, (img.height - 1) as f64);
    let ua = (m[0][0], m[0][1] * yf + m[0][2]);
    let va = (m[1][0], m[1][1] * yf + m[1][2]);
    let den = (m[2][0], m[2][1] * yf + m[2][2]);
    let span = covered_span(w, ua, va, den, iw, ih);
    if let Some(st) = step {
        // Uncovered ends of the row: their share of the full-frame Hessian is taken back out.
        let n = st.model.n_params();
        let (x0, x1) = span.unwrap_or((w, w));
        for x in (0..x0.min(w)).chain((x1 + 1).min(w)..w) {
            add_outer(&mut s.h_out, &t.steepest(st.model, x, y), n);
        }
    }
    let Some((x0, x1)) = span else {
        return;
    };
    let trow = &t.plane.data[y * w..(y + 1) * w];
    let (tgx, tgy) = (&t.gx[y * w..(y + 1) * w], &t.gy[y * w..(y + 1) * w]);
    // Row sums in f32 (a row is a few thousand terms), carried on in f64 across rows.
    // [Σ I, Σ I², Σ T·I, Σ T, Σ T², Σ w]
    let mut ph = [0.0f32; 6];
    // x-moments of the gradient-weighted residual: Σ gx r, Σ gx r x, Σ gx r x², Σ gy r, Σ gy r x.
    let mut mom = [0.0f32; 5];
    let inv_scale = 1.0 / t.frame.scale;
    let (gain, offset) = step.map_or((0.0, 0.0), |s| (s.gain as f32, s.offset as f32));
    let huber = step.map_or(0.0, |s| s.huber);
    let stepping = step.is_some();
    let projective = m[2][0] != 0.0 || m[2][1] != 0.0;
    for x in x0..=x1 {
        let xf = x as f64;
        let q = if projective {
            1.0 / (den.0 * xf + den.1)
        } else {
            1.0 / den.1
        };
        let u = ((ua.0 * xf + ua.1) * q).clamp(0.0, iw);
        let v = ((va.0 * xf + va.1) * q).clamp(0.0, ih);
        let (ix, iy) = (u as usize, v as usize);
        let (fx, fy) = ((u - ix as f64) as f32, (v - iy as f64) as f32);
        let tv = trow[x];
        let iv = img.bilinear(ix, iy, fx, fy);
        add_photometric(&mut ph, iv, tv);
        if !stepping {
            continue;
        }
        // Huber: a residual beyond the threshold pulls with constant force, so dust, scratches
        // and colours that faded differently from their neighbours do not drag the fit.
        let r0 = gain * iv + offset - tv;
        let wgt = if huber > 0.0 && r0.abs() > huber {
            huber / r0.abs()
        } else {
            1.0
        };
        ph[5] += wgt;
        let r = wgt * r0;
        let (gx, gy) = (tgx[x], tgy[x]);
        let xn = ((xf - t.frame.cx) * inv_scale) as f32;
        let (ax, ay) = (gx * r, gy * r);
        mom[0] += ax;
        mom[1] += ax * xn;
        mom[2] += ax * xn * xn;
        mom[3] += ay;
        mom[4] += ay * xn;
    }
    s.count += (x1 - x0 + 1) as f64;
    s.si += ph[0] as f64;
    s.sii += ph[1] as f64;
    s.sti += ph[2] as f64;
    s.st += ph[3] as f64;
    s.stt += ph[4] as f64;
    s.weight += ph[5] as f64;
    if let Some(stp) = step {
        let yn = (yf - t.frame.cy) * inv_scale;
        let [a0, a1, a2, b0, b1] = mom.map(f64::from);
        // g = gx·jx + gy·jy with the Jacobians of `Model::jacobian`, summed along the row.
        let rhs: [f64; 8] = match stp.model {
            Model::Translation => [a0, b0, 0., 0., 0., 0., 0., 0.],
            Model::Similarity => [a1 + yn * b0, -yn * a0 + b1, a0, b0, 0., 0., 0., 0.],
            Model::Affine => [a1, yn * a0, a0, b1, yn * b0, b0, 0., 0.],
            Model::Homography => [
                a1,
                yn * a0,
                a0,
                b1,
                yn * b0,
                b0,
                -(a2 + yn * b1),
                -(yn * a1 + yn * yn * b0),
            ],
        };
        for k in 0..8 {
            s.rhs[k] += rhs[k];
        }
    }
}

#[inline]
fn add_photometric(ph: &mut [f32; 6], iv: f32, tv: f32) {
    ph[0] += iv;
    ph[1] += iv * iv;
    ph[2] += tv * iv;
    ph[3] += tv;
    ph[4] += tv * tv;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covered_span_matches_a_per_pixel_test() {
        let m = [[0.93, 0.04, 5.5], [-0.03, 1.02, -7.25], [2e-4, -1e-4, 1.0]];
        let (w, h, iw, ih) = (120usize, 90usize, 99.0, 79.0);
        for y in 0..h {
            let yf = y as f64;
            let span = covered_span(
                w,
                (m[0][0], m[0][1] * yf + m[0][2]),
                (m[1][0], m[1][1] * yf + m[1][2]),
                (m[2][0], m[2][1] * yf + m[2][2]),
                iw,
                ih,
            );
            for x in 0..w {
                let (u, v) = super::super::motion::apply(&m, x as f64, yf);
                let inside = u >= 1e-9 && v >= 1e-9 && u <= iw - 1e-9 && v <= ih - 1e-9;
                let in_span = span.is_some_and(|(a, b)| (a..=b).contains(&x));
                if inside {
                    assert!(
                        in_span,
                        "({x}, {y}) -> ({u}, {v}) inside but not in {span:?}"
                    );
                }
                let outside = u < -1e-9 || v < -1e-9 || u > iw + 1e-9 || v > ih + 1e-9;
                if outside {
                    assert!(!in_span, "({x}, {y}) -> ({u}, {v}) outside but in {span:?}");
                }
            }
        }
    }

    #[test]
    fn full_hessian_equals_the_sum_of_outer_products() {
        let mut t = Plane::new(37, 23);
        for (k, v) in t.data.iter_mut().enumerate() {
            *v = ((k % 37) as f32 * 0.3).sin() * ((k / 37) as f32 * 0.4).cos();
        }
        let tl = TemplateLevel::new(&t);
        for model in Model::ALL {
            let n = model.n_params();
            let fast = tl.full_hessian(model);
            let mut want = [[0.0f64; 8]; 8];
            for y in 0..23 {
                for x in 0..37 {
                    add_outer(&mut want, &tl.steepest(model, x, y), n);
                }
            }
            for k in 0..n {
                for j in k..n {
                    let tol = 1e-4 * (1.0 + want[k][j].abs());
                    assert!(
                        (fast[k][j] - want[k][j]).abs() < tol,
                        "{model:?} H[{k}][{j}]: {} vs {}",
                        fast[k][j],
                        want[k][j]
                    );
                }
            }
        }
    }

    #[test]
    fn row_moments_equal_the_per_parameter_sums() {
        // With gain 1, offset 0 and the template gradient, rhs must equal Σ g_k (I − T).
        let mut t = Plane::new(40, 30);
        let mut i = Plane::new(50, 40);
        for (k, v) in t.data.iter_mut().enumerate() {
            *v = ((k % 40) as f32 * 0.3).sin() + ((k / 40) as f32 * 0.2).cos();
        }
        for (k, v) in i.data.iter_mut().enumerate() {
            *v = ((k % 50) as f32 * 0.25).cos() * ((k / 50) as f32 * 0.15).sin();
        }
        let tl = TemplateLevel::new(&t);
        let il = ImageLevel::new(&i);
        let m = [[1.01, 0.02, 3.3], [-0.01, 0.99, 2.1], [1e-4, 2e-4, 1.0]];
        for model in Model::ALL {
            let st = Step {
                model,
                gain: 1.0,
                offset: 0.0,
                huber: 0.0,
            };
            let s = accumulate(&tl, &il, &m, Some(&st));
            let mut want = [0.0f64; 8];
            for y in 0..30 {
                for x in 0..40 {
                    let (u, v) = super::super::motion::apply(&m, x as f64, y as f64);
                    if u < 0.0 || v < 0.0 || u > 49.0 || v > 39.0 {
                        continue;
                    }
                    let iv = super::super::warp::bilinear(&i, u as f32, v as f32);
                    let g = tl.steepest(model, x, y);
                    for k in 0..model.n_params() {
                        want[k] += (g[k] * (iv - t.at(x, y))) as f64;
                    }
                }
            }
            for k in 0..model.n_params() {
                assert!(
                    (s.rhs[k] - want[k]).abs() < 1e-3 * (1.0 + want[k].abs()),
                    "{model:?} param {k}: {} vs {}",
                    s.rhs[k],
                    want[k]
                );
            }
        }
    }
}
