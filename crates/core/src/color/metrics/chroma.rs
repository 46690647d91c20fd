//! Chroma-only measures in the working space (`color::working`, Y'CbCr BT.709 on sRGB-encoded
//! values): luma is left out on purpose, since the pipeline never changes it.

use super::{MetricsError, check_same_size, rgb_at};
use crate::color::working::split_luma_chroma;
use crate::media::Image;
use rayon::prelude::*;

/// Mean squared error of Cb and Cr between `a` and `b` (both channels pooled).
pub fn chroma_mse(a: &Image, b: &Image) -> Result<f64, MetricsError> {
    check_same_size(a, b)?;
    let (ca, cb) = (a.channels, b.channels);
    let sum: f64 = (0..a.pixel_count())
        .into_par_iter()
        .with_min_len(4096)
        .map(|i| {
            let (_, x) = split_luma_chroma(rgb_at(&a.data, ca, i));
            let (_, y) = split_luma_chroma(rgb_at(&b.data, cb, i));
            let (d0, d1) = (f64::from(x[0] - y[0]), f64::from(x[1] - y[1]));
            d0 * d0 + d1 * d1
        })
        .sum();
    Ok(sum / (2 * a.pixel_count()) as f64)
}

/// PSNR of the chroma channels in dB, with the peak-to-peak range of Cb/Cr (1.0) as the signal;
/// `f64::INFINITY` when the chroma is identical.
pub fn chroma_psnr(a: &Image, b: &Image) -> Result<f64, MetricsError> {
    let mse = chroma_mse(a, b)?;
    Ok(if mse == 0.0 {
        f64::INFINITY
    } else {
        -10.0 * mse.log10()
    })
}

/// Average chroma of a frame, for frame-to-frame flicker tracking.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct MeanChroma {
    pub cb: f64,
    pub cr: f64,
    /// Mean of per-pixel `sqrt(Cb² + Cr²)`: saturation, independent of hue.
    pub magnitude: f64,
}

/// Mean Cb, Cr and chroma magnitude of `img`.
pub fn mean_chroma(img: &Image) -> MeanChroma {
    let n = img.pixel_count();
    if n == 0 {
        return MeanChroma {
            cb: 0.0,
            cr: 0.0,
            magnitude: 0.0,
        };
    }
    let ch = img.channels;
    let (cb, cr, mag) = (0..n)
        .into_par_iter()
        .with_min_len(4096)
        .map(|i| {
            let (_, [cb, cr]) = split_luma_chroma(rgb_at(&img.data, ch, i));
            (f64::from(cb), f64::from(cr), f64::from(cb.hypot(cr)))
        })
        .reduce(|| (0.0, 0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    let n = n as f64;
    MeanChroma {
        cb: cb / n,
        cr: cr / n,
        magnitude: mag / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::working::combine;

    #[test]
    fn psnr_follows_a_known_chroma_offset_and_ignores_luma() {
        let a = Image::from_fn_rgb(16, 16, |x, y| {
            combine(0.2 + x as f32 / 40.0, [0.05, y as f32 / 100.0])
        });
        // Shift Cb by 0.01 everywhere: MSE = (0.01² + 0) / 2 → PSNR = 43.01 dB.
        let b = Image::from_fn_rgb(16, 16, |x, y| {
            combine(0.2 + x as f32 / 40.0, [0.06, y as f32 / 100.0])
        });
        let psnr = chroma_psnr(&a, &b).unwrap();
        assert!((psnr - 43.0103).abs() < 0.01, "{psnr}");
        assert_eq!(chroma_psnr(&a, &a).unwrap(), f64::INFINITY);
        // A pure luma change leaves chroma PSNR infinite.
        let c = Image::from_fn_rgb(16, 16, |x, y| {
            combine(0.5 + x as f32 / 40.0, [0.05, y as f32 / 100.0])
        });
        assert!(chroma_psnr(&a, &c).unwrap() > 100.0);
    }

    #[test]
    fn mean_chroma_of_a_flat_patch() {
        let img = Image::from_fn_rgb(4, 4, |_, _| combine(0.4, [0.03, -0.04]));
        let m = mean_chroma(&img);
        assert!(
            (m.cb - 0.03).abs() < 1e-6
                && (m.cr + 0.04).abs() < 1e-6
                && (m.magnitude - 0.05).abs() < 1e-6
        );
    }
}
