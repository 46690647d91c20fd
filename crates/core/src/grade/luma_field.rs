//! Uneven fading across the frame, undone in luma (`train.luma-field`).
//!
//! A print does not fade evenly: its edges, the outer turns of the reel, a damp patch of the can
//! lose more dye than the middle, and that pattern is fixed to the frame, not to the picture.
//! A global grade (the MatchGrade LUT, or `train.luma = grade | tone`) corrects the average
//! fade; what is left is a smooth gain/offset field over the frame. Measured on `tinct bench
//! quality`'s faded case, a fixed field taken from other frames cut the held-out ΔE00 of the
//! global grade by about a quarter, almost all of it in L*, which the chroma network never
//! touches: so this is fitted in closed form at prep, like the grade, not learnt.
//!
//! The model: reference Y' ≈ source Y' + (gain(u, v) − 1) · (source Y' − ½) + offset(u, v) on
//! the *low frequencies* of the luma (gain pivots on mid-grey, so gain and offset are not
//! confused where a cell's pixels span a narrow range, and gain is held nearer 1) (the same ~7 px blur as the grade's luma), gain and offset bilinear between the
//! nodes of a coarse grid over the whole frame (u, v in frame coordinates, so a cropped training
//! pair and a full render frame agree), fitted by least squares over every training pair, with
//! a smoothness term between neighbouring nodes and a pull towards "no change" so that a node no
//! pixel reached stays neutral. The scan's grain and edges are added back untouched.
//!
//! A reel also fades along its length (the outer turns, the tail, the wraps that saw more air).
//! When the training pairs come from at least three places on the reel, the field gets one more
//! gain and offset that grow with the frame's position in the reel ([`ReelDrift`]). It is kept
//! only if it predicts frames it was not fitted on better: each training frame in turn is left
//! out, the field fitted on the others with and without the drift, and the left-out frame's
//! low-frequency luma error compared. A reel whose shots fade at random (no trend) or whose
//! reference was graded per shot gets no drift, because a trend fitted to some frames does not
//! predict the others there.

use super::global::solve;
use crate::color::{tone, working};
use crate::media::Image;
use serde::{Deserialize, Serialize};

/// Nodes across and down the frame (7 × 5 cells: fading fields are smooth).
const NODES: (usize, usize) = (8, 6);
/// Weight of the smoothness and neutrality terms, per node, relative to the data (whose
/// weights sum to 1 over the samples used).
const SMOOTH: f64 = 2e-3;
const NEUTRAL_OFFSET: f64 = 1e-4;
const NEUTRAL_GAIN: f64 = 1e-2;
/// Pixels whose blurred neighbourhood is not all covered by the aligned reference (its frame
/// edges, rotated in: exact zeros) say nothing about the fade.
const COVERED: f32 = 0.999;
/// Fit on every `STRIDE`-th pixel along each axis (the low-passed luma has nothing finer).
const STRIDE: usize = 3;
/// The drift is kept when it cuts the left-out frames' error to this fraction or less: a trend
/// must clearly predict, not merely fit.
const DRIFT_KEEP: f64 = 0.9;
/// Fewest distinct reel positions a trend is fitted from.
const DRIFT_MIN_FRAMES: usize = 3;

/// Where an image lies in the full source frame: `[x, y]` of its top-left pixel and the full
/// frame's `[width, height]` (a training pair is the aligned crop; a render is the whole frame).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameWindow {
    pub origin: [usize; 2],
    pub frame: [usize; 2],
}

impl FrameWindow {
    /// An image that is the whole frame.
    pub fn whole(img: &Image) -> FrameWindow {
        FrameWindow {
            origin: [0, 0],
            frame: [img.width, img.height],
        }
    }

    /// Frame position (0..1) of pixel centre (x, y) of the image.
    fn uv(&self, x: usize, y: usize) -> (f64, f64) {
        let (w, h) = (self.frame[0].max(1) as f64, self.frame[1].max(1) as f64);
        (
            ((self.origin[0] + x) as f64 + 0.5) / w,
            ((self.origin[1] + y) as f64 + 0.5) / h,
        )
    }
}

/// The fitted field: gain (about mid-grey) and offset at each node, row-major, `nodes[0]`
/// across: Y' moves by `(gain − 1)·(Y'_low − ½) + offset`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LumaField {
    pub nodes: [usize; 2],
    pub gain: Vec<f32>,
    pub offset: Vec<f32>,
    /// The fade's trend along the reel, when the training pairs showed one that predicts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<ReelDrift>,
    /// How the drift was judged (absent when there were too few reel positions to judge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_check: Option<DriftCheck>,
}

/// Fading that changes along the reel: gain and offset added per unit of reel position away
/// from the reel's middle (position 0 = first source frame, 1 = last).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReelDrift {
    /// First and last source frame numbers the position is measured between.
    pub frames: [i64; 2],
    pub gain: f32,
    pub offset: f32,
}

impl ReelDrift {
    /// Position of `frame` in the reel, centred: −½ at the head, +½ at the tail.
    pub fn centred_position(frames: [i64; 2], frame: i64) -> f64 {
        let span = (frames[1] - frames[0]).max(1) as f64;
        ((frame - frames[0]) as f64 / span).clamp(0.0, 1.0) - 0.5
    }
}

/// Leave-one-frame-out low-frequency luma error (mean squared, Y'²) of the field without and
/// with the drift, over the training frames.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftCheck {
    pub static_error: f64,
    pub drift_error: f64,
    pub kept: bool,
}

/// One training pair for [`LumaField::fit`]: the source after the global luma fix, the aligned
/// reference, where they lie in the frame and which source frame they are.
pub struct FieldPair<'a> {
    pub source: &'a Image,
    pub reference: &'a Image,
    pub window: FrameWindow,
    pub frame: i64,
}

/// One pair's share of the normal equations: AᵀA, Aᵀb, bᵀb and its sample count.
struct Normal {
    ata: Vec<f64>,
    atb: Vec<f64>,
    btb: f64,
    used: usize,
}

impl Normal {
    fn new(dim: usize) -> Normal {
        Normal {
            ata: vec![0.0; dim * dim],
            atb: vec![0.0; dim],
            btb: 0.0,
            used: 0,
        }
    }

    /// Sum of squared residuals of `x` (over the first `x.len()` unknowns) on these samples.
    fn error(&self, dim: usize, x: &[f64]) -> f64 {
        let k = x.len();
        let mut e = self.btb;
        for i in 0..k {
            e -= 2.0 * self.atb[i] * x[i];
            for j in 0..k {
                e += x[i] * self.ata[i * dim + j] * x[j];
            }
        }
        e
    }
}

/// The four nodes around (u, v) and their bilinear weights.
fn corners(nodes: [usize; 2], u: f64, v: f64) -> [(usize, f64); 4] {
    let (nx, ny) = (nodes[0], nodes[1]);
    let gx = (u.clamp(0.0, 1.0) * (nx - 1) as f64).min((nx - 1) as f64 - 1e-9);
    let gy = (v.clamp(0.0, 1.0) * (ny - 1) as f64).min((ny - 1) as f64 - 1e-9);
    let (ix, iy) = (gx.floor() as usize, gy.floor() as usize);
    let (fx, fy) = (gx - ix as f64, gy - iy as f64);
    let at = |x: usize, y: usize| y * nx + x;
    [
        (at(ix, iy), (1.0 - fx) * (1.0 - fy)),
        (at(ix + 1, iy), fx * (1.0 - fy)),
        (at(ix, iy + 1), (1.0 - fx) * fy),
        (at(ix + 1, iy + 1), fx * fy),
    ]
}

/// Low-passed working-space luma of an image.
fn low_luma(img: &Image) -> (Vec<f32>, Vec<f32>) {
    let (w, h) = (img.width, img.height);
    let luma: Vec<f32> = (0..w * h)
        .map(|i| working::luma(img.rgb(i % w, i / w)))
        .collect();
    let low = tone::blur(&luma, w, h, tone::LOW_PASS_RADIUS, 3);
    (luma, low)
}

impl LumaField {
    /// Fit on training pairs of the same frame size. `reel` is the source's first and last frame
    /// (for the drift along the reel; None = no drift). Unknowns: gain then offset per node, then
    /// (with a reel) the drift's gain and offset.
    pub fn fit(pairs: &[FieldPair], reel: Option<[i64; 2]>) -> anyhow::Result<LumaField> {
        let nodes = [NODES.0, NODES.1];
        let n = nodes[0] * nodes[1];
        let dim = 2 * n + 2;
        let mut per_pair = Vec::with_capacity(pairs.len());
        for pair in pairs {
            per_pair.push(pair_normal(pair, nodes, dim, reel)?);
        }
        let total = sum_normals(per_pair.iter(), dim);
        anyhow::ensure!(
            total.used > 0,
            "luma field: no training pixel is covered by the aligned reference"
        );
        let mut positions: Vec<i64> = pairs.iter().map(|p| p.frame).collect();
        positions.sort_unstable();
        positions.dedup();
        let drift_check = match reel {
            Some(_) if positions.len() >= DRIFT_MIN_FRAMES => {
                Some(judge_drift(&per_pair, nodes, dim))
            }
            _ => None,
        };
        let with_drift = drift_check.as_ref().is_some_and(|c| c.kept);
        let x = solve_field(&total, nodes, dim, with_drift);
        Ok(LumaField {
            nodes,
            gain: x[..n].iter().map(|&g| (1.0 + g) as f32).collect(),
            offset: x[n..2 * n].iter().map(|&o| o as f32).collect(),
            drift: match reel {
                Some(frames) if with_drift => Some(ReelDrift {
                    frames,
                    gain: x[2 * n] as f32,
                    offset: x[2 * n + 1] as f32,
                }),
                _ => None,
            },
            drift_check,
        })
    }

    /// `img` (source frame `frame`, lying at `window` in the frame) with its low-frequency luma
    /// moved by the field; chroma and the luma's fine detail kept.
    pub fn apply(&self, img: &Image, window: FrameWindow, frame: i64) -> Image {
        let (w, h) = (img.width, img.height);
        let (_, low) = low_luma(img);
        let (drift_gain, drift_offset) = self.drift.as_ref().map_or((0.0, 0.0), |d| {
            let t = ReelDrift::centred_position(d.frames, frame);
            (t * f64::from(d.gain), t * f64::from(d.offset))
        });
        let mut out = Image::new(w, h, 3);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = window.uv(x, y);
                let (mut gain, mut offset) = (drift_gain, drift_offset);
                for (k, wk) in corners(self.nodes, u, v) {
                    gain += wk * f64::from(self.gain[k]);
                    offset += wk * f64::from(self.offset[k]);
                }
                let l = f64::from(low[y * w + x]);
                let (luma, chroma) = working::split_luma_chroma(img.rgb(x, y));
                let moved = luma + ((gain - 1.0) * (l - 0.5) + offset) as f32;
                out.pixel_mut(x, y)
                    .copy_from_slice(&working::combine(moved, chroma));
            }
        }
        out
    }

    /// For the log: the largest luma change the field makes at mid-grey, in Y' code values
    /// (with the drift at the reel's ends).
    pub fn largest_shift(&self) -> f32 {
        let drift = self.drift.as_ref().map_or(0.0, |d| 0.5 * d.offset.abs());
        self.offset
            .iter()
            .map(|o| o.abs() + drift)
            .fold(0.0, f32::max)
    }

    /// For the log: the drift along the reel and how it was judged.
    pub fn describe_drift(&self) -> String {
        match (&self.drift, &self.drift_check) {
            (Some(d), Some(c)) => format!(
                "drift along the reel kept (offset {:+.3}, gain {:+.3} head to tail; left-out frames' error {:.2e} → {:.2e})",
                d.offset, d.gain, c.static_error, c.drift_error
            ),
            (None, Some(c)) => format!(
                "no drift along the reel (it would not predict left-out frames: error {:.2e} → {:.2e})",
                c.static_error, c.drift_error
            ),
            _ => format!(
                "no drift along the reel (fewer than {DRIFT_MIN_FRAMES} training frames to judge one)"
            ),
        }
    }
}

/// One pair's normal equations. Rows: gain terms (s − ½)·w_k, offset terms w_k, then the
/// drift's (s − ½)·t and t; the target is the change from s.
fn pair_normal(
    pair: &FieldPair,
    nodes: [usize; 2],
    dim: usize,
    reel: Option<[i64; 2]>,
) -> anyhow::Result<Normal> {
    let (src, reference) = (pair.source, pair.reference);
    anyhow::ensure!(
        (src.width, src.height) == (reference.width, reference.height),
        "luma field: frame {}: source {}x{} and reference {}x{} differ",
        pair.frame,
        src.width,
        src.height,
        reference.width,
        reference.height
    );
    let n = nodes[0] * nodes[1];
    let t = reel.map_or(0.0, |r| ReelDrift::centred_position(r, pair.frame));
    let (_, s_low) = low_luma(src);
    let (_, r_low) = low_luma(reference);
    let (w, h) = (src.width, src.height);
    let covered: Vec<f32> = (0..w * h)
        .map(|i| {
            let c = reference.rgb(i % w, i / w);
            if c.iter().any(|v| *v != 0.0) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let covered = tone::blur(&covered, w, h, tone::LOW_PASS_RADIUS, 3);
    let mut normal = Normal::new(dim);
    for y in (0..h).step_by(STRIDE) {
        for x in (0..w).step_by(STRIDE) {
            let i = y * w + x;
            if covered[i] < COVERED {
                continue;
            }
            normal.used += 1;
            let (s, r) = (f64::from(s_low[i]), f64::from(r_low[i]));
            let (u, v) = pair.window.uv(x, y);
            let c = corners(nodes, u, v);
            let row: [(usize, f64); 10] = std::array::from_fn(|i| match i {
                8 => (2 * n, t * (s - 0.5)),
                9 => (2 * n + 1, t),
                _ => {
                    let (k, wk) = c[i / 2];
                    if i % 2 == 0 {
                        (k, wk * (s - 0.5))
                    } else {
                        (n + k, wk)
                    }
                }
            });
            let target = r - s;
            normal.btb += target * target;
            for &(i, ai) in &row {
                normal.atb[i] += ai * target;
                for &(j, aj) in &row {
                    normal.ata[i * dim + j] += ai * aj;
                }
            }
        }
    }
    Ok(normal)
}

fn sum_normals<'a>(parts: impl Iterator<Item = &'a Normal>, dim: usize) -> Normal {
    let mut total = Normal::new(dim);
    for p in parts {
        for (t, v) in total.ata.iter_mut().zip(&p.ata) {
            *t += v;
        }
        for (t, v) in total.atb.iter_mut().zip(&p.atb) {
            *t += v;
        }
        total.btb += p.btb;
        total.used += p.used;
    }
    total
}

/// Solve the regularised system (smooth neighbours, neutral nodes), with or without the drift's
/// two unknowns. Returns `2n` or `2n + 2` values.
fn solve_field(data: &Normal, nodes: [usize; 2], dim: usize, with_drift: bool) -> Vec<f64> {
    let n = nodes[0] * nodes[1];
    let k = if with_drift { dim } else { 2 * n };
    let mut ata: Vec<f64> = (0..k * k)
        .map(|ij| data.ata[(ij / k) * dim + ij % k])
        .collect();
    let atb = data.atb[..k].to_vec();
    let scale = data.used.max(1) as f64;
    // Smoothness: neighbouring nodes alike (gain and offset); neutrality: gain 1, offset 0.
    let neighbours = (0..nodes[1]).flat_map(|y| {
        (0..nodes[0]).flat_map(move |x| {
            let k = y * nodes[0] + x;
            let right = (x + 1 < nodes[0]).then_some((k, k + 1));
            let down = (y + 1 < nodes[1]).then_some((k, k + nodes[0]));
            right.into_iter().chain(down)
        })
    });
    let smooth = SMOOTH * scale;
    for (a, b) in neighbours {
        for off in [0, n] {
            let (i, j) = (a + off, b + off);
            ata[i * k + i] += smooth;
            ata[j * k + j] += smooth;
            ata[i * k + j] -= smooth;
            ata[j * k + i] -= smooth;
        }
    }
    for node in 0..n {
        ata[node * k + node] += NEUTRAL_GAIN * scale;
        ata[(n + node) * k + n + node] += NEUTRAL_OFFSET * scale;
    }
    if with_drift {
        ata[2 * n * k + 2 * n] += NEUTRAL_GAIN * scale;
        ata[(2 * n + 1) * k + 2 * n + 1] += NEUTRAL_OFFSET * scale;
    }
    solve(k, ata, atb)
}

/// Leave each training frame out in turn, fit on the rest with and without the drift, and
/// compare the left-out frames' error.
fn judge_drift(per_pair: &[Normal], nodes: [usize; 2], dim: usize) -> DriftCheck {
    let (mut static_error, mut drift_error, mut samples) = (0.0, 0.0, 0usize);
    for (i, left_out) in per_pair.iter().enumerate() {
        let rest = sum_normals(
            per_pair
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| p),
            dim,
        );
        if rest.used == 0 || left_out.used == 0 {
            continue;
        }
        static_error += left_out.error(dim, &solve_field(&rest, nodes, dim, false));
        drift_error += left_out.error(dim, &solve_field(&rest, nodes, dim, true));
        samples += left_out.used;
    }
    let per = samples.max(1) as f64;
    let (static_error, drift_error) = (static_error / per, drift_error / per);
    DriftCheck {
        static_error,
        drift_error,
        kept: samples > 0 && drift_error <= DRIFT_KEEP * static_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured picture with grain, darkened towards its right edge as a print fades there.
    fn faded_pair(w: usize, h: usize, seed: usize) -> (Image, Image) {
        let clean = Image::from_fn_rgb(w, h, |x, y| {
            let t = ((x * 13 + y * 7 + seed * 31) % 17) as f32 / 17.0;
            let grain = if (x + y + seed).is_multiple_of(2) {
                0.01
            } else {
                -0.01
            };
            [0.15 + 0.3 * t + grain, 0.2 + 0.1 * t, 0.1 + 0.2 * t]
        });
        let mut faded = clean.clone();
        for y in 0..h {
            for x in 0..w {
                let k = 1.0 + 0.6 * x as f32 / w as f32;
                for c in faded.pixel_mut(x, y) {
                    *c *= k;
                }
            }
        }
        (faded, clean)
    }

    fn field_pairs<'a>(train: &'a [(Image, Image)], frames: &[i64]) -> Vec<FieldPair<'a>> {
        train
            .iter()
            .zip(frames)
            .map(|((s, r), &frame)| FieldPair {
                source: s,
                reference: r,
                window: FrameWindow::whole(s),
                frame,
            })
            .collect()
    }

    /// Mean absolute low-frequency luma difference.
    fn low_error(a: &Image, b: &Image) -> f32 {
        let (_, la) = low_luma(a);
        let (_, lb) = low_luma(b);
        la.iter().zip(&lb).map(|(p, q)| (p - q).abs()).sum::<f32>() / la.len() as f32
    }

    /// `img` darkened by `k` (a print that lost dye: less light through... here simply darker).
    fn scaled(img: &Image, k: f32) -> Image {
        let mut out = img.clone();
        for v in &mut out.data {
            *v *= k;
        }
        out
    }

    #[test]
    fn a_fade_growing_along_the_reel_is_undone_between_the_frames_it_was_fitted_on() {
        let (w, h) = (96, 64);
        // Frames 0..=100 of a reel; the print lets through more light towards the tail (it
        // faded more there), the reference does not.
        let fade = |frame: i64| 1.0 + 0.5 * frame as f32 / 100.0;
        let frames = [5, 30, 55, 95];
        let train: Vec<(Image, Image)> = frames
            .iter()
            .enumerate()
            .map(|(i, &f)| {
                let (_, clean) = faded_pair(w, h, i);
                (scaled(&clean, fade(f)), clean)
            })
            .collect();
        let field = LumaField::fit(&field_pairs(&train, &frames), Some([0, 100])).unwrap();
        let check = field
            .drift_check
            .clone()
            .expect("four reel positions are enough to judge");
        assert!(check.kept, "{}", field.describe_drift());
        let still = LumaField {
            drift: None,
            ..field.clone()
        };
        for frame in [15, 75] {
            let (_, truth) = faded_pair(w, h, 9);
            let src = scaled(&truth, fade(frame));
            let win = FrameWindow::whole(&src);
            let (with, without) = (
                low_error(&field.apply(&src, win, frame), &truth),
                low_error(&still.apply(&src, win, frame), &truth),
            );
            assert!(
                with < 0.5 * without,
                "frame {frame}: error {without} without the drift, {with} with it"
            );
        }
    }

    #[test]
    fn shots_that_fade_at_random_along_the_reel_get_no_drift() {
        let (w, h) = (96, 64);
        // No trend: the darkening jumps about from frame to frame.
        let frames = [5, 30, 55, 80, 95];
        let jumps = [1.3, 1.0, 1.35, 1.05, 1.25];
        let train: Vec<(Image, Image)> = frames
            .iter()
            .zip(jumps)
            .enumerate()
            .map(|(i, (_, k))| {
                let (_, clean) = faded_pair(w, h, i);
                (scaled(&clean, k), clean)
            })
            .collect();
        let field = LumaField::fit(&field_pairs(&train, &frames), Some([0, 100])).unwrap();
        assert!(field.drift.is_none(), "{}", field.describe_drift());
        assert!(field.drift_check.is_some_and(|c| !c.kept));
    }

    #[test]
    fn a_fade_towards_one_edge_is_undone_on_a_frame_it_never_saw_and_the_grain_kept() {
        let (w, h) = (96, 64);
        let train: Vec<(Image, Image)> = (0..3).map(|s| faded_pair(w, h, s)).collect();
        let field = LumaField::fit(&field_pairs(&train, &[10, 20, 30]), Some([0, 40])).unwrap();
        let (src, truth) = faded_pair(w, h, 7);
        let out = field.apply(&src, FrameWindow::whole(&src), 25);
        let err = |a: &Image| low_error(a, &truth);
        assert!(
            err(&out) < 0.25 * err(&src),
            "low-frequency luma error {} -> {}",
            err(&src),
            err(&out)
        );
        // Grain: the difference between neighbours is the scan's, not rescaled.
        let y = |im: &Image, x, yy| working::luma(im.rgb(x, yy));
        let (d_in, d_out) = (
            y(&src, 80, 30) - y(&src, 81, 30),
            y(&out, 80, 30) - y(&out, 81, 30),
        );
        assert!(
            (d_in - d_out).abs() < 0.05 * d_in.abs().max(0.01),
            "{d_in} vs {d_out}"
        );
    }

    #[test]
    fn a_crop_is_placed_where_it_lies_in_the_frame() {
        let (w, h) = (96, 64);
        let (src, reference) = faded_pair(w, h, 1);
        let pair = FieldPair {
            source: &src,
            reference: &reference,
            window: FrameWindow::whole(&src),
            frame: 1,
        };
        let field = LumaField::fit(&[pair], None).unwrap();
        // The right half of the frame as its own image: it must get the right half's correction.
        let half = src.crop(48, 0, 48, 64);
        let placed = field.apply(
            &half,
            FrameWindow {
                origin: [48, 0],
                frame: [w, h],
            },
            1,
        );
        let whole = field
            .apply(&src, FrameWindow::whole(&src), 1)
            .crop(48, 0, 48, 64);
        let y = |im: &Image| working::luma(im.rgb(30, 30));
        assert!(
            (y(&placed) - y(&whole)).abs() < 0.01,
            "{} vs {}",
            y(&placed),
            y(&whole)
        );
    }
}
