//! `infer.guide-frames`: the reference's overall colour, steadied over neighbouring frames.
//!
//! Why: every frame of a video transfer is its own encode (4:2:0, JPEG/MPEG quantisation,
//! resampling of a moving picture), so its mean colour jitters from frame to frame by a few
//! hundredths of a ΔE00 around the film's. The guide hands each render its reference's low
//! frequencies, mean included, so the render jitters with it. Measured on `tinct bench quality`
//! (seed 2, held-out shots): the reference's frame-to-frame change of mean colour is 1.4x the
//! clean print's, the guided renders' 1.5–1.6x; averaging each frame's mean over 5 frames brings
//! them to about 0.95x (the film's own slow changes, a pan or a light, pass through).
//!
//! How: the mean Cb/Cr of each reference frame over the part of it that lands on the source,
//! and each frame's guide shifted by the difference between a weighted mean of its neighbours'
//! and its own. A neighbour's weight falls with the difference of its mean from the frame's
//! (a Gaussian of width [`SAME_SHOT`], about one ΔE00), so across a cut, where the mean jumps,
//! it counts for nothing: no shot list is needed, and a frame's colour moves by at most about
//! that width. Only the mean moves: the guide's spatial detail is the frame's own.

use super::ReferenceGuide;
use crate::color::working;
use crate::stages::align::motion;
use anyhow::Context;
use std::collections::HashMap;
use std::sync::Mutex;

/// Mean Cb/Cr differences well above this (about half a ΔE00) are different pictures, not
/// jitter (which is a few hundredths).
const SAME_SHOT: f64 = 0.002;
/// The same for mean Y' (about one L*): a cut between shots of like colour still changes it.
const SAME_SHOT_LUMA: f64 = 0.01;

/// The cache of reference frame means (frames are read by up to `guide-frames` renders).
#[derive(Default)]
pub struct Means(Mutex<HashMap<i64, Option<[f64; 3]>>>);

impl ReferenceGuide {
    /// The shift of source frame `frame`'s guide chroma (on a `width` × `height` source) that
    /// moves its reference's mean colour to the weighted mean of its `guide-frames`
    /// neighbourhood; zero with `guide-frames` 1 or when the frame's reference has no mean.
    pub(super) fn steady_shift(
        &self,
        frame: i64,
        width: usize,
        height: usize,
    ) -> anyhow::Result<[f32; 2]> {
        let reach = (self.frames / 2) as i64;
        let Some(own) = (if reach == 0 {
            None
        } else {
            self.mean_of(frame, width, height)?
        }) else {
            return Ok([0.0; 2]);
        };
        let (mut sum, mut weights) = ([0.0f64; 2], 0.0f64);
        for f in frame - reach..=frame + reach {
            let Some(m) = self.mean_of(f, width, height)? else {
                continue;
            };
            let d2 = ((m[0] - own[0]) / SAME_SHOT_LUMA).powi(2)
                + ((m[1] - own[1]).powi(2) + (m[2] - own[2]).powi(2)) / SAME_SHOT.powi(2);
            let w = (-d2).exp();
            sum[0] += w * m[1];
            sum[1] += w * m[2];
            weights += w;
        }
        Ok([
            (sum[0] / weights - own[1]) as f32,
            (sum[1] / weights - own[2]) as f32,
        ])
    }

    /// Mean Y', Cb, Cr of source frame `frame`'s reference over the pixels that land on the
    /// source (cached); `None` when the reference has no such frame or none of it lands there.
    fn mean_of(&self, frame: i64, width: usize, height: usize) -> anyhow::Result<Option<[f64; 3]>> {
        if let Some(m) = self.means.0.lock().expect("means lock").get(&frame) {
            return Ok(*m);
        }
        let n = frame + self.offset;
        let m = if self.clip.contains(n) {
            let reference = self.clip.read_linear(n, self.colorspace).with_context(|| {
                format!(
                    "infer.guide: reference frame {} (steadying source frame {frame})",
                    self.clip.frame_label(n)
                )
            })?;
            motion::inverse(self.placement(frame)).and_then(|to_source| {
                let (w, h) = (width as f64, height as f64);
                let (mut sum, mut count) = ([0.0f64; 3], 0usize);
                for y in 0..reference.height {
                    for x in 0..reference.width {
                        let (sx, sy) = motion::apply(&to_source, x as f64, y as f64);
                        if sx < 0.0 || sy < 0.0 || sx > w - 1.0 || sy > h - 1.0 {
                            continue;
                        }
                        let (l, [cb, cr]) = working::split_luma_chroma(reference.rgb(x, y));
                        if l.is_finite() && cb.is_finite() && cr.is_finite() {
                            for (s, v) in sum.iter_mut().zip([l, cb, cr]) {
                                *s += f64::from(v);
                            }
                            count += 1;
                        }
                    }
                }
                (count > 0).then(|| sum.map(|s| s / count as f64))
            })
        } else {
            None
        };
        self.means.0.lock().expect("means lock").insert(frame, m);
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{self, Clip, Image, Sequence};

    /// A guide over reference frames 1..=`colours.len()` of flat `colours` (linear RGB),
    /// placed one to one on a 16 × 16 source, steadied over `frames`.
    fn guide(dir: &std::path::Path, colours: &[[f32; 3]], frames: usize) -> ReferenceGuide {
        for (i, rgb) in colours.iter().enumerate() {
            let img = Image::from_fn_rgb(16, 16, |_, _| *rgb);
            let path = dir.join(format!("ref.{:04}.exr", i + 1));
            media::write(&path, &img, &media::WriteOptions::default()).unwrap();
        }
        ReferenceGuide {
            clip: Clip::Sequence(Sequence {
                pattern: dir.join("ref.%04d.exr").to_string_lossy().into_owned(),
                frames: (1..=colours.len() as i64).collect(),
            }),
            offset: 0,
            colorspace: None,
            placements: vec![(1, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])],
            radius: 4,
            frames,
            means: Means::default(),
        }
    }

    fn chroma(rgb: [f32; 3]) -> [f32; 2] {
        working::split_luma_chroma(rgb).1
    }

    #[test]
    fn a_jittering_frame_moves_to_its_shots_mean_and_never_across_a_cut() {
        let dir = tempfile::tempdir().unwrap();
        // Shot A (frames 1-5): a warm grey whose frame 3 is a little redder (an encode's
        // jitter, ~0.3 ΔE00). Shot B (6-8): blue, a cut the weights must see.
        let warm = [0.20, 0.18, 0.16];
        let jitter = [0.202, 0.18, 0.16];
        let blue = [0.10, 0.14, 0.25];
        let g = guide(
            dir.path(),
            &[warm, warm, jitter, warm, warm, blue, blue, blue],
            5,
        );
        let want = chroma(warm);
        let got = chroma(jitter);
        let shift = g.steady_shift(3, 16, 16).unwrap();
        let moved = [got[0] + shift[0], got[1] + shift[1]];
        let before = (got[0] - want[0]).hypot(got[1] - want[1]);
        let after = (moved[0] - want[0]).hypot(moved[1] - want[1]);
        assert!(
            after < before * 0.3,
            "jitter {before} only reduced to {after}"
        );
        // The last frame of shot A has two shot B frames in its window: it stays as it is.
        let edge = g.steady_shift(5, 16, 16).unwrap();
        assert!(
            edge[0].abs() < 1e-3 && edge[1].abs() < 1e-3,
            "shot B leaked into shot A's last frame: {edge:?}"
        );
        // And with `guide-frames = 1` nothing moves.
        let off = guide(dir.path(), &[warm, warm, jitter, warm, warm], 1);
        assert_eq!(off.steady_shift(3, 16, 16).unwrap(), [0.0, 0.0]);
    }
}
