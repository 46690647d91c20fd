//! Inference: luma is preserved exactly, tiles leave no seams, rendered frames are skipped on
//! re-run unless forced, and `--frames` renders a range.

mod ml_support;

use ml_support::*;
use tinct_ml::checkpoint;
use tinct_ml::media::{self, Image};
use tinct_ml::space;
use tinct_ml::stages::{FrameRange, infer, prep, train};
use tinct_ml::tiles::{self, TileOptions};

/// A project with a briefly trained model (so the chroma head is not the identity).
fn trained() -> (tempfile::TempDir, tinct_ml::project::Project) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), &[1, 2, 3]);
    p.config.train.steps = tinct_core::project::config::Steps::Count(15);
    prep::run(&ctx(&p, "prep")).unwrap();
    train::run(&ctx(&p, "train")).unwrap();
    (dir, p)
}

fn net_of(p: &tinct_ml::project::Project) -> (tch::nn::VarStore, tinct_ml::net::ChromaNet) {
    let ck = infer::resolve_checkpoint(p, "").unwrap();
    checkpoint::read(&ck)
        .unwrap()
        .network(tch::Device::Cpu)
        .unwrap()
}

#[test]
fn output_luma_is_the_source_luma_and_chroma_is_predicted() {
    let (_dir, p) = trained();
    let (_vs, net) = net_of(&p);
    // Include highlights above 1 and a faded-colour source: luma must survive untouched.
    let src = Image::from_fn_rgb(150, 70, |x, y| {
        let v = 0.02 + 1.4 * x as f32 / 150.0;
        [v * 0.9, v, v * (0.8 + 0.004 * y as f32)]
    });
    let out = tiles::colorize(&net, &src, tch::Device::Cpu, &TileOptions::default());
    let mut max_dy = 0f32;
    let mut chroma_change = 0f32;
    for y in 0..src.height {
        for x in 0..src.width {
            let a = space::rgb_to_ycbcr(src.rgb(x, y));
            let b = space::rgb_to_ycbcr(out.rgb(x, y));
            max_dy = max_dy.max((a[0] - b[0]).abs());
            chroma_change = chroma_change.max((a[1] - b[1]).abs() + (a[2] - b[2]).abs());
        }
    }
    assert!(max_dy < 1e-4, "luma changed by {max_dy}");
    assert!(chroma_change > 1e-3, "the network changed no chroma at all");
}

#[test]
fn chroma_at_half_resolution_keeps_the_luma_and_stays_near_the_full_chroma() {
    let (_dir, p) = trained();
    let (_vs, net) = net_of(&p);
    let src = Image::from_fn_rgb(161, 75, |x, y| {
        let v = 0.05 + 0.9 * x as f32 / 161.0;
        [v * (0.7 + 0.004 * y as f32), v, v * 0.85]
    });
    let at = |chroma_scale| {
        let opts = TileOptions {
            chroma_scale,
            ..TileOptions::default()
        };
        tiles::colorize(&net, &src, tch::Device::Cpu, &opts)
    };
    let (full, half) = (at(1), at(2));
    assert_eq!((half.width, half.height), (src.width, src.height));
    let (mut max_dy, mut sum_dc, mut sum_c) = (0f32, 0f64, 0f64);
    for y in 0..src.height {
        for x in 0..src.width {
            let (s, f, h) = (
                space::rgb_to_ycbcr(src.rgb(x, y)),
                space::rgb_to_ycbcr(full.rgb(x, y)),
                space::rgb_to_ycbcr(half.rgb(x, y)),
            );
            max_dy = max_dy.max((s[0] - h[0]).abs());
            sum_dc += ((f[1] - h[1]).abs() + (f[2] - h[2]).abs()) as f64;
            sum_c += ((f[1] - s[1]).abs() + (f[2] - s[2]).abs()) as f64;
        }
    }
    assert!(
        max_dy < 1e-4,
        "half-resolution chroma changed the luma by {max_dy}"
    );
    // On a smooth picture the half-resolution chroma is close to the full one: far closer than
    // the network's own change of the chroma.
    assert!(
        sum_dc < 0.25 * sum_c,
        "half vs full chroma differ by {sum_dc}, the network changed it by {sum_c}"
    );
}

#[test]
fn a_reduced_scale_network_keeps_the_sources_own_fine_chroma() {
    // An untrained network (zero head) on the identity prior corrects nothing: at half scale
    // the render must still be the source itself, its one-pixel colour detail included. The
    // correction is what gets upsampled, not the source's chroma.
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let net = tinct_ml::net::ChromaNet::new(&vs.root(), tinct_ml::net::ModelSize::Small);
    let src = Image::from_fn_rgb(67, 45, |x, y| {
        let v = 0.1 + 0.5 * x as f32 / 67.0;
        if (x + y) % 2 == 0 {
            [v * 1.3, v, v * 0.7]
        } else {
            [v * 0.7, v, v * 1.3]
        }
    });
    let opts = TileOptions {
        chroma_scale: 2,
        ..TileOptions::default()
    };
    let out = tiles::colorize(&net, &src, tch::Device::Cpu, &opts);
    let max_d = src
        .data
        .iter()
        .zip(&out.data)
        .map(|(a, b)| (space::encode(*a) - space::encode(*b)).abs())
        .fold(0f32, f32::max);
    assert!(
        max_d < 1e-4,
        "the source's chroma detail changed by {max_d}"
    );
}

#[test]
fn tiled_and_whole_frame_agree() {
    let (_dir, p) = trained();
    let (_vs, net) = net_of(&p);
    let src = monochrome(&colour_frame(7, 300, 190));
    let whole = tiles::colorize(
        &net,
        &src,
        tch::Device::Cpu,
        &TileOptions {
            tile: 4096,
            overlap: 64,
            half: false,
            chroma_scale: 1,
            place: None,
        },
    );
    let tiled = tiles::colorize(
        &net,
        &src,
        tch::Device::Cpu,
        &TileOptions {
            tile: 96,
            overlap: 64,
            half: false,
            chroma_scale: 1,
            place: None,
        },
    );
    let (mut max_d, mut sum_d) = (0f32, 0f64);
    for (a, b) in whole.data.iter().zip(&tiled.data) {
        let d = (space::encode(*a) - space::encode(*b)).abs();
        max_d = max_d.max(d);
        sum_d += d as f64;
    }
    let mean_d = sum_d / whole.data.len() as f64;
    // Differences only come from context beyond the margin; far below one 10-bit code value.
    assert!(
        max_d < 1e-3 && mean_d < 1e-4,
        "tiles differ from the whole frame: max {max_d}, mean {mean_d}"
    );
}

#[test]
fn rendered_frames_are_skipped_unless_forced_and_ranges_render_a_subset() {
    let (dir, p) = trained();
    let out_dir = dir.path().join("pipeline/04_inference_render");
    let mut c = ctx(&p, "infer-range");
    c.frames = Some(FrameRange { first: 2, last: 3 });
    let o = infer::run(&c).unwrap();
    assert_eq!(o.metrics["rendered"], 2, "{}", o.summary);
    assert!(!out_dir.join("render.0001.exr").exists());
    assert!(out_dir.join("render.0002.exr").exists() && out_dir.join("render.0003.exr").exists());
    let m = metrics(&c);
    assert!(
        m.iter()
            .all(|r| r.get("frames_per_s").is_some() && r.get("eta_s").is_some())
    );

    let stamp = std::fs::metadata(out_dir.join("render.0002.exr"))
        .unwrap()
        .modified()
        .unwrap();
    let o = infer::run(&ctx(&p, "infer-all")).unwrap();
    assert_eq!(
        (
            o.metrics["rendered"].as_u64(),
            o.metrics["skipped"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        std::fs::metadata(out_dir.join("render.0002.exr"))
            .unwrap()
            .modified()
            .unwrap(),
        stamp
    );

    let mut forced = ctx(&p, "infer-forced");
    forced.force = true;
    let o = infer::run(&forced).unwrap();
    assert_eq!(o.metrics["rendered"], 3);
    // The delivered file carries the source luma (half-float EXR precision).
    let src = media::read_linear(&dir.path().join("footage/scan.0002.exr"), None).unwrap();
    let out = media::read_linear(&out_dir.join("render.0002.exr"), None).unwrap();
    let (x, y) = (40, 30);
    let dy = (space::luma(src.rgb(x, y)) - space::luma(out.rgb(x, y))).abs();
    assert!(dy < 2e-3, "delivered luma differs by {dy}");
}

#[test]
fn grade_luma_is_applied_the_same_way_at_prep_and_at_render() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), &[1, 2, 3]);
    p.config.train.luma = tinct_ml::project::config::LumaMode::Grade;
    p.config.train.steps = tinct_core::project::config::Steps::Count(15);
    // Fade the scan: 40% darker than the reference, so the grade has a tone to put back.
    for f in [1, 2, 3] {
        for rel in [
            format!("footage/scan.{f:04}.exr"),
            format!("pipeline/02_alignment/src.{f:04}.exr"),
        ] {
            let path = dir.path().join(rel);
            let mut img = media::read_linear(&path, None).unwrap();
            img.data.iter_mut().for_each(|v| *v *= 0.6);
            media::write(&path, &img, &float_exr()).unwrap();
        }
    }
    prep::run(&ctx(&p, "prep")).unwrap();
    let manifest = tinct_ml::dataset::PrepManifest::load(
        &dir.path()
            .join("pipeline/03_copycat_training/prep/manifest.json"),
    )
    .unwrap();
    let cube = manifest
        .luma_grade
        .clone()
        .expect("the manifest names the luma grade");
    assert!(dir.path().join(&cube).exists(), "{cube} missing");
    train::run(&ctx(&p, "train")).unwrap();
    infer::run(&ctx(&p, "infer")).unwrap();
    // The render's luma is the corrected luma the network was trained on, not the raw scan's.
    let pair = manifest.pairs.iter().find(|q| q.frame == 1).unwrap();
    let input = media::read_linear(&dir.path().join(&pair.input), None).unwrap();
    let render = media::read_linear(
        &dir.path()
            .join("pipeline/04_inference_render/render.0001.exr"),
        None,
    )
    .unwrap();
    let scan = media::read_linear(&dir.path().join("footage/scan.0001.exr"), None).unwrap();
    assert_eq!((input.width, input.height), (render.width, render.height));
    let (mut max_dy, mut lift) = (0f32, 0f64);
    for y in 0..input.height {
        for x in 0..input.width {
            let a = space::rgb_to_ycbcr(input.rgb(x, y))[0];
            let b = space::rgb_to_ycbcr(render.rgb(x, y))[0];
            max_dy = max_dy.max((a - b).abs());
            lift += f64::from(a - space::rgb_to_ycbcr(scan.rgb(x, y))[0]);
        }
    }
    let lift = lift / (input.width * input.height) as f64;
    assert!(
        lift > 0.03,
        "the grade did not lift the faded luma (mean {lift})"
    );
    assert!(
        max_dy < 2e-3,
        "render luma differs from the prepared luma by {max_dy}"
    );
}

#[test]
fn the_reference_guide_gives_frames_nobody_trained_on_their_own_colour() {
    let (dir, mut p) = trained();
    // The colour reference of the whole reel (the fixture's pairs are frames 1-3), placed on
    // the source by the identity, as the alignment stage records it. Frames 6-7 are a shot in
    // warm light the training never saw: the same greys, another colour.
    let shot = |f: i64| {
        let mut c = colour_frame(f, W, H);
        if f >= 6 {
            for p in c.data.chunks_exact_mut(3) {
                p[0] *= 1.35;
                p[2] *= 0.6;
            }
        }
        c
    };
    for f in [1i64, 2, 3, 6, 7] {
        let colour = shot(f);
        media::write(
            &dir.path().join(format!("transfer/ref.{f:04}.exr")),
            &colour,
            &float_exr(),
        )
        .unwrap();
        media::write(
            &dir.path().join(format!("footage/scan.{f:04}.exr")),
            &monochrome(&colour),
            &float_exr(),
        )
        .unwrap();
    }
    let manifest_path = dir.path().join("pipeline/02_alignment/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    for pair in manifest["pairs"].as_array_mut().unwrap() {
        pair["matrix"] = serde_json::json!([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        pair["reference_frame"] = pair["frame"].clone();
        pair["coverage"] = serde_json::json!(1.0);
        pair["override"] = serde_json::json!("none");
    }
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    p.config.reference.pattern = "transfer/ref.%04d.exr".into();
    p.config.reference.colorspace = "linear-rec709".into();
    let out_dir = dir.path().join("pipeline/04_inference_render");
    let error_of = |guide, name: &str| {
        let mut q = p.clone();
        q.config.infer.guide = guide;
        let mut c = ctx(&q, name);
        c.frames = Some(FrameRange { first: 6, last: 7 });
        c.force = true;
        infer::run(&c).unwrap();
        let log = std::fs::read_to_string(q.runs_dir().join(name).join("log.txt")).unwrap();
        let mut err = 0f64;
        for f in [6, 7] {
            let out =
                media::read_linear(&out_dir.join(format!("render.{f:04}.exr")), None).unwrap();
            let want = shot(f);
            for y in 0..H {
                for x in 0..W {
                    let (a, b) = (
                        space::rgb_to_ycbcr(out.rgb(x, y)),
                        space::rgb_to_ycbcr(want.rgb(x, y)),
                    );
                    err += f64::from((a[1] - b[1]).abs() + (a[2] - b[2]).abs());
                }
            }
        }
        (err / (2 * W * H) as f64, log)
    };
    use tinct_core::project::config::Guide;
    let (alone, _) = error_of(Guide::Off, "infer-alone");
    let (guided, log) = error_of(Guide::Reference, "infer-guided");
    assert!(
        log.contains("placed by the nearest of 3 aligned pairs"),
        "{log}"
    );
    assert!(
        guided < 0.5 * alone,
        "chroma error on frames 6-7: {alone:.4} from the network alone, {guided:.4} guided"
    );
}
