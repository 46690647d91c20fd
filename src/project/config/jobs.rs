//! `[jobs]`: how background jobs share the machine.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct JobsConfig {
    /// How many GPU-class jobs may run at once per GPU.
    pub gpu_slots: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self { gpu_slots: 1 }
    }
}
