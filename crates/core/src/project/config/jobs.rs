//! `[jobs]`: how background jobs share the machine, and external-command stages.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct JobsConfig {
    /// How many GPU-class jobs may run at once (the rest wait, state `queued`).
    pub gpu_slots: usize,
    /// Seconds `tinct cancel` waits after SIGTERM before it sends SIGKILL.
    pub cancel_grace: f64,
    /// Seconds between two telemetry samples a running job records into `telemetry.jsonl`
    /// (0 = don't record).
    pub telemetry_interval: f64,
    /// `[jobs.external.<name>]`: stages that are someone else's program (`tinct run ext:<name>`).
    pub external: BTreeMap<String, ExternalStage>,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            gpu_slots: 1,
            cancel_grace: 10.0,
            telemetry_interval: 1.0,
            external: BTreeMap::new(),
        }
    }
}

/// An external command run as a stage: a Nuke render in terminal mode, a site's own script.
/// It is started without a shell; its stdout and stderr lines go to the run's `log.txt`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExternalStage {
    /// Program and arguments, e.g. `["Nuke15.1", "-t", "render.py"]`.
    pub argv: Vec<String>,
    /// Extra environment variables (added to tinct's own environment).
    pub env: BTreeMap<String, String>,
    /// Working folder, relative to the project (empty = the project root).
    pub cwd: String,
    /// Needs the GPU: waits in the GPU queue like `train` and `infer`.
    pub gpu: bool,
    /// Output lines that match become metrics records.
    pub metrics: Vec<MetricRule>,
}

/// A regex over one output line; its named capture groups listed in `fields` become numeric
/// fields of a `metrics.jsonl` record (`fields` empty = every named group).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MetricRule {
    pub regex: String,
    pub fields: Vec<String>,
}
