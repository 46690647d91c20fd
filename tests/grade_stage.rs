//! The MatchGrade and compare stages on a small project: the baseline fitted on graded pairs
//! beats the untouched source on a held-out frame, the exports land in the project, and the
//! render carries the source frame numbers and the configured output settings.

use tinct::color::Colorspace;
use tinct::media::{self, Image, WriteOptions};
use tinct::project::{self, layout};
use tinct::stages::align::AlignmentManifest;

mod cli_support;
use tinct::stages::{Ctx, Stage};

/// A colourful frame: hue sweeps, a texture, a vignette; frame `f` shifts it a little.
fn scene(w: usize, h: usize, f: usize) -> Image {
    Image::from_fn_rgb(w, h, |x, y| {
        let u = ((x + f * 3) % w) as f32 / w as f32;
        let v = y as f32 / h as f32;
        let t = ((x * 7 + y * 13 + f) % 17) as f32 / 170.0;
        [
            0.05 + 0.6 * u * u + t,
            0.05 + 0.5 * v + 0.2 * (u * 6.0).sin().abs(),
            0.05 + 0.4 * (1.0 - u) * v + t,
        ]
    })
}

/// A faded print: cyan and yellow dyes lost, a magenta cast (in density, as film fades).
fn faded(img: &Image) -> Image {
    let mut out = img.clone();
    for p in out.data.chunks_exact_mut(3) {
        let d = [
            -(p[0].max(1e-4)).log10() * 0.55,
            -(p[1].max(1e-4)).log10() * 0.9,
            -(p[2].max(1e-4)).log10() * 0.5,
        ];
        p.copy_from_slice(&[
            10f32.powf(-d[0] - 0.02),
            10f32.powf(-d[1] - 0.08),
            10f32.powf(-d[2] - 0.03),
        ]);
    }
    out
}

fn exr() -> WriteOptions {
    WriteOptions {
        half: false,
        ..Default::default()
    }
}

#[test]
fn matchgrade_beats_the_source_on_held_out_frames_and_renders_like_infer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut proj = project::init(
        root,
        "footage/src/reel.%04d.exr",
        "footage/ref/ref.%04d.exr",
        0,
        false,
    )
    .unwrap();
    let (w, h) = (96, 64);
    let mut manifest = AlignmentManifest {
        crop: [0, 0, w, h],
        pairs: Vec::new(),
    };
    for f in 101..=104 {
        let clean = scene(w, h, f);
        let src = faded(&clean);
        media::write(
            &root.join(format!("footage/src/reel.{f:04}.exr")),
            &src,
            &exr(),
        )
        .unwrap();
        let (s, r) = (
            format!("{}/src.{f:04}.exr", layout::ALIGNMENT),
            format!("{}/ref.{f:04}.exr", layout::ALIGNMENT),
        );
        media::write(&root.join(&s), &src, &exr()).unwrap();
        media::write(&root.join(&r), &clean, &exr()).unwrap();
        manifest
            .pairs
            .push(cli_support::identity_pair(f as i64, s, r));
    }
    std::fs::write(
        root.join(layout::ALIGNMENT).join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    proj.config.curate.validation = vec![104];
    proj.config.matchgrade.lut_size = 17;
    proj.config.infer.colorspace = tinct::color::Colorspace::P3D65;
    proj.config.infer.format = tinct::project::config::OutputFormat::Tiff;
    proj.config.infer.crop = vec![8, 4, 80, 56];

    let ctx = Ctx::new(proj.clone(), proj.config.clone(), root.join("runs/mg")).unwrap();
    let out = Stage::Matchgrade.run(&ctx).unwrap();
    assert!(out.summary.contains("matchgrade"), "{}", out.summary);

    // Exports: a .cube the project keeps, and the CDL for Resolve/Nuke.
    let mg = root.join(layout::MATCHGRADE);
    let cube = tinct::grade::cube::read(&mg.join("matchgrade.cube")).unwrap();
    assert_eq!(cube.size, 17);
    assert!(mg.join("matchgrade.cc").exists() && mg.join("matchgrade.cdl").exists());
    // Renders: every source frame, named by source frame, cropped, in P3-D65 16-bit TIFF.
    for f in 101..=104 {
        let p = mg.join(format!("matchgrade.{f:04}.tif"));
        let img = media::read_linear(&p, Some(Colorspace::P3D65)).unwrap();
        assert_eq!((img.width, img.height), (80, 56), "{}", p.display());
    }

    let ctx = Ctx::new(proj.clone(), proj.config.clone(), root.join("runs/cmp")).unwrap();
    let out = Stage::Compare.run(&ctx).unwrap();
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("runs/cmp/artifacts/compare.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report["held_out"], true, "{}", out.summary);
    assert_eq!(report["frames"], serde_json::json!([104]));
    let de = |v: &str| report["overall"][v]["de00"]["mean"].as_f64().unwrap();
    assert!(
        de("source") > 3.0,
        "the faded source should be visibly off: {}",
        de("source")
    );
    assert!(
        de("matchgrade") < 0.5 * de("source"),
        "baseline {} vs source {}",
        de("matchgrade"),
        de("source")
    );
    assert!(
        report["overall"].get("ml").is_none(),
        "no ML render exists yet"
    );
    let cmp = root.join(layout::MATCHGRADE).join("compare");
    for f in [
        "side_by_side.0104.png",
        "split.0104.png",
        "ab_contact_sheet.png",
        "compare.md",
    ] {
        assert!(cmp.join(f).exists(), "{f} missing");
    }
    assert!(
        std::fs::read_to_string(cmp.join("compare.md"))
            .unwrap()
            .contains("| matchgrade |")
    );
}
