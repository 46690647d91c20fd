//! Colour science: colourspaces (primaries, white, transfer), YCbCr, XYZ, CIELAB, ΔE2000 and the
//! QC metrics. Pixels in memory are scene-linear Rec.709/sRGB primaries, D65, unless a type says
//! otherwise.

mod convert;
pub mod matrix;
pub mod primaries;
mod space;
pub mod transfer;

pub use convert::{
    Conversion, convert_image, from_linear, matrix_from_rec709, matrix_to_rec709, to_linear,
};
pub use space::Colorspace;
pub use transfer::Transfer;
