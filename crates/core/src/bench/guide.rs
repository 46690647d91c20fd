//! `tinct bench guide`: the reference guide's correction of one rendered frame
//! (`stages::guide`, on by default in every ML render) at 2K on real footage, against the same
//! filters in OpenCV (`benches/guide_peer.py`) measured in the same run.
//!
//! Why it matters: the correction runs on the render's compute thread after the network, so
//! its time adds to every frame's. On a GPU box the network renders 2K in tens of
//! milliseconds; a guide that takes longer is what the render waits for.
//!
//! The frame: 2K real footage. The render is the picture with its chroma halved (a network's
//! washed colour); the reference is the picture at 0.6x (a video transfer's size) with a colour
//! cast that changes across the frame, placed back on the scan as infer's reader thread places
//! it, leaving a strip at the left uncovered (an overscan) so the carried correction runs too.
//! Both colour and tone are corrected (`infer.guide-tone`), at the radius a 4:2:0 HD transfer
//! gives a 2K scan.
//!
//! Printed: milliseconds per frame (median after a warm-up) of the placement (warp and
//! conversion, on the reader thread) and of the correction (on the compute thread), for tinct
//! at its default threads and at one; the peer's correction at its default threads, the ratio,
//! and how far the two results are apart on the covered picture (a fast but wrong filter does
//! not pass).

use super::BenchOpts;
use crate::color::working;
use crate::media::Image;
use crate::stages::align::motion;
use crate::stages::align::warp::{self, Filter};
use crate::stages::guide::{self, GuideFrame};
use anyhow::Context;
use std::path::Path;
use std::time::Instant;

/// Guided filter radius: a 1920-wide 4:2:0 transfer's chroma spacing on a 2K scan, rounded up.
const RADIUS: usize = 3;

/// The reference's size, as a fraction of the scan's (the quality bench's transfer).
const REFERENCE_SCALE: f64 = 0.6;

/// Share of the frame's width the reference leaves uncovered at the left.
const OVERSCAN: f64 = 0.04;

/// Largest difference between tinct's and the peer's corrections (Y'CbCr units) that still
/// counts as the same filter: float sums in another order, and tinct's round trip through RGB.
const AGREEMENT: f32 = 2e-3;

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let (from, frame) = super::io::footage_frame_2k(&opts.footage)?;
    let (w, h) = (frame.width, frame.height);
    let runs = if opts.quick { 3 } else { 7 };
    let (render, reference) = bench_frame(&frame);
    let placement =
        motion::scale_translate(REFERENCE_SCALE, -REFERENCE_SCALE * OVERSCAN * w as f64, 0.0);
    let place = || {
        let (placed, covered) = warp::warp_image(&reference, &placement, w, h, Filter::Bilinear);
        let covered = covered.iter().map(|&c| f32::from(u8::from(c))).collect();
        GuideFrame::new(&placed, covered, [0.0; 2], true)
    };
    println!(
        "bench guide: {w}x{h} real footage ({}), reference {REFERENCE_SCALE}x, colour and tone \
         (infer.guide-tone), radius {RADIUS} px (tone {} px), {:.0}% of the width uncovered",
        from.display(),
        guide::TONE_RADIUS_FACTOR * RADIUS,
        OVERSCAN * 100.0
    );
    println!("  ms per frame: median of {runs} after 1 warm-up");
    let guide_frame = place();
    let time = |threads: usize| -> anyhow::Result<(f64, f64, Image)> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        pool.install(|| {
            let place_s = median_of(runs, || {
                let t = Instant::now();
                std::hint::black_box(place());
                Ok(t.elapsed().as_secs_f64())
            })?;
            let mut out = render.clone();
            guide::correct(&mut out, &guide_frame, RADIUS, true)?;
            let correct_s = median_of(runs, || {
                let mut img = render.clone();
                let t = Instant::now();
                guide::correct(&mut img, &guide_frame, RADIUS, true)?;
                let secs = t.elapsed().as_secs_f64();
                out = img;
                Ok(secs)
            })?;
            Ok((place_s, correct_s, out))
        })
    };
    let cores = rayon::current_num_threads();
    let (place_s, ours, out) = time(cores)?;
    let (place_one, ours_one, _) = time(1)?;
    println!("  {:<34} {:>10} {:>10}", "", "placement", "correction");
    for (who, p, c) in [
        (format!("tinct, rayon {cores} threads"), place_s, ours),
        ("tinct, 1 thread".to_string(), place_one, ours_one),
    ] {
        println!("  {who:<34} {:>10.1} {:>10.1}", p * 1e3, c * 1e3);
    }

    let dir = tempfile::tempdir().context("creating the bench guide work folder")?;
    write_planes(dir.path(), &render, &guide_frame)?;
    match peer(dir.path(), w, h, runs) {
        Ok((name, threads, secs)) => {
            let apart = disagreement(dir.path(), &render, &out, &guide_frame.covered)?;
            println!(
                "  {:<34} {:>10} {:>10.1}   tinct/peer speed {:.2}x",
                format!("{name}, {threads} threads"),
                "-",
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

/// The median of `runs` timings `run` returns, after one warm-up call.
fn median_of(runs: usize, mut run: impl FnMut() -> anyhow::Result<f64>) -> anyhow::Result<f64> {
    run()?;
    let mut v = (0..runs)
        .map(|_| run())
        .collect::<anyhow::Result<Vec<f64>>>()?;
    Ok(super::io::median(&mut v))
}

/// (render, reference) for the bench, from one frame of footage: the render washed out, the
/// reference at [`REFERENCE_SCALE`] with a cast warmer to the right.
fn bench_frame(frame: &Image) -> (Image, Image) {
    let render = Image::from_fn_rgb(frame.width, frame.height, |x, y| {
        let (luma, c) = working::split_luma_chroma(frame.rgb(x, y));
        working::combine(luma, [0.5 * c[0], 0.5 * c[1]])
    });
    let (rw, rh) = (
        (frame.width as f64 * REFERENCE_SCALE) as usize,
        (frame.height as f64 * REFERENCE_SCALE) as usize,
    );
    let down = motion::scale_translate(1.0 / REFERENCE_SCALE, 0.0, 0.0);
    let (small, _) = warp::warp_image(frame, &down, rw, rh, Filter::Bilinear);
    let reference = Image::from_fn_rgb(rw, rh, |x, y| {
        let [r, g, b] = small.rgb(x, y);
        let warm = 0.15 * (x as f32 / rw as f32 - 0.5);
        [r * (1.0 + warm), g, b * (1.0 - warm)]
    });
    (render, reference)
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

fn write_planes(dir: &Path, render: &Image, guide: &GuideFrame) -> anyhow::Result<()> {
    let [luma, cb, cr] = ycc_planes(render);
    for (name, plane) in [
        ("luma", &luma),
        ("cb", &cb),
        ("cr", &cr),
        ("ref_luma", &guide.luma),
        ("ref_cb", &guide.chroma[0]),
        ("ref_cr", &guide.chroma[1]),
        ("covered", &guide.covered),
        ("tone_usable", &guide.tone_usable),
    ] {
        write_plane(dir, name, plane)?;
    }
    Ok(())
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
