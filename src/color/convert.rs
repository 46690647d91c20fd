//! Conversions between named colourspaces, per pixel and per image.
//! (Contract used by media and the stages; implemented by the colour module.)

use super::Colorspace;
use crate::media::Image;

/// Encoded RGB in `cs` → scene-linear Rec.709 (D65).
pub fn to_linear(cs: Colorspace, rgb: [f32; 3]) -> [f32; 3] {
    let _ = cs;
    todo!("color::to_linear {rgb:?}")
}

/// Scene-linear Rec.709 (D65) → encoded RGB in `cs`.
pub fn from_linear(cs: Colorspace, rgb: [f32; 3]) -> [f32; 3] {
    let _ = cs;
    todo!("color::from_linear {rgb:?}")
}

/// Convert every pixel of `img` (RGB or RGBA; alpha untouched) from `from` to `to`.
pub fn convert_image(img: &mut Image, from: Colorspace, to: Colorspace) {
    if from == to {
        return;
    }
    let ch = img.channels;
    assert!(ch >= 3, "convert_image needs RGB");
    for px in img.data.chunks_exact_mut(ch) {
        let lin = to_linear(from, [px[0], px[1], px[2]]);
        let out = from_linear(to, lin);
        px[..3].copy_from_slice(&out);
    }
}
