//! The header facts of one image file ([`FileInfo`]): the type every reader's `probe` returns
//! and `media::info` dispatches to. (A leaf module: readers and `info` both use it, and neither
//! uses the other through it.)

use crate::color::Colorspace;

/// How samples are stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PixelType {
    UInt8,
    UInt10,
    UInt12,
    UInt16,
    UInt32,
    Half,
    Float,
}

impl PixelType {
    pub fn name(self) -> &'static str {
        match self {
            PixelType::UInt8 => "uint8",
            PixelType::UInt10 => "uint10",
            PixelType::UInt12 => "uint12",
            PixelType::UInt16 => "uint16",
            PixelType::UInt32 => "uint32",
            PixelType::Half => "half",
            PixelType::Float => "float",
        }
    }

    /// Bytes one sample takes once decoded to its natural container (for throughput figures).
    pub fn bytes(self) -> usize {
        match self {
            PixelType::UInt8 => 1,
            PixelType::UInt10 | PixelType::UInt12 | PixelType::UInt16 | PixelType::Half => 2,
            PixelType::UInt32 | PixelType::Float => 4,
        }
    }
}

/// Header facts about one image file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileInfo {
    /// "exr", "dpx", "tiff", "png", "jpeg".
    pub format: &'static str,
    pub width: usize,
    pub height: usize,
    /// Channel names that `read` returns, in order (e.g. R, G, B, A or Y).
    pub channels: Vec<String>,
    pub pixel_type: PixelType,
    /// Compression as the format names it ("zip", "piz", "none", "deflate", ...).
    pub compression: String,
    /// Storage layout: "scanline", "tiled 64x64", "packed (method A), big-endian", ...
    pub layout: String,
    /// The colourspace the encoding implies (what `read` reports).
    pub colorspace: Colorspace,
    /// Layers/channels present in the file that `read` skips.
    pub ignored_layers: Vec<String>,
}
