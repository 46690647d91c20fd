//! `tinct status`: what the project holds right now, read from its files: the sequences on
//! disk, SOP progress and the latest runs. (Its own module: it reads `project` and `sop`, and
//! `sop` reads `project`, so inside `project` it would close a cycle.)

use crate::media::Clip;
use crate::project::{Project, reference};
use crate::sop::{Checklist, ChecklistReport};
use serde::Serialize;
use std::path::Path;

/// How many of the latest runs a status shows.
pub const RECENT_RUNS: usize = 8;

#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    pub project: String,
    pub root: String,
    pub source: SequenceStatus,
    pub reference: SequenceStatus,
    /// reference frame = source frame + offset.
    pub reference_offset: i64,
    pub sop: ChecklistReport,
    /// Newest first.
    pub runs: Vec<RunSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SequenceStatus {
    pub pattern: String,
    pub colorspace: String,
    /// Frames found on disk.
    pub frames: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Missing frame numbers between the first and the last.
    pub gaps: Vec<i64>,
    /// Why the sequence could not be listed (no pattern, no files, unreadable folder).
    pub error: Option<String>,
    /// A video reference: how it is read (codec, size, rate, timecode, matrix, range, telecine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
}

/// One run, from `runs/<id>/job.json`.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    pub id: String,
    pub stage: String,
    pub state: String,
}

impl StatusReport {
    pub fn of(project: &Project) -> anyhow::Result<StatusReport> {
        let c = &project.config;
        let checklist = Checklist::open(project)?;
        // Each sequence is listed once (a reel folder can hold 150,000 files); the reference's
        // offset comes from the same listing.
        let set = |p: &str| !p.trim().is_empty();
        let source = set(&c.source.pattern).then(|| {
            crate::media::Sequence::discover(&project.path(&c.source.pattern)).map(Clip::Sequence)
        });
        let reference =
            set(&c.reference.pattern).then(|| reference::open_clip(project, &c.reference));
        let reference_offset = match &reference {
            Some(Ok(clip)) => {
                reference::offset(&c.reference, clip).map_or(c.reference.offset, |o| o.0)
            }
            _ => c.reference.offset,
        };
        Ok(StatusReport {
            project: c.project.name.clone(),
            root: std::path::absolute(&project.root)
                .unwrap_or_else(|_| project.root.clone())
                .display()
                .to_string(),
            source: clip_status(&c.source.pattern, &c.source.colorspace, source.as_ref()),
            reference: clip_status(
                &c.reference.pattern,
                &c.reference.colorspace,
                reference.as_ref(),
            ),
            reference_offset,
            sop: ChecklistReport::of(&checklist),
            runs: recent_runs(&project.runs_dir(), RECENT_RUNS),
        })
    }
}

/// What a clip holds: frames, range and gaps of a sequence, or a video's frames and how it is
/// read (probed, not decoded).
fn clip_status(
    pattern: &str,
    colorspace: &str,
    clip: Option<&anyhow::Result<Clip>>,
) -> SequenceStatus {
    let mut s = SequenceStatus {
        pattern: pattern.to_string(),
        colorspace: colorspace.to_string(),
        frames: 0,
        first: None,
        last: None,
        gaps: Vec::new(),
        error: None,
        video: None,
    };
    match clip {
        None => s.error = Some("no pattern set in tinct.toml".into()),
        Some(Ok(Clip::Sequence(seq))) => {
            s.frames = seq.frames.len();
            s.first = seq.first();
            s.last = seq.last();
            s.gaps = seq.gaps();
        }
        Some(Ok(Clip::Video(v))) => {
            s.frames = v.frame_count as usize;
            s.first = Some(v.first_frame);
            s.last = Some(v.first_frame + v.frame_count as i64 - 1);
            s.video = Some(v.describe());
        }
        Some(Err(e)) => s.error = Some(format!("{e:#}")),
    }
    s
}

/// The newest runs under `runs/` (by `job.json` modification time), skipping folders without a
/// readable `job.json`.
pub fn recent_runs(runs_dir: &Path, limit: usize) -> Vec<RunSummary> {
    let Ok(dir) = std::fs::read_dir(runs_dir) else {
        return Vec::new();
    };
    let mut runs: Vec<(std::time::SystemTime, RunSummary)> = dir
        .filter_map(Result::ok)
        .filter_map(|e| {
            let job = e.path().join("job.json");
            let modified = std::fs::metadata(&job).and_then(|m| m.modified()).ok()?;
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&job).ok()?).ok()?;
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            let id = Some(text("id"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| e.file_name().to_string_lossy().into());
            Some((
                modified,
                RunSummary {
                    id,
                    stage: text("stage"),
                    state: text("state"),
                },
            ))
        })
        .collect();
    runs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.id.cmp(&a.1.id)));
    runs.into_iter().take(limit).map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_read_from_job_json_newest_first() {
        let tmp = tempfile::tempdir().unwrap();
        for (i, (id, state)) in [("r1", "succeeded"), ("r2", "running")].iter().enumerate() {
            let d = tmp.path().join(id);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join("job.json"),
                format!(r#"{{"id":"{id}","stage":"train","state":"{state}"}}"#),
            )
            .unwrap();
            let t = std::time::SystemTime::UNIX_EPOCH
                + std::time::Duration::from_secs(1_000_000 + i as u64);
            std::fs::File::options()
                .write(true)
                .open(d.join("job.json"))
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        std::fs::create_dir_all(tmp.path().join("junk")).unwrap();
        let runs = recent_runs(tmp.path(), 10);
        let ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["r2", "r1"]);
        assert_eq!(runs[0].state, "running");
        assert_eq!(recent_runs(tmp.path(), 1).len(), 1);
    }
}
