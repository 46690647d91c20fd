//! A reference graded shot by shot: telling it from one consistent transfer, and taking each
//! shot's grade back out.
//!
//! Why: a telecine colourist often corrects every scene on its own. The reference then carries
//! the film's colour *plus* a different grade per shot. Anything that follows the reference
//! closely (the network on the frames it trained on, the reference guide on every frame) hands
//! each shot its grade, while a global grade averages the grades away and wins
//! (`tinct bench quality --case graded`).
//!
//! How it is told apart: a faded print's fading is a property of the film (a field fixed in the
//! frame, a slow drift along the reel), so after one global grade of the source onto the
//! reference, what is left of each pair's overall colour balance is small and smooth along the
//! reel. A per-shot grade leaves a jump in colour balance at every cut. [`spread`] measures
//! what is left after a linear drift along the reel, in log units of the three channels with
//! their common part (exposure, luma) taken out.
//!
//! A B&W source carries no colour of its own: there each shot's colour balance *is* the
//! information the reference brings, so the check does not apply.
//!
//! How it is taken out of the training targets: per pair, the colour balance (per-channel gain
//! in linear light, its exposure part kept) between the consensus (the global grade's rendering
//! of the source frame) and the reference, over block means; the reference goes through its
//! inverse. That is the larger part of a colourist's per-shot correction (a saturation change
//! is left); what the reference knows locally (an object's colour) stays. The reference guide
//! takes every frame of a pair's shot back with that pair's balance (`stages::guide::regrade`)
//! and follows shots without a pair as they are graded: measuring each rendered frame's own balance
//! instead cost more on shots nobody trained on (held-out ΔE00 0.97× MatchGrade against 0.93×,
//! flicker 1.53× the truth's against 1.12×) than it gave on the trained shots' other frames
//! (0.81× against 0.87×).

use super::{Matrix3, Samples};
use crate::media::Image;

/// Above this spread (log units: 0.01 ≈ 1% of a channel's gain) the reference is taken as
/// graded shot by shot. Measured: one consistent transfer leaves 0.006 (`tests/shot_grades.rs`,
/// six shots of the embedded photographs) and 0.014 (`tinct bench quality --case faded`, a
/// print whose fading varies across the frame and drifts 15% along the reel); a colourist's
/// per-shot balance of a few per cent leaves 0.042 on both. The limit sits at about the
/// geometric mean of 0.014 and 0.042, 1.7x from each.
pub const SPREAD_LIMIT: f64 = 0.024;

/// Block side for the colour-balance fits: averages away grain, JPEG blocks and 4:2:0 steps.
const BLOCK: usize = 8;

/// Offset in the log fit so that near-black blocks do not dominate.
const LOG_FLOOR: f64 = 0.01;

/// Linear values above this are taken as clipped (a video transfer's whites).
const CLIP: f32 = 0.95;

/// The consensus a pair's balance is measured against: one smooth global grade, in log
/// units, `ln(out_c + f) = w_c · [1, ln r, ln g, ln b, (ln r)², (ln g)², (ln b)²]` (f the log
/// floor), fitted on pixels of the training pairs; each pixel goes through it before block
/// means are taken (a block's mean of a power law is not the power law of its mean).
///
/// Smooth on purpose. A faded print's dye loss is a power law per channel with some crosstalk:
/// linear and quadratic in log units, which this follows. A 3D LUT fitted on a few shots of
/// different content learns each shot's colours, its grade included, and then agrees with every
/// graded shot; a root-polynomial cannot follow a strong fade, and leaves content-dependent
/// errors that look like grades (both measured on `tests/shot_grades.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogPoly(pub [[f32; 7]; 3]);

/// A linear value in the log units every fit here works in.
fn log_unit(v: f32) -> f64 {
    ((v as f64).max(0.0) + LOG_FLOOR).ln()
}

fn log_terms(p: [f32; 3]) -> [f64; 7] {
    let l = p.map(log_unit);
    [1.0, l[0], l[1], l[2], l[0] * l[0], l[1] * l[1], l[2] * l[2]]
}

impl LogPoly {
    /// Every colour as it is.
    pub fn identity() -> LogPoly {
        LogPoly(std::array::from_fn(|c| {
            std::array::from_fn(|k| if k == 1 + c { 1.0 } else { 0.0 })
        }))
    }

    /// Least squares on `samples` (`src` → `dst`), in log units.
    pub fn fit(samples: &Samples) -> LogPoly {
        let logged = Samples {
            src: samples.src.clone(),
            dst: samples
                .dst
                .iter()
                .map(|d| d.map(|v| log_unit(v) as f32))
                .collect(),
        };
        LogPoly(super::global::least_squares::<7>(&logged, log_terms))
    }

    pub fn apply(&self, p: [f32; 3]) -> [f32; 3] {
        let t = log_terms(p);
        std::array::from_fn(|c| {
            let l: f64 = (0..7).map(|k| self.0[c][k] as f64 * t[k]).sum();
            (l.min(10.0).exp() - LOG_FLOOR).max(0.0) as f32
        })
    }

    /// A linear RGB picture through the grade (RGB out).
    pub fn apply_image(&self, img: &Image) -> Image {
        let mut out = img.to_rgb();
        for px in out.data.chunks_exact_mut(3) {
            let o = self.apply([px[0], px[1], px[2]]);
            px.copy_from_slice(&o);
        }
        out
    }

    /// The colour balance of `reference` (placed on `source`, both linear) against this grade's
    /// rendering of `source` ([`log_balance`] of their block means); `None` with fewer than
    /// [`MIN_BLOCKS`] usable blocks.
    pub fn balance(&self, source: &Image, reference: &Image) -> Option<[f64; 3]> {
        let blocks = block_means(&self.apply_image(source), reference);
        (blocks.len() >= MIN_BLOCKS)
            .then(|| log_balance(&blocks))
            .flatten()
    }
}

/// Block means of `from` and `to` (same size, linear RGB) where every pixel of `to` is covered
/// (not all zero, as a warp leaves uncovered pixels) and neither side is clipped.
pub fn block_means(from: &Image, to: &Image) -> Samples {
    let mut s = Samples::default();
    if (from.width, from.height) != (to.width, to.height) {
        return s;
    }
    let n = (BLOCK * BLOCK) as f32;
    for by in 0..from.height / BLOCK {
        for bx in 0..from.width / BLOCK {
            let (mut a, mut b, mut usable) = ([0f32; 3], [0f32; 3], true);
            for y in by * BLOCK..(by + 1) * BLOCK {
                for x in bx * BLOCK..(bx + 1) * BLOCK {
                    let (p, q) = (from.rgb(x, y), to.rgb(x, y));
                    let finite = p.iter().chain(&q).all(|v| v.is_finite());
                    if !finite || q.iter().all(|&v| v == 0.0) {
                        usable = false;
                    }
                    for c in 0..3 {
                        a[c] += p[c];
                        b[c] += q[c];
                    }
                }
            }
            let (a, b) = (a.map(|v| v / n), b.map(|v| v / n));
            if usable && a.iter().chain(&b).all(|&v| v < CLIP) {
                s.src.push(a);
                s.dst.push(b);
            }
        }
    }
    s
}

/// Whether `img` (linear RGB) is black and white: its channels equal to 1% on every sampled
/// pixel (a B&W scan stored as RGB).
pub fn is_monochrome(img: &Image) -> bool {
    (0..img.pixel_count()).step_by(7).all(|i| {
        let p = img.rgb(i % img.width, i / img.width);
        let (lo, hi) = p
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        hi - lo <= 0.01 * hi.abs().max(1e-3)
    })
}

/// The pair's colour balance: per channel, the interquartile mean over the blocks of the log
/// ratio `to / from` less that block's mean over the three channels (so exposure is not
/// balance). Trimmed, because the consensus is wrong on some content of every shot it never
/// saw and those blocks should not move the whole frame; a mean of the middle half rather than
/// the median, which jumps from frame to frame as content moves (measured: flicker 1.9× the
/// truth's with the median, against 1.4 with the plain mean).
pub fn log_balance(blocks: &Samples) -> Option<[f64; 3]> {
    if blocks.is_empty() {
        return None;
    }
    let mut per_channel: [Vec<f64>; 3] = Default::default();
    for (a, b) in blocks.src.iter().zip(&blocks.dst) {
        let r: [f64; 3] = std::array::from_fn(|c| log_unit(b[c]) - log_unit(a[c]));
        let common = (r[0] + r[1] + r[2]) / 3.0;
        for c in 0..3 {
            per_channel[c].push(r[c] - common);
        }
    }
    Some(per_channel.map(|mut v| {
        v.sort_by(f64::total_cmp);
        let middle = &v[v.len() / 4..(3 * v.len()).div_ceil(4)];
        middle.iter().sum::<f64>() / middle.len() as f64
    }))
}

/// RMS over frames and channels of what is left of each frame's colour balance after a linear
/// drift along the reel (fitted per channel when there are 4 or more frames, else a constant)
/// and after the part common to the three channels (exposure) is removed. `balances` are
/// (frame, [`log_balance`]).
pub fn spread(balances: &[(i64, [f64; 3])]) -> f64 {
    let n = balances.len();
    if n < 2 {
        return 0.0;
    }
    let (lo, hi) = balances
        .iter()
        .fold((i64::MAX, i64::MIN), |(a, b), (f, _)| {
            (a.min(*f), b.max(*f))
        });
    let pos = |f: i64| {
        if hi > lo {
            (f - lo) as f64 / (hi - lo) as f64
        } else {
            0.0
        }
    };
    let drift = n >= 4 && hi > lo;
    let xs: Vec<f64> = balances.iter().map(|(f, _)| pos(*f)).collect();
    let mx = mean(&xs);
    let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    // Per channel, the line along the reel (a constant without a drift).
    let line: [(f64, f64); 3] = std::array::from_fn(|c| {
        let ys: Vec<f64> = balances.iter().map(|(_, b)| b[c]).collect();
        let my = mean(&ys);
        let slope = if drift && vx > 1e-12 {
            xs.iter()
                .zip(&ys)
                .map(|(x, y)| (x - mx) * (y - my))
                .sum::<f64>()
                / vx
        } else {
            0.0
        };
        (my - slope * mx, slope)
    });
    let mut sq = 0.0;
    for ((_, b), x) in balances.iter().zip(&xs) {
        let r: [f64; 3] = std::array::from_fn(|c| b[c] - (line[c].0 + line[c].1 * x));
        let common = (r[0] + r[1] + r[2]) / 3.0;
        sq += r.iter().map(|v| (v - common).powi(2)).sum::<f64>();
    }
    (sq / (3 * n) as f64).sqrt()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The gains that undo a pair's `balance` ([`LogPoly::balance`]), as a diagonal matrix: only
/// the colour balance, its exposure kept.
///
/// Only a balance, not a full 3x3: a matrix fitted per frame also absorbs whatever the
/// consensus gets wrong in that frame's content, and on a shot whose colours lie close to a
/// line it is near singular (its inverse multiplied colours by 17 on a held-out shot).
pub fn undo(balance: [f64; 3]) -> Matrix3 {
    let g = balance.map(|v| (-v).exp() as f32);
    Matrix3([[g[0], 0.0, 0.0], [0.0, g[1], 0.0], [0.0, 0.0, g[2]]])
}

/// Fewer usable blocks than this and a frame's balance is not trusted.
pub const MIN_BLOCKS: usize = 16;

/// `img` (linear RGB) through `m`, in place; its other channels untouched.
pub fn apply(img: &mut Image, m: &Matrix3) {
    let ch = img.channels;
    if ch < 3 {
        return;
    }
    for px in img.data.chunks_exact_mut(ch) {
        let o = m.apply([px[0], px[1], px[2]]);
        px[..3].copy_from_slice(&o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth, colourful linear picture.
    fn picture(w: usize, h: usize) -> Image {
        let mut img = Image::new(w, h, 3);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
                img.pixel_mut(x, y).copy_from_slice(&[
                    0.1 + 0.6 * u,
                    0.15 + 0.5 * v,
                    0.1 + 0.4 * (1.0 - u * v),
                ]);
            }
        }
        img
    }

    fn graded(img: &Image, gain: [f32; 3], saturation: f32) -> Image {
        let mut out = img.clone();
        for p in out.data.chunks_exact_mut(3) {
            let y = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            for c in 0..3 {
                p[c] = (y + saturation * (p[c] - y)) * gain[c];
            }
        }
        out
    }

    #[test]
    fn a_shots_colour_balance_is_taken_back_out_and_its_exposure_kept() {
        let film = picture(96, 64);
        let gain = [1.08, 0.95, 1.04];
        let reference = graded(&film, gain, 1.0);
        let mut back = reference.clone();
        let balance = LogPoly::identity()
            .balance(&film, &reference)
            .expect("enough blocks");
        apply(&mut back, &undo(balance));
        // Back to the film's balance: one ratio on every channel, the gains' geometric mean.
        let exposure = (gain[0] * gain[1] * gain[2]).powf(1.0 / 3.0);
        let worst = back
            .data
            .iter()
            .zip(&film.data)
            .map(|(a, b)| (a / b - exposure).abs())
            .fold(0f32, f32::max);
        assert!(worst < 5e-3, "largest ratio error {worst}");
    }

    #[test]
    fn the_consensus_fit_follows_a_dye_fade_and_identity_is_exact() {
        let film = picture(64, 48);
        let mut faded = film.clone();
        for p in faded.data.chunks_exact_mut(3) {
            for (c, keep) in [0.55f32, 0.9, 0.5].iter().enumerate() {
                p[c] = p[c].powf(*keep) * 0.9;
            }
        }
        let mut samples = Samples::default();
        samples.push_pair(&faded, &film, 1).unwrap();
        let grade = LogPoly::fit(&samples);
        let back = grade.apply_image(&faded);
        let worst = |a: &Image, b: &Image| {
            a.data
                .iter()
                .zip(&b.data)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max)
        };
        assert!(worst(&back, &film) < 0.01, "{}", worst(&back, &film));
        assert!(worst(&LogPoly::identity().apply_image(&film), &film) < 1e-5);
    }

    #[test]
    fn per_shot_balance_jumps_spread_but_a_drift_along_the_reel_does_not() {
        // A fade growing along the reel: balance linear in the frame number.
        let drift: Vec<(i64, [f64; 3])> = (0..8)
            .map(|i| {
                (
                    i * 10,
                    [0.02 * i as f64, -0.01 * i as f64, 0.005 * i as f64],
                )
            })
            .collect();
        assert!(spread(&drift) < 1e-9, "{}", spread(&drift));
        // Exposure alone (the same on every channel) is not colour balance.
        let exposure: Vec<(i64, [f64; 3])> = (0..8)
            .map(|i| (i * 10, [0.1 * (i % 3) as f64; 3]))
            .collect();
        assert!(spread(&exposure) < 1e-9);
        // A colourist's balance per shot, a few per cent.
        let shots: Vec<(i64, [f64; 3])> = (0..8)
            .map(|i| {
                let s = if i % 2 == 0 { 0.05 } else { -0.05 };
                (i * 10, [s, -s, 0.0])
            })
            .collect();
        assert!(spread(&shots) > SPREAD_LIMIT, "{}", spread(&shots));
    }

    #[test]
    fn uncovered_and_clipped_blocks_are_not_fitted() {
        let film = picture(32, 32);
        let mut reference = film.clone();
        for x in 0..32 {
            for y in 0..8 {
                reference.pixel_mut(x, y).copy_from_slice(&[0.0; 3]);
            }
            for y in 24..32 {
                reference.pixel_mut(x, y).copy_from_slice(&[1.0; 3]);
            }
        }
        assert_eq!(block_means(&film, &reference).len(), 8);
    }
}
