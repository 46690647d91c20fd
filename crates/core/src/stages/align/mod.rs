//! Stage `align`: fit each curated reference onto its source frame (like F_Align), with manual
//! overrides, QC renders and a linked crop; writes `pipeline/02_alignment/` (contract in
//! DESIGN.md, "Stage hand-offs").
//!
//! - [`motion`]: models and matrices (source px -> reference px, pixel centres at integers)
//! - [`pyramid`]: feature planes (encoded luma or its gradient magnitude) and pyramids
//! - [`ecc`]: the coarse-to-fine inverse-compositional ECC fit
//! - `pass`: one warp-and-accumulate pass of that fit over a pyramid level
//! - [`warp`]: delivering the aligned reference (bicubic / Lanczos3)
//! - [`qc`]: dissolve, difference and checkerboard renders

pub mod ecc;
pub mod motion;
mod pass;
pub mod pyramid;
pub mod qc;
pub mod warp;

use super::curate::{self, CurationManifest};
use super::{Ctx, Outcome};
use crate::fsx;
use crate::media::{self, Image};
use crate::project::config::AlignConfig;
use crate::project::layout;
use anyhow::Context;
use motion::{Mat3, Model};
use pyramid::Feature;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use warp::Filter;

/// `pipeline/02_alignment/manifest.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AlignmentManifest {
    /// The linked crop `[x, y, w, h]` in source pixels (the whole frame when none is set).
    pub crop: [usize; 4],
    pub pairs: Vec<AlignedPair>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AlignedPair {
    pub frame: i64,
    pub reference_frame: i64,
    /// Cropped source, relative to the project.
    pub source: String,
    /// Aligned, cropped reference (same size as `source`), relative to the project.
    pub reference: String,
    pub model: String,
    /// 3x3 row-major, source px -> reference px (before the crop).
    pub matrix: [[f64; 3]; 3],
    /// ECC correlation of the final placement.
    pub confidence: f64,
    /// RMS difference after gain/offset matching, encoded luma (0..1).
    pub residual: f64,
    /// Share of the source frame the reference covers.
    pub coverage: f64,
    /// Below `align.min-confidence` and not in `align.accept`: not for training.
    pub flagged: bool,
    /// Below the threshold but accepted by the operator.
    #[serde(default)]
    pub accepted: bool,
    /// `none`, `on-top` or `instead`.
    #[serde(rename = "override")]
    pub override_mode: String,
    #[serde(default)]
    pub split: String,
}

impl AlignmentManifest {
    pub fn load(project_root: &std::path::Path) -> anyhow::Result<AlignmentManifest> {
        let path = project_root.join(layout::ALIGNMENT).join(curate::MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: no aligned pairs yet (run `tinct run align` first)",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not an alignment manifest", path.display()))
    }
}

/// Everything `[align]` says, checked.
#[derive(Clone, Debug)]
pub struct Settings {
    pub fit: ecc::FitParams,
    pub feature: Feature,
    pub filter: Filter,
    pub min_confidence: f64,
    pub accept: Vec<i64>,
    pub crop: Option<[usize; 4]>,
    pub overrides: BTreeMap<i64, Override>,
    pub qc: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub translate: [f64; 2],
    pub rotate: f64,
    pub scale: f64,
    /// Replace the fit (else: apply on top of it).
    pub instead: bool,
}

impl Settings {
    pub fn from_config(c: &AlignConfig) -> anyhow::Result<Settings> {
        let model: Model = c.model.parse().context("config key align.model")?;
        let feature: Feature = c.feature.parse().context("config key align.feature")?;
        let filter: Filter = c.filter.parse().context("config key align.filter")?;
        let crop = match c.crop.as_slice() {
            [] => None,
            [x, y, w, h] if *w > 0 && *h > 0 => Some([*x, *y, *w, *h]),
            other => anyhow::bail!(
                "config key align.crop: expected [x, y, width, height], got {other:?}"
            ),
        };
        anyhow::ensure!(
            c.iterations > 0,
            "config key align.iterations must be at least 1"
        );
        let mut overrides = BTreeMap::new();
        for (key, o) in &c.overrides {
            let frame: i64 = key.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "config key align.override.{key}: the key must be a source frame number"
                )
            })?;
            let instead = match o.mode.as_str() {
                "on-top" | "on_top" | "ontop" => false,
                "instead" => true,
                other => anyhow::bail!(
                    "config key align.override.{key}.mode: '{other}' (on-top, instead)"
                ),
            };
            anyhow::ensure!(
                o.scale > 0.0,
                "config key align.override.{key}.scale must be positive"
            );
            overrides.insert(
                frame,
                Override {
                    translate: o.translate,
                    rotate: o.rotate,
                    scale: o.scale,
                    instead,
                },
            );
        }
        Ok(Settings {
            fit: ecc::FitParams {
                model,
                levels: c.levels,
                iterations: c.iterations,
                epsilon: c.epsilon,
                ..Default::default()
            },
            feature,
            filter,
            min_confidence: c.min_confidence,
            accept: c.accept.clone(),
            crop,
            overrides,
            qc: c.qc,
        })
    }
}

/// The fit of one pair, before any file is written.
#[derive(Clone, Debug)]
pub struct Placement {
    pub matrix: Mat3,
    pub score: ecc::Score,
    pub override_mode: &'static str,
}

/// Fit `reference` onto `source` (both linear images, any sizes), honouring an override.
pub fn place(source: &Image, reference: &Image, s: &Settings, ov: Option<&Override>) -> Placement {
    let t = pyramid::feature_plane(source, s.feature);
    let i = pyramid::feature_plane(reference, s.feature);
    let init = motion::initial(
        (source.width, source.height),
        (reference.width, reference.height),
    );
    let fitted = match ov {
        Some(o) if o.instead => None,
        _ => Some(ecc::fit(&t, &i, &init, &s.fit)),
    };
    let Some(o) = ov else {
        let f = fitted.expect("fit runs without an override");
        let score = ecc::Score {
            correlation: f.confidence,
            residual: f.residual,
            coverage: f.coverage,
        };
        return Placement {
            matrix: f.matrix,
            score,
            override_mode: "none",
        };
    };
    // The override moves the *aligned reference as seen on the source*: a position x of the
    // result shows what was at T^-1 x, i.e. reference M T^-1 x.
    let centre = (
        (source.width as f64 - 1.0) / 2.0,
        (source.height as f64 - 1.0) / 2.0,
    );
    let t_move = motion::transform_about(centre, o.translate, o.rotate, o.scale);
    let t_inv = motion::inverse(&t_move).expect("override scale is positive");
    let base = fitted.map(|f| f.matrix).unwrap_or(init);
    let matrix = motion::normalised(&motion::mul(&base, &t_inv));
    let score = ecc::score_planes(&t, &i, &matrix, s.fit.blur_sigma);
    Placement {
        matrix,
        score,
        override_mode: if o.instead { "instead" } else { "on-top" },
    }
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let settings = Settings::from_config(&ctx.config.align)?;
    let curated = CurationManifest::load(&ctx.project.root)?;
    anyhow::ensure!(
        !curated.pairs.is_empty(),
        "the curation manifest lists no pairs (check curate.frames)"
    );
    let out_dir = ctx.project.path(layout::ALIGNMENT);
    let qc_dir = out_dir.join("qc");
    // Pairs outside --frames keep their previous alignment.
    let previous = AlignmentManifest::load(&ctx.project.root).ok();
    let mut manifest = AlignmentManifest::default();
    let mut outputs = Vec::new();
    let (mut flagged, mut done) = (0usize, 0usize);
    let mut confidences = Vec::new();
    for pair in &curated.pairs {
        if ctx.frames.is_some_and(|r| !r.contains(pair.frame)) {
            if let Some(p) = previous
                .as_ref()
                .and_then(|m| m.pairs.iter().find(|p| p.frame == pair.frame))
            {
                manifest.pairs.push(p.clone());
            }
            continue;
        }
        if ctx.cancelled() {
            ctx.log(format!("cancelled after {done} pairs"));
            break;
        }
        let (aligned, crop) = align_pair(ctx, &settings, &qc_dir, pair, &mut outputs)?;
        flagged += aligned.flagged as usize;
        done += 1;
        confidences.push(aligned.confidence);
        manifest.pairs.push(aligned);
        manifest.crop = crop;
    }
    if manifest.crop == [0; 4]
        && let Some(p) = curated.pairs.first()
    {
        manifest.crop = settings
            .crop
            .unwrap_or([0, 0, p.source_size[0], p.source_size[1]]);
    }
    let manifest_path = out_dir.join(curate::MANIFEST);
    fsx::write_atomic(&manifest_path, &serde_json::to_vec_pretty(&manifest)?)?;
    outputs.insert(0, manifest_path);
    let mean = confidences.iter().sum::<f64>() / confidences.len().max(1) as f64;
    let min = confidences.iter().copied().fold(f64::INFINITY, f64::min);
    anyhow::ensure!(
        !ctx.cancelled(),
        "cancelled after {done} pairs (manifest saved with those)"
    );
    Ok(Outcome {
        summary: format!(
            "aligned {done} pairs ({}), {flagged} flagged below confidence {}; mean confidence {mean:.4}",
            settings.fit.model, settings.min_confidence
        ),
        outputs,
        metrics: serde_json::json!({"pairs": done, "flagged": flagged, "mean_confidence": mean,
            "min_confidence": if min.is_finite() { min } else { 0.0 }}),
    })
}

/// Fit, warp, crop and write one curated pair (and its QC renders); its manifest entry and the
/// crop used.
fn align_pair(
    ctx: &Ctx,
    settings: &Settings,
    qc_dir: &std::path::Path,
    pair: &curate::CuratedPair,
    outputs: &mut Vec<std::path::PathBuf>,
) -> anyhow::Result<(AlignedPair, [usize; 4])> {
    let started = std::time::Instant::now();
    let source = media::read_linear(&ctx.project.path(&pair.source), None)
        .with_context(|| format!("pair {}: source", pair.frame))?;
    let reference = media::read_linear(&ctx.project.path(&pair.reference), None)
        .with_context(|| format!("pair {}: reference", pair.frame))?;
    let crop = settings.crop.unwrap_or([0, 0, source.width, source.height]);
    anyhow::ensure!(
        crop[0] + crop[2] <= source.width && crop[1] + crop[3] <= source.height,
        "config key align.crop {crop:?} does not fit the {}x{} source of frame {}",
        source.width,
        source.height,
        pair.frame
    );
    let placement = place(
        &source,
        &reference,
        settings,
        settings.overrides.get(&pair.frame),
    );
    let (aligned, _covered) = warp::warp_image(
        &reference,
        &placement.matrix,
        source.width,
        source.height,
        settings.filter,
    );
    let src_c = source.crop(crop[0], crop[1], crop[2], crop[3]);
    let ref_c = aligned.crop(crop[0], crop[1], crop[2], crop[3]);
    let src_rel = format!(
        "{}/{}",
        layout::ALIGNMENT,
        curate::pipeline_name("src", pair.frame)
    );
    let ref_rel = format!(
        "{}/{}",
        layout::ALIGNMENT,
        curate::pipeline_name("ref", pair.frame)
    );
    media::write(&ctx.project.path(&src_rel), &src_c, &curate::pipeline_exr())?;
    media::write(&ctx.project.path(&ref_rel), &ref_c, &curate::pipeline_exr())?;
    outputs.push(ctx.project.path(&ref_rel));
    outputs.push(ctx.project.path(&src_rel));
    if settings.qc {
        outputs.extend(qc::render(qc_dir, pair.frame, &src_c, &ref_c)?);
    }
    let low = placement.score.correlation < settings.min_confidence;
    let accepted = low && settings.accept.contains(&pair.frame);
    let is_flagged = low && !accepted;
    let m = placement.matrix;
    ctx.log(format!(
        "pair {}: {} confidence {:.4} residual {:.4} coverage {:.3}{}{} ({:.2}s)",
        pair.frame,
        settings.fit.model,
        placement.score.correlation,
        placement.score.residual,
        placement.score.coverage,
        if is_flagged {
            " FLAGGED (below align.min-confidence)"
        } else if accepted {
            " below threshold, accepted"
        } else {
            ""
        },
        if placement.override_mode != "none" {
            format!(", override {}", placement.override_mode)
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    ));
    ctx.metric(serde_json::json!({
        "stage": "align", "frame": pair.frame, "confidence": placement.score.correlation,
        "residual": placement.score.residual, "coverage": placement.score.coverage,
        "flagged": is_flagged, "seconds": started.elapsed().as_secs_f64(), "matrix": m,
    }))?;
    let aligned_pair = AlignedPair {
        frame: pair.frame,
        reference_frame: pair.reference_frame,
        source: src_rel,
        reference: ref_rel,
        model: settings.fit.model.id().into(),
        matrix: m,
        confidence: placement.score.correlation,
        residual: placement.score.residual,
        coverage: placement.score.coverage,
        flagged: is_flagged,
        accepted,
        override_mode: placement.override_mode.into(),
        split: pair.split.clone(),
    };
    Ok((aligned_pair, crop))
}
