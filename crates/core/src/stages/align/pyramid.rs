//! Single-channel float planes, the features the fit compares, and Gaussian pyramids.
//!
//! Decimation keeps every other sample of a binomially blurred plane, so pixel `i` of level `l`
//! sits exactly at coordinate `2^l * i` of level 0 (pixel centres at integers, no half-pixel
//! shift): this is what [`super::motion::to_level`] assumes.

use crate::media::Image;
use rayon::prelude::*;

/// One channel of f32 samples, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Plane {
    pub fn new(width: usize, height: usize) -> Plane {
        Plane {
            width,
            height,
            data: vec![0.0; width * height],
        }
    }

    #[inline]
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }
}

/// What the fit compares between source and reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Rec.709 luma, gamma-encoded (1/2.4) so shadows count as much as highlights; fading and
    /// grading differences that are roughly a gain and offset are absorbed by the fit.
    Luma,
    /// Gradient magnitude of the encoded luma: ignores the tone curve altogether, keeps edges.
    Gradient,
}

impl std::str::FromStr for Feature {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Feature> {
        match s.trim().to_ascii_lowercase().as_str() {
            "luma" => Ok(Feature::Luma),
            "gradient" | "gradients" => Ok(Feature::Gradient),
            other => anyhow::bail!("unknown alignment feature '{other}' (luma, gradient)"),
        }
    }
}

/// Gamma-encoded Rec.709 luma of a linear image (any channel count).
pub fn encoded_luma(img: &Image) -> Plane {
    let ch = img.channels;
    let data = img
        .data
        .par_chunks_exact(ch)
        .map(|p| {
            let y = if ch >= 3 {
                0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]
            } else {
                p[0]
            };
            if y.is_finite() {
                y.max(0.0).powf(1.0 / 2.4)
            } else {
                0.0
            }
        })
        .collect();
    Plane {
        width: img.width,
        height: img.height,
        data,
    }
}

/// The plane the fit runs on.
pub fn feature_plane(img: &Image, feature: Feature) -> Plane {
    let luma = encoded_luma(img);
    match feature {
        Feature::Luma => luma,
        Feature::Gradient => gradient_magnitude(&blur(&luma, 1.0)),
    }
}

/// |∇| by central differences (one-sided at the border).
pub fn gradient_magnitude(p: &Plane) -> Plane {
    let (gx, gy) = gradients(p);
    let data = gx
        .data
        .par_iter()
        .zip(&gy.data)
        .map(|(a, b)| (a * a + b * b).sqrt())
        .collect();
    Plane {
        width: p.width,
        height: p.height,
        data,
    }
}

/// Horizontal and vertical derivatives by central differences (one-sided at the border).
pub fn gradients(p: &Plane) -> (Plane, Plane) {
    let (w, h) = (p.width, p.height);
    let mut gx = Plane::new(w, h);
    let mut gy = Plane::new(w, h);
    gx.data
        .par_chunks_mut(w)
        .zip(gy.data.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (rx, ry))| {
            let row = &p.data[y * w..(y + 1) * w];
            let up = &p.data[y.saturating_sub(1) * w..][..w];
            let down = &p.data[(y + 1).min(h - 1) * w..][..w];
            let vy = if y == 0 || y + 1 == h { 1.0 } else { 0.5 };
            for x in 0..w {
                let (l, r) = (x.saturating_sub(1), (x + 1).min(w - 1));
                let span = (r - l).max(1) as f32;
                rx[x] = (row[r] - row[l]) / span;
                ry[x] = (down[x] - up[x]) * vy;
            }
        });
    (gx, gy)
}

/// Separable Gaussian blur (edges clamped).
pub fn blur(p: &Plane, sigma: f32) -> Plane {
    if sigma <= 0.0 {
        return p.clone();
    }
    let r = (3.0 * sigma).ceil() as isize;
    let mut k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let s: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= s);
    convolve_separable(p, &k)
}

fn convolve_separable(p: &Plane, k: &[f32]) -> Plane {
    convolve_decimating(p, k, 1)
}

/// Separable convolution with clamped edges, keeping every `step`-th row and column of the
/// result (sample 0 first). Only the kept samples are computed: the vertical pass runs on the
/// kept rows, the horizontal pass on the kept columns.
fn convolve_decimating(p: &Plane, k: &[f32], step: usize) -> Plane {
    let (w, h) = (p.width, p.height);
    let r = k.len() / 2;
    let (ow, oh) = (w.div_ceil(step), h.div_ceil(step));
    // Vertical pass on the kept rows (vectorises along the row).
    let mut tmp = Plane::new(w, oh);
    tmp.data.par_chunks_mut(w).enumerate().for_each(|(oy, o)| {
        let y = oy * step;
        for (i, kv) in k.iter().enumerate() {
            let yy = (y + i).saturating_sub(r).min(h - 1);
            let src = &p.data[yy * w..(yy + 1) * w];
            for (ov, sv) in o.iter_mut().zip(src) {
                *ov += kv * sv;
            }
        }
    });
    // Horizontal pass on the kept columns; no clamping away from the edges.
    let mut out = Plane::new(ow, oh);
    out.data.par_chunks_mut(ow).enumerate().for_each(|(oy, o)| {
        let row = &tmp.data[oy * w..(oy + 1) * w];
        for (ox, ov) in o.iter_mut().enumerate() {
            let x = ox * step;
            *ov = if x >= r && x + r < w {
                row[x - r..=x + r].iter().zip(k).map(|(a, b)| a * b).sum()
            } else {
                k.iter()
                    .enumerate()
                    .map(|(i, kv)| kv * row[(x + i).saturating_sub(r).min(w - 1)])
                    .sum()
            };
        }
    });
    out
}

/// Binomial [1 4 6 4 1]/16 blur, then keep samples 0, 2, 4, …
pub fn downsample(p: &Plane) -> Plane {
    convolve_decimating(
        p,
        &[1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0],
        2,
    )
}

/// Level 0 is `base`; each further level halves both sides.
pub fn build(base: Plane, levels: usize) -> Vec<Plane> {
    let mut out = vec![base];
    while out.len() < levels.max(1) {
        let next = downsample(out.last().expect("pyramid has a base"));
        out.push(next);
    }
    out
}

/// Levels so that the coarsest short side of the smaller image is about `coarsest` pixels.
pub fn auto_levels(src: (usize, usize), reference: (usize, usize), coarsest: usize) -> usize {
    let short = src.0.min(src.1).min(reference.0).min(reference.1).max(1);
    let mut levels = 1;
    while (short >> levels) >= coarsest && levels < 8 {
        levels += 1;
    }
    levels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_keeps_even_samples_in_place() {
        // A linear ramp stays a ramp with the same slope per level-0 pixel: value at level-1
        // pixel i equals the level-0 value at 2i (interior, where the blur is symmetric).
        let mut p = Plane::new(32, 8);
        for y in 0..8 {
            for x in 0..32 {
                p.data[y * 32 + x] = x as f32;
            }
        }
        let d = downsample(&p);
        assert_eq!(d.width, 16);
        for x in 2..14 {
            assert!(
                (d.at(x, 2) - 2.0 * x as f32).abs() < 1e-5,
                "{x}: {}",
                d.at(x, 2)
            );
        }
    }

    #[test]
    fn decimating_convolution_equals_convolving_then_decimating() {
        let mut p = Plane::new(23, 14);
        for (k, v) in p.data.iter_mut().enumerate() {
            *v = ((k * 7919) % 101) as f32 / 101.0;
        }
        let k = [0.1, 0.2, 0.4, 0.2, 0.1];
        let full = convolve_decimating(&p, &k, 1);
        let half = convolve_decimating(&p, &k, 2);
        assert_eq!((half.width, half.height), (12, 7));
        for y in 0..7 {
            for x in 0..12 {
                assert!((half.at(x, y) - full.at(2 * x, 2 * y)).abs() < 1e-6);
            }
        }
        // Full-resolution result against a direct 2-D sum with clamped indices.
        for y in 0..14usize {
            for x in 0..23usize {
                let mut want = 0.0;
                for (i, ki) in k.iter().enumerate() {
                    for (j, kj) in k.iter().enumerate() {
                        let yy = (y + i).saturating_sub(2).min(13);
                        let xx = (x + j).saturating_sub(2).min(22);
                        want += ki * kj * p.at(xx, yy);
                    }
                }
                assert!((full.at(x, y) - want).abs() < 1e-5, "({x}, {y})");
            }
        }
    }

    #[test]
    fn auto_levels_reach_a_small_coarsest_level() {
        assert_eq!(auto_levels((2048, 1080), (1920, 1080), 64), 5);
        assert_eq!(auto_levels((64, 64), (64, 64), 64), 1);
    }
}
