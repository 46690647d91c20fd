//! `[media]`: limits every reader applies to the files it is given.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MediaConfig {
    /// Largest frame (width x height) a reader accepts. A header declaring more is refused
    /// before any pixel is allocated, so a corrupt header cannot exhaust the machine's memory.
    /// The default (2^29) is twice a 16K x 16K scan.
    pub max_pixels: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            max_pixels: crate::media::budget::DEFAULT_MAX_PIXELS,
        }
    }
}
