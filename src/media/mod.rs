//! Frame sequences and image files: patterns, ranges, gaps; readers and writers for EXR, DPX,
//! TIFF, PNG and JPEG, all to and from the one in-memory [`Image`].
//!
//! Readers return the samples as the file stores them plus the colourspace that encoding implies
//! ([`Decoded`]); [`read_linear`] converts to scene-linear Rec.709, which is what stages work in.
//! Writers take linear Rec.709 and convert to the requested colourspace on the way out.

mod image;

pub use image::Image;
