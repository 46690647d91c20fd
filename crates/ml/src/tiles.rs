//! Tiled inference: apply the network to a frame of any size with bounded memory and no seams,
//! and rebuild the picture as *source luma + predicted chroma*.
//!
//! The frame is cut into a grid of core tiles no larger than `tile` pixels a side. Each tile is
//! run with `overlap` pixels of real picture around it as context; across every inner boundary
//! the two neighbours' predictions are cross-faded with linear weights over `overlap` pixels
//! that sum to one, so there is no step where tiles meet. Frames that fit one tile run whole.

use super::net::{ChromaNet, Place};
use super::space;
use crate::media::Image;
use tch::{Device, Kind, Tensor};

#[derive(Clone, Debug)]
pub struct TileOptions {
    /// Largest core tile side, in pixels.
    pub tile: usize,
    /// Cross-fade width (and context margin) at inner tile boundaries, in pixels.
    pub overlap: usize,
    /// Run the network in half precision (CUDA only; ignored on CPU).
    pub half: bool,
    /// Predict chroma at 1/N resolution and upsample it (`infer.chroma-scale`); 1 = full.
    pub chroma_scale: usize,
    /// Where the picture lies in the source frame (a cropped training pair); `None` = it is the
    /// whole frame.
    pub place: Option<Place>,
}

impl Default for TileOptions {
    fn default() -> Self {
        Self {
            tile: 2048,
            overlap: 64,
            half: false,
            chroma_scale: 1,
            place: None,
        }
    }
}

/// Extra context around each tile beyond the cross-fade zone, in pixels.
const CONTEXT: usize = 64;

fn align_down(v: usize) -> usize {
    v - v % ChromaNet::MULTIPLE as usize
}

/// Rows converted per chunk, so colour conversion temporaries stay small at 4K.
const BAND_ROWS: i64 = 256;

/// Image (linear Rec.709) → `[1, 3, H, W]` float tensor on `device`.
pub fn image_to_tensor(img: &Image, device: Device) -> Tensor {
    let rgb;
    let img = if img.channels == 3 {
        img
    } else {
        rgb = img.to_rgb();
        &rgb
    };
    Tensor::from_slice(&img.data)
        .view([img.height as i64, img.width as i64, 3])
        .permute([2, 0, 1])
        .unsqueeze(0)
        .to_device(device)
        .contiguous()
}

/// `[1, 3, H, W]` tensor → Image (linear Rec.709, 3 channels).
pub fn tensor_to_image(t: &Tensor) -> Image {
    let s = t.size();
    let (h, w) = (s[2] as usize, s[3] as usize);
    let hwc = t
        .squeeze_dim(0)
        .permute([1, 2, 0])
        .to_kind(Kind::Float)
        .to_device(Device::Cpu)
        .contiguous();
    let mut data = vec![0f32; h * w * 3];
    hwc.copy_data(&mut data, h * w * 3);
    Image::from_vec(w, h, 3, data)
}

/// Apply `f` to row bands of `x` (`[1, C, H, W]`), writing into a new `[1, c_out, H, W]` tensor.
fn by_bands(x: &Tensor, c_out: i64, f: impl Fn(&Tensor) -> Tensor) -> Tensor {
    let s = x.size();
    let out = Tensor::empty([1, c_out, s[2], s[3]], (Kind::Float, x.device()));
    let mut r = 0;
    while r < s[2] {
        let n = BAND_ROWS.min(s[2] - r);
        out.narrow(2, r, n).copy_(&f(&x.narrow(2, r, n)));
        r += n;
    }
    out
}

/// Boundaries of `n` near-equal core spans covering `0..len`, each at most `tile` long.
fn spans(len: usize, tile: usize) -> Vec<(usize, usize)> {
    let n = len.div_ceil(tile.max(1)).max(1);
    (0..n).map(|i| (i * len / n, (i + 1) * len / n)).collect()
}

/// Weights along one axis for computed span `[c0, c1)` of core `[k0, k1)` in a line of `len`.
fn ramp(c0: usize, c1: usize, k0: usize, k1: usize, len: usize, ov: usize) -> Vec<f32> {
    let ov = ov.max(1) as f32;
    (c0..c1)
        .map(|p| {
            let p = p as f32 + 0.5;
            let mut w = 1.0f32;
            if k0 > 0 {
                w *= ((p - (k0 as f32 - ov / 2.0)) / ov).clamp(0.0, 1.0);
            }
            if k1 < len {
                w *= (((k1 as f32 + ov / 2.0) - p) / ov).clamp(0.0, 1.0);
            }
            w
        })
        .collect()
}

/// What [`predict_chroma`] returns per pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The predicted Cb/Cr.
    Chroma,
    /// Only the network's correction of the grade prior (`ChromaNet::correction`).
    Correction,
}

/// Predicted Cb/Cr, or only its correction (`[1, 2, H, W]`), for working-space input `ycc`
/// (`[1, 3, H, W]`, a whole frame: each tile carries its own part of the frame's position grid).
pub fn predict_chroma(net: &ChromaNet, ycc: &Tensor, opts: &TileOptions, output: Output) -> Tensor {
    let s = ycc.size();
    let (h, w) = (s[2] as usize, s[3] as usize);
    let dev = ycc.device();
    let positioned;
    let ycc = if net.coords {
        let place = opts.place.unwrap_or_else(|| Place::whole(s[3], s[2]));
        let at = super::net::positions_in(s[2], s[3], &place, dev).to_kind(ycc.kind());
        positioned = Tensor::cat(&[ycc, &at], 1);
        &positioned
    } else {
        ycc
    };
    let acc = Tensor::zeros([1, 2, s[2], s[3]], (Kind::Float, dev));
    let wsum = Tensor::zeros([1, 1, s[2], s[3]], (Kind::Float, dev));
    let (ys, xs) = (spans(h, opts.tile), spans(w, opts.tile));
    let tiled = ys.len() * xs.len() > 1;
    // Context beyond the cross-fade: the network's receptive field is wide (four stride-2
    // levels), so give each tile real picture well past the zone where it is blended.
    let margin = if tiled { opts.overlap + CONTEXT } else { 0 };
    let half = opts.half && dev.is_cuda();
    for &(ky0, ky1) in &ys {
        for &(kx0, kx1) in &xs {
            // Start on the network's 16-pixel grid: stride-2 layers then sample the same
            // positions as in a whole-frame pass, which is what makes tiles agree.
            let (cy0, cy1) = (
                align_down(ky0.saturating_sub(margin)),
                (ky1 + margin).min(h),
            );
            let (cx0, cx1) = (
                align_down(kx0.saturating_sub(margin)),
                (kx1 + margin).min(w),
            );
            let (th, tw) = ((cy1 - cy0) as i64, (cx1 - cx0) as i64);
            let tile = ycc.narrow(2, cy0 as i64, th).narrow(3, cx0 as i64, tw);
            let m = ChromaNet::MULTIPLE;
            let (ph, pw) = ((m - th % m) % m, (m - tw % m) % m);
            let input = space::clamp_ycbcr_t(&tile);
            let input = if ph + pw > 0 {
                input.pad([0, pw, 0, ph], "replicate", None)
            } else {
                input
            };
            let run = || match output {
                Output::Chroma => net.forward(&input),
                Output::Correction => net.correction(&input),
            };
            let chroma = tch::no_grad(|| tch::autocast(half, run))
                .to_kind(Kind::Float)
                .narrow(2, 0, th)
                .narrow(3, 0, tw);
            if !tiled {
                return chroma;
            }
            let wy = Tensor::from_slice(&ramp(cy0, cy1, ky0, ky1, h, opts.overlap))
                .to_device(dev)
                .view([1, 1, th, 1]);
            let wx = Tensor::from_slice(&ramp(cx0, cx1, kx0, kx1, w, opts.overlap))
                .to_device(dev)
                .view([1, 1, 1, tw]);
            let wmap = wy * wx;
            let _ = acc
                .narrow(2, cy0 as i64, th)
                .narrow(3, cx0 as i64, tw)
                .g_add_(&(chroma * &wmap));
            let _ = wsum
                .narrow(2, cy0 as i64, th)
                .narrow(3, cx0 as i64, tw)
                .g_add_(&wmap);
        }
    }
    acc / wsum.clamp_min(1e-8)
}

/// Chroma of a network run on an area-averaged 1/N copy of `ycc`: its correction (what it adds
/// to the grade prior there) is upsampled bilinearly and added to the prior at full size, so
/// the source's own fine chroma (a faded colour print's) is kept under the correction. Both use
/// pixel-centre alignment (`align_corners = false`), so the upsampled correction sits on the
/// pixels it was averaged from; the luma it is composed with stays the full-resolution source's.
fn reduced_chroma(net: &ChromaNet, ycc: &Tensor, opts: &TileOptions) -> Tensor {
    let n = opts.chroma_scale as i64;
    let s = ycc.size();
    let small = area_shrink(ycc, n);
    let place = opts
        .place
        .unwrap_or_else(|| Place::whole(s[3], s[2]))
        .reduced(n as f64);
    let small_opts = TileOptions {
        place: Some(place),
        ..opts.clone()
    };
    let correction = predict_chroma(net, &small, &small_opts, Output::Correction);
    let prior = by_bands(ycc, 2, |x| net.prior_chroma(&space::clamp_ycbcr_t(x)));
    prior + correction.upsample_bilinear2d([s[2], s[3]], false, None, None)
}

/// `[N, C, H, W]` averaged over `n`×`n` blocks (a last partial block averages what it has):
/// the reduced picture of a reduced-resolution pass, in training and in inference alike.
pub fn area_shrink(x: &Tensor, n: i64) -> Tensor {
    x.avg_pool2d([n, n], [n, n], [0, 0], true, false, None::<i64>)
}

/// Colourise a frame: the output is the source's own luma (unclamped, bit-for-bit in the
/// working space up to float rounding) with the network's chroma.
pub fn colorize(net: &ChromaNet, src: &Image, device: Device, opts: &TileOptions) -> Image {
    let rgb = image_to_tensor(src, device);
    let ycc = by_bands(&rgb, 3, space::rgb_to_ycbcr_t);
    drop(rgb);
    let chroma = if opts.chroma_scale > 1 {
        reduced_chroma(net, &ycc, opts)
    } else {
        predict_chroma(net, &ycc, opts, Output::Chroma)
    };
    let composed = Tensor::cat(&[ycc.narrow(1, 0, 1), chroma], 1);
    drop(ycc);
    tensor_to_image(&by_bands(&composed, 3, space::ycbcr_to_rgb_t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_sum_to_one_across_a_boundary() {
        let (len, ov) = (200, 16);
        let sp = spans(len, 100);
        assert_eq!(sp, vec![(0, 100), (100, 200)]);
        let a = ramp(0, 100 + ov, 0, 100, len, ov);
        let b = ramp(100 - ov, 200, 100, 200, len, ov);
        for p in 0..len {
            let wa = if p < 100 + ov { a[p] } else { 0.0 };
            let wb = if p >= 100 - ov {
                b[p - (100 - ov)]
            } else {
                0.0
            };
            assert!((wa + wb - 1.0).abs() < 1e-6, "p {p}: {wa} + {wb}");
        }
    }
}
