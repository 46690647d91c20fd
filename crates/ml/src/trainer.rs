//! The training loop behind `tinct run train`: data, model, optimiser, schedule, metrics,
//! contact sheets, validation, checkpoints, resume and cancellation.

use super::adam::Adam;
use super::budget::Budget;
use super::checkpoint;
use super::dataset::{self, Augment, PairPyramid, PrepManifest};
use super::net::{ChromaNet, ModelSize, parameter_count};
use super::quality::{self, DeltaE};
use super::schedule::{self, Schedule};
use super::tiles::{self, TileOptions};
use crate::jobs::metrics::Record;
use crate::media::Image;
use crate::stages::Ctx;
use anyhow::Context;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tch::{Device, Kind, nn};
use tinct_core::project::config::validate::MAX_CHROMA_SCALE;
use tinct_core::project::config::{Prior, Steps};

pub use tinct_core::stages::prep::prep_dir;

/// What a finished (or cancelled) training run reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainReport {
    pub steps_done: u64,
    pub total_steps: u64,
    pub cancelled: bool,
    pub model: &'static str,
    pub parameters: i64,
    pub batch_size: usize,
    pub final_loss: f64,
    pub first_loss: f64,
    pub best: Option<Best>,
    pub last_checkpoint: Option<PathBuf>,
    pub device: String,
}

/// Say so in the log when validation has not improved on the best checkpoint for
/// `train.patience` evaluations: the operator should know that the render will be the best
/// checkpoint's (step 0 = the global grade alone), and that more steps are not helping.
fn warn_if_stale(ctx: &Ctx, best: &Best, step: u64) {
    let cfg = &ctx.config.train;
    let evals = (step - best.step) / cfg.checkpoint_interval.max(1);
    if cfg.patience == 0 || evals < cfg.patience {
        return;
    }
    let at = if best.step == 0 {
        "step 0 (the grade prior alone)".to_string()
    } else {
        format!("step {}", best.step)
    };
    ctx.log(format!(
        "warning: validation has not improved on {at} for {evals} evaluations; inference will \
         use {at}. More steps are not helping: check the held-out frames' shots, or stop here"
    ));
}

/// `best.json` in the run folder.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Best {
    /// Project-relative path of the checkpoint.
    pub checkpoint: String,
    pub step: u64,
    pub val_de00_mean: Option<f64>,
    pub val_de00_p95: Option<f64>,
}

pub const BEST_FILE: &str = "best.json";

/// Run training; `resume` is a run folder (or checkpoint file) to continue from. Three phases,
/// as tch's examples structure a training: [`Run::prepare`] (data, network, the grade prior or
/// the resumed state, the step plan), then [`Run::step`] until the end (or a cancel), with
/// [`Run::checkpoint`] at the intervals.
pub fn train(ctx: &Ctx, resume: Option<&Path>) -> anyhow::Result<TrainReport> {
    let mut run = Run::prepare(ctx, resume)?;
    run.train()
}

/// A training run between its preparation and its report.
struct Run<'a> {
    ctx: &'a Ctx,
    device: Device,
    size: ModelSize,
    sched: Schedule,
    half: bool,
    pairs: Vec<PairPyramid>,
    validation: Vec<(i64, Image, Image)>,
    vs: nn::VarStore,
    net: ChromaNet,
    params: i64,
    adam: Adam,
    start: u64,
    best: Option<Best>,
    batch: usize,
    crop: i64,
    total: u64,
    warmup: u64,
    aug: Augment,
    tile_opts: TileOptions,
    /// Validation compares colour over blocks this many source pixels wide (the reference's
    /// chroma resolution; 1 = per pixel).
    chroma_px: usize,
    /// Where `train.steps = auto` on a CPU stands.
    auto: AutoSteps,
    /// Step 0's validation when `train.prior = auto` already measured it.
    step0: Option<Validation>,
}

/// Steps timed before `train.steps = auto` decides (after a few to warm up the allocator).
const AUTO_PROBE: (u64, u64) = (5, 25);

/// `train.steps = auto` on a CPU through a run.
enum AutoSteps {
    /// `total` is fixed: a step count, epochs, a GPU, or a resumed auto run.
    Fixed,
    /// Timing the first steps (since the end of the warm-up ones, once they are done).
    Probing(Option<Instant>),
    /// Decided: the run keeps to `train.auto-minutes`.
    Keeping(Budget),
}

/// The training images as read once: the pyramids and the grade prior's fit both use them.
struct Data {
    pairs: Vec<PairPyramid>,
    train_images: Vec<(i64, Image, Image)>,
    validation: Vec<(i64, Image, Image)>,
    crop: i64,
    chroma_px: usize,
    /// The network's working scale (1/N of full size).
    scale: usize,
    /// Where the prepared pairs lie in the source frame (validation renders them there).
    place: Option<super::net::Place>,
}

/// The prepared pairs at `device`, the crop fitted to the smallest training frame.
fn load_data(ctx: &Ctx, device: Device, resumed_scale: Option<usize>) -> anyhow::Result<Data> {
    let (cfg, root) = (&ctx.config.train, &ctx.project.root);
    let manifest = PrepManifest::load(&prep_dir(root).join(dataset::MANIFEST))?;
    let (val_pairs, train_pairs): (Vec<_>, Vec<_>) =
        manifest.pairs.iter().partition(|p| p.validation);
    anyhow::ensure!(
        !train_pairs.is_empty(),
        "the prepared dataset has no training pairs (all are held out)"
    );
    let scale = resumed_scale
        .unwrap_or_else(|| chroma_scale(cfg.chroma_scale, manifest.reference_chroma_px));
    // The crop is picture area in source pixels; the network sees it at its working scale.
    let min_side = train_pairs
        .iter()
        .map(|p| p.size[0].min(p.size[1]).div_ceil(scale))
        .min()
        .unwrap_or(0) as i64;
    let mut crop = cfg.crop_size.div_ceil(scale) as i64;
    if crop > min_side {
        let fitted = (min_side / ChromaNet::MULTIPLE) * ChromaNet::MULTIPLE;
        ctx.log(format!("crop size {crop} (at 1/{scale} scale) is larger than the smallest training frame side {min_side}; using {fitted}"));
        crop = fitted;
    }
    anyhow::ensure!(
        crop >= ChromaNet::MULTIPLE,
        "training frames are too small ({min_side} px at 1/{scale} scale) for the network"
    );
    let spec = dataset::PyramidSpec {
        scale: scale as i64,
        levels: if cfg.multi_resolution { 3 } else { 1 },
        min_side: crop,
        place: manifest.frame_window.map(super::net::Place::from),
    };
    let read_all = |pairs: &[&dataset::PrepPair]| -> anyhow::Result<Vec<(i64, Image, Image)>> {
        pairs
            .iter()
            .map(|p| dataset::read_pair(root, p).map(|(i, t)| (p.frame, i, t)))
            .collect()
    };
    let train_images = read_all(&train_pairs)?;
    let pairs: Vec<PairPyramid> = train_images
        .iter()
        .map(|(f, i, t)| dataset::pyramid(*f, i, t, device, &spec))
        .collect::<anyhow::Result<_>>()?;
    let chroma_px = manifest
        .reference_chroma_px
        .map_or(1, |px| px.round().clamp(1.0, 16.0) as usize);
    Ok(Data {
        pairs,
        train_images,
        validation: read_all(&val_pairs)?,
        crop,
        chroma_px,
        scale,
        place: spec.place,
    })
}

/// A reference of the scan's own size, its scale estimated by the alignment a hair above 1,
/// still counts as 2 pixels between chroma samples.
const SPACING_SLACK: f64 = 1.02;

/// `train.chroma-scale`: the setting, or for 0 (auto) the largest power of two no larger than
/// the reference's chroma sample spacing on the source (with [`SPACING_SLACK`]), 1 when that
/// spacing is unknown.
///
/// The spacing assumes 4:2:0 (a video transfer; its export as an image sequence keeps the
/// video's soft colour even in a 4:4:4 file). For a reference of the scan's own size that
/// means 1/2 scale: colour finer than 2 pixels is lost on a 4:4:4 one, which the eye barely
/// sees (the reason 4:2:0 exists), against four times the CPU steps. Measured on a 0.75x 4:2:0
/// transfer (spacing 2.6 px), where the 2/3 of the spacing used before chose full scale: 7 CPU
/// minutes bought 1000 steps and B&W validation got worse than step 0 (6.668 → 7.777); at 1/2
/// scale 2000 steps took 3 minutes and reached 3.387 (`tinct bench quality --reference-scale
/// 0.75`).
pub fn chroma_scale(setting: usize, reference_chroma_px: Option<f64>) -> usize {
    if setting > 0 {
        return setting;
    }
    let finest = reference_chroma_px.map_or(1.0, |px| px * SPACING_SLACK);
    let mut n = 1;
    while ((n * 2) as f64) <= finest && n * 2 <= MAX_CHROMA_SCALE {
        n *= 2;
    }
    n
}

/// What a resume starts from: the run (or file) asked for, the checkpoint file, its contents.
type ResumeFrom<'p> = (&'p Path, PathBuf, checkpoint::Loaded);

fn resume_source<'p>(
    ctx: &Ctx,
    resume: Option<&'p Path>,
) -> anyhow::Result<Option<ResumeFrom<'p>>> {
    Ok(match resume {
        Some(from) if from.is_dir() => match checkpoint::resumable(from) {
            Some((ckpt, loaded)) => Some((from, ckpt, loaded)),
            None => {
                ctx.log(format!(
                    "{}: no usable checkpoint in that run or the runs it resumed \
                     (stopped before its first one): starting from step 0",
                    from.display()
                ));
                None
            }
        },
        Some(file) => Some((file, file.to_path_buf(), checkpoint::read(file)?)),
        None => None,
    })
}

impl<'a> Run<'a> {
    fn prepare(ctx: &'a Ctx, resume: Option<&Path>) -> anyhow::Result<Run<'a>> {
        let cfg = &ctx.config.train;
        let device = super::device::select(cfg.device)?;
        ctx.log(format!("torch device: {}", super::device::describe(device)));
        let size: ModelSize = cfg.model;
        let half = cfg.half && device.is_cuda();
        let resume_from = resume_source(ctx, resume)?;
        // A resumed run keeps the scale it was trained at, whatever the config says now.
        let data = load_data(ctx, device, resume_from.as_ref().map(|r| r.2.chroma_scale))?;
        let use_lut = cfg.prior != Prior::None;
        let nodes = match &resume_from {
            Some((_, _, loaded)) => loaded.prior_nodes()?,
            None if use_lut => ctx.config.matchgrade.lut_size as i64,
            None => super::prior::IDENTITY_NODES,
        };
        // A resumed run keeps the network it resumes, whatever the config says now.
        let coords = resume_from
            .as_ref()
            .map_or(cfg.coords, |(_, _, loaded)| loaded.coords());

        tch::manual_seed(cfg.seed as i64);
        let mut vs = nn::VarStore::new(device);
        let mut net = ChromaNet::with_prior_nodes(&vs.root(), size, nodes, coords);
        let params = parameter_count(&vs);
        let mut adam = Adam::new(&vs);
        let (mut start, mut best) = (0u64, None);
        // Validation renders the frames as inference will: at the training scale.
        let tile_opts = TileOptions {
            half,
            place: data.place,
            chroma_scale: data.scale,
            ..TileOptions::default()
        };
        // `train.prior = auto` validates the kept prior before step 0; step 0's checkpoint is
        // that same network, so it reuses the figure.
        let mut step0 = None;
        if resume_from.is_none() && use_lut {
            let t = Instant::now();
            let mg = &ctx.config.matchgrade;
            let fit_params = mg.lut_fit_params();
            let (lut, n) =
                super::prior::fit_on_pairs(&data.train_images, &fit_params, mg.max_samples)?;
            net.set_prior(&lut);
            ctx.log(format!(
                "grade prior: {0}x{0}x{0} LUT fitted on {n} pixels of the training pairs in {1:.1} s",
                mg.lut_size,
                t.elapsed().as_secs_f64()
            ));
            if cfg.prior == Prior::Auto && !data.validation.is_empty() {
                step0 = choose_prior(
                    ctx,
                    &mut net,
                    &lut,
                    &data.validation,
                    device,
                    &tile_opts,
                    data.chroma_px,
                )?;
            }
        }
        if let Some((from, ckpt, loaded)) = &resume_from {
            let (from, ckpt) = (*from, ckpt.as_path());
            anyhow::ensure!(
                loaded.size == size,
                "{}: checkpoint is a {} model but train.model is {}",
                ckpt.display(),
                loaded.size.id(),
                size.id()
            );
            loaded.load_net(&mut vs)?;
            adam.load_state(&loaded.tensors)?;
            start = loaded.step;
            best = std::fs::read(run_folder(from, ckpt).join(BEST_FILE))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            ctx.log(format!("resumed from {} at step {start}", ckpt.display()));
        }

        let (crop, chroma_px) = (data.crop, data.chroma_px);
        let batch = if cfg.batch_size > 0 {
            cfg.batch_size
        } else {
            auto_batch(device, size, crop)
        };
        let resumed_total = resume_from
            .as_ref()
            .and_then(|(from, ckpt, _)| decided_total(&run_folder(from, ckpt)));
        let mut auto = AutoSteps::Fixed;
        let total = if cfg.epochs > 0 {
            let px: i64 = data
                .pairs
                .iter()
                .map(|p| p.levels[0].0.size()[1] * p.levels[0].0.size()[2])
                .sum();
            let per_epoch = (px as f64 / (batch as f64 * (crop * crop) as f64))
                .ceil()
                .max(1.0) as u64;
            cfg.epochs * per_epoch
        } else {
            match (cfg.steps, resumed_total) {
                (Steps::Count(n), _) => n,
                // A resumed auto run keeps the count its first run chose.
                (Steps::Auto, Some(n)) => n,
                (Steps::Auto, None) => {
                    if !device.is_cuda() {
                        auto = AutoSteps::Probing(None);
                    }
                    Steps::AUTO_GPU
                }
            }
        };
        let run = Run {
            ctx,
            device,
            size,
            sched: cfg.lr_schedule,
            half,
            pairs: data.pairs,
            validation: data.validation,
            vs,
            net,
            params,
            adam,
            start,
            best,
            batch,
            crop,
            total,
            warmup: cfg.warmup_steps.min(total / 10),
            aug: Augment {
                geometry: cfg.augment_geometry,
                exposure: cfg.jitter_exposure,
                grade: cfg.jitter_grade,
                level_weights: vec![0.5, 0.3, 0.2],
            },
            tile_opts,
            chroma_px,
            auto,
            step0,
        };
        run.write_setup()?;
        Ok(run)
    }

    /// `train.steps = auto` on a CPU: once the probe steps are timed (at `step`), fit the run
    /// into `train.auto-minutes` and say so.
    fn decide_auto_steps(&mut self, probe_seconds: f64, step: u64) -> anyhow::Result<()> {
        let cfg = &self.ctx.config.train;
        let rate = (AUTO_PROBE.1 - AUTO_PROBE.0) as f64 / probe_seconds.max(1e-9);
        let fit = (rate * cfg.auto_minutes * 60.0 / 50.0).floor() as u64 * 50;
        self.total = fit.clamp(Steps::AUTO_MIN, Steps::AUTO_GPU);
        self.warmup = cfg.warmup_steps.min(self.total / 10);
        self.auto = AutoSteps::Keeping(Budget::new(cfg.auto_minutes, step));
        self.ctx.log(format!(
            "train.steps = auto: {} steps ({rate:.1} steps/s measured on {}, train.auto-minutes {})",
            self.total,
            super::device::describe(self.device),
            cfg.auto_minutes
        ));
        self.write_setup()
    }

    /// `artifacts/train_setup.json` and the log line that says what this run is.
    fn write_setup(&self) -> anyhow::Result<()> {
        let (ctx, size) = (self.ctx, self.size);
        let summary = json!({
            "model": size.id(), "parameters": self.params, "batch_size": self.batch, "crop_size": self.crop,
            "total_steps": self.total, "start_step": self.start, "device": super::device::describe(self.device),
            "half": self.half, "train_pairs": self.pairs.len(), "validation_pairs": self.validation.len(),
            "validation_chroma_px": self.chroma_px, "coords": self.net.coords, "chroma_scale": self.tile_opts.chroma_scale,
            "steps_setting": self.ctx.config.train.steps.to_string(), "auto_pending": matches!(self.auto, AutoSteps::Probing(_)),
            "parameter_counts": super::net::parameter_counts().iter().map(|(s, n)| (s.id(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        });
        crate::fsx::write_atomic(
            &ctx.artifacts().join("train_setup.json"),
            &serde_json::to_vec_pretty(&summary)?,
        )?;
        ctx.log(format!(
            "model {} ({:.3} M parameters{}) at 1/{} scale (train.chroma-scale {}), batch {}, crop {}, steps {}..{}, {} training / {} validation pairs, validated over {}-px blocks (the reference's chroma)",
            size.id(),
            self.params as f64 / 1e6,
            if self.net.coords { ", frame positions" } else { "" },
            self.tile_opts.chroma_scale,
            match ctx.config.train.chroma_scale {
                0 => "auto".to_string(),
                n => n.to_string(),
            },
            self.batch,
            self.crop,
            self.start,
            self.total,
            self.pairs.len(),
            self.validation.len(),
            self.chroma_px
        ));
        Ok(())
    }

    /// Save a checkpoint at `step` with its validation figures; `best.json` follows the best.
    fn checkpoint(&mut self, step: u64) -> anyhow::Result<PathBuf> {
        let ctx = self.ctx;
        let known = if step == 0 { self.step0.take() } else { None };
        let v = match known {
            Some(v) => Some(v),
            None => validate(
                &self.net,
                &self.validation,
                self.device,
                &self.tile_opts,
                self.chroma_px,
            )?,
        };
        let (de, raw) = (v.map(|v| v.low_passed), v.map(|v| v.raw));
        let path = checkpoint::path_for(&ctx.artifacts(), step);
        let info = json!({ "val_de00_mean": de.map(|d| d.mean), "val_de00_p95": de.map(|d| d.p95),
            "val_de00_raw_mean": raw.map(|d| d.mean), "validation_chroma_px": self.chroma_px });
        let meta = checkpoint::Meta {
            size: self.size,
            step,
            chroma_scale: self.tile_opts.chroma_scale,
        };
        checkpoint::save(&path, &self.vs, &self.adam, meta, &info)?;
        if let Some(d) = de {
            ctx.record(&Record {
                step: Some(step),
                val_de00_mean: Some(d.mean),
                val_de00_p95: Some(d.p95),
                val_de00_raw_mean: raw.map(|r| r.mean),
                ..Record::default()
            })?;
            ctx.log(format!(
                "step {step}: validation ΔE00 mean {:.3}, p95 {:.3} (per pixel {:.3})",
                d.mean,
                d.p95,
                raw.map_or(f64::NAN, |r| r.mean)
            ));
        }
        let better = match (&self.best, de) {
            (None, _) => true,
            (Some(b), Some(d)) => b.val_de00_mean.is_none_or(|m| d.mean <= m),
            (Some(_), None) => true,
        };
        if better {
            let rel = path
                .strip_prefix(&ctx.project.root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let b = Best {
                checkpoint: rel,
                step,
                val_de00_mean: de.map(|d| d.mean),
                val_de00_p95: de.map(|d| d.p95),
            };
            crate::fsx::write_atomic(
                &ctx.run_dir.join(BEST_FILE),
                &serde_json::to_vec_pretty(&b)?,
            )?;
            self.best = Some(b);
        } else if let Some(b) = self.best.as_ref() {
            warn_if_stale(ctx, b, step);
        }
        Ok(path)
    }

    /// One optimiser step from `step`: the batch, the prediction and the loss (not yet read back
    /// from the device), and the learning rate used.
    fn step(&mut self, step: u64) -> (tch::Tensor, tch::Tensor, tch::Tensor, tch::Tensor, f64) {
        let cfg = &self.ctx.config.train;
        // Per-step seeding: a resumed run draws exactly the crops the uninterrupted run would.
        let mut rng = StdRng::seed_from_u64(cfg.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ step);
        let (x, y) = dataset::sample_batch(
            &self.pairs,
            &mut rng,
            self.batch,
            self.crop,
            &self.aug,
            self.device,
        );
        let lr = schedule::lr_at(self.sched, cfg.lr, self.warmup, step, self.total);
        self.adam.zero_grad();
        let pred = tch::autocast(self.half, || self.net.forward(&x)).to_kind(Kind::Float);
        let loss = chroma_loss(&pred, &y, cfg.loss_scale);
        loss.backward();
        self.adam.step(lr);
        (x, pred, y, loss.detach(), lr)
    }

    /// `train.steps = auto` on a CPU after step `step` (`done` steps into this run, `started`
    /// at its start): time the probe, decide, then keep to the budget. Returns the total the
    /// run now goes to (`total` when nothing changed).
    fn follow_auto(
        &mut self,
        done: u64,
        step: u64,
        total: u64,
        started: Instant,
    ) -> anyhow::Result<u64> {
        let cfg = &self.ctx.config.train;
        match &mut self.auto {
            AutoSteps::Probing(since) if done == AUTO_PROBE.0 => *since = Some(Instant::now()),
            AutoSteps::Probing(since) if done == AUTO_PROBE.1 => {
                let secs = since.map_or(1.0, |t| t.elapsed().as_secs_f64());
                self.decide_auto_steps(secs, step)?;
                return Ok(self.total.max(step));
            }
            AutoSteps::Keeping(budget) => {
                let elapsed = started.elapsed().as_secs_f64();
                let limits = (Steps::AUTO_MIN, Steps::AUTO_GPU);
                if let Some((refit, rate)) = budget.recheck(step, total, elapsed, limits) {
                    self.ctx.log(format!(
                        "train.steps = auto: the machine got {} ({rate:.1} steps/s now): {refit} \
                         steps instead of {total}, to fit train.auto-minutes {}",
                        if refit < total { "slower" } else { "faster" },
                        cfg.auto_minutes
                    ));
                    self.total = refit;
                    self.write_setup()?;
                    return Ok(refit);
                }
            }
            _ => {}
        }
        Ok(total)
    }

    /// Steps from `start` to `total` (or a cancel), with the metrics, contact sheets and
    /// checkpoints on their intervals.
    fn train(&mut self) -> anyhow::Result<TrainReport> {
        let (ctx, cfg) = (self.ctx, &self.ctx.config.train);
        let (start, total, device) = (self.start, self.total, self.device);
        let started = Instant::now();
        let (mut window_t, mut window_steps) = (Instant::now(), 0u64);
        let mut loss_acc = tch::Tensor::zeros([], (Kind::Float, device));
        let (mut first_loss, mut last_loss) = (f64::NAN, f64::NAN);
        let mut last_ckpt = None;
        let mut step = start;
        let mut cancelled = false;
        if start == 0 && !self.validation.is_empty() {
            // Where the curve starts: the grade prior alone (the untrained head adds nothing).
            // It is a checkpoint like any other, so when training cannot beat the global grade
            // on the held-out frames (a purely global fade), "best" stays the global grade.
            ctx.log("step 0 is the grade prior alone");
            last_ckpt = Some(self.checkpoint(0)?);
        }
        let mut total = total;
        while step < total {
            if ctx.cancelled() {
                cancelled = true;
                break;
            }
            let (x, pred, y, loss, lr) = self.step(step);
            loss_acc += loss;
            step += 1;
            window_steps += 1;
            total = self.follow_auto(step - start, step, total, started)?;

            let log_now = window_steps >= 10
                || step == total
                || step.is_multiple_of(cfg.contact_sheet_interval.max(1));
            if log_now {
                let mean_loss = loss_acc.double_value(&[]) / window_steps as f64;
                loss_acc = tch::Tensor::zeros([], (Kind::Float, device));
                if first_loss.is_nan() {
                    first_loss = mean_loss;
                }
                last_loss = mean_loss;
                let dt = window_t.elapsed().as_secs_f64().max(1e-9);
                let steps_per_s = window_steps as f64 / dt;
                ctx.record(&Record {
                    step: Some(step),
                    steps: Some(total),
                    loss: Some(mean_loss),
                    lr: Some(lr),
                    images_per_s: Some(steps_per_s * self.batch as f64),
                    elapsed_s: Some(started.elapsed().as_secs_f64()),
                    eta_s: Some((total - step) as f64 / steps_per_s),
                    ..Record::default()
                })?;
                (window_t, window_steps) = (Instant::now(), 0);
            }
            if cfg.contact_sheet_interval > 0 && step.is_multiple_of(cfg.contact_sheet_interval) {
                let path = ctx.artifacts().join(format!("contact.{step:07}.png"));
                super::contact::write(&path, &x, &pred.detach(), &y, 4)?;
            }
            if (cfg.checkpoint_interval > 0 && step.is_multiple_of(cfg.checkpoint_interval))
                || step == total
            {
                last_ckpt = Some(self.checkpoint(step)?);
                // Validation time is not training speed.
                if let AutoSteps::Keeping(b) = &mut self.auto {
                    b.restart(step);
                }
            }
        }
        if cancelled
            && step > start
            && last_ckpt
                .as_ref()
                .is_none_or(|p| !p.ends_with(checkpoint::path_for(Path::new(""), step)))
        {
            ctx.log(format!("cancelled at step {step}: saving a checkpoint"));
            last_ckpt = Some(self.checkpoint(step)?);
        }
        Ok(TrainReport {
            steps_done: step,
            total_steps: total,
            cancelled,
            model: self.size.id(),
            parameters: self.params,
            batch_size: self.batch,
            final_loss: last_loss,
            first_loss,
            best: self.best.clone(),
            last_checkpoint: last_ckpt,
            device: super::device::describe(device),
        })
    }
}

/// L1 between predicted and target chroma, after a `scale`×`scale` box average when > 1.
fn chroma_loss(pred: &tch::Tensor, target: &tch::Tensor, scale: u32) -> tch::Tensor {
    if scale <= 1 {
        return (pred - target).abs().mean(Kind::Float);
    }
    let k = [scale as i64, scale as i64];
    let pool = |t: &tch::Tensor| t.avg_pool2d(k, k, [0, 0], false, true, None::<i64>);
    (pool(pred) - pool(target)).abs().mean(Kind::Float)
}

/// Validation of one checkpoint: ΔE00 over `chroma_px`-wide blocks (what decides the best
/// checkpoint: the reference's chroma is no finer, so finer differences are its artefacts) and
/// per pixel.
#[derive(Clone, Copy, Debug)]
pub struct Validation {
    pub low_passed: DeltaE,
    pub raw: DeltaE,
}

/// `train.prior = auto`: keep the grade prior, or swap in "the input's own chroma" (an identity
/// table of the same size), whichever renders the validation frames closer at step 0. Returns
/// the kept prior's validation (step 0's).
fn choose_prior(
    ctx: &Ctx,
    net: &mut ChromaNet,
    lut: &crate::grade::Lut3d,
    validation: &[(i64, Image, Image)],
    device: Device,
    opts: &TileOptions,
    chroma_px: usize,
) -> anyhow::Result<Option<Validation>> {
    let grade_v = validate(net, validation, device, opts, chroma_px)?;
    net.set_prior(&crate::grade::Lut3d::identity(lut.size));
    let own_v = validate(net, validation, device, opts, chroma_px)?;
    let mean = |v: Option<Validation>| v.map_or(f64::NAN, |v| v.low_passed.mean);
    let (with_grade, with_own) = (mean(grade_v), mean(own_v));
    // Keep the grade unless "no colour" is measurably closer (a NaN keeps the grade).
    let keep_grade = with_own.partial_cmp(&with_grade) != Some(std::cmp::Ordering::Less);
    if keep_grade {
        net.set_prior(lut);
    }
    ctx.log(format!(
        "train.prior = auto: validation ΔE00 at step 0 with the global grade {with_grade:.3}, with the input's own chroma {with_own:.3}: {}",
        if keep_grade { "the grade" } else { "the input's own chroma (the grade's colours are further from the reference than none)" }
    ));
    Ok(if keep_grade { grade_v } else { own_v })
}

/// The run folder a resume continues: the folder given, or the one holding the checkpoint file.
fn run_folder(from: &Path, ckpt: &Path) -> PathBuf {
    if from.is_dir() {
        from.to_path_buf()
    } else {
        ckpt.parent()
            .and_then(Path::parent)
            .unwrap_or(from)
            .to_path_buf()
    }
}

/// The step count a run settled on (its `train_setup.json`), for a resumed `auto` run.
fn decided_total(run: &Path) -> Option<u64> {
    let text = std::fs::read(run.join("artifacts/train_setup.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    // A run stopped before `auto` decided recorded only the placeholder count.
    if v.get("auto_pending").and_then(serde_json::Value::as_bool) == Some(true) {
        return None;
    }
    v.get("total_steps")?.as_u64()
}

/// ΔE00 of the network's render of each held-out frame against its target, pooled.
pub fn validate(
    net: &ChromaNet,
    frames: &[(i64, Image, Image)],
    device: Device,
    opts: &TileOptions,
    chroma_px: usize,
) -> anyhow::Result<Option<Validation>> {
    if frames.is_empty() {
        return Ok(None);
    }
    let (mut low, mut raw) = (Vec::new(), Vec::new());
    for (frame, input, target) in frames {
        let out = tiles::colorize(net, input, device, opts);
        let at = || format!("validation frame {frame}");
        raw.extend(quality::delta_e_values(&out, target).with_context(at)?);
        let (a, b) = (
            quality::area_average(&out, chroma_px),
            quality::area_average(target, chroma_px),
        );
        low.extend(quality::delta_e_values(&a, &b).with_context(at)?);
    }
    Ok(Some(Validation {
        low_passed: quality::stats(&mut low),
        raw: quality::stats(&mut raw),
    }))
}

/// Batch size from free memory: CPU training is compute-bound, so a small batch; on CUDA as
/// many crops as fit in half the free memory (estimated activations + gradients), at most 32.
pub fn auto_batch(device: Device, size: ModelSize, crop: i64) -> usize {
    let Device::Cuda(i) = device else { return 4 };
    let free = nvml_wrapper::Nvml::init()
        .ok()
        .and_then(|n| {
            n.device_by_index(i as u32)
                .ok()
                .and_then(|d| d.memory_info().ok())
        })
        .map(|m| m.free)
        .unwrap_or(8 << 30);
    let bytes_per_sample = (crop * crop) as u64 * 96 * size.base_width() as u64;
    ((free / 2) / bytes_per_sample.max(1)).clamp(1, 32) as usize
}

#[cfg(test)]
mod tests {
    use super::chroma_scale;

    #[test]
    fn auto_chroma_scale_keeps_the_network_at_least_as_fine_as_the_references_colour() {
        // A 0.6x 4:2:0 video transfer: colour samples 3.2 source pixels apart → half scale;
        // a 0.75x one (2.6 px with the telecine's overscan) too.
        assert_eq!(chroma_scale(0, Some(3.2)), 2);
        assert_eq!(chroma_scale(0, Some(2.0 / (0.75 * 1.04))), 2);
        // A reference of the scan's size, its scale measured a hair over 1 → half scale.
        assert_eq!(chroma_scale(0, Some(2.0 / 1.005)), 2);
        // Sharper than that (a larger reference) stays at full scale.
        assert_eq!(chroma_scale(0, Some(1.5)), 1);
        // A half-size transfer (4 px) → quarter scale; an SD transfer of a 4K scan (colour
        // every ~11 px) → 1/8, the most.
        assert_eq!(chroma_scale(0, Some(4.0)), 4);
        assert_eq!(chroma_scale(0, Some(3.9)), 2);
        assert_eq!(chroma_scale(0, Some(11.4)), 8);
        assert_eq!(chroma_scale(0, Some(100.0)), 8);
        // Unknown spacing: full scale; an explicit setting wins.
        assert_eq!(chroma_scale(0, None), 1);
        assert_eq!(chroma_scale(3, Some(3.2)), 3);
    }
}
