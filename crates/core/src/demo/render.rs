//! Rendering the clean print: panorama → print densities → frames in source or reference
//! geometry. Everything downstream (fading, the B&W print, the video transfer) starts here.

use super::film::PrintStock;
use super::geometry::Matrix3;
use super::shots::{Shot, sample_bicubic};
use crate::media::Image;
use rayon::prelude::*;

/// A panorama already exposed and printed: per-channel print density, so that resampling works
/// on bounded values (the sun at 30000 would ring through a bicubic filter in linear light).
pub struct PrintedPanorama {
    pub density: Image,
}

impl PrintedPanorama {
    /// Expose the scene so its log-average luminance lands on mid-grey (Reinhard's "key"), then
    /// print it through the stock's curve, channel by channel.
    pub fn new(scene: &Image, stock: &PrintStock) -> Self {
        let gain = 0.18 / log_average_luminance(scene);
        let mut density = scene.clone();
        for v in density.data.iter_mut() {
            *v = stock.density(*v * gain);
        }
        Self { density }
    }
}

fn log_average_luminance(scene: &Image) -> f32 {
    let n = scene.pixel_count().max(1) as f64;
    let sum: f64 = scene
        .data
        .chunks_exact(scene.channels)
        .map(|p| (luma(p[0], p[1], p[2]) as f64 + 1e-4).ln())
        .sum();
    ((sum / n).exp() as f32).max(1e-4)
}

/// Rec.709 luminance of linear RGB.
pub fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// Clean print densities of source frame `frame`, in source geometry.
pub fn source_density(
    pano: &PrintedPanorama,
    shot: &Shot,
    frame: i64,
    size: (usize, usize),
    stock: &PrintStock,
) -> Image {
    let mut out = Image::new(size.0, size.1, 3);
    out.data
        .par_chunks_exact_mut(size.0 * 3)
        .enumerate()
        .for_each(|(y, row)| {
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let (px_x, px_y) = shot.to_panorama(frame, size, x as f64, y as f64);
                let d = sample_bicubic(&pano.density, px_x, px_y);
                for c in 0..3 {
                    px[c] = d[c].clamp(stock.d_min, stock.d_max);
                }
            }
        });
    out
}

/// Clean print *transmittance* (linear light) of source frame `frame` seen through the transfer:
/// reference pixel (u, v) shows source position `to_source(u, v)`. 2x2 supersampling, because the
/// reference is smaller than the source and must not alias.
pub fn reference_transmittance(
    pano: &PrintedPanorama,
    shot: &Shot,
    frame: i64,
    source_size: (usize, usize),
    reference_size: (usize, usize),
    to_source: &Matrix3,
    stock: &PrintStock,
) -> Image {
    const SUB: [f64; 2] = [-0.25, 0.25];
    let mut out = Image::new(reference_size.0, reference_size.1, 3);
    out.data
        .par_chunks_exact_mut(reference_size.0 * 3)
        .enumerate()
        .for_each(|(v, row)| {
            for (u, px) in row.chunks_exact_mut(3).enumerate() {
                let mut acc = [0.0f32; 3];
                for dv in SUB {
                    for du in SUB {
                        let (sx, sy) = to_source.apply(u as f64 + du, v as f64 + dv);
                        let (px_x, px_y) = shot.to_panorama(frame, source_size, sx, sy);
                        let d = sample_bicubic(&pano.density, px_x, px_y);
                        for c in 0..3 {
                            acc[c] +=
                                super::film::transmittance(d[c].clamp(stock.d_min, stock.d_max));
                        }
                    }
                }
                for c in 0..3 {
                    px[c] = acc[c] / 4.0;
                }
            }
        });
    out
}
