//! `[prep]`, `[train]`, `[infer]`: stages 3 and 4.

use super::choices::{
    Device, ExrCompression, Guide, LrSchedule, ModelSize, OutputFormat, Prior, ShotGrades, Steps,
};
use crate::color::Colorspace;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrepConfig {
    /// Pairs held out for validation when `curate.validation` names none: this many, spread
    /// evenly over the sequence (0 = no validation). Never trained on.
    pub validation: usize,
    /// Whether the reference was graded shot by shot (`auto`, `remove`, `keep`): see
    /// `grade::shot_grade`.
    pub shot_grades: ShotGrades,
}

impl Default for PrepConfig {
    fn default() -> Self {
        Self {
            validation: 2,
            shot_grades: ShotGrades::Auto,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrainConfig {
    /// Optimiser steps (ignored when `epochs` > 0), or `auto` (see [`Steps`]).
    pub steps: Steps,
    /// With `steps = "auto"` on a CPU: minutes of training to fit the steps into.
    pub auto_minutes: f64,
    /// Passes over the training pixels (0 = use `steps`); one epoch = as many crops as cover
    /// every training frame once.
    pub epochs: u64,
    pub crop_size: usize,
    /// 0 = automatic from free memory.
    pub batch_size: usize,
    /// auto | cpu | cuda | cuda:N
    pub device: Device,
    /// small | medium | large
    pub model: ModelSize,
    /// Peak learning rate (Adam).
    pub lr: f64,
    /// cosine | constant | step (halve every third of the run); all with a linear warm-up.
    pub lr_schedule: LrSchedule,
    /// Warm-up steps (linear from 0 to `lr`).
    pub warmup_steps: u64,
    pub checkpoint_interval: u64,
    /// Warn when validation (at every checkpoint) has not improved on the best checkpoint for
    /// this many evaluations (0 = never).
    pub patience: u64,
    pub contact_sheet_interval: u64,
    /// Also train on 1/2 and 1/4 scale versions of the frames (context at several scales).
    pub multi_resolution: bool,
    /// Random flips and 90° rotations of the crops.
    pub augment_geometry: bool,
    /// Largest exposure jitter of the input, in stops (0 = off).
    pub jitter_exposure: f64,
    /// Largest saturation / chroma-offset jitter of the input (0 = off).
    pub jitter_grade: f64,
    /// Mixed precision on CUDA (ignored on CPU).
    pub half: bool,
    pub seed: u64,
    /// What the network predicts a residual on: `lut` = a global 3D LUT fitted on the training
    /// pairs before the first step (the MatchGrade fit, `matchgrade.lut-size` etc.), `none` =
    /// the input's own chroma, `auto` = whichever of the two validates better at step 0.
    pub prior: Prior,
    /// Where the render's luma comes from: `tone` = the source's, through a smooth monotone
    /// curve fitted on the training pairs (its detail and grain, the reference's tone scale);
    /// `grade` = the source's, its low frequencies moved as the MatchGrade 3D LUT moves them
    /// (colour-dependent fading); `keep` = the source's exactly.
    pub luma: LumaMode,
    /// Compare prediction and target chroma after a `k`×`k` box average (1 = per pixel): the
    /// reference's chroma is a smaller, 4:2:0, imperfectly aligned picture, so per-pixel
    /// differences are mostly its artefacts, not colour.
    pub loss_scale: u32,
    /// After the global luma fix (`tone` or `grade`), also undo the uneven fading across the
    /// frame: a smooth gain/offset field over the frame, fitted on the pairs (see
    /// `grade::luma_field`). Off: the global fix alone.
    pub luma_field: bool,
    /// Give the network each pixel's position in the frame (two more input channels), so
    /// fading that varies across the frame (edges, stains) can be learnt and undone.
    pub coords: bool,
    /// Train (and then infer) the network on a 1/N-size copy of the frames; its chroma
    /// correction is upsampled under the full-resolution picture. 0 = auto: the largest power
    /// of two at most 2/3 of the reference's chroma sample spacing on the source (a 1/N picture
    /// still carries every colour detail the reference has), 1 when that is unknown. Each step
    /// then costs about 1/N² as much for the same picture area, so a CPU budget buys N² times
    /// the steps.
    pub chroma_scale: usize,
}

/// `train.luma`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LumaMode {
    /// The source's Y' exactly (a B&W or unfaded scan whose tone is right).
    Keep,
    /// The source's Y' through a tone curve fitted on the pairs (a print faded evenly across
    /// its colours).
    Tone,
    /// The source's Y' plus the low frequencies of the luma change the MatchGrade LUT makes
    /// (a print whose dyes faded unequally: its luma error depends on the colour). The default:
    /// `tinct bench quality` measured it better than `tone` on every case (see the README).
    #[default]
    Grade,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            steps: Steps::Auto,
            auto_minutes: 7.0,
            epochs: 0,
            crop_size: 256,
            batch_size: 0,
            device: Device::Auto,
            model: ModelSize::Medium,
            lr: 5e-4,
            lr_schedule: LrSchedule::Cosine,
            warmup_steps: 100,
            checkpoint_interval: 1000,
            patience: 2,
            contact_sheet_interval: 100,
            multi_resolution: true,
            augment_geometry: true,
            jitter_exposure: 0.2,
            jitter_grade: 0.1,
            half: false,
            seed: 1,
            prior: Prior::Auto,
            luma: LumaMode::Grade,
            loss_scale: 1,
            luma_field: true,
            coords: true,
            chroma_scale: 0,
        }
    }
}

/// Output settings shared by every render (ML inference and the MatchGrade baseline), plus the
/// ML-only inference settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct InferConfig {
    /// Output colourspace id (see `color::Colorspace`), e.g. `p3-d65`, `linear-rec709`, `acescg`.
    pub colorspace: Colorspace,
    /// exr | dpx | tiff
    pub format: OutputFormat,
    /// EXR compression: zip | zips | piz | none.
    pub exr_compression: ExrCompression,
    /// Picture area kept, in source pixels: [x, y, width, height]; empty = whole frame.
    /// Removes sprocket holes and the optical sound track.
    pub crop: Vec<usize>,
    /// Checkpoint to apply: empty = the best-validation checkpoint of the latest train run;
    /// else a `.safetensors` file or a run folder (its best), relative to the project.
    pub checkpoint: String,
    /// Largest tile side in pixels (memory bound); frames that fit run whole.
    pub tile_size: usize,
    /// Cross-fade width between tiles, in pixels.
    pub tile_overlap: usize,
    /// auto | cpu | cuda | cuda:N
    pub device: Device,
    /// Half precision on CUDA (ignored on CPU).
    pub half: bool,
    /// Run the chroma network at 1/N of the frame's size and upsample its chroma correction
    /// under the full-resolution source (1 = full resolution; 0 = the scale the checkpoint was
    /// trained at, `train.chroma-scale`). Chroma is band-limited (the reference's own is 4:2:0
    /// at best), so 2 costs little colour for about 4x less compute: `tinct bench render`
    /// prints the ΔE00 it costs.
    pub chroma_scale: usize,
    /// Threads for CPU inference (torch intra-op); 0 = one per core.
    pub threads: usize,
    /// `off` | `reference`: take each frame's low-frequency colour from its own aligned
    /// reference frame (see `stages::guide`; on a reference graded shot by shot, only the shots
    /// with a curated pair, each taken back with that pair's grade).
    pub guide: Guide,
    /// Guided filter radius in source pixels for `guide = reference`; 0 = the spacing of the
    /// reference's chroma samples on the source (width / 80 when unknown).
    pub guide_radius: usize,
    /// `guide = reference`: also take each frame's tone (its luma's low frequencies) from its
    /// reference, keeping the scan's detail and grain (see `stages::guide`). Never with
    /// `train.luma = keep`, which keeps the source's luma exactly.
    pub guide_tone: bool,
    /// `guide = reference`: each frame's guide takes the mean colour of this many reference
    /// frames around its own (same shot only; 1 = its own), steadying the frame-to-frame jitter
    /// of a video transfer's encode (see `stages::guide::steady`).
    pub guide_frames: usize,
    /// Each rendered frame's mean colour steadied over this many frames around it (same shot
    /// and light only; 1 = each frame alone): the network's colour no longer wanders as a pan
    /// carries content through it (see `stages::steady`). A render holds `steady-frames / 2`
    /// frames back, and a part of the reel also renders that many frames beyond each end.
    pub steady_frames: usize,
}

impl Default for InferConfig {
    fn default() -> Self {
        Self {
            colorspace: Colorspace::P3D65,
            format: OutputFormat::Exr,
            exr_compression: ExrCompression::Zip,
            crop: Vec::new(),
            checkpoint: String::new(),
            tile_size: 2048,
            tile_overlap: 64,
            device: Device::Auto,
            half: false,
            chroma_scale: 0,
            threads: 0,
            guide: Guide::Reference,
            guide_radius: 0,
            guide_tone: true,
            guide_frames: 5,
            steady_frames: 13,
        }
    }
}
