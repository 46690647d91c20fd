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
//! How: the mean Y'CbCr of each reference frame over the part of it that lands on the source,
//! and each frame's guide chroma shifted by the difference between a weighted mean of its
//! neighbours' Cb/Cr and its own. A neighbour's weight falls with the difference of its mean
//! from the frame's ([`steady::shift`]: Gaussians of width about half a ΔE00 in Cb/Cr and one
//! L* in Y'), so across a cut, where the mean jumps, it counts for nothing: no
//! shot list is needed, and a frame's colour moves by at most about that width. Only the mean
//! moves: the guide's spatial detail is the frame's own. Each reference frame is decoded once
//! ([`Cache`]).

use super::ReferenceGuide;
use crate::media::Image;
use crate::stages::align::motion;
use crate::stages::steady;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// What steadying keeps between frames, so each reference frame is decoded once (a video
/// reference's frame costs an ffmpeg seek): every frame's mean Y'CbCr, and the frames decoded
/// for a mean ahead of the reader until their own [`ReferenceGuide::prepare`] takes them.
#[derive(Default)]
pub struct Cache {
    means: Mutex<HashMap<i64, Option<[f64; 3]>>>,
    ahead: Mutex<BTreeMap<i64, Image>>,
}

impl ReferenceGuide {
    /// Source frame `frame`'s reference: the one decoded ahead for a neighbour's mean, or read
    /// now. Frames decoded ahead that the reader has passed are dropped.
    pub(super) fn reference(&self, frame: i64) -> anyhow::Result<Option<Image>> {
        let kept = {
            let mut ahead = self.cache.ahead.lock().expect("guide cache lock");
            let kept = ahead.remove(&frame);
            ahead.retain(|&f, _| f > frame);
            kept
        };
        match kept {
            Some(image) => Ok(Some(image)),
            None => self.read(frame),
        }
    }

    /// The shift of source frame `frame`'s guide chroma (`own`: its reference; on a `width` ×
    /// `height` source) that moves its reference's mean colour to the weighted mean of its
    /// `guide-frames` neighbourhood; zero with `guide-frames` 1 or when the reference has no
    /// mean.
    pub(super) fn steady_shift(
        &self,
        frame: i64,
        own: &Image,
        width: usize,
        height: usize,
    ) -> anyhow::Result<[f32; 2]> {
        let reach = (self.frames / 2) as i64;
        if reach == 0 {
            return Ok([0.0; 2]);
        }
        let own_mean = match self.cached_mean(frame) {
            Some(m) => m,
            None => self.keep_mean(frame, self.mean_over(frame, own, width, height)),
        };
        let Some(own_mean) = own_mean else {
            return Ok([0.0; 2]);
        };
        let mut around = Vec::with_capacity(self.frames);
        for f in frame - reach..=frame + reach {
            let m = match self.cached_mean(f) {
                Some(m) => m,
                None => self.read_mean(f, f > frame, width, height)?,
            };
            around.extend(m);
        }
        Ok(steady::shift(own_mean, around))
    }

    /// Frame `frame`'s mean if it is known (`Some(None)`: known to have none).
    fn cached_mean(&self, frame: i64) -> Option<Option<[f64; 3]>> {
        self.cache
            .means
            .lock()
            .expect("guide cache lock")
            .get(&frame)
            .copied()
    }

    fn keep_mean(&self, frame: i64, mean: Option<[f64; 3]>) -> Option<[f64; 3]> {
        let mut means = self.cache.means.lock().expect("guide cache lock");
        means.insert(frame, mean);
        mean
    }

    /// Read neighbour `frame`'s reference for its mean; `ahead` (the reader has not reached it
    /// yet): keep the decoded frame for its own `prepare`.
    fn read_mean(
        &self,
        frame: i64,
        ahead: bool,
        width: usize,
        height: usize,
    ) -> anyhow::Result<Option<[f64; 3]>> {
        let Some(image) = self.read(frame)? else {
            return Ok(self.keep_mean(frame, None));
        };
        let mean = self.keep_mean(frame, self.mean_over(frame, &image, width, height));
        if ahead {
            let mut kept = self.cache.ahead.lock().expect("guide cache lock");
            kept.insert(frame, image);
        }
        Ok(mean)
    }

    /// Mean Y', Cb, Cr of `reference` (source frame `frame`'s) over the pixels that land on
    /// the `width` × `height` source; `None` when none does.
    fn mean_over(
        &self,
        frame: i64,
        reference: &Image,
        width: usize,
        height: usize,
    ) -> Option<[f64; 3]> {
        let to_source = motion::inverse(self.placement(frame))?;
        let (w, h) = (width as f64, height as f64);
        let mut sum = steady::YccSum::default();
        for y in 0..reference.height {
            for x in 0..reference.width {
                let (sx, sy) = motion::apply(&to_source, x as f64, y as f64);
                if sx < 0.0 || sy < 0.0 || sx > w - 1.0 || sy > h - 1.0 {
                    continue;
                }
                sum.add(reference.rgb(x, y));
            }
        }
        sum.mean()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::working;
    use crate::media::{self, Clip, Sequence};

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
            tone: false,
            regrade: None,
            cache: Cache::default(),
        }
    }

    /// Frame `frame`'s shift, as `prepare` computes it.
    fn shifted(g: &ReferenceGuide, frame: i64) -> [f32; 2] {
        let own = g.reference(frame).unwrap().expect("the frame exists");
        g.steady_shift(frame, &own, 16, 16).unwrap()
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
        let shift = shifted(&g, 3);
        let moved = [got[0] + shift[0], got[1] + shift[1]];
        let before = (got[0] - want[0]).hypot(got[1] - want[1]);
        let after = (moved[0] - want[0]).hypot(moved[1] - want[1]);
        assert!(
            after < before * 0.3,
            "jitter {before} only reduced to {after}"
        );
        // The last frame of shot A has two shot B frames in its window: it stays as it is.
        let edge = shifted(&g, 5);
        assert!(
            edge[0].abs() < 1e-3 && edge[1].abs() < 1e-3,
            "shot B leaked into shot A's last frame: {edge:?}"
        );
        // And with `guide-frames = 1` nothing moves.
        let off = guide(dir.path(), &[warm, warm, jitter, warm, warm], 1);
        assert_eq!(shifted(&off, 3), [0.0, 0.0]);
    }
}
