//! `[align]`: stage 2, fitting the reference onto the source.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlignConfig {
    /// translation | similarity | affine | homography
    pub model: String,
}

impl Default for AlignConfig {
    fn default() -> Self {
        Self { model: "similarity".into() }
    }
}
