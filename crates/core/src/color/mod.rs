//! Colour science: colourspaces (primaries, white, transfer), YCbCr, XYZ, CIELAB, ΔE2000 and the
//! QC metrics. Pixels in memory are scene-linear Rec.709/sRGB primaries, D65, unless a type says
//! otherwise.
//!
//! Chroma work (training, inference, chroma PSNR) happens in one documented space,
//! [`working`]: Y'CbCr with BT.709 coefficients on sRGB-encoded linear Rec.709.

mod convert;
pub mod delta_e;
pub mod lab;
pub mod matrix;
pub mod metrics;
mod preview;
pub mod primaries;
pub mod qc;
mod space;
pub mod tone;
pub mod transfer;
pub mod working;
pub mod ycbcr;

pub use convert::{
    Conversion, convert_image, from_linear, matrix_from_rec709, matrix_to_rec709, to_linear,
};
pub use preview::{srgb_u8, srgb_u8_value};
pub use space::Colorspace;
pub use transfer::Transfer;
pub use working::{combine, split_luma_chroma};
