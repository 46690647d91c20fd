//! Tone from a 3D grade, detail from the scan (`train.luma = grade`).
//!
//! A faded print's luma is not a function of its own luma: where the cyan dye went, a red coat
//! and a grey wall of the same scanned Y' were different greys on the original, so a 1D tone
//! curve (`color::tone`) cannot put them back. The MatchGrade LUT maps R'G'B' → R'G'B' and does.
//! Used per pixel, though, its local slope rescales the grain and edges differently in every
//! colour. So only the *correction* is taken from it, and only its low frequencies: the per-pixel
//! luma change the LUT makes, blurred, is added to the scan's luma. Every edge and grain of the
//! scan stays as it was (to within the blur's response to the LUT's own slope); the tone scale,
//! colour by colour, follows the grade.

use super::{Lut3d, apply_lut_linear};
use crate::color::{tone, working};
use crate::media::Image;

/// `img` with the luma tone of `lut`'s grade, its chroma and fine detail kept.
pub fn graded_luma(img: &Image, lut: &Lut3d) -> Image {
    let (w, h) = (img.width, img.height);
    let graded = apply_lut_linear(lut, img);
    let mut luma = Vec::with_capacity(w * h);
    let mut chroma = Vec::with_capacity(w * h);
    let mut shift = Vec::with_capacity(w * h);
    for i in 0..w * h {
        let (l, c) = working::split_luma_chroma(img.rgb(i % w, i / w));
        let g = working::luma(graded.rgb(i % w, i / w));
        luma.push(l);
        chroma.push(c);
        shift.push(g - l);
    }
    let low = tone::blur(&shift, w, h, tone::LOW_PASS_RADIUS, 3);
    let mut out = Image::new(w, h, 3);
    for i in 0..w * h {
        out.pixel_mut(i % w, i / w)
            .copy_from_slice(&working::combine(luma[i] + low[i], chroma[i]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_dependent_fade_is_undone_in_luma_and_the_grain_kept() {
        // Reds were printed 30% darker than they should be, greys right: a luma curve cannot
        // tell them apart, the grade can. Grain (a checker of ±0.01) must survive untouched.
        let (w, h) = (48, 32);
        let mut img = Image::new(w, h, 3);
        for y in 0..h {
            for x in 0..w {
                let g = if (x + y) % 2 == 0 { 0.01 } else { -0.01 };
                let p = if x < w / 2 {
                    [0.35 + g, 0.05, 0.05]
                } else {
                    [0.2 + g; 3]
                };
                img.pixel_mut(x, y).copy_from_slice(&p);
            }
        }
        let mut lut = Lut3d::identity(17);
        for v in &mut lut.data {
            // Brighten where red dominates (the grading encoding, 0..1).
            let redness = (v[0] - v[1].max(v[2])).max(0.0);
            *v = v.map(|c| (c * (1.0 + 0.6 * redness)).min(1.0));
        }
        let out = graded_luma(&img, &lut);
        let y_of = |im: &Image, x, y| working::luma(im.rgb(x, y));
        let (before, after) = (y_of(&img, 8, 16), y_of(&out, 8, 16));
        assert!(
            after > before + 0.02,
            "red area brighter: {before} -> {after}"
        );
        let grey = (y_of(&img, 40, 16) - y_of(&out, 40, 16)).abs();
        assert!(grey < 0.002, "grey area kept: {grey}");
        // Detail: neighbouring pixels differ by the same grain as before.
        let d_in = y_of(&img, 8, 16) - y_of(&img, 9, 16);
        let d_out = y_of(&out, 8, 16) - y_of(&out, 9, 16);
        assert!((d_in - d_out).abs() < 0.1 * d_in.abs(), "{d_in} vs {d_out}");
    }
}
