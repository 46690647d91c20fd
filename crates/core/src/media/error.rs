//! Typed media errors: every variant names the file (and the frame where a sequence is involved),
//! so an operator reading one line knows which scan to look at.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: file is truncated ({detail})")]
    Truncated { path: PathBuf, detail: String },

    #[error("{path}: not a {format} file (wrong magic number {found})")]
    BadMagic {
        path: PathBuf,
        format: &'static str,
        found: String,
    },

    #[error("{path}: unsupported {what}")]
    Unsupported { path: PathBuf, what: String },

    #[error("{path}: corrupt {format} data: {detail}")]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },

    #[error(
        "{path}: unknown image format (extension '{ext}'; known: exr, dpx, tif, tiff, png, jpg, jpeg)"
    )]
    UnknownFormat { path: PathBuf, ext: String },

    #[error("{path}: non-finite sample ({value}) at x={x} y={y} channel {channel}")]
    NonFinite {
        path: PathBuf,
        x: usize,
        y: usize,
        channel: usize,
        value: f32,
    },

    #[error(
        "{path}: frame {frame} is {got_w}x{got_h}, but the sequence is {want_w}x{want_h} (first frame {first})"
    )]
    SizeMismatch {
        path: PathBuf,
        frame: i64,
        first: i64,
        want_w: usize,
        want_h: usize,
        got_w: usize,
        got_h: usize,
    },

    #[error(
        "{path}: the header declares a {width}x{height} image, more than media.max-pixels = {max} \
         (a corrupt header; if the frame is real, raise media.max-pixels in tinct.toml)"
    )]
    TooLarge {
        path: PathBuf,
        width: u64,
        height: u64,
        max: u64,
    },

    #[error("{path}: not enough memory to decode it ({} MB needed)", bytes / 1_000_000)]
    OutOfMemory { path: PathBuf, bytes: u64 },

    #[error("{path}: cannot write {what}")]
    CannotWrite { path: PathBuf, what: String },

    #[error("{pattern}: {detail}")]
    Pattern { pattern: String, detail: String },

    #[error("frame {frame}: {source}")]
    InFrame {
        frame: i64,
        #[source]
        source: Box<MediaError>,
    },
}

impl MediaError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MediaError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn unsupported(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        MediaError::Unsupported {
            path: path.into(),
            what: what.into(),
        }
    }

    pub fn truncated(path: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        MediaError::Truncated {
            path: path.into(),
            detail: detail.into(),
        }
    }

    pub fn corrupt(
        path: impl Into<PathBuf>,
        format: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        MediaError::Corrupt {
            path: path.into(),
            format,
            detail: detail.into(),
        }
    }

    /// Attach the frame number (errors from reading one frame of a sequence).
    pub fn in_frame(self, frame: i64) -> Self {
        match self {
            e @ (MediaError::InFrame { .. } | MediaError::SizeMismatch { .. }) => e,
            e => MediaError::InFrame {
                frame,
                source: Box::new(e),
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, MediaError>;

/// Reject images holding NaN or Inf: downstream maths (ΔE, training losses) would silently
/// turn them into garbage, so a bad scan must stop the pipeline at the door.
pub fn check_finite(path: &std::path::Path, img: &crate::media::Image) -> Result<()> {
    match img.find_non_finite() {
        None => Ok(()),
        Some((x, y, channel)) => Err(MediaError::NonFinite {
            path: path.to_owned(),
            x,
            y,
            channel,
            value: img.pixel(x, y)[channel],
        }),
    }
}
