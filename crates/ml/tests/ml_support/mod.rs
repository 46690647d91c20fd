//! Shared fixtures for the ml_* tests: a temporary project with an aligned dataset written the
//! way the alignment stage writes it (`pipeline/02_alignment/src|ref.NNNN.exr` +
//! `manifest.json`), a monochrome source made from synthetic colour frames.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tinct_ml::media::{self, Image, WriteOptions};
use tinct_ml::project::{Config, Project};
use tinct_ml::stages::Ctx;

pub const W: usize = 96;
pub const H: usize = 80;

/// A colour frame whose colour follows from what the scan shows (shadows blue, mid-tones green,
/// highlights red, as in a lit scene), so a network can learn it from the monochrome scan.
pub fn colour_frame(frame: i64, w: usize, h: usize) -> Image {
    Image::from_fn_rgb(w, h, |x, y| {
        let t = frame as f32 * 0.37;
        let tex = 0.5 + 0.5 * ((x as f32 * 0.13 + t).sin() * (y as f32 * 0.11).cos());
        let v = 0.03 + 0.6 * tex;
        if v < 0.2 {
            [v * 0.4, v * 0.8, v * 2.5]
        } else if v < 0.4 {
            [v * 0.5, v * 1.25, v * 0.6]
        } else {
            [v * 1.6, v * 0.8, v * 0.5]
        }
    })
}

/// Monochrome version: Rec.709 luminance in all three channels.
pub fn monochrome(img: &Image) -> Image {
    let mut out = img.clone();
    for p in out.data.chunks_exact_mut(3) {
        let y = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
        p.fill(y);
    }
    out
}

pub fn float_exr() -> WriteOptions {
    WriteOptions {
        half: false,
        bits: 32,
        ..WriteOptions::default()
    }
}

/// A project with `frames` aligned pairs and the source sequence under `footage/`.
pub fn project(dir: &Path, frames: &[i64]) -> Project {
    let align = dir.join("pipeline/02_alignment");
    let mut pairs = Vec::new();
    for &f in frames {
        let colour = colour_frame(f, W, H);
        let mono = monochrome(&colour);
        media::write(&align.join(format!("src.{f:04}.exr")), &mono, &float_exr()).unwrap();
        media::write(
            &align.join(format!("ref.{f:04}.exr")),
            &colour,
            &float_exr(),
        )
        .unwrap();
        media::write(
            &dir.join(format!("footage/scan.{f:04}.exr")),
            &mono,
            &float_exr(),
        )
        .unwrap();
        pairs.push(serde_json::json!({
            "frame": f, "source": format!("pipeline/02_alignment/src.{f:04}.exr"),
            "reference": format!("pipeline/02_alignment/ref.{f:04}.exr"), "model": "affine",
            "matrix": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], "confidence": 0.99,
            "residual": 0.001, "flagged": false, "override": null,
        }));
    }
    let manifest = serde_json::json!({ "crop": [0, 0, W, H], "pairs": pairs });
    std::fs::write(
        align.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let mut config = Config::default();
    config.source.pattern = "footage/scan.%04d.exr".into();
    config.prep.validation = 1;
    let t = &mut config.train;
    t.steps = tinct_core::project::config::Steps::Count(30);
    t.crop_size = 64;
    t.batch_size = 4;
    t.model = tinct_ml::project::config::ModelSize::Small;
    t.device = tinct_ml::project::config::Device::Cpu;
    // These fixtures check that the source luma survives exactly (`keep`); `tone` has its own
    // tests.
    t.luma = tinct_ml::project::config::LumaMode::Keep;
    t.lr = 3e-3;
    t.warmup_steps = 0;
    t.checkpoint_interval = 15;
    t.contact_sheet_interval = 10;
    config.infer.device = tinct_ml::project::config::Device::Cpu;
    config.infer.format = tinct_ml::project::config::OutputFormat::Exr;
    config.infer.colorspace = tinct_ml::color::Colorspace::LinearRec709;
    Project {
        root: dir.to_path_buf(),
        config,
    }
}

/// A fresh run folder `runs/<name>` and its context.
pub fn ctx(project: &Project, name: &str) -> Ctx {
    let run_dir: PathBuf = project.runs_dir().join(name);
    Ctx::new(project.clone(), project.config.clone(), run_dir).unwrap()
}

/// Every JSON line of a run's metrics.
pub fn metrics(ctx: &Ctx) -> Vec<serde_json::Value> {
    std::fs::read_to_string(ctx.run_dir.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
