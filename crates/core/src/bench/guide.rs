//! `tinct bench guide`: the reference guide's correction of one rendered frame
//! (`stages::guide`, on by default in every ML render) at 2K on real footage, against the same
//! filters in OpenCV (`benches/guide_peer.py`) measured in the same run.
//!
//! Why it matters: the correction runs on the render's compute thread after the network, so
//! its time adds to every frame's. On a GPU box the network renders 2K in tens of
//! milliseconds; a guide that takes longer is what the render waits for.
//!
//! The frame: 2K real footage. The render is the picture with its chroma halved (a network's
//! washed colour); the reference is the picture blurred (a video transfer's resolution) with a
//! colour cast that changes across the frame, and it leaves a strip at the left uncovered (an
//! overscan) so the carried correction runs too. Both colour and tone are corrected
//! (`infer.guide-tone`), at the radius a 4:2:0 HD transfer gives a 2K scan.
//!
//! Printed: milliseconds per frame (median after a warm-up) for tinct at its default threads
//! and at one, the peer at its default threads, the ratio, and how far the two results are
//! apart on the covered picture (a fast but wrong filter does not pass).

use super::BenchOpts;
use crate::color::{tone, working};
use crate::media::Image;
use crate::stages::guide::{self, GuideFrame};
use anyhow::Context;
use std::path::Path;
use std::time::Instant;

/// Guided filter radius: a 1920-wide 4:2:0 transfer's chroma spacing on a 2K scan, rounded up.
const RADIUS: usize = 3;

/// Share of the frame's width the reference leaves uncovered at the left.
const OVERSCAN: f64 = 0.04;

/// Largest difference between tinct's and the peer's corrections (Y'CbCr units) that still
/// counts as the same filter: float sums in another order, and tinct's round trip through RGB.
const AGREEMENT: f32 = 2e-3;

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let (from, frame) = super::io::footage_frame_2k(&opts.footage)?;
    let (w, h) = (frame.width, frame.height);
    let runs = if opts.quick { 3 } else { 7 };
    let (render, placed, covered) = bench_frame(&frame);
    let guide_frame = GuideFrame::new(&placed, covered.clone(), [0.0; 2], true);
    println!(
        "bench guide: {w}x{h} real footage ({}), colour and tone (infer.guide-tone), radius {RADIUS} px \
         (tone {} px), {:.0}% of the width uncovered",
        from.display(),
        guide::TONE_RADIUS_FACTOR * RADIUS,
        OVERSCAN * 100.0
    );
    println!("  ms per frame: median of {runs} after 1 warm-up");

    let time = |threads: Option<usize>| -> anyhow::Result<(f64, Image)> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.unwrap_or(0))
            .build()?;
        pool.install(|| {
            let mut out = render.clone();
            guide::correct(&mut out, &guide_frame, RADIUS, true)?;
            let mut times = Vec::with_capacity(runs);
            for _ in 0..runs {
                let mut img = render.clone();
                let t = Instant::now();
                guide::correct(&mut img, &guide_frame, RADIUS, true)?;
                times.push(t.elapsed().as_secs_f64());
                out = img;
            }
            Ok((median(&mut times), out))
        })
    };
    let (ours, out) = time(None)?;
    let (ours_one, _) = time(Some(1))?;
    let cores = rayon::current_num_threads();
    println!(
        "  tinct, rayon {cores} threads: {:>7.1} ms ({:.1} frames/s)",
        ours * 1e3,
        1.0 / ours
    );
    println!(
        "  tinct, 1 thread:        {:>7.1} ms ({:.1} frames/s)",
        ours_one * 1e3,
        1.0 / ours_one
    );

    let dir = tempfile::tempdir().context("creating the bench guide work folder")?;
    write_planes(
        dir.path(),
        &render,
        &placed,
        &covered,
        &guide_frame_usable(&placed, &covered),
    )?;
    match peer(dir.path(), w, h, runs) {
        Ok((name, threads, secs)) => {
            let apart = disagreement(dir.path(), &render, &out, &covered)?;
            println!(
                "  {name} (benches/guide_peer.py), {threads} threads: {:>7.1} ms; tinct/peer speed {:.2}x",
                secs * 1e3,
                secs / ours
            );
            println!(
                "  agreement on the covered picture: max |tinct - peer| colour {:.1e}, tone {:.1e} (limit {AGREEMENT:.0e})",
                apart[0], apart[1]
            );
            anyhow::ensure!(
                apart.iter().all(|&d| d <= AGREEMENT),
                "bench guide: tinct's correction and the OpenCV peer's differ by {apart:?}, over {AGREEMENT}"
            );
        }
        Err(e) => println!(
            "  OpenCV peer (benches/guide_peer.py, {}) did not run: {e:#}",
            super::python()
        ),
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (render, placed reference, covered) for the bench, from one frame of footage.
fn bench_frame(frame: &Image) -> (Image, Image, Vec<f32>) {
    let (w, h) = (frame.width, frame.height);
    let at = |x: usize, y: usize| {
        let p = (y * w + x) * frame.channels;
        [frame.data[p], frame.data[p + 1], frame.data[p + 2]]
    };
    let render = Image::from_fn_rgb(w, h, |x, y| {
        let (luma, c) = working::split_luma_chroma(at(x, y));
        working::combine(luma, [0.5 * c[0], 0.5 * c[1]])
    });
    // The transfer's resolution: each channel blurred; its cast: warmer to the right.
    let blurred: Vec<Vec<f32>> = (0..3)
        .map(|c| {
            let plane: Vec<f32> = (0..w * h).map(|i| at(i % w, i / w)[c]).collect();
            tone::blur(&plane, w, h, 1, 2)
        })
        .collect();
    let placed = Image::from_fn_rgb(w, h, |x, y| {
        let i = y * w + x;
        let warm = 0.15 * (x as f32 / w as f32 - 0.5);
        [
            blurred[0][i] * (1.0 + warm),
            blurred[1][i],
            blurred[2][i] * (1.0 - warm),
        ]
    });
    let edge = (OVERSCAN * w as f64) as usize;
    let covered = (0..w * h)
        .map(|i| if i % w >= edge { 1.0 } else { 0.0 })
        .collect();
    (render, placed, covered)
}

/// Where the placed reference's tone is usable, as `GuideFrame::new` decides it.
fn guide_frame_usable(placed: &Image, covered: &[f32]) -> Vec<f32> {
    placed
        .data
        .chunks_exact(placed.channels)
        .zip(covered)
        .map(|(px, &c)| {
            let y = working::luma([px[0], px[1], px[2]]);
            let clipped = px[..3].iter().any(|&v| v >= guide::TONE_CLIP);
            f32::from(c > 0.0 && !clipped && y > guide::TONE_BLACK)
        })
        .collect()
}

fn ycc_planes(img: &Image) -> [Vec<f32>; 3] {
    let mut planes: [Vec<f32>; 3] =
        std::array::from_fn(|_| Vec::with_capacity(img.width * img.height));
    for px in img.data.chunks_exact(img.channels) {
        let (y, c) = working::split_luma_chroma([px[0], px[1], px[2]]);
        planes[0].push(y);
        planes[1].push(c[0]);
        planes[2].push(c[1]);
    }
    planes
}

fn write_plane(dir: &Path, name: &str, plane: &[f32]) -> anyhow::Result<()> {
    let bytes: Vec<u8> = plane.iter().flat_map(|v| v.to_le_bytes()).collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn read_plane(dir: &Path, name: &str) -> anyhow::Result<Vec<f32>> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn write_planes(
    dir: &Path,
    render: &Image,
    placed: &Image,
    covered: &[f32],
    usable: &[f32],
) -> anyhow::Result<()> {
    let [luma, cb, cr] = ycc_planes(render);
    let [ref_luma, ref_cb, ref_cr] = ycc_planes(placed);
    for (name, plane) in [
        ("luma", &luma),
        ("cb", &cb),
        ("cr", &cr),
        ("ref_luma", &ref_luma),
        ("ref_cb", &ref_cb),
        ("ref_cr", &ref_cr),
    ] {
        write_plane(dir, name, plane)?;
    }
    write_plane(dir, "covered", covered)?;
    write_plane(dir, "tone_usable", usable)
}

/// Runs the peer: (its name, its threads, median seconds per frame).
fn peer(dir: &Path, w: usize, h: usize, runs: usize) -> anyhow::Result<(String, u64, f64)> {
    let py = super::python();
    let out = std::process::Command::new(&py)
        .arg(super::peer_script("guide_peer.py"))
        .arg("--dir")
        .arg(dir)
        .args(["--width", &w.to_string(), "--height", &h.to_string()])
        .args(["--radius", &RADIUS.to_string()])
        .args(["--tone-factor", &guide::TONE_RADIUS_FACTOR.to_string()])
        .args(["--runs", &runs.to_string()])
        .output()
        .with_context(|| format!("running '{py}' (set TINCT_PYTHON to a python with cv2)"))?;
    anyhow::ensure!(
        out.status.success(),
        "exit {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let v: serde_json::Value = serde_json::from_slice(out.stdout.trim_ascii())
        .context("the peer printed no result JSON")?;
    Ok((
        v["peer"].as_str().unwrap_or("OpenCV").to_string(),
        v["threads"].as_u64().unwrap_or(0),
        v["median_s"]
            .as_f64()
            .context("no median_s in the peer's JSON")?,
    ))
}

/// Largest |tinct − peer| of the colour (either plane) and the tone corrections on the
/// covered picture, tinct's read as the change its correction made to the render's Y'CbCr.
fn disagreement(
    dir: &Path,
    render: &Image,
    out: &Image,
    covered: &[f32],
) -> anyhow::Result<[f32; 2]> {
    let before = ycc_planes(render);
    let after = ycc_planes(out);
    let peer = [
        read_plane(dir, "peer_tone")?,
        read_plane(dir, "peer_colour0")?,
        read_plane(dir, "peer_colour1")?,
    ];
    let mut apart = [0f32; 2];
    for k in 0..3 {
        for i in (0..covered.len()).filter(|&i| covered[i] > 0.0) {
            let d = ((after[k][i] - before[k][i]) - peer[k][i]).abs();
            let slot = if k == 0 { 1 } else { 0 };
            apart[slot] = apart[slot].max(d);
        }
    }
    Ok(apart)
}
