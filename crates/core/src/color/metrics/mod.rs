//! Image-quality measures used by QC, the stages and the console: ΔE2000 statistics, chroma PSNR,
//! mean chroma (flicker), colourfulness. Inputs are scene-linear Rec.709 [`Image`]s (1, 3 or 4
//! channels; luma is replicated, alpha ignored).

mod chroma;
mod colourfulness;
mod de00;

pub use chroma::{MeanChroma, chroma_mse, chroma_psnr, mean_chroma};
pub use colourfulness::colourfulness;
pub use de00::{De00Histogram, De00Stats, de00_image, de00_image_with_map, de00_map};

use crate::media::Image;

/// Why two images cannot be compared.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricsError {
    #[error("image sizes differ: {a_width}x{a_height} vs {b_width}x{b_height}")]
    SizeMismatch {
        a_width: usize,
        a_height: usize,
        b_width: usize,
        b_height: usize,
    },
    #[error("image is empty (0 pixels)")]
    Empty,
}

/// Check that `a` and `b` can be compared pixel for pixel.
pub fn check_same_size(a: &Image, b: &Image) -> Result<(), MetricsError> {
    if (a.width, a.height) != (b.width, b.height) {
        return Err(MetricsError::SizeMismatch {
            a_width: a.width,
            a_height: a.height,
            b_width: b.width,
            b_height: b.height,
        });
    }
    if a.pixel_count() == 0 {
        return Err(MetricsError::Empty);
    }
    Ok(())
}

/// RGB of the `i`-th pixel of interleaved `data` with `channels` channels.
#[inline]
pub(crate) fn rgb_at(data: &[f32], channels: usize, i: usize) -> [f32; 3] {
    let p = &data[i * channels..];
    if channels >= 3 {
        [p[0], p[1], p[2]]
    } else {
        [p[0]; 3]
    }
}
