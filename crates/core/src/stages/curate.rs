//! Stage `curate`: lock the chosen pairs (source frame f ↔ reference frame f + offset, like a
//! Nuke FrameHold) and gather them (AppendClip) into `pipeline/01_dataset_curation/` as
//! scene-linear EXR pairs plus `manifest.json` (the hand-off contract in DESIGN.md).

use super::{Ctx, Outcome};
use crate::fsx;
use crate::media::{self, Sequence, WriteOptions};
use crate::project::layout;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";

/// `pipeline/01_dataset_curation/manifest.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CurationManifest {
    pub pairs: Vec<CuratedPair>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CuratedPair {
    /// Source frame number (names every pipeline file of this pair).
    pub frame: i64,
    pub reference_frame: i64,
    /// `src.NNNN.exr`, relative to the project.
    pub source: String,
    /// `ref.NNNN.exr`, relative to the project.
    pub reference: String,
    pub source_size: [usize; 2],
    pub reference_size: [usize; 2],
    /// `train` or `validation` (`curate.validation`: never trained on).
    #[serde(default = "train_split")]
    pub split: String,
    /// The original files the pair was taken from.
    #[serde(default)]
    pub source_file: String,
    #[serde(default)]
    pub reference_file: String,
}

fn train_split() -> String {
    "train".into()
}

impl CurationManifest {
    pub fn load(project_root: &Path) -> anyhow::Result<CurationManifest> {
        let path = project_root.join(layout::CURATION).join(MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: no curated pairs yet (run `tinct run curate` first)",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a curation manifest", path.display()))
    }
}

impl CurationManifest {
    /// The frames locked as held out (split `validation`), in manifest order.
    pub fn validation_frames(&self) -> Vec<i64> {
        self.pairs
            .iter()
            .filter(|p| p.split == "validation")
            .map(|p| p.frame)
            .collect()
    }
}

/// The held-out frames of the downstream stages (prep, matchgrade, compare): the split locked
/// by the last curate run, which is what the operator chose, else `curate.validation` when
/// nothing is curated yet. Says in the run's log which one, and warns when `tinct.toml`
/// disagrees with the locked split (it used to win silently and train on held-out frames).
pub fn held_out_frames(ctx: &Ctx) -> Vec<i64> {
    let configured = &ctx.config.curate.validation;
    let Ok(manifest) = CurationManifest::load(&ctx.project.root) else {
        ctx.log(format!(
            "no curated pairs: validation frames from curate.validation {configured:?}"
        ));
        return configured.clone();
    };
    let held = manifest.validation_frames();
    let mut a = configured.clone();
    let mut b = held.clone();
    a.sort_unstable();
    b.sort_unstable();
    if !configured.is_empty() && a != b {
        ctx.log(format!(
            "warning: curate.validation {configured:?} differs from the curated split {held:?}; \
             using the curated split (run `tinct run curate` again to change it)"
        ));
    }
    ctx.log(format!(
        "validation frames from the curate manifest: {held:?}"
    ));
    held
}

/// The proposal `tinct run suggest` writes.
pub const SUGGESTED: &str = "suggested.toml";

/// `pipeline/01_dataset_curation/suggested.toml`, parsed, and its path.
fn read_suggested(project_root: &Path) -> anyhow::Result<(toml::Table, PathBuf)> {
    let path = project_root.join(layout::CURATION).join(SUGGESTED);
    let text = fsx::read_to_string(&path).with_context(|| "run `tinct run suggest` first")?;
    let table = toml::from_str(&text).with_context(|| format!("{}: not TOML", path.display()))?;
    Ok((table, path))
}

/// `[curate] frames` and `validation` of `suggested.toml` as `--set` overrides
/// (`tinct run curate --from-suggested`).
pub fn suggested_overrides(project_root: &Path) -> anyhow::Result<Vec<String>> {
    let (table, path) = read_suggested(project_root)?;
    let list = |key: &str| -> anyhow::Result<String> {
        let v = table
            .get("curate")
            .and_then(|c| c.get(key))
            .and_then(toml::Value::as_array)
            .with_context(|| format!("{}: no [curate] {key} list", path.display()))?;
        let frames = v
            .iter()
            .map(|x| {
                x.as_integer().map(|i| i.to_string()).with_context(|| {
                    format!("{}: curate.{key} holds a non-integer", path.display())
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(format!("curate.{key}=[{}]", frames.join(",")))
    };
    Ok(vec![list("frames")?, list("validation")?])
}

/// Shots as `suggest` found them (`[suggest] shots = [[first, last], ...]` in suggested.toml);
/// none when there is no proposal.
pub fn suggested_shots(project_root: &Path) -> Vec<(i64, i64)> {
    let Ok((table, _)) = read_suggested(project_root) else {
        return Vec::new();
    };
    table
        .get("suggest")
        .and_then(|s| s.get("shots"))
        .and_then(toml::Value::as_array)
        .map(|shots| {
            shots
                .iter()
                .filter_map(|s| {
                    let s = s.as_array()?;
                    Some((s.first()?.as_integer()?, s.get(1)?.as_integer()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Validation frames whose shot is also trained on, with that shot and a training frame in it.
pub fn shared_shots(
    shots: &[(i64, i64)],
    chosen: &[(i64, &'static str)],
) -> Vec<(i64, (i64, i64), i64)> {
    let mut out = Vec::new();
    for &(v, _) in chosen.iter().filter(|c| c.1 == "validation") {
        let Some(&shot) = shots.iter().find(|s| (s.0..=s.1).contains(&v)) else {
            continue;
        };
        if let Some(&(t, _)) = chosen
            .iter()
            .find(|c| c.1 == "train" && (shot.0..=shot.1).contains(&c.0))
        {
            out.push((v, shot, t));
        }
    }
    out
}

/// `<role>.<frame:04>.exr`, the pipeline naming rule (frame = source frame).
pub fn pipeline_name(role: &str, frame: i64) -> String {
    format!("{role}.{frame:04}.exr")
}

pub use crate::project::config::assumed_colorspace;

/// Linear float EXR, the format of every pipeline image.
pub fn pipeline_exr() -> WriteOptions {
    WriteOptions {
        half: false,
        ..Default::default()
    }
}

/// A frame one of the sequences does not have.
#[derive(Debug, thiserror::Error)]
#[error("{role} frame {frame} is missing: pattern '{pattern}' has no {missing}{hint}")]
pub struct MissingFrame {
    pub role: &'static str,
    pub frame: i64,
    pub pattern: String,
    /// `file PATH`, or for a video `frame N (its frames are A-B)`.
    pub missing: String,
    pub hint: String,
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    ctx.require_patterns()?;
    let cfg = &ctx.config;
    let chosen = chosen_frames(&cfg.curate.frames, &cfg.curate.validation)?;
    let src_cs = assumed_colorspace("source.colorspace", &cfg.source.colorspace)?;
    let ref_cs = assumed_colorspace("reference.colorspace", &cfg.reference.colorspace)?;
    let src_seq = Sequence::discover(&ctx.project.path(&cfg.source.pattern))
        .with_context(|| format!("source.pattern '{}'", cfg.source.pattern))?;
    let reference = crate::project::reference::open(&ctx.project, &cfg.reference)?;
    let ref_clip = &reference.clip;
    if let media::Clip::Video(v) = ref_clip {
        ctx.log(format!("reference: {}", v.describe()));
    }
    let offset = reference.offset;
    for (v, (a, b), t) in shared_shots(&suggested_shots(&ctx.project.root), &chosen) {
        ctx.log(format!(
            "warning: validation frame {v} is in shot {a}-{b}, which training frame {t} is also \
             in; a held-out shot measures what the model does on shots it never saw (the SOP \
             advises one)"
        ));
    }

    // Check every pair before writing anything: a half-built dataset is worse than none.
    for &(f, _) in &chosen {
        require(&src_seq, "source", f, "")?;
        let hint = format!(
            " (source frame {f} + reference.offset {offset}; run `tinct run sync` to check the offset)"
        );
        if !ref_clip.contains(f + offset) {
            return Err(MissingFrame {
                role: "reference",
                frame: f + offset,
                pattern: cfg.reference.pattern.clone(),
                missing: match ref_clip {
                    media::Clip::Sequence(s) => format!("file {}", s.path(f + offset).display()),
                    media::Clip::Video(v) => format!(
                        "frame {} (its frames are {}-{})",
                        f + offset,
                        v.first_frame,
                        v.first_frame + v.frame_count as i64 - 1
                    ),
                },
                hint,
            }
            .into());
        }
    }

    let out_dir = ctx.project.path(layout::CURATION);
    let mut manifest = CurationManifest::default();
    let mut outputs = Vec::new();
    for &(f, split) in &chosen {
        if ctx.cancelled() {
            anyhow::bail!(
                "cancelled after {} of {} pairs; manifest not written",
                manifest.pairs.len(),
                chosen.len()
            );
        }
        let (src_file, ref_file) = (src_seq.path(f), ref_clip.frame_label(f + offset));
        let src =
            media::read_linear(&src_file, src_cs).with_context(|| format!("source frame {f}"))?;
        let reference = ref_clip
            .read_linear(f + offset, ref_cs)
            .with_context(|| format!("reference frame {}", f + offset))?;
        let (src_rel, ref_rel) = (
            rel(layout::CURATION, &pipeline_name("src", f)),
            rel(layout::CURATION, &pipeline_name("ref", f)),
        );
        media::write(&ctx.project.path(&src_rel), &src, &pipeline_exr())?;
        media::write(&ctx.project.path(&ref_rel), &reference, &pipeline_exr())?;
        ctx.log(format!(
            "pair {f} <- reference {} ({split}): {}x{} / {}x{}",
            f + offset,
            src.width,
            src.height,
            reference.width,
            reference.height
        ));
        ctx.metric(serde_json::json!({"stage": "curate", "frame": f, "reference_frame": f + offset, "split": split}))?;
        outputs.push(ctx.project.path(&src_rel));
        outputs.push(ctx.project.path(&ref_rel));
        manifest.pairs.push(CuratedPair {
            frame: f,
            reference_frame: f + offset,
            source: src_rel,
            reference: ref_rel,
            source_size: [src.width, src.height],
            reference_size: [reference.width, reference.height],
            split: split.into(),
            source_file: src_file.display().to_string(),
            reference_file: ref_file,
        });
    }
    let manifest_path = out_dir.join(MANIFEST);
    fsx::write_atomic(&manifest_path, &serde_json::to_vec_pretty(&manifest)?)?;
    outputs.insert(0, manifest_path);
    let n_val = chosen.iter().filter(|c| c.1 == "validation").count();
    Ok(Outcome {
        summary: format!(
            "curated {} pairs ({} training, {n_val} validation), reference.offset {offset}",
            chosen.len(),
            chosen.len() - n_val
        ),
        outputs,
        metrics: serde_json::json!({"pairs": chosen.len(), "validation": n_val, "offset": offset}),
    })
}

fn rel(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

fn require(seq: &Sequence, role: &'static str, frame: i64, hint: &str) -> Result<(), MissingFrame> {
    if seq.frames.binary_search(&frame).is_ok() {
        return Ok(());
    }
    Err(MissingFrame {
        role,
        frame,
        pattern: seq.pattern.clone(),
        missing: format!("file {}", seq.path(frame).display()),
        hint: hint.into(),
    })
}

/// Training then validation frames, each once. (`--frames` does not apply: the manifest is the
/// whole dataset, rebuilt from the config each time.)
fn chosen_frames(train: &[i64], validation: &[i64]) -> anyhow::Result<Vec<(i64, &'static str)>> {
    anyhow::ensure!(
        !train.is_empty(),
        "config key curate.frames is empty: run `tinct run suggest` and copy the frames you want from {}/suggested.toml",
        layout::CURATION
    );
    let mut out: Vec<(i64, &'static str)> = Vec::new();
    for &f in train {
        if !out.iter().any(|o| o.0 == f) {
            out.push((f, "train"));
        }
    }
    for &f in validation {
        anyhow::ensure!(
            !train.contains(&f),
            "frame {f} is in both curate.frames and curate.validation"
        );
        if !out.iter().any(|o| o.0 == f) {
            out.push((f, "validation"));
        }
    }
    Ok(out)
}
