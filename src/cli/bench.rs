//! `tinct bench NAME`: measurements printed as ratios against a named peer run side by side.

use super::Global;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Run a benchmark against its peer (io, align, ml, grade, guide, jobs, console, quality, render, farm, startup).
    Bench {
        /// Which benchmark.
        #[arg(value_enum)]
        name: Bench,
        /// Footage folder (default: ../shared/footage next to the checkout, or $TINCT_FOOTAGE).
        #[arg(long)]
        footage: Option<std::path::PathBuf>,
        /// Shorter run (fewer repetitions / smaller frames).
        #[arg(long)]
        quick: bool,
        /// `quality`: which cases (default all three).
        #[arg(long = "case", value_enum)]
        cases: Vec<tinct_core::bench::quality::Case>,
        /// `quality`: seed of the cases (shots, fading, the held-out shots).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// `quality`: also write the results as JSON to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
        /// `quality`: score the renders already in each case's folder, without running the
        /// pipeline again (after a change to the scoring only).
        #[arg(long)]
        rescore: bool,
        /// `quality`: the reference's size as a fraction of the source's (default 0.6, the
        /// demo transfer's); another size is another cached case.
        #[arg(long, value_parser = reference_scale)]
        reference_scale: Option<f64>,
        /// `quality`: reference frame = source frame + this (default 7).
        #[arg(long, allow_negative_numbers = true)]
        reference_offset: Option<i64>,
    },
}

/// `--reference-scale`: a fraction of the source's size a telecine could have made.
fn reference_scale(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{s}: {e}"))?;
    if (0.25..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{v} is outside 0.25..=1 (the reference's size over the source's)"
        ))
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Bench {
    Io,
    Align,
    Ml,
    Grade,
    /// The reference guide's correction of a 2K frame against the same filters in OpenCV.
    Guide,
    Jobs,
    Console,
    /// The whole pipeline on three cases, scored against the truth on held-out shots.
    Quality,
    /// The pipelined 2K render (MatchGrade and ML) against its slowest stage alone.
    Render,
    /// A reel through the farm engines (local ×1, ×2, Slurm) against one process.
    Farm,
    /// Start-up of `tinct --version`, `status`, `note` against `/bin/true`; 8 concurrent writers.
    Startup,
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    let Commands::Bench {
        name,
        footage,
        quick,
        cases,
        seed,
        json,
        rescore,
        reference_scale,
        reference_offset,
    } = cmd;
    match name {
        Bench::Ml => return bench_in_worker("bench-ml", footage, quick),
        Bench::Render => return bench_in_worker("bench-render", footage, quick),
        Bench::Quality => {
            let opts = tinct_core::bench::quality::QualityOpts {
                cases: if cases.is_empty() {
                    tinct_core::bench::quality::Case::ALL.to_vec()
                } else {
                    cases
                },
                seed,
                quick,
                sets: g.set.clone(),
                cache: None,
                rescore,
                reference: {
                    let d = tinct_core::bench::quality::ReferenceGeometry::default();
                    tinct_core::bench::quality::ReferenceGeometry {
                        scale: reference_scale.unwrap_or(d.scale),
                        offset: reference_offset.unwrap_or(d.offset),
                    }
                },
            };
            return bench_quality(&opts, json);
        }
        Bench::Startup => return crate::bench::startup::run(quick).map(|()| 0),
        _ => {}
    }
    let opts = crate::bench::BenchOpts {
        footage: crate::bench::footage_dir(footage)?,
        quick,
    };
    match name {
        Bench::Io => crate::bench::io::run(&opts)?,
        Bench::Align => crate::bench::align::run(&opts)?,
        Bench::Ml | Bench::Quality | Bench::Render | Bench::Startup => {
            unreachable!("handled above")
        }
        Bench::Grade => crate::bench::grade::run(&opts)?,
        Bench::Guide => tinct_core::bench::guide::run(&opts)?,
        Bench::Jobs => crate::bench::jobs::run(&opts)?,
        Bench::Console => crate::bench::console::run(&opts)?,
        Bench::Farm => crate::bench::farm::run(&opts)?,
    }
    Ok(0)
}

/// `bench ml` and `bench render` measure torch, so they run in `tinct-worker` (this binary links
/// no libtorch).
fn bench_in_worker(
    which: &str,
    footage: Option<std::path::PathBuf>,
    quick: bool,
) -> anyhow::Result<u8> {
    let mut command = std::process::Command::new(crate::jobs::torch_worker_exe()?);
    command.arg(which);
    if quick {
        command.arg("--quick");
    }
    if let Some(f) = footage {
        command.arg("--footage").arg(f);
    }
    let status = command.status()?;
    Ok(status.code().unwrap_or(1).clamp(0, 255) as u8)
}

/// `bench quality`: needs no footage folder (the cases come from the embedded panoramas).
fn bench_quality(
    opts: &tinct_core::bench::quality::QualityOpts,
    json: Option<std::path::PathBuf>,
) -> anyhow::Result<u8> {
    let results = tinct_core::bench::quality::run(opts)?;
    if let Some(path) = json {
        crate::fsx::write_atomic(&path, &serde_json::to_vec_pretty(&results)?)?;
    }
    Ok(0)
}
