//! A frame's overall colour steadied over its neighbours: the weights both steadyings share, and
//! the window that steadies a render's own colour (`infer.steady-frames`).
//!
//! Why the render's own: without a guide (`infer.guide = off`, or a reference the guide cannot
//! use), each frame's colour is the network's alone, and its mean wanders as a pan carries content through
//! the network's receptive field: on `tinct bench quality` (graded, seed 2, held-out shots) smooth arcs of
//! ±0.07 b* over a shot where the print's colour is flat, a frame-to-frame change of mean
//! colour 2.6x the print's. A grain-free colour network has no business moving a shot's colour
//! that the scan's light does not move.
//!
//! How: the mean Y'CbCr of every rendered frame, and each frame's chroma shifted by the
//! difference between a weighted mean of its neighbours' Cb/Cr and its own ([`shift`]). A
//! neighbour's weight falls with the difference of its mean from the frame's (Gaussians of width
//! [`SAME_SHOT`] in Cb/Cr, about half a ΔE00, and [`SAME_SHOT_LUMA`] in Y'), so across a cut or
//! a light change, where the mean jumps, it counts for nothing: no shot list is needed, and a
//! frame's colour moves by at most about that width. Only the mean moves; every pixel's luma
//! and the chroma's detail are the frame's own.
//!
//! The means are the rendered frames' own, exactly: a cheaper estimate (the network at a
//! quarter of its resolution) was measured and tracks the full render's frame-to-frame changes
//! with a correlation of only 0.3–0.9. So a frame is held until the frames after it within
//! reach are rendered ([`Window`]), and a render of a part of the reel (`--frames`, a farm task,
//! a resume) also renders, without writing, the frames within reach beyond its ends: every
//! frame comes out the same however the reel is split.

use crate::color::working;
use crate::media::Image;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Mean Cb/Cr differences well above this (about half a ΔE00) are different pictures, not
/// jitter (which is a few hundredths).
pub const SAME_SHOT: f64 = 0.002;
/// The same for mean Y' (about one L*): a cut between shots of like colour still changes it.
pub const SAME_SHOT_LUMA: f64 = 0.01;

/// The Cb/Cr shift that moves a frame of mean Y'CbCr `own` to the weighted mean of its
/// `neighbours`' (the frame itself among them).
pub fn shift(own: [f64; 3], neighbours: impl IntoIterator<Item = [f64; 3]>) -> [f32; 2] {
    let (mut sum, mut weights) = ([0.0f64; 2], 0.0f64);
    for m in neighbours {
        let d2 = ((m[0] - own[0]) / SAME_SHOT_LUMA).powi(2)
            + ((m[1] - own[1]).powi(2) + (m[2] - own[2]).powi(2)) / SAME_SHOT.powi(2);
        let w = (-d2).exp();
        sum[0] += w * m[1];
        sum[1] += w * m[2];
        weights += w;
    }
    if weights <= 0.0 {
        return [0.0; 2];
    }
    [
        (sum[0] / weights - own[1]) as f32,
        (sum[1] / weights - own[2]) as f32,
    ]
}

/// Fewest pixels a mean is taken on. A sampled mean's error grows as the samples thin: on the
/// 512-wide bench frames, every 4th pixel of every 4th row (9,000 samples) missed by about 5e-4
/// Cb/Cr, as much as the jitter it is there to remove, and the graded case's held-out flicker
/// went back from 0.99 to 2.14x the truth's. With 2 M samples it is about 3e-5.
const MIN_SAMPLES: usize = 1 << 21;

/// Mean Y', Cb, Cr of a linear RGB image's finite pixels; `None` when it has none. Frames of
/// up to 2 M pixels (2K) are taken whole; larger ones on every n-th pixel of every n-th row,
/// at least [`MIN_SAMPLES`] (a 4K frame: every 2nd, a quarter of the cost of the transfer
/// function at each of its 8.8 M pixels). Rows are summed in parallel and then in order, so
/// the mean is the same bits however many threads run.
pub fn mean_ycbcr(img: &Image) -> Option<[f64; 3]> {
    let (w, ch) = (img.width, img.channels);
    let stride = ((w * img.height) as f64 / MIN_SAMPLES as f64)
        .sqrt()
        .floor()
        .max(1.0) as usize;
    let rows: Vec<usize> = (0..img.height).step_by(stride).collect();
    let sums: Vec<YccSum> = rows
        .par_iter()
        .map(|&y| {
            let mut sum = YccSum::default();
            let row = &img.data[y * w * ch..(y + 1) * w * ch];
            for px in row.chunks_exact(ch).step_by(stride) {
                sum.add([px[0], px[1], px[2]]);
            }
            sum
        })
        .collect();
    let mut total = YccSum::default();
    for row in sums {
        total.merge(row);
    }
    total.mean()
}

/// The Y'CbCr of a picture's finite pixels, summed for their mean (the render's own and, in
/// `guide::steady`, a reference's over the part that lands on the source).
#[derive(Clone, Copy, Default)]
pub struct YccSum {
    sum: [f64; 3],
    count: usize,
}

impl YccSum {
    /// One linear RGB pixel; one that is not finite in Y'CbCr is left out.
    pub fn add(&mut self, rgb: [f32; 3]) {
        let (l, [cb, cr]) = working::split_luma_chroma(rgb);
        if l.is_finite() && cb.is_finite() && cr.is_finite() {
            for (s, v) in self.sum.iter_mut().zip([l, cb, cr]) {
                *s += f64::from(v);
            }
            self.count += 1;
        }
    }

    pub fn merge(&mut self, other: YccSum) {
        for (s, o) in self.sum.iter_mut().zip(other.sum) {
            *s += o;
        }
        self.count += other.count;
    }

    /// Mean Y', Cb, Cr; `None` with no pixel.
    pub fn mean(&self) -> Option<[f64; 3]> {
        (self.count > 0).then(|| self.sum.map(|s| s / self.count as f64))
    }
}

/// Every pixel's Cb/Cr moved by `by`; its luma kept. A full pass with the transfer function at
/// every pixel, so a render runs it on its writer threads ([`Steadied`]), beside the network.
pub fn shift_chroma(img: &mut Image, by: [f32; 2]) {
    if by == [0.0; 2] {
        return;
    }
    let ch = img.channels;
    img.data
        .par_chunks_mut(img.width.max(1) * ch)
        .for_each(|row| {
            for px in row.chunks_exact_mut(ch) {
                let (y, c) = working::split_luma_chroma([px[0], px[1], px[2]]);
                px[..3].copy_from_slice(&working::combine(y, [c[0] + by[0], c[1] + by[1]]));
            }
        });
}

/// A frame out of a [`Window`]: its render and the chroma shift that steadies it, applied by
/// [`Steadied::finish`] where the caller has the threads for it.
pub struct Steadied {
    pub frame: i64,
    pub image: Image,
    pub shift: [f32; 2],
}

impl Steadied {
    pub fn unsteadied(frame: i64, image: Image) -> Self {
        Self {
            frame,
            image,
            shift: [0.0; 2],
        }
    }

    /// The steadied frame.
    pub fn finish(mut self) -> Image {
        shift_chroma(&mut self.image, self.shift);
        self.image
    }
}

/// The frames a render of `wanted` computes when each frame is steadied over `frames`: the
/// wanted ones and, of `available` (the whole sequence), those within reach of one, ascending.
pub fn frames_to_compute(wanted: &[i64], available: &[i64], frames: usize) -> Vec<i64> {
    let reach = (frames / 2) as i64;
    let wanted: BTreeSet<i64> = wanted.iter().copied().collect();
    let neighbours = available
        .iter()
        .copied()
        .filter(|&f| reach > 0 && wanted.range(f - reach..=f + reach).next().is_some());
    let mut all: BTreeSet<i64> = neighbours.collect();
    all.extend(&wanted);
    all.into_iter().collect()
}

/// Rendered frames held until the frames after them within reach are rendered, then released
/// steadied. Frames are pushed in ascending order, each with the frame that will come next.
pub struct Window {
    reach: i64,
    means: BTreeMap<i64, Option<[f64; 3]>>,
    held: BTreeMap<i64, Image>,
}

impl Window {
    /// Steadying over `frames` (1 = none).
    pub fn new(frames: usize) -> Self {
        Self {
            reach: (frames / 2) as i64,
            means: BTreeMap::new(),
            held: BTreeMap::new(),
        }
    }

    /// Frame `frame` rendered, `upcoming` the next frame to be pushed (`None`: the last);
    /// returns the frames now steadied, ascending.
    pub fn push(&mut self, frame: i64, img: Image, upcoming: Option<i64>) -> Vec<Steadied> {
        debug_assert!(
            self.held.keys().next_back().is_none_or(|&f| f < frame)
                && upcoming.is_none_or(|u| u > frame),
            "pushed out of order"
        );
        if self.reach > 0 {
            self.means.insert(frame, mean_ycbcr(&img));
        }
        self.held.insert(frame, img);
        let ready: Vec<i64> = self
            .held
            .keys()
            .copied()
            .take_while(|&f| upcoming.is_none_or(|u| u > f + self.reach))
            .collect();
        ready.into_iter().map(|f| self.release(f)).collect()
    }

    fn release(&mut self, frame: i64) -> Steadied {
        let image = self.held.remove(&frame).expect("held frame");
        let by = match self.means.get(&frame).copied() {
            Some(Some(own)) => {
                let around = self
                    .means
                    .range(frame - self.reach..=frame + self.reach)
                    .filter_map(|(_, m)| *m);
                shift(own, around)
            }
            _ => [0.0; 2],
        };
        // Means further back than any later frame's reach are done with.
        let keep_from = frame + 1 - self.reach;
        self.means = self.means.split_off(&keep_from);
        Steadied {
            frame,
            image,
            shift: by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(rgb: [f32; 3]) -> Image {
        Image::from_fn_rgb(8, 8, |_, _| rgb)
    }

    fn chroma(img: &Image) -> [f64; 2] {
        let m = mean_ycbcr(img).unwrap();
        [m[1], m[2]]
    }

    /// Render `colours` as frames 1.. through a window of `frames`, returning what comes out.
    fn steadied(colours: &[[f32; 3]], frames: usize) -> Vec<(i64, Image)> {
        let order: Vec<i64> = (1..=colours.len() as i64).collect();
        let mut w = Window::new(frames);
        let mut out = Vec::new();
        for (i, (&f, &c)) in order.iter().zip(colours).enumerate() {
            let done = w.push(f, flat(c), order.get(i + 1).copied());
            out.extend(done.into_iter().map(|s| (s.frame, s.finish())));
        }
        out
    }

    #[test]
    fn a_wandering_frame_moves_to_its_shots_mean_never_across_a_cut_and_keeps_its_luma() {
        // Shot A (1-5): a warm grey whose frame 3 wanders redder (~0.3 ΔE00); shot B (6-8) blue.
        let warm = [0.20, 0.18, 0.16];
        let wander = [0.202, 0.18, 0.16];
        let blue = [0.10, 0.14, 0.25];
        let colours = [warm, warm, wander, warm, warm, blue, blue, blue];
        let out = steadied(&colours, 5);
        let frames: Vec<i64> = out.iter().map(|(f, _)| *f).collect();
        assert_eq!(frames, (1..=8).collect::<Vec<_>>(), "every frame, in order");
        let want = chroma(&flat(warm));
        let off = |img: &Image| {
            let c = chroma(img);
            (c[0] - want[0]).hypot(c[1] - want[1])
        };
        let before = off(&flat(wander));
        let after = off(&out[2].1);
        assert!(
            after < before * 0.3,
            "wander {before} only reduced to {after}"
        );
        // Frame 5 has two blue frames in its window (a pull of ~30x the wander if they
        // counted); it moves only by its share of frame 3's wander.
        let edge = off(&out[4].1);
        assert!(edge < 0.3 * before, "shot B leaked into shot A: {edge}");
        // Luma is the frame's own.
        let luma = |img: &Image| mean_ycbcr(img).unwrap()[0];
        assert!((luma(&out[2].1) - luma(&flat(wander))).abs() < 1e-5);
        // With a window of 1 nothing moves.
        let same = steadied(&colours, 1);
        assert_eq!(same[2].1.data, flat(wander).data);
    }

    #[test]
    fn a_part_of_the_reel_renders_its_neighbours_too_and_comes_out_as_the_whole_does() {
        let colours: Vec<[f32; 3]> = (0..12)
            .map(|i| [0.2 + 0.0004 * ((i * 7) % 5) as f32, 0.18, 0.16])
            .collect();
        let whole = steadied(&colours, 5);
        // Frames 5-7 alone: their window reaches 3..=9.
        let available: Vec<i64> = (1..=12).collect();
        let order = frames_to_compute(&[5, 6, 7], &available, 5);
        assert_eq!(order, vec![3, 4, 5, 6, 7, 8, 9]);
        let mut w = Window::new(5);
        let mut part = Vec::new();
        for (i, &f) in order.iter().enumerate() {
            let done = w.push(f, flat(colours[f as usize - 1]), order.get(i + 1).copied());
            part.extend(done.into_iter().map(|s| (s.frame, s.finish())));
        }
        for (f, img) in part.iter().filter(|(f, _)| (5..=7).contains(f)) {
            assert_eq!(
                img.data,
                whole[*f as usize - 1].1.data,
                "frame {f} differs from the whole reel's render"
            );
        }
    }
}
