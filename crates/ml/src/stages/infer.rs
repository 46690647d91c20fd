//! Stage `infer`: apply a trained checkpoint to the source sequence (or `--frames A-B`) and
//! deliver `pipeline/04_inference_render/render.NNNN.<ext>` (source frame numbers) through the
//! shared `OutputSpec` (crop, colourspace, format). Output = source luma + predicted chroma.
//! Frames already rendered are skipped unless forced, so several processes can split a reel.

use super::curate::assumed_colorspace;
use super::output::OutputSpec;
use super::render::{self, RenderPlan};
use super::{Ctx, Outcome};
use crate::checkpoint;
use crate::project::{Project, layout};
use crate::tiles::{self, TileOptions};
use crate::trainer::{BEST_FILE, Best};
use anyhow::Context;
use serde_json::json;
use std::path::{Path, PathBuf};
use tinct_core::grade::luma_field::FrameWindow;

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let cfg = &ctx.config.infer;
    let spec = OutputSpec::from_config(cfg)?;
    let ckpt = resolve_checkpoint(&ctx.project, &cfg.checkpoint)?;
    let loaded = checkpoint::read(&ckpt)?;
    let device = crate::device::select(cfg.device)?;
    // Say the CPU thread count rather than inherit OpenMP's guess (physical cores, or whatever
    // OMP_NUM_THREADS a login shell left behind).
    let threads = match cfg.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    tch::set_num_threads(threads as i32);
    // The scale the network was trained at, unless the operator asks for another.
    let chroma_scale = match cfg.chroma_scale {
        0 => loaded.chroma_scale,
        n => n,
    };
    if chroma_scale > 1 {
        ctx.log(format!(
            "chroma corrected at 1/{chroma_scale} resolution and upsampled under the full-resolution source (infer.chroma-scale {}; trained at 1/{})",
            if cfg.chroma_scale == 0 { "0: the checkpoint's".to_string() } else { cfg.chroma_scale.to_string() },
            loaded.chroma_scale
        ));
    }
    ctx.log(format!(
        "checkpoint {} (step {}, {} model) on {}",
        ckpt.display(),
        loaded.step,
        loaded.size.id(),
        crate::device::describe(device)
    ));
    let (_vs, net) = loaded.network(device)?;
    let opts = TileOptions {
        tile: cfg.tile_size.max(64),
        overlap: cfg.tile_overlap,
        half: cfg.half,
        chroma_scale,
        place: None,
    };

    let pattern = &ctx.config.source.pattern;
    let (seq, frames) = ctx.source_frames()?;
    anyhow::ensure!(
        !frames.is_empty(),
        "no source frames to render (pattern {pattern}, range {:?})",
        ctx.frames
    );
    let assume = assumed_colorspace("source.colorspace", &ctx.config.source.colorspace)?;
    let curve = luma_fix(ctx)?;
    let guide = match tinct_core::stages::guide::ReferenceGuide::open(&ctx.project, &ctx.config) {
        Ok(g) => g,
        Err(e) => {
            ctx.log(format!(
                "warning: infer.guide = reference, but rendering without it: {e:#}"
            ));
            None
        }
    };
    match &guide {
        Some(g) => ctx.log(g.describe()),
        None => ctx.log("infer.guide: off (the network's colour alone)"),
    }
    if cfg.steady_frames > 1 {
        ctx.log(format!(
            "each frame's mean colour steadied over {} rendered frames (infer.steady-frames); {} frames held back",
            cfg.steady_frames,
            cfg.steady_frames / 2
        ));
    }

    let out_dir = ctx.project.path(layout::INFERENCE);
    let plan = RenderPlan {
        frames: &frames,
        spec: &spec,
        dir: &out_dir,
        stem: "render",
        force: ctx.force,
        writers: None,
        steady: Some(render::Steady {
            frames: cfg.steady_frames,
            sequence: &seq.frames,
        }),
    };
    // The luma correction and the reference's placement run on the reader thread with the
    // decode: per-pixel CPU work that would otherwise sit between the network's frames.
    let done = render::render(
        &plan,
        &ctx.cancel,
        |frame| {
            let src = render::read_source(&seq, frame, assume)?;
            let src = match &curve {
                Some(c) => c.apply(&src, FrameWindow::whole(&src), frame),
                None => src,
            };
            let placed = match &guide {
                Some(g) => g.prepare(frame, src.width, src.height)?,
                None => None,
            };
            Ok((src, placed))
        },
        |_, (src, placed)| {
            let mut out = tiles::colorize(&net, &src, device, &opts);
            if let (Some(g), Some(p)) = (&guide, &placed) {
                g.apply(&mut out, p)?;
            }
            Ok(out)
        },
        |p| {
            ctx.metric(json!({
                "frame": p.frame, "done": p.done, "total": p.total, "rendered": p.rendered, "skipped": p.skipped,
                "frames_per_s": p.frames_per_s(), "elapsed_s": p.elapsed_s, "eta_s": p.eta_s(),
            }))
        },
    )?;
    if done.cancelled {
        ctx.log(format!("cancelled after {} frames", done.written.len()));
    }
    ctx.log(done.times_line());
    if let Some(cost) = guide.as_ref().and_then(|g| g.decoding_cost()) {
        ctx.log(cost);
    }
    let (rendered, skipped, outputs) = (done.written.len(), done.skipped, done.written);
    let fps = rendered as f64 / done.times.wall_s.max(1e-9);
    Ok(Outcome {
        summary: format!(
            "rendered {rendered} frames ({skipped} already there) at {fps:.2} frames/s with {}",
            ckpt.display()
        ),
        outputs,
        metrics: json!({ "rendered": rendered, "skipped": skipped, "frames_per_s": fps, "checkpoint": ckpt, "step": loaded.step }),
    })
}

/// The luma correction the network was trained under (`train.luma`, in the prepared dataset's
/// manifest): every frame's luma goes through it before the chroma is predicted, exactly as the
/// training inputs and targets did.
fn luma_fix(ctx: &Ctx) -> anyhow::Result<Option<tinct_core::stages::prep::LumaFix>> {
    let path = tinct_core::stages::prep::prep_dir(&ctx.project.root).join(crate::dataset::MANIFEST);
    let Ok(manifest) = crate::dataset::PrepManifest::load(&path) else {
        ctx.log("luma: the source's, exactly (no prepared dataset manifest)");
        return Ok(None);
    };
    let fix = manifest.luma_fix(&ctx.project.root)?;
    match &fix {
        Some(f) => ctx.log(format!("luma: the source's, through {}", f.describe())),
        None => ctx.log("luma: the source's, exactly (train.luma = keep)"),
    }
    Ok(fix)
}

/// `infer.checkpoint` → a checkpoint file: empty = best of the latest train run; a file; or a
/// run folder (its `best.json`, else its newest checkpoint).
pub fn resolve_checkpoint(project: &Project, setting: &str) -> anyhow::Result<PathBuf> {
    if !setting.is_empty() {
        let p = project.path(setting);
        if p.is_file() {
            return Ok(p);
        }
        anyhow::ensure!(
            p.is_dir(),
            "config key infer.checkpoint: {} does not exist",
            p.display()
        );
        return best_of_run(project, &p).with_context(|| {
            format!(
                "config key infer.checkpoint: no checkpoint in {}",
                p.display()
            )
        });
    }
    let runs = project.runs_dir();
    let mut candidates: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&runs)
        .with_context(|| {
            format!(
                "{}: no runs yet (run `tinct run train` first)",
                runs.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|dir| {
            let t = std::fs::metadata(dir.join(BEST_FILE))
                .and_then(|m| m.modified())
                .ok()?;
            Some((t, dir))
        })
        .collect();
    candidates.sort();
    let (_, dir) = candidates.pop().with_context(|| {
        format!(
            "no trained checkpoint in {} (run `tinct run train` first or set infer.checkpoint)",
            runs.display()
        )
    })?;
    best_of_run(project, &dir)
        .with_context(|| format!("{}: no checkpoint in this run", dir.display()))
}

fn best_of_run(project: &Project, dir: &Path) -> Option<PathBuf> {
    let best: Option<Best> = std::fs::read(dir.join(BEST_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    match best {
        Some(b) => Some(project.path(b.checkpoint)),
        None => checkpoint::latest_in(&dir.join("artifacts")),
    }
}
