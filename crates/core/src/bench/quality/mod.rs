//! `tinct bench quality`: the whole pipeline, headless, with the operator's defaults, on cases
//! made from real footage (the embedded CC0 panoramas, through the demo generator), scored
//! against the clean truth on shots the training never saw, and separately on the unseen frames
//! of the shots it did see. Source, MatchGrade and the ML render side by side.
//!
//! Why held-out *shots*: an archive trains on a few frames and renders the whole reel; most of
//! the reel is shots nobody picked frames from. A model that only memorises its training shots
//! looks good on their other frames and fails there, so the two are reported apart.
//!
//! Every case is seeded, generated once into `~/.cache/tinct/bench-quality/CASE-sSEED` (with
//! `-xSCALE-oOFFSET` appended for another reference geometry, [`ReferenceGeometry`]), and its
//! pipeline re-run from `sync` on every invocation (so the figures are today's code).

mod cases;
mod score;

pub use cases::{Case, CaseSplit, ReferenceGeometry};
pub use score::{Scores, VariantScore};

use crate::demo;
use crate::jobs;
use crate::ops::{self, Launch};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to run.
#[derive(Clone, Debug)]
pub struct QualityOpts {
    pub cases: Vec<Case>,
    pub seed: u64,
    /// Fewer, cheaper training steps (a smoke run, not the acceptance figures).
    pub quick: bool,
    /// Extra `--set` overrides for every stage (e.g. `train.luma=keep`, to compare recipes).
    pub sets: Vec<String>,
    /// Where cases are cached (default `~/.cache/tinct/bench-quality`).
    pub cache: Option<PathBuf>,
    /// Score the renders already in each case's folder; run no stage.
    pub rescore: bool,
    /// The reference's size and offset the cases are generated with.
    pub reference: ReferenceGeometry,
}

/// One case's result: per-stage wall time and the scores.
#[derive(Debug, serde::Serialize)]
pub struct CaseResult {
    pub case: Case,
    pub reference: ReferenceGeometry,
    pub dir: PathBuf,
    pub split: CaseSplit,
    pub stage_seconds: Vec<(String, f64)>,
    pub held_out_shots: Scores,
    pub unseen_frames: Scores,
    /// Validation ΔE00 at step 0 and at the best and last checkpoints (from the train log).
    pub validation: Option<ValidationCurve>,
}

#[derive(Debug, serde::Serialize)]
pub struct ValidationCurve {
    pub step0: f64,
    pub best: f64,
    pub best_step: u64,
    pub last: f64,
    /// Per-pixel ΔE00 (before the low-pass to the reference's chroma) at step 0 and last.
    pub raw_step0: Option<f64>,
    pub raw_last: Option<f64>,
}

impl CaseResult {
    /// Wall time of the training stage, in seconds (0 when it did not run).
    pub fn train_seconds(&self) -> f64 {
        self.stage_seconds
            .iter()
            .find(|(s, _)| s == "train")
            .map_or(0.0, |(_, t)| *t)
    }
}

/// Run every case and print its table; returns the results (for `--json` and tests).
pub fn run(opts: &QualityOpts) -> anyhow::Result<Vec<CaseResult>> {
    let cache = match &opts.cache {
        Some(c) => c.clone(),
        None => default_cache()?,
    };
    let mut results = Vec::new();
    for &case in &opts.cases {
        let r = run_case(case, opts, &cache)?;
        print_case(&r);
        results.push(r);
    }
    print_acceptance(&results);
    Ok(results)
}

fn default_cache() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or_else(|| anyhow::anyhow!("HOME is not set"))?;
    Ok(PathBuf::from(home).join(".cache/tinct/bench-quality"))
}

/// Overrides a quick run adds: a small model for few steps (minutes on 2 cores).
const QUICK_SETS: &[&str] = &[
    "train.steps=400",
    "train.model=small",
    "train.crop-size=128",
    "train.checkpoint-interval=100",
];

fn run_case(case: Case, opts: &QualityOpts, cache: &Path) -> anyhow::Result<CaseResult> {
    let dir = cache.join(opts.reference.folder(case, opts.seed));
    let truth = cases::ensure_generated(case, opts.seed, opts.reference, &dir)?;
    let split = cases::split(&truth, opts.seed);
    if opts.rescore {
        return rescore_case(case, opts, dir, truth, split);
    }
    cases::reset_pipeline(&dir, &truth)?;
    let mut sets = opts.sets.clone();
    if opts.quick {
        sets.extend(QUICK_SETS.iter().map(|s| s.to_string()));
    }
    println!(
        "\n== {} (seed {}{}): {} ==\n   training frames {:?}, validation {:?}, held-out shots {:?}",
        case.id(),
        opts.seed,
        opts.reference.describe(),
        case.describe(),
        split.train_frames,
        split.validation_frames,
        split.held_out_shots
    );
    let curate_sets = [
        format!("curate.frames={:?}", split.train_frames),
        format!("curate.validation={:?}", split.validation_frames),
    ];
    let mut stage_seconds = Vec::new();
    let mut train_job = None;
    // suggest finds the shots (the curated frames are the case's own): a reference graded shot
    // by shot is taken back with them (`stages::guide::regrade`).
    for stage in [
        "sync",
        "suggest",
        "curate",
        "align",
        "prep",
        "train",
        "infer",
        "matchgrade",
    ] {
        let mut stage_sets = sets.clone();
        if stage == "curate" {
            stage_sets.extend(curate_sets.iter().cloned());
        }
        let t = Instant::now();
        let id = run_stage(&dir, stage, &stage_sets)?;
        let secs = t.elapsed().as_secs_f64();
        println!("   {stage:<10} {secs:7.1} s");
        stage_seconds.push((stage.to_string(), secs));
        if stage == "train" {
            train_job = Some(id);
        }
    }
    let project = crate::project::open(Some(&dir), &sets)?;
    let (held_out_shots, unseen_frames) = score::score_case(&project, &truth, &split)?;
    let validation =
        train_job.and_then(|id| validation_curve(&jobs::record::run_dir_of(&dir, &id)));
    Ok(CaseResult {
        case,
        reference: opts.reference,
        dir,
        split,
        stage_seconds,
        held_out_shots,
        unseen_frames,
        validation,
    })
}

/// Score what the last full run of the case left (its renders and its last training job).
fn rescore_case(
    case: Case,
    opts: &QualityOpts,
    dir: PathBuf,
    truth: demo::DemoTruth,
    split: CaseSplit,
) -> anyhow::Result<CaseResult> {
    println!(
        "\n== {} (seed {}{}, rescored: the renders of its last run) ==",
        case.id(),
        opts.seed,
        opts.reference.describe()
    );
    let project = crate::project::open(Some(&dir), &opts.sets)?;
    let (held_out_shots, unseen_frames) = score::score_case(&project, &truth, &split)?;
    let mut runs: Vec<String> = std::fs::read_dir(dir.join("runs"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.contains("-train-"))
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    let validation = runs
        .last()
        .and_then(|id| validation_curve(&jobs::record::run_dir_of(&dir, id)));
    Ok(CaseResult {
        case,
        reference: opts.reference,
        dir,
        split,
        stage_seconds: Vec::new(),
        held_out_shots,
        unseen_frames,
        validation,
    })
}

/// Launch one stage as the operator's console would, wait for it, fail with its log's tail.
fn run_stage(dir: &Path, stage: &str, sets: &[String]) -> anyhow::Result<String> {
    let launch = Launch {
        stage: stage.into(),
        sets: sets.to_vec(),
        force: true,
        ..Launch::default()
    };
    let id = ops::launch(dir, &launch)?;
    let job = jobs::wait(dir, &id)?;
    if jobs::exit_code_of(&job) != 0 {
        let log = std::fs::read_to_string(job.run_dir.join("log.txt")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(8).collect();
        anyhow::bail!(
            "{}: stage {stage} (job {id}) failed:\n{}",
            dir.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(id)
}

/// Validation ΔE00 per checkpoint, from the training job's metrics.
fn validation_curve(run_dir: &Path) -> Option<ValidationCurve> {
    let points: Vec<(u64, f64, Option<f64>)> = jobs::metrics::read_all(run_dir)
        .iter()
        .map(jobs::metrics::Record::read)
        .filter_map(|r| Some((r.step?, r.val_de00_mean?, r.val_de00_raw_mean)))
        .collect();
    let (_, step0, raw_step0) = *points.iter().find(|(s, ..)| *s == 0)?;
    let (best_step, best, _) = points.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let (_, last, raw_last) = *points.last()?;
    Some(ValidationCurve {
        step0,
        best,
        best_step,
        last,
        raw_step0,
        raw_last,
    })
}

fn print_case(r: &CaseResult) {
    for (label, s) in [
        ("held-out shots", &r.held_out_shots),
        ("unseen frames of trained shots", &r.unseen_frames),
    ] {
        println!("   {label} ({} frames):", s.frames);
        println!(
            "     {:<11} {:>9} {:>7} {:>13} {:>8} {:>8} {:>9}",
            "variant", "ΔE00 mean", "p95", "print levels", "colour", "flicker", "detail r"
        );
        for v in &s.variants {
            println!(
                "     {:<11} {:>9.2} {:>7.2} {:>13.2} {:>8.2} {:>8.2} {:>9}",
                v.name,
                v.de00_mean,
                v.de00_p95,
                v.de00_mean_print_levels,
                v.colourfulness_ratio,
                v.flicker_ratio,
                v.detail_r.map_or("-".into(), |r| format!("{r:.3}"))
            );
        }
        for v in s.variants.iter().filter(|v| v.name != "source") {
            let shots: Vec<String> = v
                .shot_bias
                .iter()
                .map(|b| {
                    format!(
                        "shot {} ({:+.1} {:+.1} {:+.1})",
                        b.shot, b.lab[0], b.lab[1], b.lab[2]
                    )
                })
                .collect();
            println!(
                "     {:<11} mean ΔL* Δa* Δb* per shot: {}",
                v.name,
                shots.join(", ")
            );
        }
        if let Some(ratio) = s.ml_over_matchgrade() {
            println!("     ML / MatchGrade ΔE00 mean: {ratio:.2}");
        }
    }
    if let Some(v) = &r.validation {
        let raw = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.3}"));
        println!(
            "   validation ΔE00 (at the reference's chroma resolution): step 0 {:.3}, best {:.3} at step {}, last {:.3}; per pixel: step 0 {}, last {}",
            v.step0,
            v.best,
            v.best_step,
            v.last,
            raw(v.raw_step0),
            raw(v.raw_last)
        );
    }
    println!("   training wall time {:.1} min", r.train_seconds() / 60.0);
}

/// The issue's acceptance lines, checked on what was measured.
fn print_acceptance(results: &[CaseResult]) {
    let mark = |ok: bool| if ok { "ok" } else { "NOT MET" };
    println!("\n== acceptance ==");
    for r in results {
        let ratio = r.held_out_shots.ml_over_matchgrade().unwrap_or(f64::NAN);
        let goal = r.case.ratio_goal();
        let val = r
            .validation
            .as_ref()
            .map_or("no validation".to_string(), |v| {
                format!(
                    "validation step 0 {:.3} → last {:.3} {}",
                    v.step0,
                    v.last,
                    mark(v.last < v.step0)
                )
            });
        println!(
            "   {:<7} held-out ML/MatchGrade {ratio:.2} (goal ≤ {goal}) {}; {val}",
            r.case.id(),
            mark(ratio <= goal)
        );
        if let Some(ml) = r.held_out_shots.get("ml") {
            println!(
                "           ML colourfulness {:.2} (0.9–1.1) {}; flicker {:.2} (≤ 1.2) {}; detail r {} (≥ 0.99)",
                ml.colourfulness_ratio,
                mark((0.9..=1.1).contains(&ml.colourfulness_ratio)),
                ml.flicker_ratio,
                mark(ml.flicker_ratio <= 1.2),
                ml.detail_r.map_or("-".into(), |d| format!("{d:.3}"))
            );
        }
        let train = r.train_seconds();
        println!(
            "           training {:.1} min (≤ 10 on a CPU) {}",
            train / 60.0,
            mark(train <= 600.0)
        );
    }
}
