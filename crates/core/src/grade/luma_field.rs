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
    /// Fit on `(source with the global luma fix applied, reference, window)` pairs of the same
    /// frame size. Unknowns: gain then offset per node.
    pub fn fit(pairs: &[(&Image, &Image, FrameWindow)]) -> anyhow::Result<LumaField> {
        let nodes = [NODES.0, NODES.1];
        let n = nodes[0] * nodes[1];
        let dim = 2 * n;
        let mut ata = vec![0f64; dim * dim];
        let mut atb = vec![0f64; dim];
        let mut used = 0usize;
        for (src, reference, window) in pairs {
            anyhow::ensure!(
                (src.width, src.height) == (reference.width, reference.height),
                "luma field: source {}x{} and reference {}x{} differ",
                src.width,
                src.height,
                reference.width,
                reference.height
            );
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
            for y in (0..h).step_by(STRIDE) {
                for x in (0..w).step_by(STRIDE) {
                    let i = y * w + x;
                    if covered[i] < COVERED {
                        continue;
                    }
                    used += 1;
                    let (s, r) = (f64::from(s_low[i]), f64::from(r_low[i]));
                    let (u, v) = window.uv(x, y);
                    // The row of this sample: gain terms (s − ½)·w_k, offset terms w_k; the
                    // target is the change from s.
                    let c = corners(nodes, u, v);
                    let row: [(usize, f64); 8] = std::array::from_fn(|i| {
                        let (k, wk) = c[i / 2];
                        if i % 2 == 0 {
                            (k, wk * (s - 0.5))
                        } else {
                            (n + k, wk)
                        }
                    });
                    for &(i, ai) in &row {
                        atb[i] += ai * (r - s);
                        for &(j, aj) in &row {
                            ata[i * dim + j] += ai * aj;
                        }
                    }
                }
            }
        }
        anyhow::ensure!(
            used > 0,
            "luma field: no training pixel is covered by the aligned reference"
        );
        let scale = used as f64;
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
                ata[i * dim + i] += smooth;
                ata[j * dim + j] += smooth;
                ata[i * dim + j] -= smooth;
                ata[j * dim + i] -= smooth;
            }
        }
        for k in 0..n {
            ata[k * dim + k] += NEUTRAL_GAIN * scale;
            ata[(n + k) * dim + n + k] += NEUTRAL_OFFSET * scale;
        }
        let x = solve(dim, ata, atb);
        Ok(LumaField {
            nodes,
            gain: x[..n].iter().map(|&g| (1.0 + g) as f32).collect(),
            offset: x[n..].iter().map(|&o| o as f32).collect(),
        })
    }

    /// `img` (lying at `window` in the frame) with its low-frequency luma moved by the field;
    /// chroma and the luma's fine detail kept.
    pub fn apply(&self, img: &Image, window: FrameWindow) -> Image {
        let (w, h) = (img.width, img.height);
        let (_, low) = low_luma(img);
        let mut out = Image::new(w, h, 3);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = window.uv(x, y);
                let (mut gain, mut offset) = (0f64, 0f64);
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

    /// For the log: the largest luma change the field makes at mid-grey, in Y' code values.
    pub fn largest_shift(&self) -> f32 {
        self.gain
            .iter()
            .zip(&self.offset)
            .map(|(_, o)| o.abs())
            .fold(0.0, f32::max)
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

    #[test]
    fn a_fade_towards_one_edge_is_undone_on_a_frame_it_never_saw_and_the_grain_kept() {
        let (w, h) = (96, 64);
        let train: Vec<(Image, Image)> = (0..3).map(|s| faded_pair(w, h, s)).collect();
        let pairs: Vec<_> = train
            .iter()
            .map(|(s, r)| (s, r, FrameWindow::whole(s)))
            .collect();
        let field = LumaField::fit(&pairs).unwrap();
        let (src, truth) = faded_pair(w, h, 7);
        let out = field.apply(&src, FrameWindow::whole(&src));
        let err = |a: &Image| {
            let (_, la) = low_luma(a);
            let (_, lt) = low_luma(&truth);
            la.iter().zip(&lt).map(|(p, q)| (p - q).abs()).sum::<f32>() / la.len() as f32
        };
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
        let field = LumaField::fit(&[(&src, &reference, FrameWindow::whole(&src))]).unwrap();
        // The right half of the frame as its own image: it must get the right half's correction.
        let half = src.crop(48, 0, 48, 64);
        let placed = field.apply(
            &half,
            FrameWindow {
                origin: [48, 0],
                frame: [w, h],
            },
        );
        let whole = field
            .apply(&src, FrameWindow::whole(&src))
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
