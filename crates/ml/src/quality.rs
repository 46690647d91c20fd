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
}
