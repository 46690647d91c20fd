//! Resampling the reference into the source's frame.
//!
//! Pixel-centre convention: integer coordinates are pixel centres, pixel (0, 0)'s centre is at
//! (0, 0); a matrix maps a *source* pixel centre to the reference position to sample. There is
//! no half-pixel offset, so warping by a pure shift of (dx, dy) and fitting finds (dx, dy).
//! Positions outside `[0, w-1] x [0, h-1]` of the reference are black and marked uncovered.

use super::motion::{self, Mat3};
use super::pyramid::{self, Plane};
use crate::media::Image;
use rayon::prelude::*;

/// Interpolation filter for delivered images (the fit itself samples bilinearly: it only needs
/// a smooth, cheap interpolant; its accuracy comes from the model, not the filter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Bilinear,
    /// Keys cubic convolution, a = -0.5 (Catmull-Rom): interpolating, sharp, 4x4 taps.
    Bicubic,
    /// Lanczos, 3 lobes, 6x6 taps.
    Lanczos3,
}

impl std::str::FromStr for Filter {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Filter> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bilinear" | "linear" => Ok(Filter::Bilinear),
            "bicubic" | "cubic" => Ok(Filter::Bicubic),
            "lanczos3" | "lanczos" => Ok(Filter::Lanczos3),
            other => {
                anyhow::bail!("unknown resampling filter '{other}' (bicubic, lanczos3, bilinear)")
            }
        }
    }
}

impl Filter {
    fn radius(self) -> isize {
        match self {
            Filter::Bilinear => 1,
            Filter::Bicubic => 2,
            Filter::Lanczos3 => 3,
        }
    }

    #[inline]
    fn weight(self, t: f32) -> f32 {
        let t = t.abs();
        match self {
            Filter::Bilinear => (1.0 - t).max(0.0),
            Filter::Bicubic => {
                const A: f32 = -0.5;
                if t < 1.0 {
                    ((A + 2.0) * t - (A + 3.0)) * t * t + 1.0
                } else if t < 2.0 {
                    ((A * t - 5.0 * A) * t + 8.0 * A) * t - 4.0 * A
                } else {
                    0.0
                }
            }
            Filter::Lanczos3 => {
                if t < 1e-6 {
                    1.0
                } else if t < 3.0 {
                    let pt = std::f32::consts::PI * t;
                    3.0 * pt.sin() * (pt / 3.0).sin() / (pt * pt)
                } else {
                    0.0
                }
            }
        }
    }
}

/// Bilinear sample of a plane at (x, y), which must lie in `[0, w-1] x [0, h-1]`.
#[inline]
pub fn bilinear(p: &Plane, x: f32, y: f32) -> f32 {
    let x0 = (x.floor() as usize).min(p.width.saturating_sub(2));
    let y0 = (y.floor() as usize).min(p.height.saturating_sub(2));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let i = y0 * p.width + x0;
    let x1 = if p.width > 1 { 1 } else { 0 };
    let y1 = if p.height > 1 { p.width } else { 0 };
    let top = p.data[i] + fx * (p.data[i + x1] - p.data[i]);
    let bot = p.data[i + y1] + fx * (p.data[i + y1 + x1] - p.data[i + y1]);
    top + fy * (bot - top)
}

/// Resample `reference` at `m * (x, y)` for every pixel of an `out_w` x `out_h` frame.
/// Returns the image and a coverage mask (1 where the reference covered the pixel).
pub fn warp_image(
    reference: &Image,
    m: &Mat3,
    out_w: usize,
    out_h: usize,
    filter: Filter,
) -> (Image, Vec<bool>) {
    let reference = antialiased(reference, m, out_w, out_h);
    let ch = reference.channels;
    let (rw, rh) = (reference.width as isize, reference.height as isize);
    let r = filter.radius();
    let mut out = Image::new(out_w, out_h, ch);
    let mut covered = vec![false; out_w * out_h];
    out.data
        .par_chunks_mut(out_w * ch)
        .zip(covered.par_chunks_mut(out_w))
        .enumerate()
        .for_each(|(y, (row, cov))| {
            let mut acc = [0.0f32; 4];
            let mut wx = [0.0f32; 6];
            let mut wy = [0.0f32; 6];
            for x in 0..out_w {
                let (sx, sy) = motion::apply(m, x as f64, y as f64);
                let inside = sx >= -1e-3
                    && sy >= -1e-3
                    && sx <= (rw - 1) as f64 + 1e-3
                    && sy <= (rh - 1) as f64 + 1e-3;
                if !inside {
                    continue;
                }
                cov[x] = true;
                let (ix, iy) = (sx.floor() as isize, sy.floor() as isize);
                let (fx, fy) = ((sx - ix as f64) as f32, (sy - iy as f64) as f32);
                let n = (2 * r) as usize;
                let (mut sum_x, mut sum_y) = (0.0, 0.0);
                for k in 0..n {
                    let off = k as isize - r + 1;
                    wx[k] = filter.weight(fx - off as f32);
                    wy[k] = filter.weight(fy - off as f32);
                    sum_x += wx[k];
                    sum_y += wy[k];
                }
                acc[..ch].fill(0.0);
                for ky in 0..n {
                    let yy = (iy + ky as isize - r + 1).clamp(0, rh - 1) as usize;
                    let wyk = wy[ky] / sum_y;
                    if wyk == 0.0 {
                        continue;
                    }
                    let base = yy * rw as usize;
                    for kx in 0..n {
                        let w = wx[kx] / sum_x * wyk;
                        if w == 0.0 {
                            continue;
                        }
                        let xx = (ix + kx as isize - r + 1).clamp(0, rw - 1) as usize;
                        let px = &reference.data[(base + xx) * ch..(base + xx + 1) * ch];
                        for c in 0..ch {
                            acc[c] += w * px[c];
                        }
                    }
                }
                row[x * ch..(x + 1) * ch].copy_from_slice(&acc[..ch]);
            }
        });
    (out, covered)
}

/// When the map shrinks the reference (a 4K transfer onto a 2K scan), blur it first so the
/// interpolation filter does not alias; otherwise borrow it unchanged.
fn antialiased<'a>(
    reference: &'a Image,
    m: &Mat3,
    out_w: usize,
    out_h: usize,
) -> std::borrow::Cow<'a, Image> {
    let (cx, cy) = (out_w as f64 / 2.0, out_h as f64 / 2.0);
    let (x0, y0) = motion::apply(m, cx, cy);
    let (x1, y1) = motion::apply(m, cx + 1.0, cy);
    let (x2, y2) = motion::apply(m, cx, cy + 1.0);
    let step = (((x1 - x0).hypot(y1 - y0)) * ((x2 - x0).hypot(y2 - y0))).sqrt();
    if step <= 1.25 {
        return std::borrow::Cow::Borrowed(reference);
    }
    // Gaussian that takes the reference's band limit down to the output's (sigma ~ 0.5/step
    // cycles in output pixels, expressed in reference pixels).
    let sigma = (0.5 * (step * step - 1.0).sqrt()) as f32;
    let ch = reference.channels;
    let mut out = reference.clone();
    for c in 0..ch {
        let plane = Plane {
            width: reference.width,
            height: reference.height,
            data: reference.data.iter().skip(c).step_by(ch).copied().collect(),
        };
        let b = pyramid::blur(&plane, sigma);
        for (o, v) in out.data.iter_mut().skip(c).step_by(ch).zip(b.data) {
            *o = v;
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(w: usize, h: usize) -> Image {
        Image::from_fn_rgb(w, h, |x, y| [x as f32, y as f32, (x * y) as f32 * 0.01])
    }

    #[test]
    fn identity_warp_is_exact_for_every_filter() {
        let img = ramp(17, 11);
        for f in [Filter::Bilinear, Filter::Bicubic, Filter::Lanczos3] {
            let (out, cov) = warp_image(&img, &motion::IDENTITY, 17, 11, f);
            assert!(cov.iter().all(|&c| c));
            for (a, b) in out.data.iter().zip(&img.data) {
                assert!((a - b).abs() < 1e-4, "{f:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn integer_shift_moves_pixels_without_half_pixel_offset() {
        let img = ramp(20, 10);
        let m = motion::scale_translate(1.0, 3.0, 2.0);
        let (out, cov) = warp_image(&img, &m, 20, 10, Filter::Bicubic);
        assert_eq!(out.rgb(0, 0), img.rgb(3, 2));
        assert!(
            !cov[9 * 20 + 19],
            "bottom-right samples outside the reference"
        );
    }

    #[test]
    fn subpixel_shift_of_a_ramp_is_linear() {
        let img = ramp(20, 10);
        let m = motion::scale_translate(1.0, 0.25, 0.0);
        let (out, _) = warp_image(&img, &m, 20, 10, Filter::Bicubic);
        assert!((out.rgb(5, 5)[0] - 5.25).abs() < 1e-4);
    }
}
