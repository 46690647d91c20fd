//! Stage `prep`: turn aligned pairs into the training set.
//!
//! For every usable pair of `pipeline/02_alignment/manifest.json` (not flagged, or flagged and
//! accepted by the operator) it writes, into `pipeline/03_copycat_training/prep/`:
//! * `input.NNNN.exr`: the source, RGB only, clamped to the working space's valid range;
//! * `target.NNNN.exr`: the *luma replacement*: exactly the input's luma with the reference's
//!   chroma (working space `ml::space`, Y'CbCr BT.709 on sRGB-encoded linear Rec.709),
//!
//! both float32 scene-linear Rec.709, plus `manifest.json` naming the held-out validation pairs
//! (`curate.validation`, else `prep.validation` pairs spread evenly). Held-out pairs are never
//! trained on.

mod shot_grades;

use shot_grades::Regrades;
pub use shot_grades::ShotGradeReport;

use super::{Ctx, Outcome};
use crate::color::Colorspace;
use crate::color::tone::{ToneCurve, ToneFit};
use crate::color::working as space;
use crate::grade::luma_field::{FieldPair, FrameWindow, LumaField};
use crate::media::{self, Image, WriteOptions};
use crate::project::config::{LumaMode, ShotGrades};
use crate::project::layout;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One aligned pair as the alignment stage lists it (only the fields prep needs).
struct AlignedPair {
    frame: i64,
    source: String,
    reference: String,
    /// Reference pixels per source pixel (from the fitted matrix's linear part), if recorded.
    scale: Option<f64>,
}

/// Source pixels between two chroma samples of the reference: a video transfer or JPEG carries
/// chroma at half its width (4:2:0 / 4:2:2), and its pixels are `scale` source pixels apart.
/// The median over the pairs; none when the alignment recorded no matrix.
fn reference_chroma_px(pairs: &[AlignedPair]) -> Option<f64> {
    let mut spacing: Vec<f64> = pairs
        .iter()
        .filter_map(|p| p.scale)
        .filter(|s| *s > 1e-6)
        .map(|s| 2.0 / s)
        .collect();
    spacing.sort_by(f64::total_cmp);
    spacing.get(spacing.len() / 2).copied()
}

/// `pipeline/03_copycat_training/prep/`.
pub fn prep_dir(root: &Path) -> PathBuf {
    root.join(layout::TRAINING).join("prep")
}

pub const MANIFEST: &str = "manifest.json";

/// `prep/manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrepManifest {
    /// See `color::working` (always `ycbcr709-srgb` for now).
    pub working_space: String,
    pub pairs: Vec<PrepPair>,
    /// `train.luma = tone`: the curve applied to the source's luma (inputs, targets and every
    /// rendered frame); absent = the source's luma as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luma_curve: Option<ToneCurve>,
    /// `train.luma = grade`: project-relative `.cube` whose luma change (low frequencies only)
    /// every input, target and rendered frame went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luma_grade: Option<String>,
    /// `train.luma-field`: the fade field across the frame, applied after the global fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luma_field: Option<LumaField>,
    /// Where the prepared pairs lie in the source frame (the alignment's linked crop): frame
    /// positions (the fade field's, the network's) are the full frame's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_window: Option<FrameWindow>,
    /// Source pixels between the reference's chroma samples (see `reference_chroma_px`):
    /// training validates colour at that resolution and picks its working scale from it
    /// (`train.chroma-scale = 0`), and the reference guide's radius follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_chroma_px: Option<f64>,
    /// `prep.shot-grades`: what the check of the pairs' colour balance found and decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shot_grades: Option<ShotGradeReport>,
}

/// How the source's luma is corrected before the chroma network sees it: a global correction,
/// then (`train.luma-field`) the uneven fading across the frame.
#[derive(Clone, Debug)]
pub struct LumaFix {
    pub base: LumaBase,
    pub field: Option<LumaField>,
}

/// The global part of [`LumaFix`] (`train.luma`).
#[derive(Clone, Debug)]
pub enum LumaBase {
    Curve(ToneCurve),
    Grade(crate::grade::Lut3d),
}

impl LumaBase {
    pub fn apply(&self, img: &Image) -> Image {
        match self {
            LumaBase::Curve(c) => c.apply(img),
            LumaBase::Grade(lut) => crate::grade::luma::graded_luma(img, lut),
        }
    }
}

impl LumaFix {
    /// `img` (source frame `frame`, lying at `window` in the source frame) with its luma
    /// corrected.
    pub fn apply(&self, img: &Image, window: FrameWindow, frame: i64) -> Image {
        let based = self.base.apply(img);
        match &self.field {
            Some(f) => f.apply(&based, window, frame),
            None => based,
        }
    }

    /// For the log: which correction, how strong.
    pub fn describe(&self) -> String {
        let base = match &self.base {
            LumaBase::Curve(c) => format!("the tone curve (largest shift {:.3})", c.max_shift()),
            LumaBase::Grade(lut) => {
                format!("the {0}x{0}x{0} grade's luma change, low-passed", lut.size)
            }
        };
        match &self.field {
            Some(f) => format!(
                "{base}, then the fade field across the frame ({}x{} nodes, largest shift {:.3}; {})",
                f.nodes[0],
                f.nodes[1],
                f.largest_shift(),
                f.describe_drift()
            ),
            None => base,
        }
    }
}

impl PrepManifest {
    /// The luma correction the dataset was prepared with (None = the source's luma exactly).
    pub fn luma_fix(&self, root: &Path) -> anyhow::Result<Option<LumaFix>> {
        let base = if let Some(rel) = &self.luma_grade {
            let lut = crate::grade::cube::read(&root.join(rel))
                .with_context(|| format!("prep manifest key luma_grade '{rel}'"))?;
            LumaBase::Grade(lut)
        } else if let Some(c) = &self.luma_curve {
            LumaBase::Curve(c.clone())
        } else {
            return Ok(None);
        };
        Ok(Some(LumaFix {
            base,
            field: self.luma_field.clone(),
        }))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PrepPair {
    /// Source frame number.
    pub frame: i64,
    /// Project-relative path of the network input (the source, clamped; linear Rec.709 EXR).
    pub input: String,
    /// Project-relative path of the target (source luma + reference chroma; linear Rec.709 EXR).
    pub target: String,
    /// Held out: never trained on.
    pub validation: bool,
    /// [width, height].
    pub size: [usize; 2],
}

impl PrepManifest {
    pub fn load(path: &Path) -> anyhow::Result<PrepManifest> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "{}: cannot read the prepared dataset (run `tinct run prep` first)",
                path.display()
            )
        })?;
        let m: PrepManifest = serde_json::from_str(&text)
            .with_context(|| format!("{}: bad manifest", path.display()))?;
        anyhow::ensure!(
            m.working_space == crate::color::working::WORKING_SPACE_ID,
            "{}: working space '{}' is not '{}'",
            path.display(),
            m.working_space,
            crate::color::working::WORKING_SPACE_ID
        );
        Ok(m)
    }
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let root = &ctx.project.root;
    let pairs = read_alignment(&root.join(layout::ALIGNMENT).join("manifest.json"))?;
    anyhow::ensure!(
        !pairs.is_empty(),
        "no usable aligned pairs (all flagged?) in {}",
        layout::ALIGNMENT
    );
    let validation = pick_validation(
        &pairs.iter().map(|p| p.frame).collect::<Vec<_>>(),
        &super::curate::held_out_frames(ctx),
        ctx.config.prep.validation,
    );
    let out_dir = prep_dir(root);
    let rel_dir = Path::new(layout::TRAINING).join("prep");
    let opts = WriteOptions {
        colorspace: Colorspace::LinearRec709,
        half: false,
        compression: "zip".into(),
        bits: 32,
    };
    let mut manifest = PrepManifest {
        working_space: space::WORKING_SPACE_ID.into(),
        pairs: Vec::new(),
        luma_curve: None,
        luma_grade: None,
        luma_field: None,
        frame_window: None,
        reference_chroma_px: reference_chroma_px(&pairs),
        shot_grades: None,
    };
    // The whole source sequence: the frame's size, and the reel's extent for the luma field's
    // drift (head to tail, not a farm chunk's range).
    let (seq, _) = ctx.source_frames()?;
    let window = frame_window(ctx, &seq, &pairs)?;
    manifest.frame_window = Some(window);
    // The training pairs' colours, read once for the LUT of `train.luma = grade` and the
    // shot-grade check's consensus.
    let check_shots = ctx.config.prep.shot_grades != ShotGrades::Keep;
    let samples = if check_shots || ctx.config.train.luma == LumaMode::Grade {
        training_samples(ctx, &pairs, &validation)?
    } else {
        crate::grade::Samples::default()
    };
    let mut regrades = Regrades::new();
    if check_shots {
        let (report, found) = shot_grades::check(ctx, &pairs, &samples)?;
        manifest.shot_grades = Some(report);
        regrades = found;
    }
    let base = match ctx.config.train.luma {
        LumaMode::Keep => None,
        LumaMode::Tone => {
            let c = fit_tone(ctx, &pairs, &validation, &regrades)?;
            manifest.luma_curve = Some(c.clone());
            Some(LumaBase::Curve(c))
        }
        LumaMode::Grade => {
            let lut = fit_grade(ctx, &samples)?;
            let rel = rel_dir.join(LUMA_GRADE);
            std::fs::create_dir_all(&out_dir)
                .with_context(|| format!("{}: cannot create", out_dir.display()))?;
            crate::grade::cube::write(&root.join(&rel), &lut, "tinct train.luma = grade", &[])?;
            manifest.luma_grade = Some(rel.to_string_lossy().into_owned());
            Some(LumaBase::Grade(lut))
        }
    };
    let curve = match base {
        Some(base) => {
            let field = if ctx.config.train.luma_field {
                Some(fit_field(
                    ctx,
                    &seq,
                    &pairs,
                    &validation,
                    &base,
                    window,
                    &regrades,
                )?)
            } else {
                None
            };
            manifest.luma_field = field.clone();
            Some(LumaFix { base, field })
        }
        None => None,
    };
    let mut outputs = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        if ctx.cancelled() {
            anyhow::bail!("cancelled after {i} of {} pairs", pairs.len());
        }
        let input_rel = rel_dir.join(format!("input.{:04}.exr", p.frame));
        let target_rel = rel_dir.join(format!("target.{:04}.exr", p.frame));
        let (input_path, target_path) = (root.join(&input_rel), root.join(&target_rel));
        // A tone curve is refitted every run, so cached pairs are only reused without one.
        let reuse = !ctx.force
            && curve.is_none()
            && regrades.is_empty()
            && input_path.exists()
            && target_path.exists();
        let size = if reuse {
            let d = media::read(&input_path)
                .with_context(|| format!("frame {}: reading {}", p.frame, input_path.display()))?;
            [d.image.width, d.image.height]
        } else {
            let (src, reference) = read_pair(ctx, p, &regrades)?;
            let src = match &curve {
                Some(c) => c.apply(&src, window, p.frame),
                None => src,
            };
            let (input, target) =
                luma_replacement(&src, &reference).with_context(|| format!("frame {}", p.frame))?;
            media::write(&input_path, &input, &opts)?;
            media::write(&target_path, &target, &opts)?;
            [input.width, input.height]
        };
        outputs.push(input_path);
        outputs.push(target_path);
        manifest.pairs.push(PrepPair {
            frame: p.frame,
            input: input_rel.to_string_lossy().into_owned(),
            target: target_rel.to_string_lossy().into_owned(),
            validation: validation.contains(&p.frame),
            size,
        });
        ctx.metric(serde_json::json!({ "frame": p.frame, "done": i + 1, "total": pairs.len() }))?;
    }
    let manifest_path = out_dir.join(MANIFEST);
    crate::fsx::write_atomic(&manifest_path, &serde_json::to_vec_pretty(&manifest)?)?;
    outputs.insert(0, manifest_path);
    let n_val = manifest.pairs.iter().filter(|p| p.validation).count();
    Ok(Outcome {
        summary: format!(
            "{} training pairs, {n_val} held out for validation ({:?})",
            manifest.pairs.len() - n_val,
            validation
        ),
        outputs,
        metrics: serde_json::json!({ "train_pairs": manifest.pairs.len() - n_val, "validation_pairs": n_val }),
    })
}

/// An aligned pair's source and reference, linear; the reference taken back to the consensus
/// balance where `regrades` has the pair (`prep.shot-grades`).
fn read_pair(ctx: &Ctx, p: &AlignedPair, regrades: &Regrades) -> anyhow::Result<(Image, Image)> {
    let root = &ctx.project.root;
    let src = media::read_linear(&root.join(&p.source), None)
        .with_context(|| format!("frame {}: source {}", p.frame, p.source))?;
    let mut reference = media::read_linear(&root.join(&p.reference), None)
        .with_context(|| format!("frame {}: reference {}", p.frame, p.reference))?;
    if let Some(m) = regrades.get(&p.frame) {
        crate::grade::shot_grade::apply(&mut reference, m);
    }
    Ok((src, reference))
}

/// `prep/luma-grade.cube`: the LUT of `train.luma = grade`.
pub const LUMA_GRADE: &str = "luma-grade.cube";

/// Every third pixel of the training pairs (validation pairs kept out), source → reference.
fn training_samples(
    ctx: &Ctx,
    pairs: &[AlignedPair],
    validation: &[i64],
) -> anyhow::Result<crate::grade::Samples> {
    let mut samples = crate::grade::Samples::default();
    for p in pairs.iter().filter(|p| !validation.contains(&p.frame)) {
        let (src, reference) = read_pair(ctx, p, &Regrades::new())?;
        samples
            .push_pair(&src, &reference, 3)
            .with_context(|| format!("training pair, frame {}", p.frame))?;
    }
    Ok(samples)
}

/// The 3D LUT of `train.luma = grade`: the MatchGrade fit (its `[matchgrade]` settings) on the
/// training pairs' `samples`.
fn fit_grade(ctx: &Ctx, samples: &crate::grade::Samples) -> anyhow::Result<crate::grade::Lut3d> {
    anyhow::ensure!(
        !samples.is_empty(),
        "train.luma = grade: the training pairs hold no usable pixels"
    );
    let mg = &ctx.config.matchgrade;
    let lut = crate::grade::fit_lut(&samples.thinned(mg.max_samples), &mg.lut_fit_params()).1;
    ctx.log(format!(
        "train.luma = grade: {0}x{0}x{0} LUT fitted on {1} pixels of the training pairs",
        mg.lut_size,
        samples.len().min(mg.max_samples)
    ));
    Ok(lut)
}

/// The tone curve of `train.luma = tone`, fitted on the training pairs (never on held-out ones).
fn fit_tone(
    ctx: &Ctx,
    pairs: &[AlignedPair],
    validation: &[i64],
    regrades: &Regrades,
) -> anyhow::Result<ToneCurve> {
    // One pair in memory at a time; the pairs are read again when the dataset is written, which
    // costs a second decode but keeps a 2K reel's prep at two frames of memory, not all of them.
    let mut fit = ToneFit::default();
    let mut fitted = 0;
    for p in pairs.iter().filter(|p| !validation.contains(&p.frame)) {
        let (src, reference) = read_pair(ctx, p, regrades)?;
        fit.add_images(&src, &reference, 3);
        fitted += 1;
    }
    let curve = fit.curve();
    let at = |y: f32| format!("{y:.2}→{:.3}", curve.map(y));
    ctx.log(format!(
        "train.luma = tone: curve fitted on {} training pairs, largest shift {:.3} ({}, {}, {})",
        fitted,
        curve.max_shift(),
        at(0.1),
        at(0.5),
        at(0.9)
    ));
    Ok(curve)
}

/// The network's input (the source, clamped) and target (source luma + reference chroma), both
/// linear Rec.709 RGB.
pub fn luma_replacement(src: &Image, reference: &Image) -> anyhow::Result<(Image, Image)> {
    anyhow::ensure!(
        (src.width, src.height) == (reference.width, reference.height),
        "aligned source {}x{} and reference {}x{} differ in size",
        src.width,
        src.height,
        reference.width,
        reference.height
    );
    let mut input = Image::new(src.width, src.height, 3);
    let mut target = Image::new(src.width, src.height, 3);
    for y in 0..src.height {
        for x in 0..src.width {
            let s = space::clamp_ycbcr(space::rgb_to_ycbcr(src.rgb(x, y)));
            let r = space::clamp_ycbcr(space::rgb_to_ycbcr(reference.rgb(x, y)));
            input
                .pixel_mut(x, y)
                .copy_from_slice(&space::ycbcr_to_rgb(s));
            target
                .pixel_mut(x, y)
                .copy_from_slice(&space::ycbcr_to_rgb([s[0], r[1], r[2]]));
        }
    }
    Ok((input, target))
}

fn read_alignment(path: &Path) -> anyhow::Result<Vec<AlignedPair>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "{}: cannot read the alignment manifest (run `tinct run align` first)",
            path.display()
        )
    })?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("{}: bad JSON", path.display()))?;
    let pairs = v["pairs"]
        .as_array()
        .with_context(|| format!("{}: no 'pairs' list", path.display()))?;
    let mut out = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        let field = |k: &str| -> anyhow::Result<String> {
            p[k].as_str()
                .map(str::to_owned)
                .with_context(|| format!("{}: pair {i} has no '{k}'", path.display()))
        };
        let frame = p["frame"]
            .as_i64()
            .with_context(|| format!("{}: pair {i} has no 'frame'", path.display()))?;
        let flagged = p["flagged"].as_bool().unwrap_or(false);
        // The operator's override accepts a flagged pair: `true`, or "accept"/"accepted".
        let accepted = match &p["override"] {
            Value::Bool(b) => *b,
            Value::String(s) => s.starts_with("accept"),
            _ => false,
        };
        if flagged && !accepted {
            continue;
        }
        out.push(AlignedPair {
            frame,
            source: field("source")?,
            reference: field("reference")?,
            scale: linear_scale(&p["matrix"]),
        });
    }
    Ok(out)
}

/// Where the aligned pairs lie in the source frame: the alignment's linked crop, in a frame the
/// size of the first pair's source file.
fn frame_window(
    ctx: &Ctx,
    seq: &media::Sequence,
    pairs: &[AlignedPair],
) -> anyhow::Result<FrameWindow> {
    let root = &ctx.project.root;
    let manifest = root.join(layout::ALIGNMENT).join("manifest.json");
    let crop: Vec<usize> = std::fs::read(&manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| serde_json::from_value(v["crop"].clone()).ok())
        .unwrap_or_default();
    let first = pairs
        .first()
        .context("no aligned pairs to place in the frame")?;
    let path = seq.path(first.frame);
    let (w, h) = media::info::dimensions(&path)
        .with_context(|| format!("frame {}: {}", first.frame, path.display()))?;
    let origin = match crop.as_slice() {
        [x, y, _, _] => [*x, *y],
        _ => [0, 0],
    };
    Ok(FrameWindow {
        origin,
        frame: [w, h],
    })
}

/// `train.luma-field`: the fade field, fitted on the training pairs (validation frames kept
/// out) after the global luma fix.
fn fit_field(
    ctx: &Ctx,
    seq: &media::Sequence,
    pairs: &[AlignedPair],
    validation: &[i64],
    base: &LumaBase,
    window: FrameWindow,
    regrades: &Regrades,
) -> anyhow::Result<LumaField> {
    let mut fixed = Vec::new();
    for p in pairs.iter().filter(|p| !validation.contains(&p.frame)) {
        let (src, reference) = read_pair(ctx, p, regrades)?;
        fixed.push((p.frame, base.apply(&src), reference));
    }
    let refs: Vec<_> = fixed
        .iter()
        .map(|(frame, source, reference)| FieldPair {
            source,
            reference,
            window,
            frame: *frame,
        })
        .collect();
    let reel = match (seq.frames.iter().min(), seq.frames.iter().max()) {
        (Some(&a), Some(&b)) if b > a => Some([a, b]),
        _ => None,
    };
    let field = LumaField::fit(&refs, reel)?;
    ctx.log(format!(
        "train.luma-field: {}x{} nodes fitted on {} training pairs, largest luma shift at mid-grey {:.3}; {}",
        field.nodes[0],
        field.nodes[1],
        refs.len(),
        field.largest_shift(),
        field.describe_drift()
    ));
    Ok(field)
}

/// Square root of the determinant of a 3x3 matrix's linear part (its area scale's side).
fn linear_scale(m: &Value) -> Option<f64> {
    let at = |r: usize, c: usize| m.get(r)?.get(c)?.as_f64();
    let det = at(0, 0)? * at(1, 1)? - at(0, 1)? * at(1, 0)?;
    let w = at(2, 2)?;
    (w.abs() > 1e-12).then(|| (det.abs()).sqrt() / w.abs())
}

/// Held-out frames: the curated list if given, else `count` frames spread evenly (always
/// leaving at least one pair to train on).
pub fn pick_validation(frames: &[i64], curated: &[i64], count: usize) -> Vec<i64> {
    if !curated.is_empty() {
        return frames
            .iter()
            .copied()
            .filter(|f| curated.contains(f))
            .collect();
    }
    let k = count.min(frames.len().saturating_sub(1));
    (0..k)
        .map(|i| frames[((2 * i + 1) * frames.len()) / (2 * k)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_is_spread_and_leaves_training_pairs() {
        let frames: Vec<i64> = (0..10).collect();
        assert_eq!(pick_validation(&frames, &[], 2), vec![2, 7]);
        assert_eq!(pick_validation(&frames[..1], &[], 2), Vec::<i64>::new());
        assert_eq!(pick_validation(&frames, &[3, 99], 2), vec![3]);
    }

    #[test]
    fn target_keeps_source_luma_and_takes_reference_chroma() {
        let src = Image::from_fn_rgb(4, 2, |x, _| [0.1 * x as f32; 3]);
        let reference = Image::from_fn_rgb(4, 2, |x, y| [0.5, 0.1 * y as f32, 0.05 * x as f32]);
        let (_, t) = luma_replacement(&src, &reference).unwrap();
        for (x, y) in [(0, 0), (3, 1), (2, 0)] {
            let ts = space::rgb_to_ycbcr(t.rgb(x, y));
            let ss = space::rgb_to_ycbcr(src.rgb(x, y));
            let rs = space::rgb_to_ycbcr(reference.rgb(x, y));
            assert!((ts[0] - ss[0]).abs() < 1e-5);
            assert!((ts[1] - rs[1]).abs() < 1e-5 && (ts[2] - rs[2]).abs() < 1e-5);
        }
    }
}
