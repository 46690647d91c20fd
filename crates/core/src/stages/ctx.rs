//! What a stage gets to run: the project, its effective config, a run directory to write into,
//! a metrics sink, a log, a cancellation flag and the torch device. The same context serves a
//! foreground `tinct run X` and a detached worker.

use crate::fsx;
use crate::project::{Config, Project};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Inclusive source-frame range from `--frames A-B`; written `A-B` (in `job.json`, farm chunk
/// records and their file names, scheduler command lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrameRange {
    pub first: i64,
    pub last: i64,
}

impl std::str::FromStr for FrameRange {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        let parse = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| anyhow::anyhow!("bad frame range '{s}' (expected A-B or N)"))
        };
        // Split on the '-' that separates two numbers (allow a leading minus on the first).
        let (a, b) = match s[1..].find('-') {
            Some(i) => (parse(&s[..i + 1])?, parse(&s[i + 2..])?),
            None => (parse(s)?, parse(s)?),
        };
        anyhow::ensure!(a <= b, "bad frame range '{s}': first frame after last");
        Ok(FrameRange { first: a, last: b })
    }
}

impl std::fmt::Display for FrameRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

impl FrameRange {
    pub fn contains(&self, f: i64) -> bool {
        (self.first..=self.last).contains(&f)
    }
}

pub struct Ctx {
    pub project: Project,
    /// The effective config of this run (project config + `--set` overrides).
    pub config: Config,
    /// `runs/<id>/`; `artifacts/` inside it exists.
    pub run_dir: PathBuf,
    pub frames: Option<FrameRange>,
    /// Redo outputs that already exist.
    pub force: bool,
    /// Set on SIGTERM / cancel: stages check it between units of work and save what they can.
    pub cancel: Arc<AtomicBool>,
    /// Print progress lines to stderr (foreground runs).
    pub verbose: bool,
    /// The earlier run this one continues (`tinct resume`): a training picks up its last
    /// checkpoint from `<resume_from>/artifacts/`.
    pub resume_from: Option<PathBuf>,
}

impl Ctx {
    pub fn new(project: Project, config: Config, run_dir: PathBuf) -> anyhow::Result<Ctx> {
        std::fs::create_dir_all(run_dir.join("artifacts"))?;
        Ok(Ctx {
            project,
            config,
            run_dir,
            frames: None,
            force: false,
            cancel: Arc::new(AtomicBool::new(false)),
            verbose: false,
            resume_from: None,
        })
    }

    /// Both sequences configured: `source.pattern` and `reference.pattern` are not empty.
    pub fn require_patterns(&self) -> anyhow::Result<()> {
        for (key, pattern) in [
            ("source.pattern", &self.config.source.pattern),
            ("reference.pattern", &self.config.reference.pattern),
        ] {
            anyhow::ensure!(!pattern.is_empty(), "config key {key} is empty");
        }
        Ok(())
    }

    /// The source sequence and its frames inside this run's `--frames` range (if any).
    pub fn source_frames(&self) -> anyhow::Result<(crate::media::Sequence, Vec<i64>)> {
        source_frames_of(&self.project, &self.config.source.pattern, self.frames)
    }

    pub fn artifacts(&self) -> PathBuf {
        self.run_dir.join("artifacts")
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Append one metrics record to `metrics.jsonl`; `"t"` (unix ms) is added.
    pub fn metric(&self, mut record: serde_json::Value) -> anyhow::Result<()> {
        if let Some(obj) = record.as_object_mut() {
            obj.insert(
                "t".into(),
                serde_json::json!(chrono::Utc::now().timestamp_millis()),
            );
        }
        let mut line = serde_json::to_vec(&record)?;
        line.push(b'\n');
        fsx::append(&self.run_dir.join(crate::jobs::record::METRICS_FILE), &line)?;
        Ok(())
    }

    /// Append one typed record (the fields the console and the benches read) to `metrics.jsonl`.
    pub fn record(&self, record: &crate::jobs::metrics::Record) -> anyhow::Result<()> {
        self.metric(serde_json::to_value(record)?)
    }

    /// Append a human line to `log.txt` (and echo it when running in the foreground).
    pub fn log(&self, msg: impl AsRef<str>) {
        let msg = msg.as_ref();
        let line = format!(
            "{} {msg}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        let _ = fsx::append(&self.run_dir.join("log.txt"), line.as_bytes());
        if self.verbose {
            eprintln!("{msg}");
        }
    }
}

/// The source sequence `pattern` of `project` and its frames inside `range` (all without one).
pub fn source_frames_of(
    project: &Project,
    pattern: &str,
    range: Option<FrameRange>,
) -> anyhow::Result<(crate::media::Sequence, Vec<i64>)> {
    use anyhow::Context;
    anyhow::ensure!(!pattern.is_empty(), "config key source.pattern is empty");
    let seq = crate::media::Sequence::discover(&project.path(pattern))
        .with_context(|| format!("source sequence {pattern}"))?;
    let frames = seq
        .frames
        .iter()
        .copied()
        .filter(|f| range.is_none_or(|r| r.contains(*f)))
        .collect();
    Ok((seq, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ranges_parse() {
        assert_eq!(
            "10-20".parse::<FrameRange>().unwrap(),
            FrameRange {
                first: 10,
                last: 20
            }
        );
        assert_eq!(
            "7".parse::<FrameRange>().unwrap(),
            FrameRange { first: 7, last: 7 }
        );
        assert_eq!(
            "-5-3".parse::<FrameRange>().unwrap(),
            FrameRange { first: -5, last: 3 }
        );
        assert!("20-10".parse::<FrameRange>().is_err());
    }
}
