//! Stage `suggest`: find the shot cuts in the source and propose representative frames – at
//! least one per shot, the rest spread over tonal range and content – as
//! `pipeline/01_dataset_curation/suggested.toml`, a `[curate]` block the operator edits and
//! copies into `tinct.toml`.
//!
//! A frame's change from its predecessor is the L1 distance of their luma histograms plus the
//! mean absolute difference of small luma thumbnails. A cut is a change far above the local
//! run of changes (median + `curate.cut-sensitivity` x MAD over a ±12 frame window), so a
//! flickering, grainy or panning shot raises its own bar. A gap in the numbering also ends a
//! shot.

use super::{Ctx, Outcome};
use crate::fsx;
use crate::media::{self, Image, Sequence};
use crate::project::layout;
use anyhow::Context;
use rayon::prelude::*;

const THUMB_W: usize = 32;
const THUMB_H: usize = 18;
const BINS: usize = 32;
/// Frames this close to a cut are avoided (dissolves, flash frames, splices).
const CUT_GUARD: i64 = 2;
const WINDOW: usize = 12;

/// What one frame looks like, cheaply.
#[derive(Clone, Debug)]
struct FrameLook {
    frame: i64,
    thumb: Vec<f32>,
    hist: Vec<f32>,
    /// 5th, 50th and 95th percentile of encoded luma.
    tones: [f32; 3],
}

#[derive(Clone, Debug)]
pub struct Shot {
    pub first: i64,
    pub last: i64,
    /// Change score of the cut that starts it (0 for the first shot or after a gap).
    pub cut_score: f64,
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let cfg = &ctx.config;
    anyhow::ensure!(
        !cfg.source.pattern.is_empty(),
        "config key source.pattern is empty"
    );
    let seq = Sequence::discover(&ctx.project.path(&cfg.source.pattern))
        .with_context(|| format!("source.pattern '{}'", cfg.source.pattern))?;
    let frames: Vec<i64> = seq
        .frames
        .iter()
        .copied()
        .filter(|&f| ctx.frames.is_none_or(|r| r.contains(f)))
        .collect();
    anyhow::ensure!(
        !frames.is_empty(),
        "source.pattern '{}' has no frames in the range asked for",
        cfg.source.pattern
    );
    let cs = super::curate::assumed_colorspace("source.colorspace", &cfg.source.colorspace)?;
    ctx.log(format!("suggest: reading {} source frames", frames.len()));
    let looks: Vec<FrameLook> = frames
        .par_iter()
        .map(|&f| {
            anyhow::ensure!(!ctx.cancelled(), "cancelled");
            let img = media::read_linear(&seq.path(f), cs)
                .with_context(|| format!("source frame {f}"))?;
            Ok(look(f, &img))
        })
        .collect::<anyhow::Result<_>>()?;

    let changes = change_scores(&looks);
    let shots = split_shots(&looks, &changes, cfg.curate.cut_sensitivity);
    let count = cfg.curate.suggest_count.max(shots.len());
    let (train, validation) = choose(&looks, &shots, count);
    let text = proposal(&shots, &train, &validation, &frames);
    let path = ctx
        .project
        .path(layout::CURATION)
        .join(super::curate::SUGGESTED);
    fsx::write_atomic(&path, text.as_bytes())?;
    for s in &shots {
        ctx.metric(serde_json::json!({"stage": "suggest", "shot_first": s.first, "shot_last": s.last, "cut_score": s.cut_score}))?;
    }
    Ok(Outcome {
        summary: format!(
            "{} shots in {} frames; proposed {} frames + {} validation in {}",
            shots.len(),
            frames.len(),
            train.len(),
            validation.len(),
            path.display()
        ),
        outputs: vec![path],
        metrics: serde_json::json!({"shots": shots.len(), "frames": train, "validation": validation}),
    })
}

fn look(frame: i64, img: &Image) -> FrameLook {
    let (w, h, ch) = (img.width, img.height, img.channels);
    let mut thumb = vec![0.0f64; THUMB_W * THUMB_H];
    let mut count = vec![0u32; THUMB_W * THUMB_H];
    let mut hist = vec![0.0f32; BINS];
    let mut values = Vec::with_capacity(w * h / 4 + 1);
    // Every other pixel in each direction is plenty for statistics.
    for y in (0..h).step_by(2) {
        let ty = y * THUMB_H / h;
        for x in (0..w).step_by(2) {
            let p = &img.data[(y * w + x) * ch..(y * w + x + 1) * ch];
            let l = if ch >= 3 {
                0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]
            } else {
                p[0]
            };
            let e = if l.is_finite() {
                l.clamp(0.0, 1.0).powf(1.0 / 2.4)
            } else {
                0.0
            };
            let i = ty * THUMB_W + x * THUMB_W / w;
            thumb[i] += e as f64;
            count[i] += 1;
            hist[((e * BINS as f32) as usize).min(BINS - 1)] += 1.0;
            values.push(e);
        }
    }
    let n = values.len().max(1) as f32;
    hist.iter_mut().for_each(|v| *v /= n);
    values.sort_by(f32::total_cmp);
    let pct = |q: f32| {
        values
            .get(((values.len() as f32 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    FrameLook {
        frame,
        thumb: thumb
            .iter()
            .zip(&count)
            .map(|(s, &c)| (s / c.max(1) as f64) as f32)
            .collect(),
        hist,
        tones: [pct(0.05), pct(0.5), pct(0.95)],
    }
}

fn distance(a: &FrameLook, b: &FrameLook) -> f64 {
    let hist: f32 = a.hist.iter().zip(&b.hist).map(|(x, y)| (x - y).abs()).sum();
    let thumb: f32 = a
        .thumb
        .iter()
        .zip(&b.thumb)
        .map(|(x, y)| (x - y).abs())
        .sum::<f32>()
        / a.thumb.len() as f32;
    (0.5 * hist + thumb) as f64
}

/// Change from the previous frame; `None` where the previous frame number is missing.
fn change_scores(looks: &[FrameLook]) -> Vec<Option<f64>> {
    let mut out = vec![None];
    for w in looks.windows(2) {
        out.push((w[1].frame == w[0].frame + 1).then(|| distance(&w[0], &w[1])));
    }
    out
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn split_shots(looks: &[FrameLook], changes: &[Option<f64>], sensitivity: f64) -> Vec<Shot> {
    let mut shots = Vec::new();
    let mut start = 0usize;
    let mut start_score = 0.0;
    for i in 1..looks.len() {
        let cut = match changes[i] {
            None => Some(0.0),
            Some(d) => {
                let lo = i.saturating_sub(WINDOW);
                let hi = (i + WINDOW + 1).min(looks.len());
                let mut local: Vec<f64> = (lo..hi)
                    .filter(|&j| j != i)
                    .filter_map(|j| changes[j])
                    .collect();
                let med = median(&mut local);
                let mut dev: Vec<f64> = local.iter().map(|v| (v - med).abs()).collect();
                let mad = median(&mut dev).max(0.005);
                (d > med + sensitivity * mad && d > 0.05).then_some(d)
            }
        };
        if let Some(score) = cut {
            shots.push(Shot {
                first: looks[start].frame,
                last: looks[i - 1].frame,
                cut_score: start_score,
            });
            start = i;
            start_score = score;
        }
    }
    shots.push(Shot {
        first: looks[start].frame,
        last: looks[looks.len() - 1].frame,
        cut_score: start_score,
    });
    shots
}

/// One frame per shot (the most typical, away from its cuts), then farthest-point sampling over
/// tones and content up to `count`; about one in six more become validation frames.
fn choose(looks: &[FrameLook], shots: &[Shot], count: usize) -> (Vec<i64>, Vec<i64>) {
    let usable = |l: &FrameLook, s: &Shot| {
        let long = s.last - s.first > 2 * CUT_GUARD;
        !long || (l.frame >= s.first + CUT_GUARD && l.frame <= s.last - CUT_GUARD)
    };
    let shot_of = |f: i64| {
        shots
            .iter()
            .find(|s| (s.first..=s.last).contains(&f))
            .expect("every frame is in a shot")
    };
    let candidates: Vec<&FrameLook> = looks
        .iter()
        .filter(|l| usable(l, shot_of(l.frame)))
        .collect();
    let mut chosen: Vec<&FrameLook> = Vec::new();
    for s in shots {
        let members: Vec<&FrameLook> = candidates
            .iter()
            .copied()
            .filter(|l| (s.first..=s.last).contains(&l.frame))
            .collect();
        // The member closest to all others in its shot (a medoid).
        let typical = members.iter().min_by(|a, b| {
            let da: f64 = members.iter().map(|m| distance(a, m)).sum();
            let db: f64 = members.iter().map(|m| distance(b, m)).sum();
            da.total_cmp(&db)
        });
        if let Some(t) = typical {
            chosen.push(t);
        }
    }
    let extra = count.saturating_sub(chosen.len());
    farthest(&candidates, &mut chosen, extra);
    let mut train: Vec<i64> = chosen.iter().map(|l| l.frame).collect();
    let n_val = if train.len() >= 4 {
        train.len().div_ceil(6)
    } else {
        0
    };
    let mut validation = farthest(&candidates, &mut chosen, n_val);
    train.sort();
    validation.sort();
    (train, validation)
}

/// Distance for spreading picks: content plus the tonal range (shadows, mid-tones, highlights).
fn spread(a: &FrameLook, b: &FrameLook) -> f64 {
    let tones: f32 = a
        .tones
        .iter()
        .zip(&b.tones)
        .map(|(x, y)| (x - y).abs())
        .sum();
    distance(a, b) + tones as f64
}

/// Add `extra` candidates, each the one farthest from everything chosen so far.
fn farthest<'a>(
    candidates: &[&'a FrameLook],
    chosen: &mut Vec<&'a FrameLook>,
    extra: usize,
) -> Vec<i64> {
    let mut picked = Vec::new();
    for _ in 0..extra {
        let gap = |c: &FrameLook| {
            chosen
                .iter()
                .map(|s| spread(c, s))
                .fold(f64::INFINITY, f64::min)
        };
        let next = candidates
            .iter()
            .filter(|c| !chosen.iter().any(|s| s.frame == c.frame))
            .max_by(|a, b| gap(a).total_cmp(&gap(b)))
            .copied();
        let Some(n) = next else { break };
        chosen.push(n);
        picked.push(n.frame);
    }
    picked
}

fn proposal(shots: &[Shot], train: &[i64], validation: &[i64], frames: &[i64]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# Proposed by `tinct run suggest` ({}): {} shots in source frames {}-{}.\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        shots.len(),
        frames[0],
        frames[frames.len() - 1]
    ));
    s.push_str("# Edit freely, then `tinct run curate --from-suggested` (or copy the [curate] keys into tinct.toml).\n#\n");
    for (i, sh) in shots.iter().enumerate() {
        let picks: Vec<String> = train
            .iter()
            .chain(validation)
            .filter(|f| (sh.first..=sh.last).contains(f))
            .map(|f| f.to_string())
            .collect();
        let cut = if sh.cut_score > 0.0 {
            format!(", cut score {:.3}", sh.cut_score)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "# shot {:>3}: frames {}-{}{cut}; picked {}\n",
            i + 1,
            sh.first,
            sh.last,
            picks.join(" ")
        ));
    }
    let list = |v: &[i64]| {
        v.iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    s.push_str(&format!(
        "\n[curate]\nframes = [{}]\nvalidation = [{}]\n",
        list(train),
        list(validation)
    ));
    // Machine-readable shots: curate warns when a validation frame shares a shot with training.
    let shots: Vec<String> = shots
        .iter()
        .map(|sh| format!("[{}, {}]", sh.first, sh.last))
        .collect();
    s.push_str(&format!("\n[suggest]\nshots = [{}]\n", shots.join(", ")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(frame: i64, level: f32) -> FrameLook {
        let img = Image::from_fn_rgb(64, 36, |x, _| [level * (1.0 + 0.001 * x as f32); 3]);
        look(frame, &img)
    }

    #[test]
    fn cuts_split_shots_and_each_shot_gets_a_frame() {
        let mut looks = Vec::new();
        for f in 0..30 {
            looks.push(flat(
                f,
                if f < 12 {
                    0.05
                } else if f < 22 {
                    0.6
                } else {
                    0.2
                },
            ));
        }
        // A numbering gap also ends a shot.
        looks.push(flat(40, 0.2));
        looks.push(flat(41, 0.2));
        let changes = change_scores(&looks);
        let shots = split_shots(&looks, &changes, 6.0);
        let bounds: Vec<(i64, i64)> = shots.iter().map(|s| (s.first, s.last)).collect();
        assert_eq!(bounds, vec![(0, 11), (12, 21), (22, 29), (40, 41)]);
        let (train, validation) = choose(&looks, &shots, 6);
        for s in &shots {
            assert!(
                train.iter().any(|f| (s.first..=s.last).contains(f)),
                "shot {s:?} has no frame in {train:?}"
            );
        }
        assert!(validation.iter().all(|v| !train.contains(v)));
        let text = proposal(&shots, &train, &validation, &[0, 41]);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(
            parsed["curate"]["frames"].as_array().unwrap().len(),
            train.len()
        );
    }
}
