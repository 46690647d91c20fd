//! Stage `curate`: lock the chosen pairs (source frame f ↔ reference frame f + offset, like a
//! Nuke FrameHold) and gather them (AppendClip) into `pipeline/01_dataset_curation/` as
//! scene-linear EXR pairs plus `manifest.json` (the hand-off contract in DESIGN.md).

use super::{Ctx, Outcome};
use crate::color::Colorspace;
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

/// `<role>.<frame:04>.exr`, the pipeline naming rule (frame = source frame).
pub fn pipeline_name(role: &str, frame: i64) -> String {
    format!("{role}.{frame:04}.exr")
}

/// `auto` / empty = trust the file; anything else must name a colourspace.
pub fn assumed_colorspace(key: &str, value: &str) -> anyhow::Result<Option<Colorspace>> {
    match value.trim() {
        "" | "auto" => Ok(None),
        v => Ok(Some(
            v.parse::<Colorspace>()
                .with_context(|| format!("config key {key}"))?,
        )),
    }
}

/// Linear float EXR, the format of every pipeline image.
pub fn pipeline_exr() -> WriteOptions {
    WriteOptions {
        half: false,
        ..Default::default()
    }
}

/// A frame one of the sequences does not have.
#[derive(Debug, thiserror::Error)]
#[error("{role} frame {frame} is missing: pattern '{pattern}' has no file {path}{hint}")]
pub struct MissingFrame {
    pub role: &'static str,
    pub frame: i64,
    pub pattern: String,
    pub path: PathBuf,
    pub hint: String,
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let cfg = &ctx.config;
    anyhow::ensure!(
        !cfg.source.pattern.is_empty(),
        "config key source.pattern is empty"
    );
    anyhow::ensure!(
        !cfg.reference.pattern.is_empty(),
        "config key reference.pattern is empty"
    );
    let chosen = chosen_frames(&cfg.curate.frames, &cfg.curate.validation)?;
    let src_cs = assumed_colorspace("source.colorspace", &cfg.source.colorspace)?;
    let ref_cs = assumed_colorspace("reference.colorspace", &cfg.reference.colorspace)?;
    let src_seq = Sequence::discover(&ctx.project.path(&cfg.source.pattern))
        .with_context(|| format!("source.pattern '{}'", cfg.source.pattern))?;
    let ref_seq = Sequence::discover(&ctx.project.path(&cfg.reference.pattern))
        .with_context(|| format!("reference.pattern '{}'", cfg.reference.pattern))?;
    let offset = cfg.reference.offset;

    // Check every pair before writing anything: a half-built dataset is worse than none.
    for &(f, _) in &chosen {
        require(&src_seq, "source", f, "")?;
        let hint = format!(
            " (source frame {f} + reference.offset {offset}; run `tinct run sync` to check the offset)"
        );
        require(&ref_seq, "reference", f + offset, &hint)?;
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
        let (src_file, ref_file) = (src_seq.path(f), ref_seq.path(f + offset));
        let src =
            media::read_linear(&src_file, src_cs).with_context(|| format!("source frame {f}"))?;
        let reference = media::read_linear(&ref_file, ref_cs)
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
            reference_file: ref_file.display().to_string(),
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
        path: seq.path(frame),
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
