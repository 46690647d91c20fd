//! `tinct bench render`: frames/s of the whole delivered render (`stages::render`) at 2K on real
//! footage, against its own slowest stage measured alone in the same run.
//!
//! For each render (the MatchGrade 3D LUT here; the ML network from `tinct-worker`, which links
//! torch) it times, one after another:
//! - **read alone**: decoding and linearising every source frame on one thread, as the pipeline's
//!   reader does;
//! - **compute alone**: the grade or the network on decoded frames;
//! - **write alone**: the writer pool encoding computed frames (2K EXR ZIP half, P3-D65, the
//!   delivery default);
//! - **whole**: the pipelined render of the same frames into a fresh folder;
//! - **steadied**: the whole render again with `infer.steady-frames` at its default, its
//!   frames/s as a ratio of the whole's (the cost of steadying each frame's colour).
//!
//! and prints frames/s of each, the ratio of the whole to the slowest stage (1.0 = perfect
//! overlap; a sequential loop scores the slowest stage's share of the sum), and the ratio of the
//! whole to what this machine's cores allow at best: each stage-alone pass also records the
//! process's CPU seconds, and no schedule renders faster than `cores / (CPU seconds per frame
//! of all stages)`. Where the slowest stage alone already keeps every core busy (the MatchGrade
//! render on 2 cores: its ZIP writers use both), the whole cannot reach the slowest stage's
//! speed, because the other stages' work has to run on the same cores; the second ratio says
//! whether the pipeline wastes any of them. Then the peak RSS
//! after renders of N and of 3N frames (bounded memory: the second is no higher). Every frame of
//! the whole render is checked against the sequential result of the same functions, bit for bit.
//! Then the same in a child process with one thread everywhere (rayon, torch, one writer), and
//! last the delivery's EXR ZIP half write against OpenImageIO ([`print_exr_write_against_oiio`],
//! `bench io`'s case).

use super::BenchOpts;
use crate::media::{self, Image, Sequence, WriteOptions};
use crate::project::config::InferConfig;
use crate::stages::output::OutputSpec;
use crate::stages::render::{self, RenderPlan};
use anyhow::Context;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Set in the one-thread child.
pub const ONE_THREAD_ENV: &str = "TINCT_BENCH_RENDER_ONE_THREAD";

/// A compute under test: a name and `frame, image -> image`.
pub struct Compute<'a> {
    pub name: String,
    pub run: Box<dyn FnMut(i64, Image) -> anyhow::Result<Image> + 'a>,
}

/// Source frames for the bench: `n` 2K frames of real footage, each shifted so no two are the
/// same picture, written as EXR ZIP half (what a scan conversion delivers) into `dir`.
pub fn source_frames(
    opts: &BenchOpts,
    dir: &Path,
    n: usize,
) -> anyhow::Result<(Sequence, Vec<i64>)> {
    let (from, base) = super::io::footage_frame_2k(&opts.footage)?;
    let (w, h) = (base.width, base.height);
    for i in 0..n {
        let shift = i * 37;
        let img = Image::from_fn_rgb(w, h, |x, y| {
            let p = (y * w + (x + shift) % w) * 3;
            [base.data[p], base.data[p + 1], base.data[p + 2]]
        });
        let path = dir.join(format!("src.{:04}.exr", 1001 + i));
        media::write(&path, &img, &WriteOptions::default())
            .with_context(|| format!("bench source frame from {}", from.display()))?;
    }
    let seq = Sequence::discover(&dir.join("src.%04d.exr"))?;
    let frames = seq.frames.clone();
    Ok((seq, frames))
}

/// Is this the one-thread child? Then the caller sizes its own pools to one.
pub fn one_thread() -> bool {
    std::env::var_os(ONE_THREAD_ENV).is_some()
}

/// Header line for a threads section.
pub fn print_section(threads: &str) {
    println!("\n{threads}");
    println!(
        "  {:<22} {:>8} {:>9} {:>9} {:>8} {:>11} {:>9} {:>12} {:>14}",
        "render",
        "read fps",
        "compute",
        "write fps",
        "whole",
        "whole/slow",
        "CPU bound",
        "whole/bound",
        "peak RSS N/3N"
    );
}

/// Measure one compute over `frames` (see the module doc) and print its row.
/// `memory_check`: also render 3N frames to show the peak RSS does not grow with the reel
/// (skipped for slow computes where it would dominate the bench's time).
// Long by design: a benchmark script, its steps in the order it prints them.
pub fn measure(
    work: &Path,
    seq: &Sequence,
    frames: &[i64],
    compute: &mut Compute,
    memory_check: bool,
) -> anyhow::Result<f64> {
    let spec = OutputSpec::from_config(&InferConfig::default())?;
    let writers = if one_thread() {
        1
    } else {
        render::default_writers()
    };
    let n = frames.len();
    let no_cancel = AtomicBool::new(false);
    let read = |f: i64| render::read_source(seq, f, None);

    // Warm-up (first-call costs: torch's kernels, page cache of the sources), not timed.
    (compute.run)(frames[0], read(frames[0])?)?;

    // Whole render first (N, then 3N frames cycling the sources), so the peak RSS it reports is
    // the pipeline's, before the stage-alone passes hold frames of their own.
    // `steadied`: as infer renders by default (`infer.steady-frames`), frames held in the
    // window and the chroma shift on the writers.
    let steady_frames = InferConfig::default().steady_frames;
    let mut whole = |dir: &Path, count: usize, steadied: bool| -> anyhow::Result<(f64, u64)> {
        std::fs::create_dir_all(dir)?;
        let order: Vec<i64> = (0..count as i64).collect();
        let plan = RenderPlan {
            frames: &order,
            spec: &spec,
            dir,
            stem: "whole",
            force: true,
            writers: Some(writers),
            steady: steadied.then_some(render::Steady {
                frames: steady_frames,
                sequence: &order,
            }),
        };
        let t = Instant::now();
        let done = render::render(
            &plan,
            &no_cancel,
            |i| read(frames[i as usize % n]),
            |i, img| (compute.run)(frames[i as usize % n], img),
            |_| Ok(()),
        )?;
        anyhow::ensure!(
            done.written.len() == count,
            "the whole render wrote {} of {count}",
            done.written.len()
        );
        Ok((
            count as f64 / t.elapsed().as_secs_f64(),
            super::peak_rss_kib().unwrap_or(0),
        ))
    };
    let out = work.join(format!("out-{}", compute.name.replace(' ', "-")));
    let (whole_fps, rss_n) = whole(&out, n, false)?;
    let rss_3n = if memory_check {
        let (_, rss) = whole(&work.join("out-3n"), 3 * n, false)?;
        std::fs::remove_dir_all(work.join("out-3n"))?;
        Some(rss)
    } else {
        None
    };
    let (steadied_fps, _) = whole(&work.join("out-steadied"), n, true)?;
    std::fs::remove_dir_all(work.join("out-steadied"))?;

    // Stage alone: read.
    let cpu = super::rusage_seconds(libc::RUSAGE_SELF);
    let t = Instant::now();
    let mut decoded = Vec::new();
    for &f in frames {
        let img = read(f)?;
        if decoded.len() < 2 {
            decoded.push(img);
        }
    }
    let read_fps = n as f64 / t.elapsed().as_secs_f64();
    let read_cpu = super::rusage_seconds(libc::RUSAGE_SELF) - cpu;
    // Compute alone, on decoded frames (two kept, cycled: the bench stays within memory).
    let mut computed = Vec::new();
    let cpu = super::rusage_seconds(libc::RUSAGE_SELF);
    let t = Instant::now();
    for i in 0..n {
        let img = (compute.run)(frames[i], decoded[i % decoded.len()].clone())?;
        if computed.len() < 2 {
            computed.push(img);
        }
    }
    let compute_fps = n as f64 / t.elapsed().as_secs_f64();
    let compute_cpu = super::rusage_seconds(libc::RUSAGE_SELF) - cpu;
    // Write alone: the writer pool on computed frames (a clone each, a memcpy).
    let alone = work.join("out-write");
    std::fs::create_dir_all(&alone)?;
    let order: Vec<i64> = (0..n as i64).collect();
    let plan = RenderPlan {
        frames: &order,
        spec: &spec,
        dir: &alone,
        stem: "write",
        force: true,
        writers: Some(writers),
        steady: None,
    };
    let cpu = super::rusage_seconds(libc::RUSAGE_SELF);
    let t = Instant::now();
    render::render(
        &plan,
        &no_cancel,
        |i| Ok(computed[i as usize % computed.len()].clone()),
        |_, img| Ok(img),
        |_| Ok(()),
    )?;
    let write_fps = n as f64 / t.elapsed().as_secs_f64();
    let write_cpu = super::rusage_seconds(libc::RUSAGE_SELF) - cpu;
    std::fs::remove_dir_all(&alone)?;

    // Bit for bit: the whole render's frames against the sequential path of the same functions.
    let check = work.join("check.exr");
    for (i, &f) in frames.iter().enumerate().take(2) {
        spec.write(&check, &(compute.run)(f, read(f)?)?)?;
        let want = media::read(&check)?.image.data;
        let got = media::read(&spec.frame_path(&out, "whole", i as i64))?
            .image
            .data;
        anyhow::ensure!(
            got == want,
            "{}: frame {f} of the pipelined render differs from the sequential one",
            compute.name
        );
    }
    std::fs::remove_dir_all(&out)?;

    let slowest = read_fps.min(compute_fps).min(write_fps);
    // The machine's cores, in the one-thread section too: its three stages are three threads.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let cpu_per_frame = (read_cpu + compute_cpu + write_cpu) / n as f64;
    let bound = slowest.min(cores as f64 / cpu_per_frame.max(1e-9));
    println!(
        "  {:<22} {:>8.2} {:>9.2} {:>9.2} {:>8.2} {:>11.2} {:>9.2} {:>12.2} {:>6} / {:<6}",
        compute.name,
        read_fps,
        compute_fps,
        write_fps,
        whole_fps,
        whole_fps / slowest,
        bound,
        whole_fps / bound,
        format!("{}M", rss_n / 1024),
        rss_3n.map_or("-".into(), |r| format!("{}M", r / 1024)),
    );
    println!(
        "  {:<22} whole {:.2} fps steadied over {steady_frames} frames (infer.steady-frames) = {:.2}x the whole above",
        "",
        steadied_fps,
        steadied_fps / whole_fps
    );
    Ok(whole_fps / slowest)
}

/// Run the one-thread section in a child: this same binary and arguments, with the pools at one.
pub fn run_one_thread_child() -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let status = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(ONE_THREAD_ENV, "1")
        .env("RAYON_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .status()
        .context("starting the one-thread bench child")?;
    anyhow::ensure!(status.success(), "the one-thread bench child failed");
    Ok(())
}

/// The MatchGrade render's compute: a 33-point 3D LUT over the grading encoding, applied in
/// place by `FittedGrades::apply_image` exactly as `matchgrade.render = "lut"` applies its
/// fitted one (the LUT's values do not change its speed).
pub fn matchgrade_compute<'a>() -> Compute<'a> {
    use crate::stages::matchgrade::{FittedGrades, GradeKind};
    let mut lut = crate::grade::Lut3d::identity(33);
    for v in &mut lut.data {
        *v = [
            (v[0].powf(1.1) * 1.05).min(1.0),
            v[1] * 0.97,
            v[2].powf(0.9),
        ];
    }
    let grades = FittedGrades {
        lut,
        cdl: Default::default(),
        matrix: crate::grade::Matrix3([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        root_poly: crate::grade::RootPoly([[0.0; 6]; 3]),
    };
    Compute {
        name: "matchgrade lut".into(),
        run: Box::new(move |_, mut img| {
            grades.apply_image(GradeKind::Lut, &mut img);
            Ok(img)
        }),
    }
}

/// The render's EXR writes against OpenImageIO's, printed after the render sections: `bench
/// io`'s EXR half ZIP write case (the delivery default) on the same 2048x1080 frame, tinct timed
/// in this process at its default threads and the peer at its own, checked as `bench io` checks
/// it; one line per case. A peer that cannot run is said in that line, not an error.
pub fn print_exr_write_against_oiio(opts: &BenchOpts) -> anyhow::Result<()> {
    use super::io;
    let cases = [io::EXR_HALF_ZIP];
    let (_, writes) = io::repeats(opts.quick);
    // Reads are not reported here: one timed read each.
    let reads = 1;
    let (_, frame) = io::footage_frame_2k(&opts.footage)?;
    let dir = tempfile::tempdir().context("creating the EXR write bench folder")?;
    io::prepare(dir.path(), &frame, &cases)?;
    let ours = io::measure_tinct(dir.path(), reads, writes, &cases)?;
    println!(
        "\nEXR write against OpenImageIO ({}x{} frame, median of {writes} writes + fsync, default \
         threads; ratio = tinct/OpenImageIO throughput; all cases: tinct bench io)",
        frame.width, frame.height
    );
    match io::oiio_peer(dir.path(), reads, writes, io::Threads::Default, &cases) {
        Ok(peer) => {
            io::verify(dir.path(), &frame, &ours, &peer, &cases)?;
            for case in cases {
                let [_, write] = io::case_rows(case, &ours, &peer)?;
                println!(
                    "{} write: tinct {:.1} MB/s, OpenImageIO {:.1} MB/s, ratio {:.2}",
                    case.title(),
                    write.tinct_mb_per_s(),
                    write.oiio_mb_per_s(),
                    write.ratio()
                );
            }
        }
        Err(e) => {
            // The last line of the chain: the OS error, or Python's ModuleNotFoundError.
            let why = format!("{e:#}");
            let why = why
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            for case in cases {
                let [_, write] = io::case_rows(case, &ours, &ours)?;
                println!(
                    "{} write: tinct {:.1} MB/s, OpenImageIO not measured: its peer \
                     (benches/io_peer.py, {}) did not run: {why}",
                    case.title(),
                    write.tinct_mb_per_s(),
                    super::python(),
                );
            }
        }
    }
    Ok(())
}
