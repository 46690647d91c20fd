//! `runs/<id>/metrics.jsonl`, the one contract between a stage that measures and everything that
//! shows it (the console's monitor, `tinct attach`, the benches): one JSON object a line, `t`
//! (unix ms) on each. Built-in stages write [`Record`]s, so writer and readers name a field
//! once; external commands (`ext:NAME`) name their fields freely, so [`Record::read`] also
//! takes a few common aliases.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// One line of `metrics.jsonl`; every field is optional (a line carries what it measured).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Training step (or frame, for a render) the line is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// Total steps of the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<u64>,
    /// Mean training loss since the previous line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_s: Option<f64>,
    /// Held-out ΔE2000 of a checkpoint: mean and 95th percentile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val_de00_mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val_de00_p95: Option<f64>,
    /// The same ΔE2000 per pixel, before the validation low-pass (`val_de00_mean` compares the
    /// colour at the reference's chroma resolution, where its 4:2:0 and JPEG artefacts are gone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val_de00_raw_mean: Option<f64>,
    /// 0..1, when the stage knows it better than step/steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<f64>,
}

/// Names external commands commonly use for a [`Record`] field.
const ALIASES: &[(&str, &[&str])] = &[
    ("step", &["iteration", "iter", "frame", "done"]),
    ("steps", &["total_steps", "total"]),
    ("loss", &["train_loss"]),
    ("images_per_s", &["img_per_s", "images_s", "fps"]),
    ("eta_s", &["eta"]),
    (
        "val_de00_mean",
        &["val_de00", "val_delta_e", "de00", "val_de2000"],
    ),
];

impl Record {
    /// The record a line holds: each field under its own name or, for an external command's
    /// line, one of its aliases. A field of another type is left out, not the whole line.
    pub fn read(v: &Value) -> Record {
        let num = |field: &str| {
            let aliases = ALIASES
                .iter()
                .find(|(f, _)| *f == field)
                .map_or(&[][..], |(_, names)| *names);
            std::iter::once(field)
                .chain(aliases.iter().copied())
                .find_map(|n| v.get(n)?.as_f64())
        };
        let count = |field: &str| num(field).filter(|x| *x >= 0.0).map(|x| x.round() as u64);
        Record {
            step: count("step"),
            steps: count("steps"),
            loss: num("loss"),
            lr: num("lr"),
            images_per_s: num("images_per_s"),
            elapsed_s: num("elapsed_s"),
            eta_s: num("eta_s"),
            val_de00_mean: num("val_de00_mean"),
            val_de00_p95: num("val_de00_p95"),
            val_de00_raw_mean: num("val_de00_raw_mean"),
            progress: num("progress"),
        }
    }
}

/// The complete lines of `metrics.jsonl` in `run_dir` after byte `offset`, as JSON, and the
/// offset after them (a half-written last line waits for the next call; a file shorter than
/// `offset` was replaced and is read from its start).
pub fn read_from(run_dir: &Path, offset: u64) -> (Vec<Value>, u64) {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(run_dir.join(super::record::METRICS_FILE)) else {
        return (Vec::new(), offset);
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let offset = if len < offset { 0 } else { offset };
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(offset)).is_err() || f.read_to_end(&mut buf).is_err() {
        return (Vec::new(), offset);
    }
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return (Vec::new(), offset);
    };
    let lines = String::from_utf8_lossy(&buf[..=end])
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (lines, offset + end as u64 + 1)
}

/// Every record of `metrics.jsonl` (lines that are not JSON are skipped).
pub fn read_all(run_dir: &Path) -> Vec<Value> {
    read_from(run_dir, 0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_trainer_writes_is_what_readers_get_and_aliases_fill_in() {
        let written = Record {
            step: Some(200),
            val_de00_mean: Some(2.41),
            val_de00_p95: Some(6.1),
            ..Default::default()
        };
        let line = serde_json::to_value(&written).unwrap();
        assert_eq!(
            line.as_object().unwrap().len(),
            3,
            "absent fields are not written"
        );
        assert_eq!(Record::read(&line), written);
        let external = serde_json::json!({"iter": 12, "train_loss": 0.5, "val_de00": 3.0});
        let r = Record::read(&external);
        assert_eq!(
            (r.step, r.loss, r.val_de00_mean),
            (Some(12), Some(0.5), Some(3.0))
        );
        assert_eq!(
            line["step"],
            serde_json::json!(200),
            "steps are written as integers"
        );
    }

    #[test]
    fn a_half_written_line_waits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(super::super::record::METRICS_FILE);
        std::fs::write(&path, "{\"step\":1}\n{\"step\":2}\n{\"ste").unwrap();
        let (lines, offset) = read_from(dir.path(), 0);
        assert_eq!(lines.len(), 2);
        std::fs::write(&path, "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n").unwrap();
        let (more, _) = read_from(dir.path(), offset);
        assert_eq!(more, vec![serde_json::json!({"step": 3})]);
    }
}
