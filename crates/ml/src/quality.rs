//! Held-out quality for training and the ML benchmark: CIEDE2000 between two linear Rec.709
//! images as mean and 95th percentile. The colour science lives in `crate::color`; this is the
//! small summary the trainer records at every checkpoint.

use crate::color::metrics::{self, De00Stats};
use crate::media::Image;

#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct DeltaE {
    pub mean: f64,
    pub p95: f64,
}

/// ΔE00 statistics between two images of the same size.
pub fn delta_e(a: &Image, b: &Image) -> anyhow::Result<DeltaE> {
    Ok(stats(&mut delta_e_values(a, b)?))
}

/// Per-pixel ΔE00 between two images of the same size.
pub fn delta_e_values(a: &Image, b: &Image) -> anyhow::Result<Vec<f32>> {
    metrics::de00_map(a, b).map_err(|e| anyhow::anyhow!("ΔE00: {e}"))
}

/// The picture averaged over `k`×`k` blocks (a last partial block averages what it has): colour
/// at a coarser resolution, as the reference carries it. `k` ≤ 1 returns a copy.
pub fn area_average(img: &Image, k: usize) -> Image {
    if k <= 1 {
        return img.clone();
    }
    let (w, h, c) = (img.width.div_ceil(k), img.height.div_ceil(k), img.channels);
    let mut sum = vec![0f64; w * h * c];
    let mut count = vec![0u32; w * h];
    for y in 0..img.height {
        for x in 0..img.width {
            let cell = (y / k) * w + x / k;
            count[cell] += 1;
            let px = &img.data[(y * img.width + x) * c..][..c];
            for (s, v) in sum[cell * c..][..c].iter_mut().zip(px) {
                *s += f64::from(*v);
            }
        }
    }
    let data = sum
        .chunks_exact(c)
        .zip(&count)
        .flat_map(|(s, n)| s.iter().map(move |v| (v / f64::from(*n)) as f32))
        .collect();
    Image::from_vec(w, h, c, data)
}

/// Mean and 95th percentile of per-pixel values (reorders them).
pub fn stats(d: &mut [f32]) -> DeltaE {
    if d.is_empty() {
        return DeltaE::default();
    }
    let s = De00Stats::from_values(d);
    DeltaE {
        mean: s.mean,
        p95: s.p95,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_images_score_zero_and_a_cast_does_not() {
        let a = Image::from_fn_rgb(8, 8, |x, y| [x as f32 / 8.0, y as f32 / 8.0, 0.3]);
        assert_eq!(delta_e(&a, &a).unwrap(), DeltaE::default());
        let mut b = a.clone();
        b.data.chunks_exact_mut(3).for_each(|p| p[0] *= 1.3);
        let d = delta_e(&a, &b).unwrap();
        assert!(d.mean > 1.0 && d.p95 >= d.mean, "{d:?}");
    }

    #[test]
    fn area_average_keeps_the_mean_and_removes_fine_chroma() {
        // A red/green checkerboard at 1 px: per pixel it is nothing like flat yellow-ish grey,
        // averaged over 2x2 it is exactly its mean.
        let a = Image::from_fn_rgb(6, 4, |x, y| {
            if (x + y) % 2 == 0 {
                [0.4, 0.1, 0.1]
            } else {
                [0.1, 0.4, 0.1]
            }
        });
        let flat = Image::from_fn_rgb(6, 4, |_, _| [0.25, 0.25, 0.1]);
        assert!(delta_e(&a, &flat).unwrap().mean > 10.0);
        let (a2, f2) = (area_average(&a, 2), area_average(&flat, 2));
        assert_eq!((a2.width, a2.height), (3, 2));
        assert!(delta_e(&a2, &f2).unwrap().mean < 1e-3);
        // A partial last block averages only what it covers.
        let odd = area_average(&a, 4);
        assert_eq!((odd.width, odd.height), (2, 1));
        assert!((odd.data[3] - 0.25).abs() < 1e-6 && (odd.data[4] - 0.25).abs() < 1e-6);
    }
}
