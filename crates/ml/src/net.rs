//! The chroma network: a compact U-Net that reads the source in the working space (Y'CbCr) and
//! predicts Cb/Cr only; luma is never produced, so it can never drift.
//!
//! Choice (see the README): per-film colour recovery is a small-data, single-domain problem.
//! * A learned 3D LUT (Zeng et al. 2020) is a global colour map; on a monochrome scan it
//!   degenerates to a 1D luma→colour curve and cannot tell a grey coat from a grey sky.
//! * An HDRNet-style bilateral grid (Gharbi et al. 2017) predicts local affine colour
//!   transforms of the *input*, excellent for re-grading a faded print, but within a grid cell
//!   colour is still a function of luma only, so monochrome recovery is again limited.
//! * A U-Net (Ronneberger 2015; the structure behind Nuke's CopyCat and pix2pix colourisation)
//!   sees texture and context over a large receptive field, so it recovers colour from
//!   *what* is in the picture; it is what generalises best to held-out frames of the same reel.
//!
//! We keep the U-Net's quality and buy back the speed with one observation borrowed from the
//! bilateral-grid work: chroma is band-limited. The full-resolution level is thin (half the
//! base width, one conv each way) and only refines edges guided by the full-resolution luma;
//! the heavy lifting happens at 1/2 … 1/16 resolution.
//!
//! The output is a residual on a *grade prior* (see [`super::prior`]): a global 3D LUT fitted
//! in closed form on the training pairs before the first step, frozen, stored with the weights.
//! The U-Net sees the input and the prior's chroma, and its zero-initialised head makes the
//! untrained network exactly the global grade; training only adds what a global grade cannot
//! know. With the identity prior the residual is on the input's own chroma.
//!
//! Position channels (`train.coords`): a print fades unevenly across the frame (its edges, a
//! water stain, a warm spot of the projector), and that pattern is fixed to the frame, not the
//! picture. A global grade cannot undo it; a convolution cannot know where in the frame its
//! crop lies. So the network also reads each pixel's frame position (u, v in -1..1) as two more
//! input channels: the fade field becomes a smooth function it can learn from a few frames.
//! The positions travel with the pixels (crops, flips and rotations keep them true), and a
//! tile carries its own part of the frame's grid.
//!
//! Inputs must have H and W divisible by [`ChromaNet::MULTIPLE`]; `tiles` pads for that.

use super::prior;
use crate::grade::Lut3d;
use tch::Tensor;
use tch::nn::{self, Module};

/// Model size presets (base channel width): the `train.model` choice.
pub use tinct_core::project::config::ModelSize;

fn conv(p: nn::Path, cin: i64, cout: i64, k: i64, stride: i64) -> nn::Conv2D {
    let cfg = nn::ConvConfig {
        stride,
        padding: k / 2,
        ..Default::default()
    };
    nn::conv2d(p, cin, cout, k, cfg)
}

/// The network. Variable names are stable: checkpoints and the Python peer use them.
#[derive(Debug)]
pub struct ChromaNet {
    pub size: ModelSize,
    e0: nn::Conv2D,
    e1a: nn::Conv2D,
    e1b: nn::Conv2D,
    e2a: nn::Conv2D,
    e2b: nn::Conv2D,
    e3a: nn::Conv2D,
    e3b: nn::Conv2D,
    bna: nn::Conv2D,
    bnb: nn::Conv2D,
    d3: nn::Conv2D,
    d2: nn::Conv2D,
    d1: nn::Conv2D,
    d0: nn::Conv2D,
    head: nn::Conv2D,
    /// Frozen `[1, 2, n, n, n]` Cb/Cr table of the grade prior.
    prior: Tensor,
    /// Reads the frame position channels (see the module docs).
    pub coords: bool,
}

impl ChromaNet {
    /// H and W of the input must be multiples of this (four stride-2 levels).
    pub const MULTIPLE: i64 = 16;

    /// Input channels of the first convolution: Y', Cb, Cr and the prior's Cb, Cr, then the
    /// position channels u, v when the network reads them.
    fn first_inputs(coords: bool) -> i64 {
        if coords { 7 } else { 5 }
    }

    /// Channels the network reads from its input: Y', Cb, Cr (and u, v with `coords`).
    pub fn data_channels(&self) -> i64 {
        if self.coords { 5 } else { 3 }
    }

    /// Whether a checkpoint's first-layer weights (`[out, in, k, k]`) read position channels.
    pub fn reads_coords(e0_weight_shape: &[i64]) -> bool {
        e0_weight_shape.get(1) == Some(&Self::first_inputs(true))
    }

    /// A network with the identity prior (training fits and assigns the real one), reading
    /// position channels.
    pub fn new(vs: &nn::Path, size: ModelSize) -> ChromaNet {
        Self::with_prior_nodes(vs, size, prior::IDENTITY_NODES, true)
    }

    /// A network whose prior table has `nodes` points per axis (loading a checkpoint).
    pub fn with_prior_nodes(vs: &nn::Path, size: ModelSize, nodes: i64, coords: bool) -> ChromaNet {
        let c = size.base_width();
        let h = c / 2;
        let mut table = vs.zeros_no_train(prior::VAR, &[1, 2, nodes, nodes, nodes]);
        if nodes == prior::IDENTITY_NODES {
            let id = prior::identity_table().to_device(table.device());
            tch::no_grad(|| table.copy_(&id));
        }
        ChromaNet {
            size,
            prior: table,
            coords,
            e0: conv(vs / "e0", Self::first_inputs(coords), h, 3, 1),
            e1a: conv(vs / "e1a", h, c, 3, 2),
            e1b: conv(vs / "e1b", c, c, 3, 1),
            e2a: conv(vs / "e2a", c, 2 * c, 3, 2),
            e2b: conv(vs / "e2b", 2 * c, 2 * c, 3, 1),
            e3a: conv(vs / "e3a", 2 * c, 4 * c, 3, 2),
            e3b: conv(vs / "e3b", 4 * c, 4 * c, 3, 1),
            bna: conv(vs / "bna", 4 * c, 4 * c, 3, 2),
            bnb: conv(vs / "bnb", 4 * c, 4 * c, 3, 1),
            d3: conv(vs / "d3", 8 * c, 2 * c, 3, 1),
            d2: conv(vs / "d2", 4 * c, c, 3, 1),
            d1: conv(vs / "d1", 2 * c, h, 3, 1),
            d0: conv(vs / "d0", 2 * h, h, 3, 1),
            // Start at "no change": the head's weights begin at zero so the first prediction
            // is the input's own chroma.
            head: nn::conv2d(
                vs / "head",
                h,
                2,
                1,
                nn::ConvConfig {
                    ws_init: nn::Init::Const(0.0),
                    ..Default::default()
                },
            ),
        }
    }

    /// Replace the grade prior (before training; the LUT's size must match the table's).
    pub fn set_prior(&mut self, lut: &Lut3d) {
        assert_eq!(lut.size as i64, prior::nodes(&self.prior), "prior LUT size");
        prior::assign(&mut self.prior, lut);
    }

    /// Nodes per axis of the prior table (2 = identity).
    pub fn prior_nodes(&self) -> i64 {
        prior::nodes(&self.prior)
    }

    /// The grade prior's Cb/Cr for `[N, C, H, W]` Y'CbCr (channels past the third ignored): what
    /// the untrained network predicts.
    pub fn prior_chroma(&self, ycc: &Tensor) -> Tensor {
        prior::lookup(&self.prior, &ycc.narrow(1, 0, 3))
    }

    /// `[N, C, H, W]` Y'CbCr (channels 0..3) and frame positions (3..5) → `[N, 2, H, W]`
    /// predicted Cb/Cr. A 3-channel input is taken to be whole frames: the network adds their
    /// positions itself. Channels it does not read are ignored.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let (base, correction) = self.parts(x);
        base + correction
    }

    /// What the network adds to the grade prior for `x` (as [`Self::forward`] reads it): the
    /// part a reduced-resolution pass upsamples, without the prior's own rounding in it.
    pub fn correction(&self, x: &Tensor) -> Tensor {
        self.parts(x).1
    }

    /// The prior's chroma and the network's correction of it.
    fn parts(&self, x: &Tensor) -> (Tensor, Tensor) {
        let x = if self.coords && x.size()[1] < 5 {
            let s = x.size();
            let grid = positions(s[2], s[3], x.device())
                .to_kind(x.kind())
                .expand([s[0], -1, -1, -1], false);
            Tensor::cat(&[x.narrow(1, 0, 3), grid], 1)
        } else {
            x.narrow(1, 0, self.data_channels())
        };
        let base = prior::lookup(&self.prior, &x);
        // Each level's intermediate tensors are dropped at the end of its statement, so peak
        // memory is the skip tensors plus one level's work (this matters for 4K tiles).
        let e0 = self.e0.forward(&Tensor::cat(&[&x, &base], 1)).relu();
        let e1 = self.e1b.forward(&self.e1a.forward(&e0).relu()).relu();
        let e2 = self.e2b.forward(&self.e2a.forward(&e1).relu()).relu();
        let e3 = self.e3b.forward(&self.e3a.forward(&e2).relu()).relu();
        let b = self.bnb.forward(&self.bna.forward(&e3).relu()).relu();
        let d = self.d3.forward(&Tensor::cat(&[up(&b, &e3), e3], 1)).relu();
        let d = self.d2.forward(&Tensor::cat(&[up(&d, &e2), e2], 1)).relu();
        let d = self.d1.forward(&Tensor::cat(&[up(&d, &e1), e1], 1)).relu();
        let d = self.d0.forward(&Tensor::cat(&[up(&d, &e0), e0], 1)).relu();
        let correction = self.head.forward(&d);
        (base, correction)
    }
}

/// `[1, 2, h, w]` frame positions of a whole `w`×`h` frame: u across, v down, pixel centres
/// in -1..1.
pub fn positions(h: i64, w: i64, device: tch::Device) -> Tensor {
    positions_in(h, w, &Place::whole(w, h), device)
}

/// Where a picture lies in the source frame: its top-left corner and the frame's size in
/// source pixels, and how many source pixels one of its pixels spans (a pyramid level, a
/// reduced-resolution pass).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub origin: [f64; 2],
    pub frame: [f64; 2],
    pub scale: f64,
}

impl From<tinct_core::grade::luma_field::FrameWindow> for Place {
    /// Where prep says its pairs lie (the alignment's linked crop), at full resolution.
    fn from(w: tinct_core::grade::luma_field::FrameWindow) -> Place {
        Place {
            origin: w.origin.map(|v| v as f64),
            frame: w.frame.map(|v| v as f64),
            scale: 1.0,
        }
    }
}

impl Place {
    pub fn whole(w: i64, h: i64) -> Place {
        Place {
            origin: [0.0, 0.0],
            frame: [w as f64, h as f64],
            scale: 1.0,
        }
    }

    /// The same picture at 1/`n` resolution.
    pub fn reduced(self, n: f64) -> Place {
        Place {
            scale: self.scale * n,
            ..self
        }
    }
}

/// `[1, 2, h, w]` frame positions (-1..1 over the whole source frame) of an `h`×`w` picture
/// lying at `place`.
pub fn positions_in(h: i64, w: i64, place: &Place, device: tch::Device) -> Tensor {
    let axis = |n: i64, origin: f64, frame: f64| {
        ((Tensor::arange(n, (tch::Kind::Float, device)) + 0.5) * place.scale + origin)
            * (2.0 / frame.max(1.0))
            - 1.0
    };
    let u = axis(w, place.origin[0], place.frame[0])
        .view([1, 1, 1, w])
        .expand([1, 1, h, w], false);
    let v = axis(h, place.origin[1], place.frame[1])
        .view([1, 1, h, 1])
        .expand([1, 1, h, w], false);
    Tensor::cat(&[u, v], 1)
}

/// Bilinear ×2 upsampling to the skip tensor's size.
fn up(x: &Tensor, like: &Tensor) -> Tensor {
    let s = like.size();
    x.upsample_bilinear2d([s[2], s[3]], false, None, None)
}

/// Number of trainable parameters in `vs`.
pub fn parameter_count(vs: &nn::VarStore) -> i64 {
    vs.trainable_variables()
        .iter()
        .map(|t| t.numel() as i64)
        .sum()
}

/// Parameter count of each size, for `tinct` to print ("small 0.12 M, …").
pub fn parameter_counts() -> Vec<(ModelSize, i64)> {
    ModelSize::ALL
        .into_iter()
        .map(|s| {
            let vs = nn::VarStore::new(tch::Device::Cpu);
            let _ = ChromaNet::new(&vs.root(), s);
            (s, parameter_count(&vs))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_and_a_pyramid_level_see_the_frame_positions_of_their_pixels() {
        let dev = tch::Device::Cpu;
        let whole = positions(40, 64, dev);
        // The crop x 16..48, y 8..32 of the frame.
        let place = Place {
            origin: [16.0, 8.0],
            frame: [64.0, 40.0],
            scale: 1.0,
        };
        let crop = positions_in(24, 32, &place, dev);
        let want = whole.narrow(2, 8, 24).narrow(3, 16, 32);
        assert!((crop - want).abs().max().double_value(&[]) < 1e-6);
        // Half resolution: each pixel sits at the centre of the two it averages.
        let half = positions_in(20, 32, &Place::whole(64, 40).reduced(2.0), dev);
        let pair_mean = (whole.narrow(3, 0, 1) + whole.narrow(3, 1, 1)) / 2.0;
        let d = (half.narrow(3, 0, 1).narrow(1, 0, 1) - pair_mean.narrow(1, 0, 1).narrow(2, 0, 20))
            .abs()
            .max()
            .double_value(&[]);
        assert!(d < 1e-6, "{d}");
    }

    #[test]
    fn shapes_and_identity_start() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = ChromaNet::new(&vs.root(), ModelSize::Small);
        let rgb = Tensor::rand([2, 3, 32, 48], (tch::Kind::Float, tch::Device::Cpu));
        let x = crate::space::rgb_to_ycbcr_t(&rgb);
        let y = net.forward(&x);
        assert_eq!(y.size(), vec![2, 2, 32, 48]);
        // Zero head and identity prior: the prediction starts as the input's chroma.
        let diff = (&y - x.narrow(1, 1, 2)).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "{diff}");
        // A 5-channel input (positions given) runs the same network.
        let positioned = Tensor::cat(
            &[
                &x,
                &positions(32, 48, tch::Device::Cpu).expand([2, -1, -1, -1], false),
            ],
            1,
        );
        assert!(
            (net.forward(&positioned) - &y)
                .abs()
                .max()
                .double_value(&[])
                < 1e-5
        );
        let counts = parameter_counts();
        assert!(
            counts[0].1 < counts[1].1 && counts[1].1 < counts[2].1,
            "{counts:?}"
        );
    }
}
