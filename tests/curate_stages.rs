//! Stages 1–2 end to end on small synthetic reels built from the vtest frames: sync finds a
//! known offset, curate names a missing frame, align writes aligned pairs, QC and a manifest.

use std::path::Path;
use tinct::media::{self, Image, WriteOptions};
use tinct::project::Project;
use tinct::stages::align::{motion, warp};
use tinct::stages::{self, Ctx};

const OFFSET: i64 = 7;
const SRC_SIZE: (usize, usize) = (192, 144);
const REF_SIZE: (usize, usize) = (160, 120);

fn vtest(i: usize) -> Image {
    let dir = tinct::bench::footage_dir(None).expect("shared footage folder (set TINCT_FOOTAGE)");
    media::read_linear(&dir.join(format!("vtest/vtest.{:04}.jpg", i * 8)), None).unwrap()
}

/// Resample `img` onto `size` through `m` (output px -> input px).
fn resample(img: &Image, m: &motion::Mat3, size: (usize, usize)) -> Image {
    warp::warp_image(img, m, size.0, size.1, warp::Filter::Bicubic).0
}

/// Source: a faded black-and-white scan numbered from 1001. Reference: a smaller colour
/// transfer, framed a little differently, numbered from 1001 + OFFSET - 1 (one extra frame at
/// the head) and missing one frame in the middle.
fn make_project(dir: &Path, frames: &[i64]) {
    let (src_dir, ref_dir) = (dir.join("footage/src"), dir.join("footage/ref"));
    std::fs::create_dir_all(&src_dir).unwrap();
    std::fs::create_dir_all(&ref_dir).unwrap();
    let png = WriteOptions {
        colorspace: tinct::color::Colorspace::Srgb,
        bits: 8,
        ..Default::default()
    };
    let n = 24;
    for i in 0..=n {
        let frame = vtest(i);
        let sx = frame.width as f64 / SRC_SIZE.0 as f64;
        let to_src = motion::scale_translate(sx, 0.0, 0.0);
        let src = resample(&frame, &to_src, SRC_SIZE);
        // The transfer sees the picture 3% larger and shifted: scale from its own size, then move.
        let rs = frame.width as f64 / REF_SIZE.0 as f64 / 1.03;
        let to_ref = motion::scale_translate(rs, 6.0, 4.0);
        let reference = resample(&frame, &to_ref, REF_SIZE);
        if i >= 1 {
            let f = 1000 + i as i64;
            let faded = Image::from_fn_rgb(src.width, src.height, |x, y| {
                let [r, g, b] = src.rgb(x, y);
                let l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
                [l * 0.6 + 0.03; 3]
            });
            media::write(&src_dir.join(format!("reel.{f:04}.png")), &faded, &png).unwrap();
        }
        let rf = 1000 + i as i64 + OFFSET;
        if rf != 1000 + 15 + OFFSET {
            media::write(
                &ref_dir.join(format!("transfer.{rf:04}.png")),
                &reference,
                &png,
            )
            .unwrap();
        }
    }
    let list = frames
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let toml = format!(
        "# test reel\n[project]\nname = \"test\"\n\n[source]\npattern = \"footage/src/reel.%04d.png\"\n\n\
         [reference]\npattern = \"footage/ref/transfer.%04d.png\" # the transfer\noffset = 0\n\n\
         [sync]\nmax-offset = 12\n\n[curate]\nframes = [{list}]\n\n[align]\nmodel = \"similarity\"\n"
    );
    std::fs::write(dir.join("tinct.toml"), toml).unwrap();
}

fn ctx(dir: &Path, name: &str) -> Ctx {
    let project = Project::load(dir).unwrap();
    let config = project.config.clone();
    Ctx::new(project, config, dir.join("runs").join(name)).unwrap()
}

#[test]
fn sync_finds_the_offset_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    make_project(dir.path(), &[1005]);
    let out = stages::sync::run(&ctx(dir.path(), "sync")).unwrap();
    assert!(
        out.summary.starts_with(&format!("offset {OFFSET} ")),
        "{}",
        out.summary
    );
    let reloaded = Project::load(dir.path()).unwrap();
    assert_eq!(reloaded.config.reference.offset, OFFSET);
    let text = std::fs::read_to_string(dir.path().join("tinct.toml")).unwrap();
    assert!(
        text.contains("# the transfer") && text.contains("# test reel"),
        "comments kept:\n{text}"
    );
    assert!(
        dir.path()
            .join("pipeline/01_dataset_curation/sync.json")
            .is_file()
    );
}

#[test]
fn curate_names_a_missing_frame_and_its_pattern() {
    let dir = tempfile::tempdir().unwrap();
    make_project(dir.path(), &[1005, 1040]);
    let text = std::fs::read_to_string(dir.path().join("tinct.toml")).unwrap();
    std::fs::write(
        dir.path().join("tinct.toml"),
        text.replace("offset = 0", &format!("offset = {OFFSET}")),
    )
    .unwrap();
    let err = stages::curate::run(&ctx(dir.path(), "c1"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("source frame 1040") && err.contains("reel.%04d.png"),
        "{err}"
    );
    assert!(
        !dir.path()
            .join("pipeline/01_dataset_curation/manifest.json")
            .exists(),
        "nothing written on error"
    );

    // Frame 1015's reference (1022 with the right offset) was left out of the transfer.
    let text = std::fs::read_to_string(dir.path().join("tinct.toml")).unwrap();
    let text = text.replace("frames = [1005, 1040]", "frames = [1005, 1015]");
    std::fs::write(dir.path().join("tinct.toml"), text).unwrap();
    let err = stages::curate::run(&ctx(dir.path(), "c2"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("reference frame 1022") && err.contains("transfer.%04d.png"),
        "{err}"
    );
}

#[test]
fn curate_then_align_writes_aligned_pairs_qc_and_manifests() {
    let dir = tempfile::tempdir().unwrap();
    make_project(dir.path(), &[1005, 1012]);
    let text = std::fs::read_to_string(dir.path().join("tinct.toml")).unwrap();
    let text = text.replace("offset = 0", &format!("offset = {OFFSET}"))
        + "crop = [4, 2, 180, 136]\n\n[align.override.1012]\ntranslate = [2.0, 0.0]\nmode = \"on-top\"\n";
    std::fs::write(dir.path().join("tinct.toml"), text).unwrap();
    stages::curate::run(&ctx(dir.path(), "curate")).unwrap();
    let curated: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            dir.path()
                .join("pipeline/01_dataset_curation/manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(curated["pairs"][0]["reference_frame"], 1005 + OFFSET);
    assert_eq!(
        curated["pairs"][0]["reference_size"],
        serde_json::json!([REF_SIZE.0, REF_SIZE.1])
    );

    let out = stages::align::run(&ctx(dir.path(), "align")).unwrap();
    assert!(out.summary.contains("aligned 2 pairs"), "{}", out.summary);
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("pipeline/02_alignment/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["crop"], serde_json::json!([4, 2, 180, 136]));
    let first = &m["pairs"][0];
    assert_eq!(first["frame"], 1005);
    assert_eq!(first["flagged"], false, "{first}");
    assert!(first["confidence"].as_f64().unwrap() > 0.9, "{first}");
    // Truth: reference = source * (192/160 * 1.03)^-1 ... i.e. ref px = (src px * sx - (6,4)) / rs.
    let sx = 768.0 / SRC_SIZE.0 as f64;
    let rs = 768.0 / REF_SIZE.0 as f64 / 1.03;
    let truth = [
        [sx / rs, 0.0, -6.0 / rs],
        [0.0, sx / rs, -4.0 / rs],
        [0.0, 0.0, 1.0],
    ];
    let fit: motion::Mat3 = serde_json::from_value(first["matrix"].clone()).unwrap();
    let err = motion::rms_corner_error(&fit, &truth, SRC_SIZE.0, SRC_SIZE.1);
    assert!(err < 0.3, "corner error {err} px: {fit:?}");
    assert_eq!(m["pairs"][1]["override"], "on-top");

    let aligned =
        media::read_linear(&dir.path().join("pipeline/02_alignment/ref.1005.exr"), None).unwrap();
    let source =
        media::read_linear(&dir.path().join("pipeline/02_alignment/src.1005.exr"), None).unwrap();
    assert_eq!((aligned.width, aligned.height), (180, 136));
    assert_eq!((source.width, source.height), (180, 136));
    for qc in ["dissolve", "difference", "checker"] {
        assert!(
            dir.path()
                .join(format!("pipeline/02_alignment/qc/{qc}.1005.png"))
                .is_file(),
            "{qc}"
        );
    }
}
