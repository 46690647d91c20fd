//! ΔE2000 between two images: per-pixel maps, per-frame statistics, and a histogram that pools
//! many frames without keeping every pixel.

use super::{MetricsError, check_same_size, rgb_at};
use crate::color::delta_e::de2000;
use crate::color::lab::linear_to_lab;
use crate::media::Image;
use rayon::prelude::*;

/// Summary of ΔE00 over a set of pixels.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct De00Stats {
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
    pub pixels: usize,
    /// Row-major per-pixel ΔE00, when asked for ([`de00_image_with_map`]).
    #[serde(skip)]
    pub per_pixel: Option<Vec<f32>>,
}

/// Per-pixel ΔE00 between `a` and `b` (row-major), computed in parallel.
pub fn de00_map(a: &Image, b: &Image) -> Result<Vec<f32>, MetricsError> {
    check_same_size(a, b)?;
    let (ca, cb) = (a.channels, b.channels);
    Ok((0..a.pixel_count())
        .into_par_iter()
        .with_min_len(4096)
        .map(|i| {
            de2000(
                linear_to_lab(rgb_at(&a.data, ca, i)),
                linear_to_lab(rgb_at(&b.data, cb, i)),
            ) as f32
        })
        .collect())
}

/// ΔE00 statistics of `a` against `b`.
pub fn de00_image(a: &Image, b: &Image) -> Result<De00Stats, MetricsError> {
    let mut map = de00_map(a, b)?;
    Ok(De00Stats::from_values(&mut map))
}

/// Like [`de00_image`], keeping the per-pixel map (e.g. for a heat-map preview).
pub fn de00_image_with_map(a: &Image, b: &Image) -> Result<De00Stats, MetricsError> {
    let map = de00_map(a, b)?;
    let mut sorted = map.clone();
    let mut stats = De00Stats::from_values(&mut sorted);
    stats.per_pixel = Some(map);
    Ok(stats)
}

/// Percentile `p` (0..=1) of sorted values, linearly interpolated between ranks (as numpy's
/// default), so small images give stable numbers.
fn percentile_sorted(sorted: &[f32], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let t = pos - lo as f64;
    f64::from(sorted[lo]) * (1.0 - t) + f64::from(sorted[hi]) * t
}

impl De00Stats {
    /// Exact statistics of `values` (sorted in place). Panics on an empty slice: callers check
    /// the image size first.
    pub fn from_values(values: &mut [f32]) -> De00Stats {
        assert!(!values.is_empty(), "ΔE00 statistics of no pixels");
        values.par_sort_unstable_by(f32::total_cmp);
        let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
        De00Stats {
            mean: sum / values.len() as f64,
            median: percentile_sorted(values, 0.5),
            p95: percentile_sorted(values, 0.95),
            max: f64::from(values[values.len() - 1]),
            pixels: values.len(),
            per_pixel: None,
        }
    }
}

/// Pools ΔE00 values from many frames in fixed memory: exact mean and max, median and p95 to
/// within one bin (0.001 ΔE00, values ≥ 200 share the last bin).
#[derive(Clone, Debug)]
pub struct De00Histogram {
    bins: Vec<u64>,
    sum: f64,
    count: u64,
    max: f64,
}

impl Default for De00Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl De00Histogram {
    const BIN_WIDTH: f64 = 1e-3;
    const BINS: usize = 200_000;

    pub fn new() -> Self {
        Self {
            bins: vec![0; Self::BINS],
            sum: 0.0,
            count: 0,
            max: 0.0,
        }
    }

    pub fn add(&mut self, values: &[f32]) {
        for &v in values {
            let v = f64::from(v);
            let bin = ((v / Self::BIN_WIDTH) as usize).min(Self::BINS - 1);
            self.bins[bin] += 1;
            self.sum += v;
            self.max = self.max.max(v);
        }
        self.count += values.len() as u64;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `k`-th smallest value (0-based), placed inside its bin by its rank among the bin's
    /// values.
    fn value_at_rank(&self, k: u64) -> f64 {
        let mut seen = 0u64;
        for (i, &n) in self.bins.iter().enumerate() {
            if seen + n > k {
                let within = ((k - seen) as f64 + 0.5) / n as f64;
                return ((i as f64 + within) * Self::BIN_WIDTH).min(self.max);
            }
            seen += n;
        }
        self.max
    }

    /// Value at percentile `p` (0..=1), interpolated between ranks like
    /// [`De00Stats::from_values`], each rank known to within one bin.
    fn percentile(&self, p: f64) -> f64 {
        let pos = p * (self.count - 1) as f64;
        let (lo, hi) = (pos.floor() as u64, pos.ceil() as u64);
        let t = pos - lo as f64;
        self.value_at_rank(lo) * (1.0 - t) + self.value_at_rank(hi) * t
    }

    /// Statistics of everything added; `None` before the first value.
    pub fn stats(&self) -> Option<De00Stats> {
        (self.count > 0).then(|| De00Stats {
            mean: self.sum / self.count as f64,
            median: self.percentile(0.5),
            p95: self.percentile(0.95),
            max: self.max,
            pixels: self.count as usize,
            per_pixel: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_known_values() {
        let mut v: Vec<f32> = (1..=100).rev().map(|i| i as f32).collect();
        let s = De00Stats::from_values(&mut v);
        assert_eq!(
            (s.mean, s.median, s.max, s.pixels),
            (50.5, 50.5, 100.0, 100)
        );
        assert!((s.p95 - 95.05).abs() < 1e-9, "{}", s.p95);
    }

    #[test]
    fn histogram_agrees_with_exact_stats_within_a_bin() {
        let values: Vec<f32> = (0..10_000)
            .map(|i| ((i * 7919) % 10_000) as f32 / 1234.5)
            .collect();
        let mut h = De00Histogram::new();
        h.add(&values[..5000]);
        h.add(&values[5000..]);
        let approx = h.stats().unwrap();
        let exact = De00Stats::from_values(&mut values.clone());
        assert!((approx.mean - exact.mean).abs() < 1e-9);
        assert!(
            (approx.median - exact.median).abs() < 2e-3,
            "{} {}",
            approx.median,
            exact.median
        );
        assert!(
            (approx.p95 - exact.p95).abs() < 2e-3,
            "{} {}",
            approx.p95,
            exact.p95
        );
        assert_eq!(approx.max, exact.max);
    }

    #[test]
    fn identical_images_have_zero_difference_and_sizes_must_match() {
        let a = Image::from_fn_rgb(8, 4, |x, y| [x as f32 / 8.0, y as f32 / 4.0, 0.3]);
        let s = de00_image(&a, &a).unwrap();
        assert_eq!((s.mean, s.p95, s.max), (0.0, 0.0, 0.0));
        let b = Image::new(4, 8, 3);
        let err = de00_image(&a, &b).unwrap_err();
        assert_eq!(err.to_string(), "image sizes differ: 8x4 vs 4x8");
    }
}
