//! Colour science: colourspaces (primaries, white, transfer), YCbCr, XYZ, CIELAB, ΔE2000 and the
//! QC metrics. Pixels in memory are scene-linear Rec.709/sRGB primaries, D65, unless a type says
//! otherwise.

mod convert;
mod space;

pub use convert::{convert_image, from_linear, to_linear};
pub use space::Colorspace;
