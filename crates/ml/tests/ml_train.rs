//! Training on a tiny synthetic reel (CPU, seconds): the loss falls, outputs land where the
//! console expects them, resume continues the same curve, cancellation saves a checkpoint.

mod ml_support;

use ml_support::*;
use std::sync::atomic::Ordering;
use tinct_ml::checkpoint;
use tinct_ml::stages::{prep, train};
use tinct_ml::trainer::{self, BEST_FILE};

fn prepared(frames: &[i64]) -> (tempfile::TempDir, tinct_ml::project::Project) {
    let dir = tempfile::tempdir().unwrap();
    let p = project(dir.path(), frames);
    prep::run(&ctx(&p, "prep")).unwrap();
    (dir, p)
}

#[test]
fn prep_writes_pairs_and_holds_out_validation() {
    let (dir, _p) = prepared(&[1, 2, 3, 4]);
    let m = tinct_ml::dataset::PrepManifest::load(
        &dir.path()
            .join("pipeline/03_copycat_training/prep/manifest.json"),
    )
    .unwrap();
    assert_eq!(m.pairs.len(), 4);
    assert_eq!(m.pairs.iter().filter(|p| p.validation).count(), 1);
    for p in &m.pairs {
        assert!(dir.path().join(&p.input).exists() && dir.path().join(&p.target).exists());
    }
}

#[test]
fn tiny_training_lowers_the_loss_and_writes_its_outputs() {
    let (_dir, p) = prepared(&[1, 2, 3, 4]);
    let mut c = ctx(&p, "train");
    c.config.train.steps = tinct_core::project::config::Steps::Count(60);
    c.config.train.checkpoint_interval = 30;
    // The network alone must learn: no grade prior to start from.
    c.config.train.prior = tinct_ml::project::config::Prior::None;
    let out = train::run(&c).unwrap();
    assert!(out.summary.contains("step 60/60"), "{}", out.summary);
    let m = metrics(&c);
    let losses: Vec<f64> = m.iter().filter_map(|r| r["loss"].as_f64()).collect();
    assert!(losses.len() >= 3, "{m:?}");
    assert!(
        losses.last().unwrap() < &(losses[0] * 0.85),
        "loss did not fall: {losses:?}"
    );
    let first = m.iter().find(|r| r.get("loss").is_some()).unwrap();
    for key in ["step", "lr", "images_per_s", "elapsed_s", "eta_s"] {
        assert!(first.get(key).is_some(), "metrics lack '{key}': {first}");
    }
    let val: Vec<_> = m
        .iter()
        .filter(|r| r.get("val_de00_mean").is_some())
        .collect();
    let val_steps: Vec<_> = val.iter().filter_map(|r| r["step"].as_u64()).collect();
    assert_eq!(
        val_steps,
        [0, 30, 60],
        "validation before training and at checkpoints"
    );
    assert!(val[0]["val_de00_p95"].as_f64().unwrap() >= val[0]["val_de00_mean"].as_f64().unwrap());
    let art = c.artifacts();
    for f in [
        "checkpoint.0000030.safetensors",
        "checkpoint.0000060.safetensors",
        "contact.0000010.png",
        "contact.0000030.png",
        "train_setup.json",
    ] {
        assert!(art.join(f).exists(), "missing {f}");
    }
    let best: trainer::Best =
        serde_json::from_slice(&std::fs::read(c.run_dir.join(BEST_FILE)).unwrap()).unwrap();
    // Best is the checkpoint with the lowest held-out ΔE00 (step 0 = the prior alone counts).
    let lowest = val
        .iter()
        .min_by(|a, b| {
            a["val_de00_mean"]
                .as_f64()
                .partial_cmp(&b["val_de00_mean"].as_f64())
                .unwrap()
        })
        .unwrap();
    assert_eq!(Some(best.step), lowest["step"].as_u64(), "{val:?}");
    assert!(art.join("checkpoint.0000000.safetensors").exists());
    let sheet = image::open(art.join("contact.0000010.png")).unwrap();
    assert_eq!((sheet.width(), sheet.height()), (3 * 64, 4 * 64));
}

/// Held-out ΔE00 before the first step (what the prior alone gives).
fn start_de00(p: &tinct_ml::project::Project, prior: tinct_ml::project::config::Prior) -> f64 {
    let name = match prior {
        tinct_ml::project::config::Prior::Lut => "prior-lut",
        tinct_ml::project::config::Prior::Auto => "prior-auto",
        tinct_ml::project::config::Prior::None => "prior-none",
    };
    let mut c = ctx(p, name);
    c.config.train.steps = tinct_core::project::config::Steps::Count(1);
    c.config.train.prior = prior;
    c.config.matchgrade.lut_size = 17;
    trainer::train(&c, None).unwrap();
    metrics(&c)
        .iter()
        .find(|r| r["step"].as_u64() == Some(0))
        .and_then(|r| r["val_de00_mean"].as_f64())
        .expect("a step-0 validation record")
}

#[test]
fn the_grade_prior_starts_training_from_the_global_grade() {
    // The reel's colour follows from its density (shadows blue, highlights red): a global grade
    // fitted on the training pairs recovers most of it before the network has learnt anything.
    let (_dir, p) = prepared(&[1, 2, 3, 4]);
    let none = start_de00(&p, tinct_ml::project::config::Prior::None);
    let lut = start_de00(&p, tinct_ml::project::config::Prior::Lut);
    assert!(
        lut < none * 0.5,
        "held-out ΔE00 at step 0: no prior {none:.2}, LUT prior {lut:.2}"
    );
    // The prior travels with the checkpoint: a render from it matches the step-0 network.
    let ck = checkpoint::read(&checkpoint::path_for(&ctx(&p, "prior-lut").artifacts(), 1)).unwrap();
    assert_eq!(ck.prior_nodes().unwrap(), 17);
    // `auto` measures both starts on the validation frames and keeps the closer one: here the
    // grade, so its step 0 is the LUT prior's.
    let auto = start_de00(&p, tinct_ml::project::config::Prior::Auto);
    assert!((auto - lut).abs() < 1e-9, "auto {auto} vs LUT {lut}");
    let log = std::fs::read_to_string(ctx(&p, "prior-auto").run_dir.join("log.txt")).unwrap();
    assert!(
        log.contains("train.prior = auto") && log.contains(": the grade"),
        "{log}"
    );
}

#[test]
fn resume_continues_the_same_curve() {
    let (_dir, mut p) = prepared(&[1, 2, 3]);
    // Two independent runs are compared, so each would fit its own grade prior, and the LUT
    // fit's parallel sums are not bit-reproducible; Adam turns such 1e-7 differences into
    // lr-sized steps. A resume itself never refits (the prior comes from the checkpoint), so
    // this test uses the identity prior and compares the optimiser path alone.
    p.config.train.prior = tinct_ml::project::config::Prior::None;
    // The other tests of this binary train on their own threads at the same time; with
    // libtorch's intra-op pool shared between them a reduction can be split differently from
    // one run to the next (seen once under load: an Adam moment off by 1e-3). One intra-op
    // thread makes every op run on its caller's thread, in one order.
    tch::set_num_threads(1);
    // 15 steps, then resume to 30 in a new run folder.
    let mut first = ctx(&p, "first");
    first.config.train.steps = tinct_core::project::config::Steps::Count(15);
    // Same schedule as the straight run: the schedule's length is the total, not this leg.
    first.config.train.lr_schedule = tinct_ml::project::config::LrSchedule::Constant;
    let mut straight_const = ctx(&p, "straight-const");
    straight_const.config.train.lr_schedule = tinct_ml::project::config::LrSchedule::Constant;
    trainer::train(&straight_const, None).unwrap();
    trainer::train(&first, None).unwrap();
    let mut second = ctx(&p, "second");
    second.config.train.lr_schedule = tinct_ml::project::config::LrSchedule::Constant;
    let r = trainer::train(&second, Some(&first.run_dir)).unwrap();
    assert_eq!(r.steps_done, 30);
    let steps: Vec<u64> = metrics(&second)
        .iter()
        .filter_map(|m| m["step"].as_u64())
        .collect();
    assert!(
        steps[0] > 15,
        "resumed run restarted its step count: {steps:?}"
    );

    let mid = checkpoint::read(&checkpoint::path_for(&first.artifacts(), 15)).unwrap();
    assert_eq!(
        mid.tensors["adam.t"].int64_value(&[0]),
        15,
        "optimizer step saved"
    );
    assert!(
        mid.tensors.keys().any(|k| k.starts_with("adam.m."))
            && mid.tensors.keys().any(|k| k.starts_with("adam.v."))
    );
    let resumed = checkpoint::read(&checkpoint::path_for(&second.artifacts(), 30)).unwrap();
    let reference =
        checkpoint::read(&checkpoint::path_for(&straight_const.artifacts(), 30)).unwrap();
    assert_eq!(resumed.tensors["adam.t"].int64_value(&[0]), 30);
    // Same data order, same optimiser state: the resumed weights match the uninterrupted run.
    for (k, v) in &reference.tensors {
        if k.starts_with("net.") || k.starts_with("adam.") {
            let d = (v - &resumed.tensors[k]).abs().max().double_value(&[]);
            assert!(d < 1e-4, "{k} differs by {d} after resume");
        }
    }
}

#[test]
fn cancellation_saves_a_checkpoint() {
    let (_dir, p) = prepared(&[1, 2, 3]);
    let mut c = ctx(&p, "cancel");
    c.config.train.steps = tinct_core::project::config::Steps::Count(1_000_000);
    c.config.train.checkpoint_interval = 1_000_000;
    let flag = c.cancel.clone();
    let metrics_file = c.run_dir.join("metrics.jsonl");
    // Cancel once training is under way (the first loss record), as an operator would.
    let t = std::thread::spawn(move || {
        let started = std::time::Instant::now();
        while started.elapsed().as_secs() < 300 {
            let text = std::fs::read_to_string(&metrics_file).unwrap_or_default();
            if text.contains("\"loss\"") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        flag.store(true, Ordering::Relaxed);
    });
    let r = trainer::train(&c, None).unwrap();
    t.join().unwrap();
    assert!(
        r.cancelled && r.steps_done > 0 && r.steps_done < 1_000_000,
        "{r:?}"
    );
    let ck = r.last_checkpoint.expect("a checkpoint on cancel");
    assert_eq!(checkpoint::read(&ck).unwrap().step, r.steps_done);
}

#[test]
fn a_training_that_does_not_beat_step_0_says_so() {
    let (_dir, mut p) = prepared(&[1, 2, 3]);
    let t = &mut p.config.train;
    // A learning rate far too high: every checkpoint validates worse than the grade prior.
    t.lr = 0.5;
    t.warmup_steps = 0;
    t.steps = tinct_core::project::config::Steps::Count(12);
    t.checkpoint_interval = 4;
    t.patience = 2;
    let c = ctx(&p, "stale");
    let r = train::run(&c).unwrap();
    let log = std::fs::read_to_string(c.run_dir.join("log.txt")).unwrap();
    assert_eq!(r.metrics["best"]["step"].as_u64(), Some(0), "{log}");
    assert!(
        log.contains("validation has not improved on step 0 (the grade prior alone) for 2"),
        "{log}"
    );
    assert_eq!(log.matches("torch device:").count(), 1, "{log}");
}

#[test]
fn steps_auto_on_a_cpu_fits_the_time_budget_and_says_what_it_chose() {
    let (_dir, p) = prepared(&[1, 2, 3, 4]);
    let mut c = ctx(&p, "auto");
    c.config.train.steps = tinct_core::project::config::Steps::Auto;
    // A budget far below one probe's worth: the floor, whatever this machine's speed.
    c.config.train.auto_minutes = 1e-4;
    c.config.train.checkpoint_interval = 1000;
    c.config.train.crop_size = 32;
    let out = train::run(&c).unwrap();
    let floor = tinct_core::project::config::Steps::AUTO_MIN;
    assert!(
        out.summary.contains(&format!("step {floor}/{floor}")),
        "{}",
        out.summary
    );
    let log = std::fs::read_to_string(c.run_dir.join("log.txt")).unwrap_or_default();
    assert!(
        log.contains(&format!("train.steps = auto: {floor} steps")),
        "the log must say what auto chose:\n{log}"
    );
    // What it chose is on record, so a resume keeps it.
    let setup: serde_json::Value = serde_json::from_slice(
        &std::fs::read(c.run_dir.join("artifacts/train_setup.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(setup["total_steps"].as_u64(), Some(floor));
    assert_eq!(setup["auto_pending"].as_bool(), Some(false));
}

#[test]
fn a_network_trained_at_half_scale_is_validated_and_rendered_at_it() {
    let (_dir, p) = prepared(&[1, 2, 3]);
    let mut c = ctx(&p, "train");
    c.config.train.steps = tinct_core::project::config::Steps::Count(20);
    c.config.train.checkpoint_interval = 20;
    c.config.train.chroma_scale = 2;
    train::run(&c).unwrap();
    let setup: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.artifacts().join("train_setup.json")).unwrap())
            .unwrap();
    // The crop is the same picture area (64 source pixels) at half the pixels.
    assert_eq!(setup["chroma_scale"].as_u64(), Some(2), "{setup}");
    assert_eq!(setup["crop_size"].as_u64(), Some(32), "{setup}");
    let sheet = image::open(c.artifacts().join("contact.0000010.png")).unwrap();
    assert_eq!(sheet.width(), 3 * 32);
    let ck = checkpoint::latest_in(&c.artifacts()).unwrap();
    assert_eq!(checkpoint::read(&ck).unwrap().chroma_scale, 2);

    // Inference follows the checkpoint unless told otherwise, and says so.
    let ic = ctx(&p, "infer");
    tinct_ml::stages::infer::run(&ic).unwrap();
    let log = std::fs::read_to_string(ic.run_dir.join("log.txt")).unwrap();
    assert!(log.contains("chroma corrected at 1/2 resolution"), "{log}");
    assert!(log.contains("trained at 1/2"), "{log}");
}
