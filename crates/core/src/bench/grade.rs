//! `tinct bench grade`: fitting the MatchGrade baseline from ten 2K pairs (target: a 33³ LUT in
//! under 5 s on a 2-core machine), against colour-science's root-polynomial colour correction
//! (Finlayson 2015, numpy least squares) on the same samples, in the same run.

use super::BenchOpts;
use crate::grade::lut_fit::LutFitParams;
use crate::grade::{RootPoly, Samples};
use crate::media::{self, Image};
use crate::stages::matchgrade::{FittedGrades, GradeKind, fit_error};
use anyhow::Context;
use std::io::Write as _;
use std::process::Command;
use std::time::Instant;

const SIZE: (u32, u32) = (2048, 1080);

/// Upscale a frame to 2K with a triangle filter (the `image` crate's resampler).
fn to_2k(img: &Image) -> Image {
    let rgb = img.to_rgb();
    let buf = image::Rgb32FImage::from_raw(rgb.width as u32, rgb.height as u32, rgb.data)
        .expect("buffer size");
    let big = image::imageops::resize(&buf, SIZE.0, SIZE.1, image::imageops::FilterType::Triangle);
    Image::from_vec(SIZE.0 as usize, SIZE.1 as usize, 3, big.into_raw())
}

/// A faded print in density space: each dye keeps its own share (cyan and yellow fade fastest).
fn faded(img: &Image) -> Image {
    let survival = [0.5f32, 0.9, 0.55];
    let stain = [0.02f32, 0.05, 0.03];
    let mut out = img.clone();
    for p in out.data.chunks_exact_mut(3) {
        for c in 0..3 {
            let d = -(p[c].max(1e-4)).log10();
            p[c] = 10f32.powf(-(d * survival[c] + stain[c]));
        }
    }
    out
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let n = if opts.quick { 3 } else { 10 };
    let (seq, frames) = super::vtest_frames(&opts.footage, n)?;
    println!(
        "bench grade: {n} pairs at {}x{} from vtest frames {frames:?} (faded print → clean)",
        SIZE.0, SIZE.1
    );
    let mut samples = Samples::default();
    for f in &frames {
        let clean = to_2k(&media::read_linear(&seq.path(*f), None)?);
        samples.push_pair(&faded(&clean), &clean, 1)?;
    }
    println!("  samples: {}", samples.len());

    let t = Instant::now();
    let rp = RootPoly::fit(&samples);
    let ours_rp = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let grades = FittedGrades::fit(
        &samples.thinned(4_000_000),
        &LutFitParams {
            size: 33,
            ..Default::default()
        },
    );
    let ours_all = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let enc = samples.thinned(4_000_000).encoded();
    let prior = crate::grade::Lut3d::identity(33);
    let _ = crate::grade::lut_fit::fit(
        &enc.src,
        &enc.dst,
        &prior,
        &LutFitParams {
            size: 33,
            ..Default::default()
        },
    );
    let lut_only = t.elapsed().as_secs_f64();

    let peer_rp = colour_science_root_poly(&samples)?;
    println!("  33³ LUT fit alone: {lut_only:.2} s (target < 5 s)");
    println!("  all four grades (root-poly prior, CDL, matrix, 33³ LUT): {ours_all:.2} s");
    println!(
        "  root-polynomial fit on all samples: tinct {ours_rp:.3} s, colour-science {peer_rp:.3} s, ratio {:.2}x",
        peer_rp / ours_rp.max(1e-9)
    );
    let check = samples.thinned(500_000);
    println!(
        "  fit ΔE00 mean on the pairs: untouched {:.2}",
        fit_error(&check, |p| p)
    );
    for k in GradeKind::ALL {
        println!(
            "    {:<10} {:.2}",
            k.id(),
            fit_error(&check, |p| grades.apply(k, p))
        );
    }
    println!(
        "    root-poly (all samples) {:.2}",
        fit_error(&check, |p| rp.apply(p))
    );
    Ok(())
}

/// Time colour-science's `matrix_colour_correction_Finlayson2015` (degree 2) on the samples.
fn colour_science_root_poly(s: &Samples) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let write = |name: &str, v: &[[f32; 3]]| -> anyhow::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.path().join(name))?);
        for p in v {
            for c in p {
                f.write_all(&c.to_le_bytes())?;
            }
        }
        Ok(())
    };
    write("src.f32", &s.src)?;
    write("dst.f32", &s.dst)?;
    let script = format!(
        "import numpy as np, time, colour\n\
         a = np.fromfile(r'{0}/src.f32', dtype='<f4').reshape(-1, 3).astype(np.float64)\n\
         b = np.fromfile(r'{0}/dst.f32', dtype='<f4').reshape(-1, 3).astype(np.float64)\n\
         t = time.perf_counter()\n\
         m = colour.characterisation.matrix_colour_correction_Finlayson2015(a, b, degree=2, root_polynomial_expansion=True)\n\
         print(time.perf_counter() - t)\n",
        dir.path().display()
    );
    let out = Command::new(super::python())
        .arg("-c")
        .arg(&script)
        .output()
        .context("running the colour-science peer")?;
    anyhow::ensure!(
        out.status.success(),
        "colour-science peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .lines()
        .last()
        .unwrap_or("")
        .parse::<f64>()
        .with_context(|| format!("peer printed {text}"))
}
