//! What a file holds, from its header alone (no pixels decoded): what `tinct media info` shows
//! and what sequence checks compare frame to frame.

use super::error::Result;
use std::path::Path;

pub use super::header::{FileInfo, PixelType};

/// Read the header of any supported file.
pub fn probe(path: &Path) -> Result<FileInfo> {
    match super::Format::of(path)? {
        super::Format::Exr => super::exr_io::probe(path),
        super::Format::Dpx => super::dpx::probe(path),
        super::Format::Png | super::Format::Tiff | super::Format::Jpeg => {
            super::raster::probe(path)
        }
    }
}

/// Convenience for callers that only want the size.
pub fn dimensions(path: &Path) -> Result<(usize, usize)> {
    probe(path).map(|i| (i.width, i.height))
}
