//! QC renders an operator judges an alignment by: a 50% dissolve, an amplified difference and a
//! checkerboard of source and aligned reference. 8-bit sRGB PNGs in `pipeline/02_alignment/qc/`.

use crate::color::{self, Colorspace};
use crate::media::{self, Image, WriteOptions};
use std::path::{Path, PathBuf};

/// Checkerboard tile side, in pixels.
const TILE: usize = 64;
/// The difference render multiplies the encoded-luma difference by this.
const DIFF_GAIN: f32 = 4.0;

fn png() -> WriteOptions {
    WriteOptions {
        colorspace: Colorspace::Srgb,
        half: false,
        compression: "zip".into(),
        bits: 8,
    }
}

/// Write the three renders for `frame`; returns their paths.
pub fn render(
    dir: &Path,
    frame: i64,
    src: &Image,
    aligned: &Image,
) -> anyhow::Result<Vec<PathBuf>> {
    let (src, aligned) = (src.to_rgb(), aligned.to_rgb());
    let outputs = [
        (format!("dissolve.{frame:04}.png"), dissolve(&src, &aligned)),
        (
            format!("difference.{frame:04}.png"),
            difference(&src, &aligned),
        ),
        (
            format!("checker.{frame:04}.png"),
            checkerboard(&src, &aligned),
        ),
    ];
    let mut paths = Vec::new();
    for (name, img) in outputs {
        let path = dir.join(name);
        media::write(&path, &img, &png())?;
        paths.push(path);
    }
    Ok(paths)
}

pub fn dissolve(a: &Image, b: &Image) -> Image {
    let data = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| 0.5 * (x + y))
        .collect();
    Image::from_vec(a.width, a.height, a.channels, data)
}

fn encoded_luma(p: &[f32]) -> f32 {
    (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2])
        .max(0.0)
        .powf(1.0 / 2.4)
}

/// |source − reference| on encoded luma after matching the reference's mean and contrast to the
/// source's (fading and grade must not show as misalignment: edges should).
pub fn difference(a: &Image, b: &Image) -> Image {
    let la: Vec<f32> = a.data.chunks_exact(3).map(encoded_luma).collect();
    let lb: Vec<f32> = b.data.chunks_exact(3).map(encoded_luma).collect();
    let stats = |v: &[f32]| {
        let n = v.len().max(1) as f64;
        let m = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let s = (v.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / n).sqrt();
        (m, s.max(1e-9))
    };
    let ((ma, sa), (mb, sb)) = (stats(&la), stats(&lb));
    let mut out = Image::new(a.width, a.height, 3);
    for (o, (&x, &y)) in out.data.chunks_exact_mut(3).zip(la.iter().zip(&lb)) {
        let matched = ((y as f64 - mb) / sb * sa + ma) as f32;
        let d = ((x - matched).abs() * DIFF_GAIN).min(1.0);
        // The value is meant to be *seen* as d: encode it as an sRGB code value.
        o.copy_from_slice(&color::to_linear(Colorspace::Srgb, [d, d, d]));
    }
    out
}

pub fn checkerboard(a: &Image, b: &Image) -> Image {
    let mut out = a.clone();
    for y in 0..a.height {
        for x in 0..a.width {
            if ((x / TILE) + (y / TILE)) % 2 == 1 {
                out.pixel_mut(x, y).copy_from_slice(b.pixel(x, y));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkerboard_alternates_tiles() {
        let a = Image::from_fn_rgb(130, 70, |_, _| [0.0; 3]);
        let b = Image::from_fn_rgb(130, 70, |_, _| [1.0; 3]);
        let c = checkerboard(&a, &b);
        assert_eq!(c.rgb(0, 0), [0.0; 3]);
        assert_eq!(c.rgb(64, 0), [1.0; 3]);
        assert_eq!(c.rgb(64, 64), [0.0; 3]);
        assert_eq!(dissolve(&a, &b).rgb(3, 3), [0.5; 3]);
    }
}
