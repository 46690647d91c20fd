//! The chroma working space: **Y'CbCr with BT.709 coefficients on sRGB-encoded, scene-linear
//! Rec.709** (id `ycbcr709-srgb`).
//!
//! Why this space: the sRGB curve spreads code values roughly perceptually, so an L1 loss on
//! Cb/Cr weighs shadows and highlights alike; Y' is exactly what the operator calls "the scan's
//! density", and the BT.709 matrix is invertible in closed form, so "source luma + predicted
//! chroma" is an exact operation (no iterative solve, unlike CIELAB's L*).
//!
//! * Encode: `E = sign(L) * srgb_oetf(|L|)` per channel (odd extension: negative and >1 linear
//!   values round-trip exactly instead of being clipped).
//! * `Y' = 0.2126 R' + 0.7152 G' + 0.0722 B'`, `Cb = (B' - Y') / 1.8556`, `Cr = (R' - Y') / 1.5748`.
//! * Valid range (what `prep` clamps to): `Y'` in [0, 1], `Cb`, `Cr` in [-0.5, 0.5].
//!
//! Tensor versions work on `[N, 3, H, W]` float tensors (channels R,G,B or Y',Cb,Cr) and run on
//! whatever device the tensor lives on.

use tch::Tensor;

pub use tinct_core::color::working::{
    CB_SCALE, CR_SCALE, KB, KG, KR, WORKING_SPACE_ID, clamp_ycbcr, decode, encode,
    encoded_to_ycbcr, luma, rgb_to_ycbcr, ycbcr_to_rgb,
};

fn srgb_encode_t(l: &Tensor) -> Tensor {
    let a = l.abs();
    let lin = &a * 12.92;
    let pow = a.clamp_min(1e-12).pow_tensor_scalar(1.0 / 2.4) * 1.055 - 0.055;
    let e = pow.where_self(&a.gt(0.003_130_8), &lin);
    e * l.sign()
}

fn srgb_decode_t(e: &Tensor) -> Tensor {
    let a = e.abs();
    let lin = &a / 12.92;
    let pow = ((a.shallow_clone() + 0.055) / 1.055).pow_tensor_scalar(2.4);
    pow.where_self(&a.gt(0.040_45), &lin) * e.sign()
}

/// `[N, 3, H, W]` linear RGB → Y'CbCr.
pub fn rgb_to_ycbcr_t(rgb: &Tensor) -> Tensor {
    let e = srgb_encode_t(rgb);
    let (r, g, b) = (e.narrow(1, 0, 1), e.narrow(1, 1, 1), e.narrow(1, 2, 1));
    let y = &r * KR as f64 + &g * KG as f64 + &b * KB as f64;
    let cb = (&b - &y) / CB_SCALE as f64;
    let cr = (&r - &y) / CR_SCALE as f64;
    Tensor::cat(&[y, cb, cr], 1)
}

/// `[N, 3, H, W]` Y'CbCr → linear RGB.
pub fn ycbcr_to_rgb_t(ycc: &Tensor) -> Tensor {
    srgb_decode_t(&ycbcr_to_encoded_t(ycc))
}

/// `[N, 3, H, W]` Y'CbCr → sRGB-encoded R'G'B' (the matrix step alone).
pub fn ycbcr_to_encoded_t(ycc: &Tensor) -> Tensor {
    let (y, cb, cr) = (
        ycc.narrow(1, 0, 1),
        ycc.narrow(1, 1, 1),
        ycc.narrow(1, 2, 1),
    );
    let r = &y + &cr * CR_SCALE as f64;
    let b = &y + &cb * CB_SCALE as f64;
    let g = (&y - &r * KR as f64 - &b * KB as f64) / KG as f64;
    Tensor::cat(&[r, g, b], 1)
}

/// Clamp `[N, C, H, W]` Y'CbCr (channels 0..3) to the valid range; later channels (frame
/// positions) pass through.
pub fn clamp_ycbcr_t(ycc: &Tensor) -> Tensor {
    let y = ycc.narrow(1, 0, 1).clamp(0.0, 1.0);
    let c = ycc.narrow(1, 1, 2).clamp(-0.5, 0.5);
    let rest = ycc.narrow(1, 3, ycc.size()[1] - 3);
    Tensor::cat(&[y, c, rest], 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_round_trip_is_exact_enough() {
        for rgb in [
            [0.18, 0.18, 0.18],
            [1.5, 0.02, -0.01],
            [0.0, 0.5, 0.9],
            [0.001, 0.0, 0.3],
        ] {
            let back = ycbcr_to_rgb(rgb_to_ycbcr(rgb));
            for c in 0..3 {
                assert!((back[c] - rgb[c]).abs() < 1e-5, "{rgb:?} -> {back:?}");
            }
        }
        // Grey has no chroma.
        let g = rgb_to_ycbcr([0.18; 3]);
        assert!(g[1].abs() < 1e-6 && g[2].abs() < 1e-6);
    }

    #[test]
    fn tensor_matches_scalar() {
        let px = [0.7f32, 0.2, 0.05, -0.02, 0.5, 1.7];
        let t = Tensor::from_slice(&px).view([1, 3, 1, 2]);
        let ycc = rgb_to_ycbcr_t(&t);
        for i in 0..2 {
            let s = rgb_to_ycbcr([px[i], px[2 + i], px[4 + i]]);
            for c in 0..3 {
                let v = ycc.double_value(&[0, c as i64, 0, i as i64]) as f32;
                assert!((v - s[c]).abs() < 1e-5, "channel {c}: {v} vs {}", s[c]);
            }
        }
        let back = ycbcr_to_rgb_t(&ycc);
        assert!((back - t).abs().max().double_value(&[]) < 1e-5);
    }
}
