//! The reel's shots: each a window panned across one panorama, frame by frame, with sub-pixel
//! motion; and the bicubic sampler that renders them.

use super::random::Rng;
use crate::media::Image;
use serde::{Deserialize, Serialize};

/// One shot, as recorded in `demo-truth.json`. Frame numbers are source frame numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shot {
    pub index: usize,
    pub panorama: String,
    pub first_frame: i64,
    pub last_frame: i64,
    /// Panorama pixel at the window's centre on the shot's first frame.
    pub centre: [f64; 2],
    /// Pan in panorama pixels per frame (sub-pixel, so resampling differs every frame).
    pub velocity: [f64; 2],
    /// Panorama pixels per source pixel (the lens: smaller is longer).
    pub zoom: f64,
}

/// What the shot planner may choose from.
pub struct ShotPlanInput<'a> {
    pub panoramas: &'a [&'static str],
    pub panorama_size: (usize, usize),
    pub frame_size: (usize, usize),
    pub shots: usize,
    /// Consecutive shots sharing one panorama (a scene's angles); at least 1.
    pub shots_per_setting: usize,
    pub frames_per_shot: usize,
    pub first_frame: i64,
    /// Frames before the first (the reference's lead-in) must still fit inside the panorama.
    pub lead_in: usize,
}

/// Draw the shots: lengths vary around `frames_per_shot` (so the cut pattern is unique, which is
/// what lets sync find the offset), panoramas are shuffled, pans go either way.
pub fn plan(rng: &mut Rng, input: &ShotPlanInput) -> Vec<Shot> {
    let (pw, ph) = (input.panorama_size.0 as f64, input.panorama_size.1 as f64);
    let fh = input.frame_size.1 as f64;
    let order = rng.permutation(input.panoramas.len());
    let mut next = input.first_frame;
    (0..input.shots)
        .map(|index| {
            let spread = (input.frames_per_shot as f64 * 0.25).round();
            let len = (input.frames_per_shot as f64 + rng.range(-spread, spread + 1.0).floor())
                .max(2.0) as i64;
            // The window covers 55-75% of the panorama's height: wide, like the originals' lens.
            let zoom = rng.range(0.55, 0.75) * ph / fh;
            let velocity = [
                rng.sign() * rng.range(0.002, 0.005) * pw,
                rng.range(-0.0008, 0.0008) * ph,
            ];
            // Keep the whole shot (lead-in included, plus a margin for the reference framing)
            // inside the panorama vertically; horizontally it wraps.
            let half_h = 0.5 * fh * zoom * 1.1;
            let frames = (len + input.lead_in as i64) as f64;
            let travel = velocity[1].abs() * frames;
            // ...and near the horizon, where an equirectangular picture looks least bent.
            let (lo, hi) = (
                (half_h + travel).max(0.4 * ph),
                (ph - half_h - travel).min(0.6 * ph),
            );
            let cy = if lo < hi { rng.range(lo, hi) } else { 0.5 * ph };
            let centre = [rng.range(0.0, pw), cy];
            let shot = Shot {
                index,
                panorama: input.panoramas
                    [order[(index / input.shots_per_setting.max(1)) % order.len()]]
                .to_string(),
                first_frame: next,
                last_frame: next + len - 1,
                centre,
                velocity,
                zoom,
            };
            next += len;
            shot
        })
        .collect()
}

impl Shot {
    /// Panorama pixel seen by source pixel (x, y) (pixel centres on integers) of `frame`; frames
    /// before the shot continue its pan backwards (the reference's lead-in).
    pub fn to_panorama(
        &self,
        frame: i64,
        frame_size: (usize, usize),
        x: f64,
        y: f64,
    ) -> (f64, f64) {
        let i = (frame - self.first_frame) as f64;
        let cx = self.centre[0] + self.velocity[0] * i;
        let cy = self.centre[1] + self.velocity[1] * i;
        let (w, h) = (frame_size.0 as f64, frame_size.1 as f64);
        // Pixel centres: source x + 0.5 is the continuous position, same for the panorama.
        (
            cx + self.zoom * (x + 0.5 - 0.5 * w) - 0.5,
            cy + self.zoom * (y + 0.5 - 0.5 * h) - 0.5,
        )
    }
}

/// The shot that shows source frame `frame` (the first shot for frames before it).
pub fn shot_of(shots: &[Shot], frame: i64) -> &Shot {
    shots
        .iter()
        .find(|s| frame <= s.last_frame)
        .unwrap_or_else(|| shots.last().expect("a demo has shots"))
}

/// Catmull-Rom bicubic sample of an RGB panorama at (x, y) (pixel centres on integers);
/// wraps horizontally (equirectangular), clamps vertically.
pub fn sample_bicubic(img: &Image, x: f64, y: f64) -> [f32; 3] {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = ((x - x0) as f32, (y - y0) as f32);
    let (wx, wy) = (catmull_rom(fx), catmull_rom(fy));
    let w = img.width as i64;
    let h = img.height as i64;
    let mut out = [0.0f32; 3];
    for (j, wyj) in wy.iter().enumerate() {
        let yy = (y0 as i64 - 1 + j as i64).clamp(0, h - 1) as usize;
        for (i, wxi) in wx.iter().enumerate() {
            let xx = (x0 as i64 - 1 + i as i64).rem_euclid(w) as usize;
            let p = img.pixel(xx, yy);
            let k = wxi * wyj;
            out[0] += k * p[0];
            out[1] += k * p[1];
            out[2] += k * p[2];
        }
    }
    out
}

/// Weights of the four taps at -1, 0, 1, 2 for fractional position t.
fn catmull_rom(t: f32) -> [f32; 4] {
    let (t2, t3) = (t * t, t * t * t);
    [
        0.5 * (-t3 + 2.0 * t2 - t),
        0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
        0.5 * (-3.0 * t3 + 4.0 * t2 + t),
        0.5 * (t3 - t2),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bicubic_hits_pixels_and_wraps() {
        let img = Image::from_fn_rgb(8, 4, |x, y| [x as f32, y as f32, 1.0]);
        assert_eq!(sample_bicubic(&img, 3.0, 2.0), [3.0, 2.0, 1.0]);
        let mid = sample_bicubic(&img, 3.5, 1.0);
        assert!(
            (mid[0] - 3.5).abs() < 1e-5,
            "linear ramp is reproduced: {mid:?}"
        );
        assert!(
            (sample_bicubic(&img, 8.0, 0.0)[0] - 0.0).abs() < 1e-5,
            "x wraps to 0"
        );
    }

    #[test]
    fn shots_cover_consecutive_frames() {
        let names = ["a", "b", "c"];
        let input = ShotPlanInput {
            panoramas: &names,
            panorama_size: (768, 384),
            frame_size: (96, 64),
            shots: 4,
            shots_per_setting: 2,
            frames_per_shot: 8,
            first_frame: 1,
            lead_in: 2,
        };
        let shots = plan(&mut Rng::new(5), &input);
        // Two angles per scene: shots 0-1 share a panorama, 2-3 another.
        assert_eq!(shots[0].panorama, shots[1].panorama);
        assert_eq!(shots[2].panorama, shots[3].panorama);
        assert_ne!(shots[1].panorama, shots[2].panorama);
        assert_eq!(shots[0].first_frame, 1);
        for w in shots.windows(2) {
            assert_eq!(w[1].first_frame, w[0].last_frame + 1);
            assert!(w[0].last_frame - w[0].first_frame + 1 >= 2);
        }
        assert_eq!(shot_of(&shots, 0).index, 0);
        assert_eq!(shot_of(&shots, shots[2].first_frame).index, 2);
    }
}
