//! A clip: frames by number, from an image sequence or a video file. Stages that read the
//! reference as it arrived (sync, curate, status) go through this, so a video transfer is read
//! exactly like a sequence: only the frames asked for are decoded.

use super::video::{self, Video, VideoOptions};
use super::{Image, Sequence};
use crate::color::Colorspace;
use rayon::prelude::*;
use std::path::Path;

#[derive(Debug)]
pub enum Clip {
    Sequence(Sequence),
    Video(Box<Video>),
}

impl Clip {
    /// A video file (by extension) or a sequence pattern / single image.
    pub fn open(path: &Path, video: &VideoOptions) -> anyhow::Result<Clip> {
        if video::is_video(path) {
            Ok(Clip::Video(Box::new(Video::open(path, video)?)))
        } else {
            Ok(Clip::Sequence(Sequence::discover(path)?))
        }
    }

    /// Frame numbers from `lo` to `hi` (inclusive) that the clip has, ascending; a video's are
    /// computed, not listed (a reel has 150,000).
    pub fn frames_within(&self, lo: i64, hi: i64) -> Vec<i64> {
        match self {
            Clip::Sequence(s) => {
                let from = s.frames.partition_point(|&f| f < lo);
                let to = s.frames.partition_point(|&f| f <= hi);
                s.frames[from..to.max(from)].to_vec()
            }
            Clip::Video(v) => {
                let last = v.first_frame + v.frame_count as i64 - 1;
                (lo.max(v.first_frame)..=hi.min(last)).collect()
            }
        }
    }

    pub fn first(&self) -> Option<i64> {
        match self {
            Clip::Sequence(s) => s.first(),
            Clip::Video(v) => (v.frame_count > 0).then_some(v.first_frame),
        }
    }

    pub fn contains(&self, n: i64) -> bool {
        match self {
            Clip::Sequence(s) => s.frames.binary_search(&n).is_ok(),
            Clip::Video(v) => (v.first_frame..v.first_frame + v.frame_count as i64).contains(&n),
        }
    }

    /// Where frame `n` comes from, for manifests and messages: a file path, or
    /// `ref.mov frame 38 (01:00:01:13)`.
    pub fn frame_label(&self, n: i64) -> String {
        match self {
            Clip::Sequence(s) => s.path(n).display().to_string(),
            Clip::Video(v) => v.frame_label(n),
        }
    }

    /// Read `frames` as scene-linear Rec.709 and map each through `f`; results in ascending frame
    /// order. Sequences read files in parallel; a video streams each run of frames from one
    /// decoder. Errors name the frame.
    pub fn map_linear<T: Send>(
        &self,
        frames: &[i64],
        assume: Option<Colorspace>,
        f: &(dyn Fn(i64, Image) -> anyhow::Result<T> + Sync),
    ) -> anyhow::Result<Vec<(i64, T)>> {
        let mut frames = frames.to_vec();
        frames.sort_unstable();
        frames.dedup();
        match self {
            Clip::Sequence(s) => frames
                .par_iter()
                .map(|&n| Ok((n, f(n, s.read_linear(n, assume)?)?)))
                .collect(),
            Clip::Video(v) => {
                let mut out = Vec::with_capacity(frames.len());
                v.read_linear_each(&frames, assume, &mut |n, img| {
                    out.push((n, f(n, img)?));
                    Ok(())
                })?;
                Ok(out)
            }
        }
    }

    /// One frame as scene-linear Rec.709.
    pub fn read_linear(&self, n: i64, assume: Option<Colorspace>) -> anyhow::Result<Image> {
        match self {
            Clip::Sequence(s) => s.read_linear(n, assume),
            Clip::Video(v) => v.read_linear(n, assume),
        }
    }

    /// For a video: "N frames decoded by M ffmpeg processes", what reading it has cost so far.
    pub fn decoding_cost(&self) -> Option<String> {
        match self {
            Clip::Sequence(_) => None,
            Clip::Video(v) => Some(format!(
                "{} frames decoded by {} ffmpeg process(es)",
                v.decoded_frames(),
                v.decoders_started()
            )),
        }
    }
}
