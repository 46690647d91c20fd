//! `tinct qc A B [--json]`: ΔE2000 and chroma PSNR between two images or sequences.

use super::Global;
use crate::color::Colorspace;
use crate::color::qc::{self, QcOptions, QcReport};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Compare two images or sequences (ΔE2000 mean/median/p95, chroma PSNR), per frame and
    /// overall. Sequences pair by frame number; sizes must match.
    Qc {
        /// File or sequence pattern (`name.%04d.exr`, `name.####.exr`, `name.@.exr`).
        a: PathBuf,
        /// File or sequence pattern to compare against.
        b: PathBuf,
        /// Print one JSON object: `de00 {mean, median, p95, max}`, `chroma_psnr`, `frames [...]`.
        #[arg(long)]
        json: bool,
        /// Read A as this colourspace instead of what its files imply (e.g. `cineon` for a DPX scan).
        #[arg(long, value_name = "CS")]
        assume_a: Option<Colorspace>,
        /// Read B as this colourspace instead of what its files imply.
        #[arg(long, value_name = "CS")]
        assume_b: Option<Colorspace>,
    },
}

pub fn run(cmd: Commands, _g: &Global) -> anyhow::Result<u8> {
    match cmd {
        Commands::Qc {
            a,
            b,
            json,
            assume_a,
            assume_b,
        } => {
            let report = qc::compare(&a, &b, &QcOptions { assume_a, assume_b })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_human(&report);
            }
            Ok(0)
        }
    }
}

fn db(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.2} dB"),
        None => "inf (identical chroma)".into(),
    }
}

fn print_human(r: &QcReport) {
    println!("A: {}\nB: {}", r.a, r.b);
    if r.frames.len() > 1 {
        println!(
            "{:>8}  {:>8} {:>8} {:>8} {:>8}  chroma PSNR",
            "frame", "ΔE mean", "median", "p95", "max"
        );
        for f in &r.frames {
            let d = &f.de00;
            println!(
                "{:>8}  {:>8.3} {:>8.3} {:>8.3} {:>8.3}  {}",
                f.frame,
                d.mean,
                d.median,
                d.p95,
                d.max,
                db(f.chroma_psnr)
            );
        }
    }
    let d = &r.de00;
    println!(
        "overall ({} frame(s)): ΔE00 mean {:.3}, median {:.3}, p95 {:.3}, max {:.3}; chroma PSNR {} ({})",
        r.frames.len(),
        d.mean,
        d.median,
        d.p95,
        d.max,
        db(r.chroma_psnr),
        r.chroma_space
    );
    for (side, missing) in [("A", &r.unmatched_a), ("B", &r.unmatched_b)] {
        if !missing.is_empty() {
            println!(
                "warning: {} frame(s) only in {side}, not compared: {missing:?}",
                missing.len()
            );
        }
    }
}
