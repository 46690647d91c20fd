//! `infer.guide = "reference"`: every rendered frame takes the low frequencies of its colour
//! from its own reference frame.
//!
//! Why: the network and the grade learn from a few curated frames and render the whole reel,
//! but the reference (a video transfer, another print) covers the whole reel too. What a model
//! trained on other frames cannot know is measured on `tinct bench quality`: on a B&W print each
//! shot's overall colour is off by 3–9 a*/b* units (a shot's sky, a room's light), on a faded
//! print the fading of shots nobody picked. Each frame's aligned reference knows both. This is
//! how colour is recovered from a low-definition colour copy and a sharp monochrome film: the
//! copy's colour at low resolution, the film's detail.
//!
//! How: the reference frame (source frame + `reference.offset`) is warped onto the source with
//! the alignment matrix of the nearest aligned pair (a telecine's framing holds over a reel),
//! and the chroma difference between it and the render, `d`, is smoothed by a guided filter (He
//! et al. 2010) whose guide is the render's own luma: `d`'s low frequencies, with edges where
//! the scan has them, so the reference's colour does not bleed across the film's edges and its
//! JPEG blocks and 4:2:0 steps are averaged away. The render's chroma detail (the network's) is
//! kept. Where the reference does not cover the frame (its overscan, a rotated transfer's
//! corners) the correction of the picture next to it is carried in ([`fill_gaps`]): left
//! alone, that strip kept the network's own colour, which on a B&W print's held-out shot is
//! as far off as grey (`tinct bench quality` B&W seed 4 held-out ΔE00 2.60 → 2.15 with it).
//!
//! Tone too (`infer.guide-tone`): a faded print's tone scale is wrong where its fading is
//! uneven across the frame and along the reel, and `train.luma`'s fit on the curated frames
//! cannot know a shot nobody picked. The Y' difference between the reference and the render,
//! the render first blurred to about the reference's resolution (so the difference holds tone,
//! not the detail the reference never had), goes through the same guided filter with a wider
//! window ([`TONE_RADIUS_FACTOR`]). The correction is locally `a·Y' + b`: an offset and a
//! contrast, so the scan's edges and grain stay where they are (the bench's detail r stays
//! ≥ 0.998). Where the reference is clipped white or crushed black its tone says nothing and is
//! not used. Measured (`tinct bench quality`, same checkpoints, held-out ΔE00 without → with):
//! faded seed 1 1.97 → 1.54, seed 3 2.47 → 1.84; B&W seed 1 1.87 → 1.81, seed 3 2.54 → 2.22.
//!
//! Each frame's reference is its own encode, so its mean colour jitters; `infer.guide-frames`
//! steadies it over neighbouring frames ([`steady`]).
//!
//! A reference graded shot by shot (a telecine's scene-by-scene correction) would hand every
//! shot its grade. Prep finds such a reference (`prep.shot-grades`) and measures each curated
//! pair's grade; the guide then takes each frame's reference back with its shot's pair, and
//! follows the reference as it is on shots with no pair ([`regrade`]). Without the shots `tinct run
//! suggest` found, [`ReferenceGuide::open`] refuses with the reason and the render goes on
//! unguided.

use super::align::motion::Mat3;
use super::align::pyramid::Plane;
use super::align::warp::{self, Filter};
use crate::color::{Colorspace, tone, working};
use crate::media::{Clip, Image};
use crate::project::Project;
use crate::project::config::Config;
use crate::project::config::assumed_colorspace;
use anyhow::Context;
use rayon::prelude::*;

mod regrade;
mod steady;

/// Guided filter regularisation (Y'² units): luma steps well above √ε ≈ 0.03 keep a colour edge.
const EPS: f32 = 1e-3;

/// A reference channel at or above this (linear) is a video transfer's clipped white: its tone
/// there says nothing about the film's.
const TONE_CLIP: f32 = 0.97;

/// A reference Y' at or below this is crushed black, for the same reason.
const TONE_BLACK: f32 = 0.02;

/// The tone's guided filter radius, in multiples of the colour's. Tone is smooth (a fade
/// field over the frame, a drift along the reel), and a wider window averages away more of
/// the reference's JPEG blocks and of any misregistered edge. Measured on `tinct bench quality`
/// (faded seed 3, held-out ΔE00 / detail r): 2x 1.82 / 0.998, 4x 1.84 / 0.999, 8x 1.88 / 0.999.
pub(crate) const TONE_RADIUS_FACTOR: usize = 4;

/// The reference of every frame, placed on the source.
pub struct ReferenceGuide {
    clip: Clip,
    offset: i64,
    colorspace: Option<Colorspace>,
    /// (source frame, source → reference matrix) of the aligned pairs, by frame.
    placements: Vec<(i64, Mat3)>,
    /// Guided filter radius in source pixels ([`radius`]); 0 = from the frame's width.
    radius: usize,
    /// Reference frames whose mean colour each frame's guide takes (`infer.guide-frames`).
    frames: usize,
    /// Also the tone (`infer.guide-tone`, not with `train.luma = keep`).
    tone: bool,
    /// A reference graded shot by shot: each frame's grade, taken out as it is read.
    regrade: Option<regrade::Regrade>,
    cache: steady::Cache,
}

/// One frame's aligned reference chroma, ready for [`ReferenceGuide::apply`].
pub struct GuideFrame {
    width: usize,
    height: usize,
    pub(crate) chroma: [Vec<f32>; 2],
    pub(crate) covered: Vec<f32>,
    /// The reference's Y', and where it can be trusted for tone (covered, neither clipped nor
    /// crushed): 1 or 0. Empty unless the guide gives tone.
    pub(crate) luma: Vec<f32>,
    pub(crate) tone_usable: Vec<f32>,
}

impl GuideFrame {
    /// The chroma of `placed` (linear RGB on the source) plus `shift`, where `covered` (1 = the
    /// reference covers the pixel) says, and with `tone` its Y' and where that is usable. On
    /// the reader thread, so the compute thread does not pay for it.
    pub(crate) fn new(
        placed: &Image,
        covered: Vec<f32>,
        shift: [f32; 2],
        tone: bool,
    ) -> GuideFrame {
        let (width, height) = (placed.width, placed.height);
        let n = width * height;
        let mut chroma = [vec![0f32; n], vec![0f32; n]];
        let (mut luma, mut tone_usable) = (vec![0f32; n], vec![0f32; n]);
        // Parallel: at 2K the conversion is ~7M powf, on the reader thread a GPU render waits on.
        let [cb, cr] = &mut chroma;
        cb.par_iter_mut()
            .zip(cr.par_iter_mut())
            .zip(luma.par_iter_mut())
            .zip(tone_usable.par_iter_mut())
            .zip(placed.data.par_chunks_exact(placed.channels))
            .zip(&covered)
            .for_each(|(((((cb, cr), luma), usable), px), &covered)| {
                let (y, c) = working::split_luma_chroma([px[0], px[1], px[2]]);
                *cb = c[0] + shift[0];
                *cr = c[1] + shift[1];
                *luma = y;
                let clipped = px[..3].iter().any(|&v| v >= TONE_CLIP);
                *usable = f32::from(covered > 0.0 && !clipped && y > TONE_BLACK);
            });
        if !tone {
            (luma, tone_usable) = (Vec::new(), Vec::new());
        }
        GuideFrame {
            width,
            height,
            chroma,
            covered,
            luma,
            tone_usable,
        }
    }
}

impl ReferenceGuide {
    /// The guide the project's config asks for: `Ok(None)` when `infer.guide = off`, `Err`
    /// with the reason (for the log; the render goes on unguided) when the project has no
    /// reference or no aligned pairs to place it with.
    pub fn open(
        project: &Project,
        config: &Config,
    ) -> Result<Option<ReferenceGuide>, anyhow::Error> {
        if config.infer.guide == crate::project::config::Guide::Off {
            return Ok(None);
        }
        anyhow::ensure!(
            !config.reference.pattern.is_empty(),
            "the project has no reference (reference.pattern is empty)"
        );
        let reference = crate::project::reference::open(project, &config.reference)?;
        let colorspace = assumed_colorspace("reference.colorspace", &config.reference.colorspace)?;
        let manifest = super::align::AlignmentManifest::load(&project.root)
            .context("no aligned pairs to place the reference with")?;
        let mut placements: Vec<(i64, Mat3)> = manifest
            .pairs
            .iter()
            .filter(|p| !p.flagged)
            .map(|p| (p.frame, p.matrix))
            .collect();
        placements.sort_by_key(|(f, _)| *f);
        anyhow::ensure!(
            !placements.is_empty(),
            "infer.guide = reference: every aligned pair is flagged, so no placement of the \
             reference on the source is trusted (accept one with align.accept, or set infer.guide = off)"
        );
        let prep = prep_manifest(project);
        let regrade = match prep.as_ref().and_then(|m| m.shot_grades.as_ref()) {
            Some(g) if g.removed => Some(regrade::Regrade::open(&project.root, &g.balances)?),
            _ => None,
        };
        Ok(Some(ReferenceGuide {
            clip: reference.clip,
            offset: reference.offset,
            colorspace,
            placements,
            radius: radius(config.infer.guide_radius, prep.as_ref()),
            frames: config.infer.guide_frames.max(1),
            tone: config.infer.guide_tone
                && config.train.luma != crate::project::config::LumaMode::Keep,
            regrade,
            cache: steady::Cache::default(),
        }))
    }

    /// For the log.
    pub fn describe(&self) -> String {
        format!(
            "infer.guide = reference: each frame's low-frequency colour from reference frame \
             (source frame {:+}), placed by the nearest of {} aligned pairs, guided-filter radius {}, \
             its mean colour steadied over {} frames (infer.guide-frames); {}",
            self.offset,
            self.placements.len(),
            if self.radius == 0 {
                "width / 80 (the reference's chroma resolution is not known)".to_string()
            } else {
                format!("{} px", self.radius)
            },
            self.frames,
            if self.tone {
                format!(
                    "its tone too, radius {}x the colour's (infer.guide-tone)",
                    TONE_RADIUS_FACTOR
                )
            } else {
                "the render's luma untouched (infer.guide-tone = false or train.luma = keep)".into()
            },
        ) + &self
            .regrade
            .as_ref()
            .map(|r| format!("; {}", r.describe()))
            .unwrap_or_default()
    }

    /// The matrix of the aligned pair nearest to `frame`.
    fn placement(&self, frame: i64) -> &Mat3 {
        let (_, m) = self
            .placements
            .iter()
            .min_by_key(|(f, _)| (f - frame).abs())
            .expect("open() keeps at least one placement");
        m
    }

    /// Source frame `frame`'s reference, decoded. `None` when the reference has no such frame.
    /// What reading a video reference has cost so far, for the log; `None` for a sequence.
    pub fn decoding_cost(&self) -> Option<String> {
        self.clip
            .decoding_cost()
            .map(|c| format!("infer.guide: reference {c}"))
    }

    fn read(&self, frame: i64) -> anyhow::Result<Option<Image>> {
        let n = frame + self.offset;
        if !self.clip.contains(n) {
            return Ok(None);
        }
        // A shot with no curated pair keeps its grade: the reference's colour, graded, is
        // still nearer the film than the network's alone (see `regrade`).
        let regrade = self.regrade.as_ref().and_then(|r| r.of(frame));
        let mut reference = self.clip.read_linear(n, self.colorspace).with_context(|| {
            format!(
                "infer.guide: reference frame {} for source frame {frame}",
                self.clip.frame_label(n)
            )
        })?;
        if let Some(m) = regrade {
            crate::grade::shot_grade::apply(&mut reference, m);
        }
        Ok(Some(reference))
    }

    /// Source frame `frame`'s reference placed on a `width` × `height` source frame. `None`
    /// when the reference has no such frame (the render then stays unguided).
    pub fn prepare(
        &self,
        frame: i64,
        width: usize,
        height: usize,
    ) -> anyhow::Result<Option<GuideFrame>> {
        let Some(reference) = self.reference(frame)? else {
            return Ok(None);
        };
        let (placed, covered) = warp::warp_image(
            &reference,
            self.placement(frame),
            width,
            height,
            Filter::Bilinear,
        );
        let covered = covered.iter().map(|&c| if c { 1.0 } else { 0.0 }).collect();
        let shift = self.steady_shift(frame, &reference, width, height)?;
        Ok(Some(GuideFrame::new(&placed, covered, shift, self.tone)))
    }

    /// `img` (the render of the frame `guide` was prepared for) with its chroma's low
    /// frequencies moved to the reference's; its luma and chroma detail kept.
    pub fn apply(&self, img: &mut Image, guide: &GuideFrame) -> anyhow::Result<()> {
        correct(img, guide, self.radius, self.tone)
    }
}

/// [`ReferenceGuide::apply`]'s work: `radius` 0 = from the frame's width; with `tone`, the
/// tone too. Parallel inside (rayon): it runs on the compute thread between the network's
/// frames, so on a GPU box its time adds to every frame's (`tinct bench guide`).
pub(crate) fn correct(
    img: &mut Image,
    guide: &GuideFrame,
    radius: usize,
    with_tone: bool,
) -> anyhow::Result<()> {
    let (w, h) = (img.width, img.height);
    anyhow::ensure!(
        (w, h) == (guide.width, guide.height),
        "infer.guide: the render is {w}x{h}, its reference was placed on {}x{}",
        guide.width,
        guide.height
    );
    let r = if radius == 0 { (w / 80).max(4) } else { radius };
    let ch = img.channels;
    // One conversion per pixel: the render's Y'CbCr is kept for the way back.
    let ycc: Vec<(f32, [f32; 2])> = img
        .data
        .par_chunks_exact(ch)
        .map(|px| working::split_luma_chroma([px[0], px[1], px[2]]))
        .collect();
    let luma: Vec<f32> = ycc.par_iter().map(|(y, _)| *y).collect();
    let diff: [Vec<f32>; 2] = std::array::from_fn(|k| {
        ycc.par_iter()
            .zip(&guide.covered)
            .zip(&guide.chroma[k])
            .map(|(((_, c), cov), g)| cov * (g - c[k]))
            .collect()
    });
    let weight = tone::blur(&guide.covered, w, h, r, 1);
    let smooth = guided_filter(&luma, &diff, w, h, r);
    // Where the reference does not reach (its overscan, a rotated transfer's corners) the
    // colour correction of the covered picture next to it is carried in.
    let colour = fill_gaps(smooth, &weight, &guide.covered, w, h, r);
    let tone = match with_tone {
        false => vec![0f32; w * h],
        true => {
            // The render's Y' at about the reference's resolution, so the difference
            // holds tone and not the detail the reference never had.
            let coarse = tone::blur(&luma, w, h, 1, 1);
            let d: Vec<f32> = (0..w * h)
                .into_par_iter()
                .map(|i| guide.tone_usable[i] * (guide.luma[i] - coarse[i]))
                .collect();
            let rt = TONE_RADIUS_FACTOR * r;
            let [t] = guided_filter(&luma, &[d], w, h, rt);
            // Carried into what the reference does not cover, never under its clipped
            // whites or crushed blacks: a highlight's tone is not a mid-tone's.
            let usable = tone::blur(&guide.tone_usable, w, h, rt, 1);
            let [t] = fill_gaps([t], &usable, &guide.covered, w, h, rt);
            t
        }
    };
    img.data
        .par_chunks_exact_mut(ch)
        .zip(&ycc)
        .enumerate()
        .for_each(|(i, (px, &(y, c)))| {
            let moved = [c[0] + colour[0][i], c[1] + colour[1][i]];
            let rgb = working::combine(y + tone[i], moved);
            px[..3].copy_from_slice(&rgb);
        });
    Ok(())
}

/// `infer.guide-radius` (`setting`), or when 0 the spacing of the reference's chroma samples
/// on the source (prep's `reference_chroma_px`, at least 2 px): the finest colour the
/// reference carries, and no finer, so its JPEG blocks and 4:2:0 steps are still averaged
/// away. Measured on `tinct bench quality` (held-out ΔE00, B&W / faded): width/80 (8 px)
/// 1.97 / 1.99, 3 px 1.82 / 1.97, with colourfulness 0.88 → 0.91 on B&W.
fn radius(setting: usize, prep: Option<&super::prep::PrepManifest>) -> usize {
    let from_reference = prep
        .and_then(|m| m.reference_chroma_px)
        .filter(|px| px.is_finite() && *px > 0.0)
        .map(|px| (px.round() as usize).clamp(2, 64));
    match setting {
        0 => from_reference.unwrap_or(0),
        r => r,
    }
}

/// The prepared dataset's manifest: the reference's chroma resolution, and whether it is graded
/// shot by shot. `None` without a prepared dataset.
fn prep_manifest(project: &Project) -> Option<super::prep::PrepManifest> {
    let path = super::prep::prep_dir(&project.root).join(super::prep::MANIFEST);
    super::prep::PrepManifest::load(&path).ok()
}

/// Below this share of a window's pixels with a correction, the window's mean is not trusted.
const FILL_SUPPORT: f32 = 0.5;

/// A correction `smooth` (filtered from values that exist where the reference has them, so it
/// fades where `support`, that share of each window, does) made whole. On the reference's
/// picture (`covered`): its support-normalised value. Off it (the overscan, a rotated
/// transfer's corners): the normalised correction of the nearest picture with at least
/// [`FILL_SUPPORT`] ([`Carried`]). A network's error is local (an object's colour, a region's
/// fade), so its neighbours' correction is a far better guess than none, which leaves the
/// network's colour.
fn fill_gaps<const N: usize>(
    smooth: [Vec<f32>; N],
    support: &[f32],
    covered: &[f32],
    w: usize,
    h: usize,
    r: usize,
) -> [Vec<f32>; N] {
    // Support-normalised: the correction's value, not its faded share. Continuous at the
    // threshold, and fading to nothing where the window holds almost no reference.
    let mut normalised = smooth.map(|mut plane| {
        plane
            .par_iter_mut()
            .zip(support)
            .for_each(|(v, s)| *v /= s.max(FILL_SUPPORT));
        plane
    });
    if covered.iter().all(|&c| c >= 0.5) {
        return normalised;
    }
    let trusted: Vec<f32> = support
        .par_iter()
        .map(|&s| if s >= FILL_SUPPORT { s } else { 0.0 })
        .collect();
    let carried = Carried::new(&normalised, &trusted, w, h, r);
    for (plane, grid) in normalised.iter_mut().zip(&carried.grids) {
        plane
            .par_iter_mut()
            .zip(covered)
            .enumerate()
            .filter(|(_, (_, c))| **c < 0.5)
            .for_each(|(i, (v, _))| *v = carried.at(grid, i % w, i / w));
    }
    normalised
}

/// The confidence-weighted mean of each correction, from the smallest window (radius 1, 4,
/// 16, ... blocks) that holds enough confidence, on a grid of `block`-pixel blocks: what is
/// carried changes slowly, and on the full frame the widening windows cost more than the
/// guide itself (measured: 33 ms a 512x288 frame; on the grid, within the run's noise). The
/// planes share their confidence, so its grid and its windows are found once for all of them.
struct Carried<const N: usize> {
    /// One value per block, per plane.
    grids: [Plane; N],
    block: usize,
}

impl<const N: usize> Carried<N> {
    fn new(values: &[Vec<f32>; N], trusted: &[f32], w: usize, h: usize, r: usize) -> Self {
        let block = r.max(2);
        let (gw, gh) = (w.div_ceil(block), h.div_ceil(block));
        let full = (block * block) as f32;
        // Block sums of `trusted` and of each plane weighted by it, a row of blocks at a time
        // in parallel: the frame is read once.
        let sums: Vec<([f32; N], f32)> = (0..gh)
            .into_par_iter()
            .flat_map_iter(|gy| {
                let mut row = vec![([0f32; N], 0f32); gw];
                for y in gy * block..((gy + 1) * block).min(h) {
                    for x in 0..w {
                        let (i, cell) = (y * w + x, &mut row[x / block]);
                        for (k, num) in cell.0.iter_mut().enumerate() {
                            *num += values[k][i] * trusted[i];
                        }
                        cell.1 += trusted[i];
                    }
                }
                row.into_iter()
                    .map(move |(num, den)| (num.map(|v| v / full), den / full))
            })
            .collect();
        let den: Vec<f32> = sums.iter().map(|s| s.1).collect();
        let num: [Vec<f32>; N] = std::array::from_fn(|k| sums.iter().map(|s| s.0[k]).collect());
        let mut grids: [Plane; N] = std::array::from_fn(|_| Plane::new(gw, gh));
        let mut missing: Vec<usize> = (0..gw * gh).collect();
        let mut radius = 1;
        while !missing.is_empty() {
            let n: [Vec<f32>; N] = std::array::from_fn(|k| tone::blur(&num[k], gw, gh, radius, 2));
            let d = tone::blur(&den, gw, gh, radius, 2);
            missing.retain(|&j| {
                let found = d[j] > 0.05;
                if found {
                    for (grid, n) in grids.iter_mut().zip(&n) {
                        grid.data[j] = n[j] / d[j];
                    }
                }
                !found
            });
            // Nothing anywhere to carry: those blocks get no correction.
            if radius >= gw.max(gh) {
                break;
            }
            radius *= 4;
        }
        Carried { grids, block }
    }

    /// `grid` (one of [`Carried::grids`]) at pixel (x, y): bilinear between block centres, so
    /// the carried correction has no block edges.
    fn at(&self, grid: &Plane, x: usize, y: usize) -> f32 {
        let on_grid = |v: usize, n: usize| {
            ((v as f32 + 0.5) / self.block as f32 - 0.5).clamp(0.0, (n - 1) as f32)
        };
        warp::bilinear(grid, on_grid(x, grid.width), on_grid(y, grid.height))
    }
}

/// He et al.'s guided filter of each plane of `inputs` under the guide `guide` (box radius `r`):
/// locally `a·guide + b`, so the output has the guide's edges and the inputs' low frequencies.
/// Seven planes of scratch for any number of inputs, and every step parallel (rayon): at 2K a
/// fresh plane per step cost more in page faults than the arithmetic (`tinct bench guide`).
fn guided_filter<const N: usize>(
    guide: &[f32],
    inputs: &[Vec<f32>; N],
    w: usize,
    h: usize,
    r: usize,
) -> [Vec<f32>; N] {
    let n = w * h;
    let plane = || vec![0f32; n];
    let (mut scratch, mut tmp) = (plane(), plane());
    let mut blur = |src: &[f32], dst: &mut [f32]| tone::blur_into(src, dst, &mut scratch, w, h, r);
    let (mut mean_i, mut var_i) = (plane(), plane());
    blur(guide, &mut mean_i);
    tmp.par_iter_mut().zip(guide).for_each(|(t, g)| *t = g * g);
    blur(&tmp, &mut var_i);
    var_i
        .par_iter_mut()
        .zip(&mean_i)
        .for_each(|(v, m)| *v = (*v - m * m).max(0.0));
    let (mut mean_p, mut cov) = (plane(), plane());
    std::array::from_fn(|k| {
        let p = &inputs[k];
        blur(p, &mut mean_p);
        tmp.par_iter_mut()
            .zip(guide)
            .zip(p)
            .for_each(|((t, g), v)| *t = g * v);
        blur(&tmp, &mut cov);
        // cov becomes a, mean_p becomes b.
        cov.par_iter_mut()
            .zip(&mut mean_p)
            .zip(&mean_i)
            .zip(&var_i)
            .for_each(|(((c, mp), mi), vi)| {
                let a = (*c - mi * *mp) / (vi + EPS);
                *mp -= a * mi;
                *c = a;
            });
        let mut out = plane();
        blur(&cov, &mut tmp);
        blur(&mean_p, &mut out);
        out.par_iter_mut()
            .zip(&tmp)
            .zip(guide)
            .for_each(|((o, a), g)| *o += a * g);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference placed on a `w` × `h` frame: `rgb(x, y)`, `None` where it does not cover.
    fn placed(w: usize, h: usize, rgb: impl Fn(usize, usize) -> Option<[f32; 3]>) -> GuideFrame {
        let covered: Vec<f32> = (0..w * h)
            .map(|i| rgb(i % w, i / w).map_or(0.0, |_| 1.0))
            .collect();
        GuideFrame::new(
            &Image::from_fn_rgb(w, h, |x, y| rgb(x, y).unwrap_or([0.0; 3])),
            covered,
            [0.0; 2],
            true,
        )
    }

    fn guide() -> ReferenceGuide {
        ReferenceGuide {
            clip: Clip::Sequence(crate::media::Sequence {
                pattern: "/nonexistent/ref.%04d.exr".into(),
                frames: Vec::new(),
            }),
            offset: 0,
            colorspace: None,
            placements: vec![(1, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])],
            radius: 4,
            frames: 1,
            tone: false,
            regrade: None,
            cache: steady::Cache::default(),
        }
    }

    /// A frame split down the middle: dark left, bright right (the scan's edge).
    fn edge_luma(w: usize, h: usize) -> Vec<f32> {
        (0..w * h)
            .map(|i| if i % w < w / 2 { 0.2 } else { 0.7 })
            .collect()
    }

    #[test]
    fn the_guided_filter_keeps_the_scans_edge_and_averages_away_blocks() {
        let (w, h) = (64, 32);
        let guide = edge_luma(w, h);
        // Colour that changes at the scan's edge, plus 4-pixel checker blocks (JPEG, 4:2:0).
        let p: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                let base = if x < w / 2 { -0.1 } else { 0.1 };
                let block = if (x / 4 + y / 4) % 2 == 0 {
                    0.03
                } else {
                    -0.03
                };
                base + block
            })
            .collect();
        let [q, _] = guided_filter(&guide, &[p.clone(), p], w, h, 6);
        let at = |x: usize, y: usize| q[y * w + x];
        // Either side of the edge, one pixel away, keeps its own colour (no bleed)...
        assert!(
            (at(w / 2 - 1, 16) + 0.1).abs() < 0.03,
            "{}",
            at(w / 2 - 1, 16)
        );
        assert!((at(w / 2, 16) - 0.1).abs() < 0.03, "{}", at(w / 2, 16));
        // ...and the blocks are mostly gone.
        let spread = (8..24).map(|x| at(x, 16)).fold(f32::MIN, f32::max)
            - (8..24).map(|x| at(x, 16)).fold(f32::MAX, f32::min);
        assert!(spread < 0.02, "block residue {spread}");
    }

    /// A grey pixel of working-space luma `y`.
    fn grey(y: f32) -> [f32; 3] {
        working::combine(y, [0.0; 2])
    }

    #[test]
    fn a_faded_renders_tone_follows_the_reference_and_keeps_the_scans_grain() {
        let (w, h) = (128, 64);
        // The film's tone: a ramp across the frame. The reference clips the right quarter
        // (a video transfer's whites), where it says nothing of the film's tone.
        let film = |x: usize| 0.25 + 0.4 * x as f32 / w as f32;
        let clip_from = 3 * w / 4;
        let frame = placed(w, h, |x, _| {
            Some(if x >= clip_from {
                [1.0; 3]
            } else {
                grey(film(x))
            })
        });
        // The render: the faded print's flatter, lifted tone, and the scan's grain.
        let grain = |x: usize, y: usize| {
            let k = (x * 7919 + y * 104_729) % 97;
            0.02 * (k as f32 / 48.0 - 1.0)
        };
        let faded = |x: usize| 0.8 * film(x) + 0.08;
        let mut img = Image::from_fn_rgb(w, h, |x, y| grey(faded(x) + grain(x, y)));
        let tone_guide = ReferenceGuide {
            tone: true,
            ..guide()
        };
        tone_guide.apply(&mut img, &frame).unwrap();
        let luma = |x: usize, y: usize| working::luma(img.rgb(x, y));
        // Tone: the row mean of the render (grain averaged out) is the film's, away from the
        // frame's edges and the clipped part...
        for x in 24..clip_from - 24 {
            let mean: f32 = (0..h).map(|y| luma(x, y)).sum::<f32>() / h as f32;
            assert!(
                (mean - film(x)).abs() < 0.01,
                "column {x}: {mean} against the film's {}",
                film(x)
            );
        }
        // ...while under the clipped whites the render keeps its own tone.
        let x = w - 4;
        let mean: f32 = (0..h).map(|y| luma(x, y)).sum::<f32>() / h as f32;
        assert!(
            (mean - faded(x)).abs() < 0.01,
            "clipped part moved to {mean}"
        );
        // Grain: what the render has beyond its neighbours' mean is still the scan's.
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let fine = |f: &dyn Fn(usize, usize) -> f32| {
                    f(x, y) - (f(x - 1, y) + f(x + 1, y) + f(x, y - 1) + f(x, y + 1)) / 4.0
                };
                let (a, b) = (fine(&luma), fine(&|x, y| grain(x, y)));
                sxy += a * b;
                sxx += a * a;
                syy += b * b;
            }
        }
        let r = sxy / (sxx * syy).sqrt();
        assert!(r > 0.99, "grain correlation {r}");
    }

    #[test]
    fn the_picture_the_reference_does_not_cover_takes_its_neighbours_colour_and_tone() {
        let (w, h) = (96, 48);
        // The reference misses the left 12 columns (a telecine's overscan): wider than the
        // colour's window, so the correction has to be carried in.
        let (luma, chroma) = (0.4, [-0.05, 0.08]);
        let frame = placed(w, h, |x, _| {
            (x >= 12).then(|| working::combine(luma, chroma))
        });
        let mut img = Image::from_fn_rgb(w, h, |_, _| grey(0.3));
        let tone_guide = ReferenceGuide {
            tone: true,
            ..guide()
        };
        tone_guide.apply(&mut img, &frame).unwrap();
        for x in [0, 5, 11, 48] {
            let (y, c) = working::split_luma_chroma(img.rgb(x, h / 2));
            assert!(
                (c[0] - chroma[0]).abs() < 0.01 && (c[1] - chroma[1]).abs() < 0.01,
                "column {x}: colour {c:?}, the reference's {chroma:?}"
            );
            assert!(
                (y - luma).abs() < 0.01,
                "column {x}: luma {y}, the reference's {luma}"
            );
        }
    }

    #[test]
    fn a_grey_render_takes_the_references_colour_and_keeps_its_luma() {
        let (w, h) = (48, 32);
        // The render: grey, with the scan's grain in its luma.
        let mut img = Image::from_fn_rgb(w, h, |x, y| {
            let v = 0.18 + if (x + y) % 2 == 0 { 0.01 } else { -0.01 };
            [v, v, v]
        });
        let before: Vec<f32> = (0..w * h)
            .map(|i| working::luma(img.rgb(i % w, i / w)))
            .collect();
        // The reference: a warm colour, covering all but the two left columns (overscan).
        let warm_rgb = [0.3, 0.15, 0.08];
        let warm = working::split_luma_chroma(warm_rgb).1;
        let frame = placed(w, h, |x, _| if x < 2 { None } else { Some(warm_rgb) });
        guide().apply(&mut img, &frame).unwrap();
        let (_, c) = working::split_luma_chroma(img.rgb(w / 2, h / 2));
        assert!(
            (c[0] - warm[0]).abs() < 0.01 && (c[1] - warm[1]).abs() < 0.01,
            "{c:?} vs the reference's {warm:?}"
        );
        for i in 0..w * h {
            let y = working::luma(img.rgb(i % w, i / w));
            assert!(
                (y - before[i]).abs() < 1e-4,
                "luma moved at {i}: {} -> {y}",
                before[i]
            );
        }
    }
}
