//! Scoring renders against the clean truth: ΔE00 (mean, p95), colourfulness and flicker as
//! ratios to the truth's, and how much of the scan's fine detail survives.
//!
//! The truth is the clean print *at the reference's levels*: the telecine put the print's clear
//! base at white (a linear gain, `video_gain`, 1.12 on these cases), and a recovery follows its
//! reference, so that gain is part of the colour the operator asked for. Scored against the
//! print's own levels instead, every render that learnt from the reference carries the same
//! +2.5–3.5 L* on every shot (measured), which no method can know from the pairs and which hides
//! the differences between them; that figure is still reported (`ΔE00 print levels`).

use super::cases::CaseSplit;
use crate::color::{lab, metrics, tone, working};
use crate::demo::DemoTruth;
use crate::media::{self, Image};
use crate::project::{Project, layout};
use crate::stages::output::OutputSpec;
use anyhow::Context;
use std::path::PathBuf;

/// One variant's figures over a group of frames.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VariantScore {
    pub name: &'static str,
    pub de00_mean: f64,
    pub de00_p95: f64,
    /// ΔE00 mean against the clean print at its own levels (without the transfer's gain).
    pub de00_mean_print_levels: f64,
    /// Mean colourfulness over the truth's (1 = as colourful as the film was).
    pub colourfulness_ratio: f64,
    /// Frame-to-frame change of mean chroma within shots, over the truth's (1 = as steady).
    pub flicker_ratio: f64,
    /// Correlation of the render's fine luma detail (Y' − its 5-pixel blur) with the source's.
    pub detail_r: Option<f64>,
    /// Mean Lab error (render − truth) per shot: where the error is a shot's or the reel's cast
    /// and tone rather than the picture's detail.
    pub shot_bias: Vec<ShotBias>,
}

/// One shot's mean L*, a*, b* error against the truth.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ShotBias {
    pub shot: usize,
    pub frames: usize,
    pub lab: [f64; 3],
}

/// Every variant over one group of frames.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Scores {
    pub frames: usize,
    pub variants: Vec<VariantScore>,
}

impl Scores {
    pub fn get(&self, name: &str) -> Option<&VariantScore> {
        self.variants.iter().find(|v| v.name == name)
    }

    pub fn ml_over_matchgrade(&self) -> Option<f64> {
        Some(self.get("ml")?.de00_mean / self.get("matchgrade")?.de00_mean)
    }
}

const VARIANTS: [&str; 3] = ["source", "matchgrade", "ml"];

/// Accumulates one variant over frames.
#[derive(Default)]
struct Acc {
    de: metrics::De00Histogram,
    colour: f64,
    flicker: f64,
    detail: Vec<f64>,
    prev: Option<(usize, metrics::MeanChroma)>,
    bias: Vec<ShotBias>,
    /// Sum and count of ΔE00 against the print's own levels.
    print_levels: (f64, usize),
}

impl Acc {
    /// Add one frame's mean Lab error to its shot's running mean.
    fn add_bias(&mut self, shot: usize, lab: [f64; 3]) {
        if self.bias.last().is_none_or(|b| b.shot != shot) {
            self.bias.push(ShotBias {
                shot,
                frames: 0,
                lab: [0.0; 3],
            });
        }
        let b = self.bias.last_mut().expect("pushed above");
        b.frames += 1;
        let n = b.frames as f64;
        for (m, v) in b.lab.iter_mut().zip(lab) {
            *m += (v - *m) / n;
        }
    }
}

/// Mean of (a − b) in CIELAB over every pixel.
fn mean_lab_error(a: &Image, b: &Image) -> [f64; 3] {
    let mut sum = [0f64; 3];
    let n = (a.width * a.height).max(1);
    for y in 0..a.height {
        for x in 0..a.width {
            let (la, lb) = (
                lab::linear_to_lab(a.rgb(x, y)),
                lab::linear_to_lab(b.rgb(x, y)),
            );
            for c in 0..3 {
                sum[c] += la[c] - lb[c];
            }
        }
    }
    sum.map(|s| s / n as f64)
}

/// Score the held-out shots and the unseen frames of trained shots.
pub fn score_case(
    project: &Project,
    truth: &DemoTruth,
    split: &CaseSplit,
) -> anyhow::Result<(Scores, Scores)> {
    let curated = split.all_curated();
    let (mut held, mut unseen) = (Vec::new(), Vec::new());
    for shot in &truth.shots {
        for f in shot.first_frame..=shot.last_frame {
            if split.held_out_shots.contains(&shot.index) {
                held.push((shot.index, f));
            } else if !curated.contains(&f) {
                unseen.push((shot.index, f));
            }
        }
    }
    Ok((
        score_frames(project, truth, &held)?,
        score_frames(project, truth, &unseen)?,
    ))
}

fn score_frames(
    project: &Project,
    truth: &DemoTruth,
    frames: &[(usize, i64)],
) -> anyhow::Result<Scores> {
    let spec = OutputSpec::from_config(&project.config.infer)?;
    let clean = truth
        .clean
        .as_ref()
        .context("the case has no clean print to score against")?;
    let root = &project.root;
    let mut accs: Vec<Acc> = VARIANTS.iter().map(|_| Acc::default()).collect();
    let (mut truth_colour, mut truth_flicker) = (0.0, 0.0);
    let mut truth_prev: Option<(usize, metrics::MeanChroma)> = None;
    let gain = truth.reference.video_gain;
    for &(shot, f) in frames {
        let print = read(clean.path(root, f), None)?;
        let mut want = print.clone();
        for v in &mut want.data {
            *v *= gain;
        }
        let source = read(truth.source.path(root, f), None)?;
        let renders = [
            source.clone(),
            read(
                spec.frame_path(&project.path(layout::MATCHGRADE), "matchgrade", f),
                Some(spec.colorspace),
            )?,
            read(
                spec.frame_path(&project.path(layout::INFERENCE), "render", f),
                Some(spec.colorspace),
            )?,
        ];
        let want_colour = metrics::colourfulness(&want);
        truth_colour += want_colour;
        truth_flicker += step_change(&mut truth_prev, shot, metrics::mean_chroma(&want));
        let source_detail = detail(&source);
        for (i, img) in renders.iter().enumerate() {
            anyhow::ensure!(
                (img.width, img.height) == (want.width, want.height),
                "frame {f}: the {} render is {}x{}, the truth {}x{} (an [infer] crop? the \
                 benchmark scores whole frames)",
                VARIANTS[i],
                img.width,
                img.height,
                want.width,
                want.height
            );
            let a = &mut accs[i];
            a.de.add(&metrics::de00_map(img, &want)?);
            let at_print = metrics::de00_map(img, &print)?;
            a.print_levels.0 += at_print.iter().map(|&v| f64::from(v)).sum::<f64>();
            a.print_levels.1 += at_print.len();
            a.colour += metrics::colourfulness(img);
            a.flicker += step_change(&mut a.prev, shot, metrics::mean_chroma(img));
            a.add_bias(shot, mean_lab_error(img, &want));
            if i > 0 {
                a.detail.push(correlation(&detail(img), &source_detail));
            }
        }
    }
    let variants = VARIANTS
        .iter()
        .zip(accs)
        .filter_map(|(&name, a)| {
            let s = a.de.stats()?;
            Some(VariantScore {
                name,
                de00_mean: s.mean,
                de00_p95: s.p95,
                de00_mean_print_levels: a.print_levels.0 / a.print_levels.1.max(1) as f64,
                colourfulness_ratio: a.colour / truth_colour.max(1e-12),
                flicker_ratio: a.flicker / truth_flicker.max(1e-12),
                detail_r: (!a.detail.is_empty())
                    .then(|| a.detail.iter().sum::<f64>() / a.detail.len() as f64),
                shot_bias: a.bias,
            })
        })
        .collect();
    Ok(Scores {
        frames: frames.len(),
        variants,
    })
}

fn read(path: PathBuf, assume: Option<crate::color::Colorspace>) -> anyhow::Result<Image> {
    media::read_linear(&path, assume).with_context(|| format!("scoring {}", path.display()))
}

/// Change of mean chroma from the previous frame of the same shot (0 at a cut).
fn step_change(
    prev: &mut Option<(usize, metrics::MeanChroma)>,
    shot: usize,
    now: metrics::MeanChroma,
) -> f64 {
    let d = match prev {
        Some((s, p)) if *s == shot => ((now.cb - p.cb).powi(2) + (now.cr - p.cr).powi(2)).sqrt(),
        _ => 0.0,
    };
    *prev = Some((shot, now));
    d
}

/// The luma's fine detail: Y' minus its 5-pixel box blur.
fn detail(img: &Image) -> Vec<f32> {
    let luma: Vec<f32> = img
        .data
        .chunks_exact(img.channels)
        .map(|p| working::split_luma_chroma([p[0], p[1], p[2]]).0)
        .collect();
    let low = tone::blur(&luma, img.width, img.height, 2, 1);
    luma.iter().zip(low).map(|(l, b)| l - b).collect()
}

/// Pearson correlation of two equally long signals.
fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let (ma, mb) = (
        a.iter().map(|&v| f64::from(v)).sum::<f64>() / n,
        b.iter().map(|&v| f64::from(v)).sum::<f64>() / n,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x) - ma, f64::from(y) - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    sab / (saa * sbb).sqrt().max(1e-30)
}
