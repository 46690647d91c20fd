//! The grade prior: a global 3D LUT the network starts from and predicts a residual on.
//!
//! Why: a faded print is mostly a *global* colour change (dye loss, a cast, lifted blacks), which
//! the regularised least-squares LUT of the MatchGrade baseline inverts almost exactly in
//! seconds, while a U-Net needs thousands of steps to learn the same curve from crops. So the
//! network's chroma is `LUT(input) + U-Net residual`: the LUT is fitted in closed form on the
//! training pairs before the first step (the same fit as `tinct run matchgrade`), stored in the
//! checkpoint, and frozen; the U-Net, whose head starts at zero, only learns what a global grade
//! cannot (colour that depends on what is in the picture, which is all of it on a monochrome
//! scan). This is the "learned 3D LUT with a spatial residual" family (Zeng et al. 2020), with
//! the LUT solved rather than learned.
//!
//! Storage: one frozen variable `prior_lut`, `[1, 2, n, n, n]` = the Cb/Cr (working space) each
//! node maps to, indexed `[.., b, g, r]` over the input's sRGB-encoded R'G'B' in 0..1 (the
//! grading encoding of `crate::grade`, which is the working space's encoding). Looked up with
//! trilinear `grid_sample`, so it runs on whatever device the network runs on.

use super::space;
use crate::grade::{self, Lut3d, Samples, lut_fit::LutFitParams};
use crate::media::Image;
use anyhow::Context;
use tch::Tensor;

/// Variable name in the VarStore (and `net.prior_lut` in checkpoints).
pub const VAR: &str = "prior_lut";

/// Nodes per axis of the identity prior: trilinear interpolation reproduces any linear map
/// exactly, and R'G'B' → Cb/Cr is linear, so 2 nodes are an exact "keep the input's chroma".
pub const IDENTITY_NODES: i64 = 2;

/// The `[1, 2, n, n, n]` Cb/Cr table of a LUT over the grading encoding.
pub fn chroma_table(lut: &Lut3d) -> Tensor {
    let n = lut.size as i64;
    let (mut cb, mut cr) = (Vec::with_capacity(lut.data.len()), Vec::new());
    // Lut3d stores red fastest, then green, then blue: the same memory order as [b][g][r].
    for rgb in &lut.data {
        let [_, b, r] = space::encoded_to_ycbcr(*rgb);
        cb.push(b);
        cr.push(r);
    }
    cb.extend(cr);
    Tensor::from_slice(&cb).view([1, 2, n, n, n])
}

/// The prior that changes nothing: the input's own chroma.
pub fn identity_table() -> Tensor {
    chroma_table(&Lut3d::identity(IDENTITY_NODES as usize))
}

/// Look up the prior chroma of working-space input `x` (`[N, 3, H, W]` Y'CbCr) → `[N, 2, H, W]`.
pub fn lookup(table: &Tensor, x: &Tensor) -> Tensor {
    let s = x.size();
    // R'G'B' in 0..1 → grid coordinates in -1..1 (x = red = innermost table axis).
    let grid = (space::ycbcr_to_encoded_t(x).clamp(0.0, 1.0) * 2.0 - 1.0)
        .permute([0, 2, 3, 1])
        .unsqueeze(1);
    let table = table
        .to_device(x.device())
        .to_kind(x.kind())
        .expand([s[0], -1, -1, -1, -1], false);
    // Trilinear, border padding (clamped input already), corners aligned with the nodes.
    table
        .grid_sampler_3d(&grid.to_kind(x.kind()), 0, 1, true)
        .squeeze_dim(2)
}

/// Fit the prior LUT on linear Rec.709 pairs (input → target), exactly as MatchGrade fits its
/// LUT (root-polynomial prior, regularised least squares in the grading encoding).
pub fn fit(samples: &Samples, params: &LutFitParams) -> Lut3d {
    grade::fit_lut(samples, params).1
}

/// Fit the prior on at most `max_samples` (input, target) pixels of the training pairs
/// (`(frame, input, target)`, linear). Returns the LUT and the number of samples used.
pub fn fit_on_pairs(
    pairs: &[(i64, Image, Image)],
    params: &LutFitParams,
    max_samples: usize,
) -> anyhow::Result<(Lut3d, usize)> {
    let total: usize = pairs.iter().map(|(_, i, _)| i.pixel_count()).sum();
    let stride = total.div_ceil(max_samples.max(1)).max(1);
    let mut samples = Samples::default();
    for (frame, input, target) in pairs {
        samples
            .push_pair(input, target, stride)
            .with_context(|| format!("grade prior: frame {frame}"))?;
    }
    anyhow::ensure!(
        !samples.is_empty(),
        "grade prior: the training pairs hold no usable pixels"
    );
    Ok((fit(&samples, params), samples.len()))
}

/// Copy `lut` into the network's prior variable (sizes must agree).
pub fn assign(var: &mut Tensor, lut: &Lut3d) {
    let t = chroma_table(lut).to_device(var.device());
    tch::no_grad(|| var.copy_(&t));
}

/// Nodes per axis of a stored table.
pub fn nodes(table: &Tensor) -> i64 {
    table.size()[2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn identity_prior_returns_the_input_chroma() {
        let rgb = Tensor::rand([2, 3, 8, 12], (Kind::Float, Device::Cpu));
        let x = space::rgb_to_ycbcr_t(&rgb);
        let got = lookup(&identity_table(), &x);
        let want = x.narrow(1, 1, 2);
        let err = (got - want).abs().max().double_value(&[]);
        assert!(err < 1e-5, "{err}");
    }

    #[test]
    fn a_fitted_prior_undoes_a_global_cast() {
        // Source: a reddish, desaturated version of random colours; target: the colours.
        let mut s = Samples::default();
        let mut k = 1u32;
        let mut rnd = || {
            k = k.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (k >> 8) as f32 / (1 << 24) as f32
        };
        for _ in 0..20_000 {
            let c = [rnd() * 0.8, rnd() * 0.8, rnd() * 0.8];
            let y = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
            let cast = [1.1, 0.9, 0.92];
            s.src
                .push(std::array::from_fn(|i| (y + 0.5 * (c[i] - y)) * cast[i]));
            s.dst.push(c);
        }
        let lut = fit(
            &s,
            &LutFitParams {
                size: 17,
                ..Default::default()
            },
        );
        let table = chroma_table(&lut);
        let n = 64;
        let src: Vec<f32> = s.src[..n].iter().flat_map(|p| *p).collect();
        let dst: Vec<f32> = s.dst[..n].iter().flat_map(|p| *p).collect();
        let to_t = |v: &[f32]| {
            Tensor::from_slice(v)
                .view([1, n as i64, 3])
                .permute([0, 2, 1])
                .unsqueeze(3)
        };
        let x = space::rgb_to_ycbcr_t(&to_t(&src));
        let want = space::rgb_to_ycbcr_t(&to_t(&dst)).narrow(1, 1, 2);
        let before = (x.narrow(1, 1, 2) - &want)
            .abs()
            .mean(Kind::Float)
            .double_value(&[]);
        let after = (lookup(&table, &x) - &want)
            .abs()
            .mean(Kind::Float)
            .double_value(&[]);
        assert!(after < before * 0.1, "chroma error {before} -> {after}");
    }
}
