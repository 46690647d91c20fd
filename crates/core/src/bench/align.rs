//! `tinct bench align`: accuracy (RMS corner error, source px) and time of the alignment fit
//! against OpenCV's `cv2.findTransformECC` on the same pairs, same motion model, same feature
//! planes and the same coarse-to-fine pyramid, in the same run, at 2048x1080.
//!
//! Pairs: vtest frames upscaled to 2K; references rendered from them through known transforms
//! (0.5–2° rotation, 0.7–1.3 scale, sub-pixel shifts, a mild keystone for the homography) onto a
//! canvas scaled like a video transfer, then faded, grained and JPEG-compressed. OpenCV has no
//! similarity model, so the comparison runs `affine` and `homography`. OpenCV's ECC has no
//! pyramid of its own; the peer script runs it level by level on `cv2.pyrDown` images (the same
//! even-sample decimation as ours) with the same level count, iteration cap and starting matrix.
//!
//! Fairness: both sides get the same unblurred f32 planes; OpenCV smooths each level with its
//! own `gaussFiltSize = 5` (its documented default), tinct blurs level 0 once (sigma 1) and
//! builds its pyramid from that. OpenCV stops a level when the correlation changes by less than
//! 1e-5, tinct when no corner moves more than 1e-3 px; both cap at the same iteration count.
//! Both use every core (OpenCV's `parallel_for_`, tinct's rayon), timed per pair after one
//! warm-up; the peer's time includes its pyramid, ours the blur and pyramid.

use super::BenchOpts;
use crate::media::{self, Image};
use crate::stages::align::ecc::{self, FitParams};
use crate::stages::align::motion::{self, Mat3, Model};
use crate::stages::align::pyramid::{self, Feature, Plane};
use crate::stages::align::warp::{self, Filter};
use anyhow::Context;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const SIZE: (usize, usize) = (2048, 1080);
const ITERATIONS: usize = 60;

struct Case {
    source: Plane,
    reference: Plane,
    truth: Mat3,
    init: Mat3,
}

/// A vtest frame scaled to cover 2048x1080 (bicubic), centred.
fn to_2k(img: &Image) -> Image {
    let s = (SIZE.0 as f64 / img.width as f64).max(SIZE.1 as f64 / img.height as f64);
    let (ox, oy) = (
        (img.width as f64 - SIZE.0 as f64 / s) / 2.0,
        (img.height as f64 - SIZE.1 as f64 / s) / 2.0,
    );
    let m = [[1.0 / s, 0.0, ox], [0.0, 1.0 / s, oy], [0.0, 0.0, 1.0]];
    warp::warp_image(img, &m, SIZE.0, SIZE.1, Filter::Bicubic).0
}

/// Fading (dye loss), grain and JPEG at quality 80 – what a video transfer vs. a print brings.
fn degrade(img: &Image, seed: u64) -> anyhow::Result<Image> {
    let mut state = seed | 1;
    let mut noise = move || {
        let mut s = 0.0f32;
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s += (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        }
        s * 0.5
    };
    let mut bytes = Vec::with_capacity(img.data.len());
    for px in img.to_rgb().data.chunks_exact(3) {
        let faded = [px[0] * 0.85 + 0.04, px[1] * 0.45 + 0.05, px[2] * 0.6 + 0.03];
        let grain = noise() * 0.04;
        for v in faded {
            let e =
                crate::color::from_linear(crate::color::Colorspace::Srgb, [v.clamp(0.0, 1.0); 3])
                    [0];
            bytes.push(((e + grain).clamp(0.0, 1.0) * 255.0).round() as u8);
        }
    }
    let buf = image::RgbImage::from_raw(img.width as u32, img.height as u32, bytes)
        .context("buffer size")?;
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&buf)?;
    let dec = image::load_from_memory(&jpeg)?.to_rgb8();
    let data = dec
        .as_raw()
        .iter()
        .map(|&v| crate::color::to_linear(crate::color::Colorspace::Srgb, [v as f32 / 255.0; 3])[0])
        .collect();
    Ok(Image::from_vec(img.width, img.height, 3, data))
}

fn make_case(
    src: &Image,
    shift: (f64, f64),
    rot: f64,
    scale: f64,
    keystone: bool,
    seed: u64,
) -> anyhow::Result<Case> {
    let size = (
        (src.width as f64 * scale).round() as usize,
        (src.height as f64 * scale).round() as usize,
    );
    let init = motion::initial((src.width, src.height), size);
    let centre = (
        (src.width as f64 - 1.0) / 2.0,
        (src.height as f64 - 1.0) / 2.0,
    );
    let mut truth = motion::mul(
        &init,
        &motion::transform_about(centre, [shift.0, shift.1], rot, 1.0),
    );
    if keystone {
        let k = [[1.0, 0.008, 0.0], [-0.004, 1.0, 0.0], [6e-6, -4e-6, 1.0]];
        truth = motion::normalised(&motion::mul(&truth, &k));
    }
    let back = motion::inverse(&truth).context("singular test transform")?;
    let reference = degrade(
        &warp::warp_image(src, &back, size.0, size.1, Filter::Lanczos3).0,
        seed,
    )?;
    Ok(Case {
        source: pyramid::feature_plane(src, Feature::Luma),
        reference: pyramid::feature_plane(&reference, Feature::Luma),
        truth,
        init,
    })
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let n = if opts.quick { 2 } else { 4 };
    let (seq, frames) = super::vtest_frames(&opts.footage, n)?;
    let params = [
        ((1.37, -0.62), 0.5, 0.7),
        ((-3.2, 2.45), -2.0, 1.3),
        ((0.41, 0.77), 1.2, 0.9),
        ((2.6, -1.1), -0.8, 1.1),
    ];
    let mut cases = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let src = to_2k(&media::read_linear(&seq.path(*f), None)?);
        let (shift, rot, scale) = params[i % params.len()];
        cases.push((
            Model::Affine,
            make_case(&src, shift, rot, scale, false, 11 + i as u64)?,
        ));
        cases.push((
            Model::Homography,
            make_case(&src, shift, rot, scale, true, 23 + i as u64)?,
        ));
    }
    let levels = pyramid::auto_levels(SIZE, SIZE, 64);
    println!(
        "bench align: {} pairs at {}x{} from vtest frames {frames:?} (faded, grain, JPEG q80), {levels} pyramid levels, ≤{ITERATIONS} iterations/level",
        cases.len(),
        SIZE.0,
        SIZE.1
    );

    let dir = tempfile::tempdir()?;
    let mut ours = Vec::new();
    let mut spent = Vec::new();
    for (i, (model, c)) in cases.iter().enumerate() {
        write_plane(&dir.path().join(format!("src{i}.f32")), &c.source)?;
        write_plane(&dir.path().join(format!("ref{i}.f32")), &c.reference)?;
        let p = FitParams {
            model: *model,
            levels,
            iterations: ITERATIONS,
            ..Default::default()
        };
        // One warm-up fit so neither side pays for first-touch page faults in the timing.
        if i == 0 {
            let _ = ecc::fit(&c.source, &c.reference, &c.init, &p);
        }
        let t = Instant::now();
        let fit = ecc::fit(&c.source, &c.reference, &c.init, &p);
        let secs = t.elapsed().as_secs_f64();
        ours.push((
            motion::rms_corner_error(&fit.matrix, &c.truth, SIZE.0, SIZE.1),
            secs,
        ));
        spent.push(fit.iterations);
    }
    let peer = opencv_peer(dir.path(), &cases, levels)?;

    println!(
        "  {:<4} {:<11} {:>12} {:>12} {:>10} {:>10}  tinct iterations/level (coarsest first)",
        "pair", "model", "tinct px", "opencv px", "tinct ms", "opencv ms"
    );
    for (i, (model, _)) in cases.iter().enumerate() {
        let (oe, ot) = ours[i];
        let (pe, pt) = peer[i];
        println!(
            "  {i:<4} {:<11} {oe:>12.4} {pe:>12.4} {:>10.1} {:>10.1}  {:?}",
            model.id(),
            ot * 1e3,
            pt * 1e3,
            spent[i]
        );
    }
    for model in [Model::Affine, Model::Homography] {
        let idx: Vec<usize> = (0..cases.len()).filter(|&i| cases[i].0 == model).collect();
        let rms = |v: &[(f64, f64)]| {
            (idx.iter().map(|&i| v[i].0 * v[i].0).sum::<f64>() / idx.len() as f64).sqrt()
        };
        let time = |v: &[(f64, f64)]| idx.iter().map(|&i| v[i].1).sum::<f64>();
        let (oe, pe, ot, pt) = (rms(&ours), rms(&peer), time(&ours), time(&peer));
        println!(
            "  {:<11} RMS corner error tinct {oe:.4} px vs opencv {pe:.4} px: ratio {:.2} (target ≤ 1.00); time tinct {:.0} ms vs opencv {:.0} ms: ratio {:.2} (target ≤ 1.50)",
            model.id(),
            oe / pe.max(1e-12),
            ot * 1e3,
            pt * 1e3,
            ot / pt.max(1e-12)
        );
    }
    Ok(())
}

fn write_plane(path: &Path, p: &Plane) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for v in &p.data {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()?;
    Ok(())
}

const PEER: &str = r#"
import json, sys, time
import numpy as np
import cv2

job = json.load(open(sys.argv[1]))
motion = {"affine": cv2.MOTION_AFFINE, "homography": cv2.MOTION_HOMOGRAPHY, "translation": cv2.MOTION_TRANSLATION}
out = []

def to_level(m, level):
    f = float(2 ** level)
    return np.diag([1 / f, 1 / f, 1.0]) @ m @ np.diag([f, f, 1.0])

for case in job["cases"]:
    d = job["dir"]
    src = np.fromfile(f"{d}/src{case['i']}.f32", dtype="<f4").reshape(case["src_h"], case["src_w"])
    ref = np.fromfile(f"{d}/ref{case['i']}.f32", dtype="<f4").reshape(case["ref_h"], case["ref_w"])
    m = np.array(case["init"], dtype=np.float64)
    levels = job["levels"]
    t0 = time.perf_counter()
    ps, pr = [src], [ref]
    for _ in range(levels - 1):
        ps.append(cv2.pyrDown(ps[-1]))
        pr.append(cv2.pyrDown(pr[-1]))
    crit = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, job["iterations"], 1e-5)
    for level in range(levels - 1, -1, -1):
        ml = to_level(m, level)
        warp = (ml if case["model"] == "homography" else ml[:2]).astype(np.float32)
        try:
            _, warp = cv2.findTransformECC(ps[level], pr[level], warp, motion[case["model"]], crit, None, 5)
        except cv2.error:
            pass  # did not converge at this level: keep the previous estimate
        full = np.eye(3)
        full[: warp.shape[0]] = warp
        m = np.diag([2.0 ** level, 2.0 ** level, 1.0]) @ full @ np.diag([2.0 ** -level, 2.0 ** -level, 1.0])
        m = m / m[2, 2]
    out.append({"matrix": m.tolist(), "seconds": time.perf_counter() - t0})
print(json.dumps(out))
"#;

/// Run the OpenCV peer on the planes written to `dir`; (RMS corner error, seconds) per case.
fn opencv_peer(
    dir: &Path,
    cases: &[(Model, Case)],
    levels: usize,
) -> anyhow::Result<Vec<(f64, f64)>> {
    let script = dir.join("ecc_peer.py");
    std::fs::write(&script, PEER)?;
    let job = serde_json::json!({
        "dir": dir, "levels": levels, "iterations": ITERATIONS,
        "cases": cases.iter().enumerate().map(|(i, (m, c))| serde_json::json!({
            "i": i, "model": m.id(), "init": c.init,
            "src_w": c.source.width, "src_h": c.source.height, "ref_w": c.reference.width, "ref_h": c.reference.height,
        })).collect::<Vec<_>>(),
    });
    let job_path = dir.join("job.json");
    std::fs::write(&job_path, serde_json::to_vec(&job)?)?;
    let python = super::python();
    let out = Command::new(&python)
        .arg(&script)
        .arg(&job_path)
        .output()
        .with_context(|| format!("cannot run the OpenCV peer with '{python}' (set TINCT_PYTHON to a Python with cv2 and numpy)"))?;
    anyhow::ensure!(
        out.status.success(),
        "OpenCV peer failed ({python}; needs numpy and opencv-python-headless): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).context("OpenCV peer output")?;
    results
        .iter()
        .zip(cases)
        .map(|(r, (_, c))| {
            let m: Mat3 = serde_json::from_value(r["matrix"].clone()).context("peer matrix")?;
            let secs = r["seconds"].as_f64().context("peer seconds")?;
            Ok((motion::rms_corner_error(&m, &c.truth, SIZE.0, SIZE.1), secs))
        })
        .collect()
}
