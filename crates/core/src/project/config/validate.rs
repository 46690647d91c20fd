//! Checks of the effective config that serde's types cannot express (ranges, names, a crop that
//! must lie inside the source), run when a job is prepared (`jobs::prepare`), before any run
//! folder exists: a bad value is one error naming its key, not a job that fails minutes later.
//! Each stage is checked on the keys it reads.

use super::Config;
use crate::stages::Stage;
use anyhow::ensure;
use std::path::Path;

/// Check `config` for `stage`; `root` resolves the source pattern (for `infer.crop`).
pub fn check(config: &Config, stage: Stage, root: &Path) -> anyhow::Result<()> {
    match stage {
        Stage::Train => train(config),
        Stage::Infer => {
            let i = &config.infer;
            ensure!(
                i.chroma_scale <= MAX_CHROMA_SCALE,
                "config key infer.chroma-scale: {} (0 = the checkpoint's, 1 = full resolution, up to {MAX_CHROMA_SCALE})",
                i.chroma_scale
            );
            ensure!(
                (1..=MAX_GUIDE_FRAMES).contains(&i.guide_frames),
                "config key infer.guide-frames: {} (1 = each frame's own reference, up to {MAX_GUIDE_FRAMES})",
                i.guide_frames
            );
            ensure!(
                (1..=MAX_GUIDE_FRAMES).contains(&i.steady_frames),
                "config key infer.steady-frames: {} (1 = each frame alone, up to {MAX_GUIDE_FRAMES})",
                i.steady_frames
            );
            ensure!(
                i.tile_size >= 64,
                "config key infer.tile-size: {} (at least 64)",
                i.tile_size
            );
            output(config, root)
        }
        Stage::Matchgrade => output(config, root),
        Stage::Sync | Stage::Curate => match config.reference.anchor.trim() {
            "" => Ok(()),
            a => crate::project::reference::parse_anchor(a)
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("config key reference.anchor '{a}': {e:#}")),
        },
        _ => Ok(()),
    }
}

/// The widest `infer.guide-frames` / `infer.steady-frames` window (a second of film either side).
pub const MAX_GUIDE_FRAMES: usize = 49;

/// The coarsest `train.chroma-scale` / `infer.chroma-scale`.
pub const MAX_CHROMA_SCALE: usize = 8;

fn train(c: &Config) -> anyhow::Result<()> {
    let t = &c.train;
    ensure!(
        t.steps != super::Steps::Count(0) || t.epochs >= 1,
        "config key train.steps: 0 (at least 1, \"auto\", or set train.epochs)"
    );
    ensure!(
        t.auto_minutes > 0.0 && t.auto_minutes.is_finite(),
        "config key train.auto-minutes: {} (more than 0)",
        t.auto_minutes
    );
    ensure!(
        (16..=4096).contains(&t.crop_size),
        "config key train.crop-size: {} (16 to 4096 pixels)",
        t.crop_size
    );
    ensure!(
        t.lr.is_finite() && t.lr > 0.0,
        "config key train.lr: {} (a learning rate > 0)",
        t.lr
    );
    ensure!(
        t.chroma_scale <= MAX_CHROMA_SCALE,
        "config key train.chroma-scale: {} (0 = auto, 1 = full resolution, up to {MAX_CHROMA_SCALE})",
        t.chroma_scale
    );
    ensure!(
        t.checkpoint_interval >= 1,
        "config key train.checkpoint-interval: 0 (at least 1 step)"
    );
    for (key, v) in [
        ("train.jitter-exposure", t.jitter_exposure),
        ("train.jitter-grade", t.jitter_grade),
    ] {
        ensure!(
            v.is_finite() && v >= 0.0,
            "config key {key}: {v} (0 or more)"
        );
    }
    Ok(())
}

/// The render output settings, and a crop that fits the source's first frame.
fn output(c: &Config, root: &Path) -> anyhow::Result<()> {
    let spec = crate::stages::output::OutputSpec::from_config(&c.infer)?;
    let Some([x, y, w, h]) = spec.crop else {
        return Ok(());
    };
    let pattern = root.join(&c.source.pattern);
    // No source yet is the stage's own error to give, with the pattern; only check a real one.
    let Ok(seq) = crate::media::Sequence::discover(&pattern) else {
        return Ok(());
    };
    let Some(&first) = seq.frames.first() else {
        return Ok(());
    };
    let frame = seq.path(first);
    let info = crate::media::probe(&frame)?;
    ensure!(
        x + w <= info.width && y + h <= info.height,
        "config key infer.crop [{x}, {y}, {w}, {h}] lies outside the {}x{} source ({})",
        info.width,
        info.height,
        frame.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(c: &Config, stage: Stage) -> String {
        check(c, stage, Path::new("/nonexistent"))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_defaults_pass_for_every_stage() {
        let c = Config::default();
        for stage in [Stage::Train, Stage::Infer, Stage::Matchgrade, Stage::Prep] {
            check(&c, stage, Path::new("/nonexistent")).unwrap();
        }
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let mut c = Config::default();
        c.train.steps = crate::project::config::Steps::Count(0);
        assert!(refused(&c, Stage::Train).contains("train.steps"));
        let mut c = Config::default();
        c.train.crop_size = 8;
        assert!(refused(&c, Stage::Train).contains("train.crop-size"));
        let mut c = Config::default();
        c.infer.chroma_scale = 9;
        assert!(refused(&c, Stage::Infer).contains("infer.chroma-scale"));
        let mut c = Config::default();
        c.train.chroma_scale = 16;
        assert!(refused(&c, Stage::Train).contains("train.chroma-scale"));
        let mut c = Config::default();
        c.infer.guide_frames = 0;
        assert!(refused(&c, Stage::Infer).contains("infer.guide-frames"));
        let mut c = Config::default();
        c.infer.steady_frames = 50;
        assert!(refused(&c, Stage::Infer).contains("infer.steady-frames"));
    }
}
