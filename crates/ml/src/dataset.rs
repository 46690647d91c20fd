//! The prepared dataset (`pipeline/03_copycat_training/prep/manifest.json`) and the patch
//! sampler that feeds training: random crops from a multi-scale pyramid of each training pair,
//! with flips, 90° rotations and a small exposure/grade jitter of the *input* only (so the net
//! learns that a slightly different scan density still means the same colour).

use super::space;
use crate::media::{self, Image};
use anyhow::Context;
use rand::Rng;
use rand::rngs::StdRng;
use std::path::{Path, PathBuf};
use tch::{Device, Kind, Tensor};

pub use tinct_core::stages::prep::{MANIFEST, PrepManifest, PrepPair};

/// One pair in memory at several scales: the input as working-space Y'CbCr plus its frame
/// positions `[5, H, W]` (see `net::positions`), the target as Y'CbCr `[3, H, W]`.
pub struct PairPyramid {
    pub frame: i64,
    /// (input, target) per level; level 0 is full resolution.
    pub levels: Vec<(Tensor, Tensor)>,
}

/// Read a prepared pair's input and target (linear Rec.709).
pub fn read_pair(root: &Path, p: &PrepPair) -> anyhow::Result<(Image, Image)> {
    let read = |rel: &str| {
        let path: PathBuf = root.join(rel);
        media::read_linear(&path, None)
            .with_context(|| format!("frame {}: reading {}", p.frame, path.display()))
    };
    Ok((read(&p.input)?, read(&p.target)?))
}

/// How training frames become pyramids.
#[derive(Clone, Copy, Debug)]
pub struct PyramidSpec {
    /// The network's working resolution, 1/`scale` of full size (`train.chroma-scale`).
    pub scale: i64,
    /// Levels (each half the one before), stopping before a side drops below `min_side`.
    pub levels: usize,
    pub min_side: i64,
    /// Where the pairs lie in the source frame; `None` = they are whole frames.
    pub place: Option<super::net::Place>,
}

/// A pair as working-space tensors at the levels of `spec`, stored half precision on `device`
/// to halve the memory of a large training set.
pub fn pyramid(
    frame: i64,
    input: &Image,
    target: &Image,
    device: Device,
    spec: &PyramidSpec,
) -> anyhow::Result<PairPyramid> {
    let (mut x, mut y) = (to_ycc(input, device), to_ycc(target, device));
    anyhow::ensure!(
        x.size() == y.size(),
        "frame {frame}: input and target sizes differ"
    );
    let s0 = x.size();
    // Positions are each pixel's place in the source frame, whatever the level's scale.
    let place0 = spec
        .place
        .unwrap_or_else(|| super::net::Place::whole(s0[2], s0[1]));
    if spec.scale > 1 {
        // The same area average as inference at a reduced scale.
        let shrink =
            |t: &Tensor| super::tiles::area_shrink(&t.unsqueeze(0), spec.scale).squeeze_dim(0);
        (x, y) = (shrink(&x), shrink(&y));
    }
    let store = |x: &Tensor, y: &Tensor, factor: i64| {
        let s = x.size();
        let at = super::net::positions_in(s[1], s[2], &place0.reduced(factor as f64), x.device())
            .squeeze_dim(0);
        (
            Tensor::cat(&[x, &at], 0).to_kind(Kind::Half),
            y.to_kind(Kind::Half),
        )
    };
    let mut factor = spec.scale.max(1);
    let mut out = vec![store(&x, &y, factor)];
    let half = |x: &Tensor| {
        x.unsqueeze(0)
            .avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None::<i64>)
            .squeeze_dim(0)
    };
    for _ in 1..spec.levels {
        let s = x.size();
        if s[1] / 2 < spec.min_side || s[2] / 2 < spec.min_side {
            break;
        }
        (x, y, factor) = (half(&x), half(&y), factor * 2);
        out.push(store(&x, &y, factor));
    }
    Ok(PairPyramid { frame, levels: out })
}

/// Linear image → clamped working-space `[3, H, W]` float tensor on `device`.
pub fn to_ycc(img: &Image, device: Device) -> Tensor {
    let t = super::tiles::image_to_tensor(img, device);
    space::clamp_ycbcr_t(&space::rgb_to_ycbcr_t(&t)).squeeze_dim(0)
}

#[derive(Clone, Debug)]
pub struct Augment {
    pub geometry: bool,
    /// Largest exposure change of the input, in stops.
    pub exposure: f64,
    /// Largest relative saturation change of the input (chroma offsets are a tenth of it).
    pub grade: f64,
    /// Probability weights of pyramid levels 0, 1, 2 (multi-resolution training).
    pub level_weights: Vec<f64>,
}

/// A batch: input `[B, 5, c, c]` (Y'CbCr and frame positions) and target chroma
/// `[B, 2, c, c]`, float, on `device`. Flips and rotations move the positions with the pixels.
pub fn sample_batch(
    pairs: &[PairPyramid],
    rng: &mut StdRng,
    batch: usize,
    crop: i64,
    aug: &Augment,
    device: Device,
) -> (Tensor, Tensor) {
    let mut xs = Vec::with_capacity(batch);
    let mut ys = Vec::with_capacity(batch);
    for _ in 0..batch {
        let pair = &pairs[rng.random_range(0..pairs.len())];
        let level = pick_level(pair, rng, crop, &aug.level_weights);
        let (x, y) = &pair.levels[level];
        let s = x.size();
        let oy = rng.random_range(0..=(s[1] - crop));
        let ox = rng.random_range(0..=(s[2] - crop));
        let mut x = x
            .narrow(1, oy, crop)
            .narrow(2, ox, crop)
            .to_kind(Kind::Float);
        let mut y = y
            .narrow(1, oy, crop)
            .narrow(2, ox, crop)
            .narrow(0, 1, 2)
            .to_kind(Kind::Float);
        if aug.geometry {
            if rng.random_bool(0.5) {
                x = x.flip([2]);
                y = y.flip([2]);
            }
            let k = rng.random_range(0..4i64);
            if k > 0 {
                x = x.rot90(k, [1, 2]);
                y = y.rot90(k, [1, 2]);
            }
        }
        if aug.exposure > 0.0 || aug.grade > 0.0 {
            x = jitter(&x, rng, aug);
        }
        xs.push(x);
        ys.push(y);
    }
    (
        Tensor::stack(&xs, 0).to_device(device),
        Tensor::stack(&ys, 0).to_device(device),
    )
}

fn pick_level(pair: &PairPyramid, rng: &mut StdRng, crop: i64, weights: &[f64]) -> usize {
    let usable: Vec<usize> = (0..pair.levels.len())
        .filter(|&l| {
            let s = pair.levels[l].0.size();
            s[1] >= crop && s[2] >= crop
        })
        .collect();
    let w: Vec<f64> = usable
        .iter()
        .map(|&l| weights.get(l).copied().unwrap_or(0.0))
        .collect();
    let total: f64 = w.iter().sum();
    if total <= 0.0 {
        return 0;
    }
    let mut r = rng.random::<f64>() * total;
    for (i, wi) in w.iter().enumerate() {
        if r < *wi {
            return usable[i];
        }
        r -= wi;
    }
    usable[usable.len() - 1]
}

/// Exposure and grade jitter of a `[C, c, c]` working-space crop (channels past Y'CbCr kept). Exposure is applied to Y'
/// through the sRGB curve's ~2.4 power (a stop is ×2 in linear light ≈ ×2^(1/2.4) in Y').
fn jitter(x: &Tensor, rng: &mut StdRng, aug: &Augment) -> Tensor {
    let stops = if aug.exposure > 0.0 {
        rng.random_range(-aug.exposure..=aug.exposure)
    } else {
        0.0
    };
    let (sat, off_b, off_r) = if aug.grade > 0.0 {
        let g = aug.grade;
        (
            1.0 + rng.random_range(-g..=g),
            rng.random_range(-g..=g) * 0.1,
            rng.random_range(-g..=g) * 0.1,
        )
    } else {
        (1.0, 0.0, 0.0)
    };
    let y = x.narrow(0, 0, 1) * 2f64.powf(stops / 2.4);
    let cb = x.narrow(0, 1, 1) * sat + off_b;
    let cr = x.narrow(0, 2, 1) * sat + off_r;
    let rest = x.narrow(0, 3, x.size()[0] - 3);
    space::clamp_ycbcr_t(&Tensor::cat(&[y, cb, cr, rest], 0).unsqueeze(0)).squeeze_dim(0)
}
