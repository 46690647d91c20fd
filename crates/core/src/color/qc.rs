//! Comparing two images or frame sequences: ΔE2000 statistics and chroma PSNR per frame and
//! overall. The engine behind `tinct qc`, callable by stages that report against a reference.
//!
//! Both sides are read as scene-linear Rec.709 (`media::read_linear`: EXR linear, 8-bit formats
//! sRGB-decoded, or the `assume` override), so ΔE00 is measured on D65 CIELAB of what the files
//! mean, not of their code values.

use super::metrics::{self, De00Histogram, De00Stats, MetricsError};
use super::working::WORKING_SPACE_ID;
use crate::color::Colorspace;
use crate::media::Sequence;
use anyhow::{Context, bail};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What to compare and how to read it.
#[derive(Clone, Debug, Default)]
pub struct QcOptions {
    /// Colourspace to assume for A's files instead of the one their encoding implies.
    pub assume_a: Option<Colorspace>,
    /// Same for B.
    pub assume_b: Option<Colorspace>,
}

/// ΔE00 summary as reported (no per-pixel data).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct De00Summary {
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
}

impl From<&De00Stats> for De00Summary {
    fn from(s: &De00Stats) -> Self {
        Self {
            mean: s.mean,
            median: s.median,
            p95: s.p95,
            max: s.max,
        }
    }
}

/// One compared pair of frames.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FrameReport {
    /// Frame number on the A side (B's frame number is the same when pairing sequences).
    pub frame: i64,
    pub a: PathBuf,
    pub b: PathBuf,
    pub width: usize,
    pub height: usize,
    pub de00: De00Summary,
    /// Chroma PSNR in dB; `None` (JSON `null`) when the chroma is identical (infinite PSNR).
    pub chroma_psnr: Option<f64>,
}

/// The whole comparison.
#[derive(Clone, Debug, serde::Serialize)]
pub struct QcReport {
    pub a: String,
    pub b: String,
    /// Over every pixel of every compared frame. Median and p95 pooled through a 0.001-wide
    /// histogram (exact for a single frame).
    pub de00: De00Summary,
    /// From the chroma MSE pooled over all frames; `None` when identical.
    pub chroma_psnr: Option<f64>,
    /// The space chroma PSNR is measured in.
    pub chroma_space: &'static str,
    pub frames: Vec<FrameReport>,
    /// Frames present on only one side (not compared).
    pub unmatched_a: Vec<i64>,
    pub unmatched_b: Vec<i64>,
}

fn psnr_of_mse(mse: f64) -> Option<f64> {
    (mse > 0.0).then(|| -10.0 * mse.log10())
}

/// Frame pairs `(a, b)`, then the frames only `a` has, then those only `b` has.
type FramePairing = (Vec<(i64, i64)>, Vec<i64>, Vec<i64>);

/// Pair the frames of `a` and `b`: two single files pair with each other (whatever their names'
/// numbers); otherwise frames pair by number.
fn pair_frames(a: &Sequence, b: &Sequence) -> anyhow::Result<FramePairing> {
    let one = |s: &Sequence| s.is_single_file() || s.frames.len() == 1;
    if one(a) && one(b) {
        return Ok((vec![(a.frames[0], b.frames[0])], vec![], vec![]));
    }
    if a.is_single_file() || b.is_single_file() {
        bail!(
            "cannot compare a single image with a sequence: '{}' has {} frame(s), '{}' has {}",
            a.pattern,
            a.frames.len(),
            b.pattern,
            b.frames.len()
        );
    }
    let pairs: Vec<(i64, i64)> = a
        .frames
        .iter()
        .filter(|f| b.frames.contains(f))
        .map(|&f| (f, f))
        .collect();
    let only_a = a
        .frames
        .iter()
        .filter(|f| !b.frames.contains(f))
        .copied()
        .collect();
    let only_b = b
        .frames
        .iter()
        .filter(|f| !a.frames.contains(f))
        .copied()
        .collect();
    if pairs.is_empty() {
        bail!(
            "'{}' (frames {}-{}) and '{}' (frames {}-{}) share no frame numbers",
            a.pattern,
            a.first().unwrap_or(0),
            a.last().unwrap_or(0),
            b.pattern,
            b.first().unwrap_or(0),
            b.last().unwrap_or(0)
        );
    }
    Ok((pairs, only_a, only_b))
}

fn discover(p: &Path, side: &str) -> anyhow::Result<Sequence> {
    let seq = Sequence::discover(p).with_context(|| format!("qc {side}: {}", p.display()))?;
    if seq.frames.is_empty() {
        bail!("qc {side}: no frames found for '{}'", p.display());
    }
    Ok(seq)
}

/// Compare `a` with `b` (files or sequence patterns).
pub fn compare(a: &Path, b: &Path, opts: &QcOptions) -> anyhow::Result<QcReport> {
    let (sa, sb) = (discover(a, "A")?, discover(b, "B")?);
    let (pairs, unmatched_a, unmatched_b) = pair_frames(&sa, &sb)?;

    let pooled = Mutex::new((De00Histogram::new(), 0.0f64, 0usize));
    // Frames run in parallel; each frame's metrics are parallel inside too, and rayon balances
    // the two levels. At most one decoded pair per worker thread is alive at a time.
    let mut frames = pairs
        .par_iter()
        .map(|&(fa, fb)| -> anyhow::Result<FrameReport> {
            let (pa, pb) = (sa.path(fa), sb.path(fb));
            let ia = sa.read_linear(fa, opts.assume_a).with_context(|| format!("qc A: {}", pa.display()))?;
            let ib = sb.read_linear(fb, opts.assume_b).with_context(|| format!("qc B: {}", pb.display()))?;
            let size_error = |e: MetricsError| match e {
                MetricsError::SizeMismatch { a_width, a_height, b_width, b_height } => anyhow::anyhow!(
                    "size mismatch: {} is {a_width}x{a_height} but {} is {b_width}x{b_height} (qc needs equal sizes)",
                    pa.display(),
                    pb.display()
                ),
                MetricsError::Empty => anyhow::anyhow!("{} has no pixels", pa.display()),
            };
            let map = metrics::de00_map(&ia, &ib).map_err(size_error)?;
            let mse = metrics::chroma_mse(&ia, &ib).map_err(size_error)?;
            let stats = De00Stats::from_values(&mut map.clone());
            {
                let mut p = pooled.lock().expect("qc pool lock");
                p.0.add(&map);
                p.1 += mse * ia.pixel_count() as f64;
                p.2 += ia.pixel_count();
            }
            Ok(FrameReport {
                frame: fa,
                a: pa.clone(),
                b: pb.clone(),
                width: ia.width,
                height: ia.height,
                de00: De00Summary::from(&stats),
                chroma_psnr: psnr_of_mse(mse),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    frames.sort_by_key(|f| f.frame);

    let (hist, mse_sum, pixels) = pooled.into_inner().expect("qc pool lock");
    // One frame: its exact statistics; several: the pooled histogram.
    let overall = match frames.as_slice() {
        [only] => only.de00,
        _ => De00Summary::from(&hist.stats().expect("at least one frame was compared")),
    };
    Ok(QcReport {
        a: a.display().to_string(),
        b: b.display().to_string(),
        de00: overall,
        chroma_psnr: psnr_of_mse(mse_sum / pixels as f64),
        chroma_space: WORKING_SPACE_ID,
        frames,
        unmatched_a,
        unmatched_b,
    })
}
