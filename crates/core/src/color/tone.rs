//! Tone from the reference, detail from the source (`train.luma = tone`).
//!
//! A faded print's luma is faded too: dye loss flattens and shifts its tone scale, so "source
//! luma + recovered chroma" can never be better than the faded tone allows. A [`ToneCurve`] is a
//! smooth, monotone map of the working-space luma Y' fitted on the training pairs (source Y' →
//! reference Y'). Applied to every pixel of the scan, it moves the tone scale to the reference's
//! while every edge, grain particle and scratch of the scan stays as it was: the curve moves the
//! luma's low frequencies, the scan's high frequencies are added back untouched
//! ([`ToneCurve::apply`]).
//!
//! Fit: the pairs' pixels are binned by source Y' ([`BINS`] bins over 0..1); each bin's mean
//! reference Y' is made non-decreasing by weighted pool-adjacent-violators (isotonic
//! regression), empty bins are interpolated, and the knots are lightly smoothed (a 3-tap mean
//! keeps a monotone sequence monotone). Pixels the aligned reference does not cover (exact
//! zeros outside the warp) are left out.

use super::working;
use crate::media::Image;
use serde::{Deserialize, Serialize};

/// Knots of the curve, evenly spaced over source Y' in 0..1.
pub const BINS: usize = 64;

/// A monotone Y' → Y' map, linear between [`BINS`] evenly spaced knots; outside 0..1 it
/// continues with the offset of the nearest end (so super-whites and negatives keep their
/// distance to the ends).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToneCurve {
    /// Output Y' at source Y' = i / (len - 1).
    pub knots: Vec<f32>,
}

impl ToneCurve {
    pub fn identity() -> ToneCurve {
        ToneCurve {
            knots: (0..BINS).map(|i| i as f32 / (BINS - 1) as f32).collect(),
        }
    }

    /// Fit on `(source Y', reference Y')` samples. Fewer than [`BINS`] samples give the identity.
    pub fn fit(samples: impl IntoIterator<Item = (f32, f32)>) -> ToneCurve {
        let mut fit = ToneFit::default();
        for (s, r) in samples {
            fit.add(s, r);
        }
        fit.curve()
    }

    /// Fit on image pairs (same size): every `stride`-th pixel the reference covers.
    pub fn fit_images<'a>(
        pairs: impl IntoIterator<Item = (&'a Image, &'a Image)>,
        stride: usize,
    ) -> ToneCurve {
        let mut fit = ToneFit::default();
        for (src, reference) in pairs {
            fit.add_images(src, reference, stride);
        }
        fit.curve()
    }

    /// The curve at source Y' `y`.
    pub fn map(&self, y: f32) -> f32 {
        let k = &self.knots;
        let last = k.len() - 1;
        if y <= 0.0 {
            return k[0] + y;
        }
        if y >= 1.0 {
            return k[last] + (y - 1.0);
        }
        let t = y * last as f32;
        let i = (t.floor() as usize).min(last - 1);
        let f = t - i as f32;
        k[i] + (k[i + 1] - k[i]) * f
    }

    /// `img` with its tone scale moved by the curve, its Cb/Cr and its fine detail kept: the
    /// curve maps the luma's low frequencies (a blur of about 7 px) and the scan's own high
    /// frequencies (`Y' − blur`: grain, edges, scratches) are added back unchanged. Mapping
    /// every pixel's Y' directly would scale the grain by the curve's local slope, more in the
    /// shadows than in the highlights; this keeps it as the scanner saw it.
    pub fn apply(&self, img: &Image) -> Image {
        let (w, h) = (img.width, img.height);
        let mut luma = Vec::with_capacity(w * h);
        let mut chroma = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let (l, c) = working::split_luma_chroma(img.rgb(x, y));
                luma.push(l);
                chroma.push(c);
            }
        }
        let low = blur(&luma, w, h, LOW_PASS_RADIUS, 3);
        let mut out = Image::new(w, h, 3);
        for i in 0..w * h {
            let y = self.map(low[i]) + (luma[i] - low[i]);
            out.pixel_mut(i % w, i / w)
                .copy_from_slice(&working::combine(y, chroma[i]));
        }
        out
    }

    /// Largest |curve(y) - y| over the knots: how far from "keep" this curve is.
    pub fn max_shift(&self) -> f32 {
        let last = (self.knots.len() - 1) as f32;
        self.knots
            .iter()
            .enumerate()
            .map(|(i, &k)| (k - i as f32 / last).abs())
            .fold(0.0, f32::max)
    }
}

/// Box radius of the low-pass that splits tone from detail (three passes ≈ a Gaussian of
/// σ ≈ 7.2 px).
pub const LOW_PASS_RADIUS: usize = 6;

/// `passes` separable box blurs of radius `r` over a `w`×`h` plane (edges clamped).
///
/// Parallel (rayon) in both directions, and the column pass reads memory in order: it walks
/// bands of rows with one running sum per column (a column-at-a-time walk missed the cache on
/// every pixel of a 2K frame). Bands have a fixed height, so the result does not depend on
/// the thread count.
pub fn blur(plane: &[f32], w: usize, h: usize, r: usize, passes: usize) -> Vec<f32> {
    if w == 0 || h == 0 || passes == 0 {
        return plane.to_vec();
    }
    let mut a = vec![0f32; plane.len()];
    let mut b = vec![0f32; plane.len()];
    blur_into(plane, &mut a, &mut b, w, h, r);
    for _ in 1..passes {
        box_rows(&a, &mut b, w, r);
        box_columns(&b, &mut a, w, h, r);
    }
    a
}

/// One box blur of radius `r` of `src` into `dst`, `scratch` (the same size) between the
/// passes: for callers that blur many planes a frame and keep their buffers (at 2K, a fresh
/// plane per blur cost more in page faults than the blur itself).
pub fn blur_into(src: &[f32], dst: &mut [f32], scratch: &mut [f32], w: usize, h: usize, r: usize) {
    if w == 0 || h == 0 {
        return;
    }
    box_rows(src, scratch, w, r);
    box_columns(scratch, dst, w, h, r);
}

/// One box pass along every row, with a running sum.
fn box_rows(src: &[f32], dst: &mut [f32], w: usize, r: usize) {
    use rayon::prelude::*;
    let norm = 1.0 / (2 * r + 1) as f32;
    dst.par_chunks_mut(w)
        .zip(src.par_chunks(w))
        .for_each(|(out, row)| {
            let at = |i: isize| row[i.clamp(0, w as isize - 1) as usize];
            let mut sum: f32 = (-(r as isize)..=r as isize).map(at).sum();
            for (i, o) in out.iter_mut().enumerate() {
                *o = sum * norm;
                sum += at(i as isize + r as isize + 1) - at(i as isize - r as isize);
            }
        });
}

/// Rows a task of [`box_columns`] owns: its running sums start from scratch at its first row.
const ROW_BAND: usize = 32;

/// One box pass down every column: bands of rows in parallel, each walked row by row.
fn box_columns(src: &[f32], dst: &mut [f32], w: usize, h: usize, r: usize) {
    use rayon::prelude::*;
    let norm = 1.0 / (2 * r + 1) as f32;
    let row = |y: isize| {
        let y = y.clamp(0, h as isize - 1) as usize;
        &src[y * w..(y + 1) * w]
    };
    dst.par_chunks_mut(ROW_BAND * w)
        .enumerate()
        .for_each(|(band, out)| {
            let y0 = (band * ROW_BAND) as isize;
            let mut sum = vec![0f32; w];
            for y in y0 - r as isize..=y0 + r as isize {
                for (s, v) in sum.iter_mut().zip(row(y)) {
                    *s += v;
                }
            }
            for (k, out_row) in out.chunks_exact_mut(w).enumerate() {
                let y = y0 + k as isize;
                let (add, sub) = (row(y + r as isize + 1), row(y - r as isize));
                for (((o, s), a), b) in out_row.iter_mut().zip(&mut sum).zip(add).zip(sub) {
                    *o = *s * norm;
                    *s += a - b;
                }
            }
        });
}

/// The fit's running state: per bin of source Y', the sum and count of reference Y'. Pairs are
/// added one at a time, so a fit over many frames holds no frame longer than it is read.
#[derive(Clone, Debug)]
pub struct ToneFit {
    sum: Vec<f64>,
    count: Vec<f64>,
}

impl Default for ToneFit {
    fn default() -> Self {
        ToneFit {
            sum: vec![0.0; BINS],
            count: vec![0.0; BINS],
        }
    }
}

impl ToneFit {
    /// One `(source Y', reference Y')` sample.
    pub fn add(&mut self, s: f32, r: f32) {
        if !(s.is_finite() && r.is_finite()) {
            return;
        }
        let i = ((s.clamp(0.0, 1.0) * (BINS - 1) as f32).round() as usize).min(BINS - 1);
        self.sum[i] += r as f64;
        self.count[i] += 1.0;
    }

    /// Every `stride`-th pixel of a pair that the reference covers (exact zeros outside the warp
    /// are left out).
    pub fn add_images(&mut self, src: &Image, reference: &Image, stride: usize) {
        let n = src.width * src.height;
        for i in (0..n).step_by(stride.max(1)) {
            let (x, y) = (i % src.width, i / src.width);
            let r = reference.rgb(x, y);
            if r != [0.0; 3] {
                self.add(working::luma(src.rgb(x, y)), working::luma(r));
            }
        }
    }

    /// The monotone curve of what was added (the identity when too little was).
    pub fn curve(&self) -> ToneCurve {
        let n = BINS;
        let total: f64 = self.count.iter().sum();
        if total < n as f64 {
            return ToneCurve::identity();
        }
        // Bins with too few pixels are noise: treat them as empty.
        let min_count = (total * 1e-4).max(4.0);
        let bins: Vec<(usize, f64, f64)> = (0..n)
            .filter(|&i| self.count[i] >= min_count)
            .map(|i| (i, self.sum[i] / self.count[i], self.count[i]))
            .collect();
        if bins.len() < 2 {
            return ToneCurve::identity();
        }
        let mut knots = interpolate(&isotonic(&bins), n);
        // Light smoothing: a mean of neighbours keeps a non-decreasing sequence non-decreasing.
        let raw = knots.clone();
        for i in 1..n - 1 {
            knots[i] = (raw[i - 1] + raw[i] + raw[i + 1]) / 3.0;
        }
        ToneCurve {
            knots: knots.into_iter().map(|v| v as f32).collect(),
        }
    }
}

/// Weighted pool-adjacent-violators over `(bin, mean, weight)`: non-decreasing means.
fn isotonic(bins: &[(usize, f64, f64)]) -> Vec<(usize, f64)> {
    // Blocks of pooled bins: (first bin index in `bins`, last, mean, weight).
    let mut blocks: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (j, &(_, mean, w)) in bins.iter().enumerate() {
        blocks.push((j, j, mean, w));
        while blocks.len() > 1 {
            let b = blocks[blocks.len() - 1];
            let a = blocks[blocks.len() - 2];
            if a.2 <= b.2 {
                break;
            }
            let w = a.3 + b.3;
            let merged = (a.0, b.1, (a.2 * a.3 + b.2 * b.3) / w, w);
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = merged;
        }
    }
    let mut out = Vec::with_capacity(bins.len());
    for (first, last, mean, _) in blocks {
        for b in &bins[first..=last] {
            out.push((b.0, mean));
        }
    }
    out
}

/// Values at every bin from the populated ones: linear between them, and beyond the first and
/// last with their offset from the identity.
fn interpolate(points: &[(usize, f64)], n: usize) -> Vec<f64> {
    let x = |i: usize| i as f64 / (n - 1) as f64;
    let (first, last) = (points[0], points[points.len() - 1]);
    (0..n)
        .map(|i| {
            if i <= first.0 {
                return first.1 - x(first.0) + x(i);
            }
            if i >= last.0 {
                return last.1 - x(last.0) + x(i);
            }
            let k = points.partition_point(|p| p.0 <= i);
            let (a, b) = (points[k - 1], points[k]);
            let t = (i - a.0) as f64 / (b.0 - a.0) as f64;
            a.1 + (b.1 - a.1) * t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The box blur by definition: each pixel the mean of its (2r+1)² window, edges clamped.
    fn naive_box(p: &[f32], w: usize, h: usize, r: isize) -> Vec<f32> {
        let at = |x: isize, y: isize| {
            p[y.clamp(0, h as isize - 1) as usize * w + x.clamp(0, w as isize - 1) as usize]
        };
        let n = ((2 * r + 1) * (2 * r + 1)) as f32;
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as isize, (i / w) as isize);
                let mut s = 0.0;
                for dy in -r..=r {
                    for dx in -r..=r {
                        s += at(x + dx, y + dy);
                    }
                }
                s / n
            })
            .collect()
    }

    #[test]
    fn the_blur_is_a_box_mean_and_the_same_on_any_number_of_threads() {
        // Taller than a band of rows and not a multiple of one, so bands meet and one is short.
        let (w, h) = (37, 3 * ROW_BAND + 5);
        let plane: Vec<f32> = (0..w * h)
            .map(|i| ((i * 7919) % 101) as f32 / 100.0)
            .collect();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| blur(&plane, w, h, 4, 1))
        };
        let one = on(1);
        assert_eq!(one, on(3), "the blur depends on the thread count");
        for (a, b) in one.iter().zip(naive_box(&plane, w, h, 4)) {
            assert!((a - b).abs() < 1e-5, "box mean {b}, blur {a}");
        }
    }

    #[test]
    fn recovers_a_fade_and_stays_monotone() {
        // A print whose blacks lifted to 0.15 and whose whites dropped to 0.8.
        let fade = |y: f32| 0.15 + 0.65 * y.powf(1.2);
        let samples = (0..20_000).map(|i| {
            let truth = (i as f32 / 20_000.0).clamp(0.0, 1.0);
            // Noise on the reference, as a video transfer has.
            let noise = ((i * 7919 % 101) as f32 / 101.0 - 0.5) * 0.02;
            (fade(truth), truth + noise)
        });
        let c = ToneCurve::fit(samples);
        assert!(
            c.knots.windows(2).all(|w| w[1] >= w[0] - 1e-6),
            "{:?}",
            c.knots
        );
        for truth in [0.1f32, 0.3, 0.5, 0.7, 0.9] {
            let got = c.map(fade(truth));
            assert!((got - truth).abs() < 0.02, "{truth}: {got}");
        }
    }

    #[test]
    fn too_few_samples_or_an_unfaded_print_give_the_identity() {
        assert_eq!(ToneCurve::fit([(0.5, 0.9)]), ToneCurve::identity());
        let c = ToneCurve::fit((0..10_000).map(|i| {
            let y = i as f32 / 10_000.0;
            (y, y)
        }));
        assert!(c.max_shift() < 0.01, "{}", c.max_shift());
    }

    #[test]
    fn apply_keeps_chroma_and_maps_luma() {
        let c = ToneCurve {
            knots: (0..BINS)
                .map(|i| 0.5 + 0.5 * i as f32 / (BINS - 1) as f32)
                .collect(),
        };
        let img = Image::from_fn_rgb(4, 1, |x, _| [0.1 + 0.002 * x as f32, 0.1, 0.2]);
        let out = c.apply(&img);
        for x in 0..4 {
            let (ya, ca) = working::split_luma_chroma(img.rgb(x, 0));
            let (yb, cb) = working::split_luma_chroma(out.rgb(x, 0));
            // A flat-enough picture: its low-pass is itself, so the curve maps every pixel.
            assert!((yb - c.map(ya)).abs() < 0.02, "{yb} vs {}", c.map(ya));
            assert!((ca[0] - cb[0]).abs() < 1e-5 && (ca[1] - cb[1]).abs() < 1e-5);
        }
    }
}
