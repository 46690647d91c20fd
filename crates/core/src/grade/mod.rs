//! Classic global grades fitted on the dataset pairs, the baseline a colourist would otherwise
//! use (Nuke's MatchGrade, "analyze reference frames"): a 3D LUT by regularised least squares,
//! and the simpler fits a colourist knows (ASC CDL, a 3x3 matrix, a root-polynomial).
//!
//! Grading space: LUT and CDL work on Rec.709-primaries, sRGB-transfer-encoded values in 0..1
//! (what `.cube` and `.cc` consumers such as Resolve and Nuke expect on a video-referred grade).
//! The matrix and the root-polynomial work on scene-linear Rec.709, where they are exposure
//! invariant (Finlayson et al. 2015).

pub mod cdl;
pub mod cube;
pub mod global;
pub mod luma;
pub mod luma_field;
pub mod lut3d;
pub mod lut_fit;
pub mod samples;
pub mod shot_grade;

pub use cdl::Cdl;
pub use global::{Matrix3, RootPoly};
pub use lut3d::Lut3d;
pub use samples::Samples;

use crate::color::{self, Colorspace};

/// The 3D LUT fit of the baseline, on linear samples: the root-polynomial grade (returned too)
/// sampled at the nodes is the prior, the LUT is solved around it in the grading encoding.
/// MatchGrade renders with it; the chroma network starts from its chroma (`ml::prior`).
pub fn fit_lut(samples: &Samples, params: &lut_fit::LutFitParams) -> (RootPoly, Lut3d) {
    let root_poly = RootPoly::fit(samples);
    let lut = fit_lut_around(&root_poly, &samples.encoded(), params);
    (root_poly, lut)
}

/// The LUT solved around a root-polynomial grade, from samples already in the grading encoding
/// (`Samples::encoded`), for callers that need the encoded samples for other fits too.
pub fn fit_lut_around(
    root_poly: &RootPoly,
    enc: &Samples,
    params: &lut_fit::LutFitParams,
) -> Lut3d {
    let mut prior = Lut3d::identity(params.size);
    for v in &mut prior.data {
        *v = encode(root_poly.apply(decode(*v))).map(|c| c.clamp(0.0, 1.0));
    }
    lut_fit::fit(&enc.src, &enc.dst, &prior, params)
}

/// A LUT over the grading encoding applied to a linear Rec.709 picture (RGB out, linear).
pub fn apply_lut_linear(lut: &Lut3d, img: &crate::media::Image) -> crate::media::Image {
    use rayon::prelude::*;
    let mut out = img.to_rgb();
    out.data.par_chunks_mut(3 * 4096).for_each(|block| {
        for px in block.chunks_exact_mut(3) {
            let o = decode(lut.apply(encode([px[0], px[1], px[2]])));
            px.copy_from_slice(&o);
        }
    });
    out
}

/// Linear Rec.709 → the grading encoding (sRGB transfer), not clamped.
pub fn encode(rgb: [f32; 3]) -> [f32; 3] {
    color::from_linear(Colorspace::Srgb, rgb)
}

/// The grading encoding → linear Rec.709.
pub fn decode(rgb: [f32; 3]) -> [f32; 3] {
    color::to_linear(Colorspace::Srgb, rgb)
}

#[cfg(test)]
mod tests {
    #[test]
    fn encoding_round_trips_and_is_srgb() {
        for v in [0.0f32, 0.0031308, 0.18, 0.5, 1.0] {
            let e = super::encode([v; 3]);
            let d = super::decode(e);
            assert!((d[0] - v).abs() < 1e-5, "{v} -> {e:?} -> {d:?}");
        }
        assert!((super::encode([0.18; 3])[1] - 0.4613561).abs() < 1e-4);
    }
}
