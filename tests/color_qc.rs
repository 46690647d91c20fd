//! `tinct qc` end to end: the real binary on small PNG and EXR files written here, with the
//! ΔE2000 numbers checked against an independent colour-science computation (python peer).

use std::path::Path;
use std::process::{Command, Output};
use tinct::color::Colorspace;
use tinct::media::{Image, WriteOptions, write};

fn tinct(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(args)
        .output()
        .expect("run tinct")
}

fn qc_json(a: &Path, b: &Path) -> serde_json::Value {
    let out = tinct(&["qc", a.to_str().unwrap(), b.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "tinct qc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("qc --json prints one JSON object")
}

fn python() -> String {
    std::env::var("TINCT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A colourful test card: smooth hue and saturation ramps, in linear Rec.709.
fn card(w: usize, h: usize, shift: f32) -> Image {
    Image::from_fn_rgb(w, h, |x, y| {
        let u = x as f32 / (w - 1) as f32;
        let v = y as f32 / (h - 1) as f32;
        [
            0.02 + 0.8 * u,
            0.05 + 0.6 * v * (1.0 - shift),
            0.3 * (1.0 - u) + shift * 0.2,
        ]
    })
}

fn write_png(path: &Path, img: &Image) {
    let opts = WriteOptions {
        colorspace: Colorspace::Srgb,
        bits: 8,
        ..WriteOptions::default()
    };
    write(path, img, &opts).expect("write png");
}

fn write_exr(path: &Path, img: &Image) {
    let opts = WriteOptions {
        colorspace: Colorspace::LinearRec709,
        half: false,
        ..WriteOptions::default()
    };
    write(path, img, &opts).expect("write exr");
}

#[test]
fn png_pair_matches_colour_science_de2000() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
    write_png(&a, &card(24, 16, 0.0));
    write_png(&b, &card(24, 16, 0.3));
    let report = qc_json(&a, &b);

    // Independent peer: decode the 8-bit sRGB files, derive the sRGB→XYZ matrix from the BT.709
    // primaries and D65 (as tinct does), CIELAB D65, colour-science's CIE 2000.
    let script = r#"
import sys, json, numpy as np, cv2, colour
def lab(p):
    bgr = cv2.imread(p, cv2.IMREAD_UNCHANGED).astype(np.float64) / 255.0
    rgb = colour.models.eotf_sRGB(bgr[..., ::-1])
    cs = colour.RGB_COLOURSPACES['sRGB']
    m = colour.normalised_primary_matrix(cs.primaries, cs.whitepoint)
    xyz = rgb @ m.T
    return colour.XYZ_to_Lab(xyz, cs.whitepoint)
d = colour.delta_E(lab(sys.argv[1]), lab(sys.argv[2]), method='CIE 2000').ravel()
print(json.dumps({'mean': d.mean(), 'median': float(np.median(d)), 'p95': float(np.percentile(d, 95))}))
"#;
    let out = Command::new(python())
        .args(["-c", script, a.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap_or_else(|e| panic!("python peer not runnable ({e}); set TINCT_PYTHON to a python with colour-science, numpy, cv2"));
    assert!(
        out.status.success(),
        "python peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    for key in ["mean", "median", "p95"] {
        let got = report["de00"][key].as_f64().unwrap();
        let want = peer[key].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-3,
            "de00.{key}: tinct {got}, colour-science {want}"
        );
    }
    assert!(
        report["de00"]["mean"].as_f64().unwrap() > 1.0,
        "the cards differ visibly"
    );
    let psnr = report["chroma_psnr"]
        .as_f64()
        .expect("different chroma gives a finite PSNR");
    assert!(psnr > 10.0 && psnr < 60.0, "{psnr}");
    assert_eq!(report["frames"].as_array().unwrap().len(), 1);
}

#[test]
fn exr_sequences_compare_per_frame_and_overall() {
    let dir = tempfile::tempdir().unwrap();
    for f in 1..=3 {
        write_exr(
            &dir.path().join(format!("a.{f:04}.exr")),
            &card(20, 10, 0.0),
        );
        // Frame 2 is identical; the others differ by a growing amount.
        let shift = if f == 2 { 0.0 } else { 0.1 * f as f32 };
        write_exr(
            &dir.path().join(format!("b.{f:04}.exr")),
            &card(20, 10, shift),
        );
    }
    write_exr(&dir.path().join("b.0004.exr"), &card(20, 10, 0.0));
    let report = qc_json(
        &dir.path().join("a.%04d.exr"),
        &dir.path().join("b.####.exr"),
    );

    let frames = report["frames"].as_array().unwrap();
    assert_eq!(
        frames
            .iter()
            .map(|f| f["frame"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(frames[1]["de00"]["mean"].as_f64().unwrap(), 0.0);
    assert!(
        frames[1]["chroma_psnr"].is_null(),
        "identical chroma → null (infinite) PSNR"
    );
    let m1 = frames[0]["de00"]["mean"].as_f64().unwrap();
    let m3 = frames[2]["de00"]["mean"].as_f64().unwrap();
    assert!(m3 > m1 && m1 > 0.0, "{m1} {m3}");
    // The overall mean pools every pixel: frames are equal-sized, so it is the mean of means.
    let overall = report["de00"]["mean"].as_f64().unwrap();
    assert!((overall - (m1 + m3) / 3.0).abs() < 1e-6, "{overall}");
    assert_eq!(report["unmatched_b"].as_array().unwrap().len(), 1);
    assert!(report["de00"]["p95"].as_f64().unwrap() >= report["de00"]["median"].as_f64().unwrap());

    // Human output names the frames and the overall line.
    let out = tinct(&[
        "qc",
        dir.path().join("a.%04d.exr").to_str().unwrap(),
        dir.path().join("b.%04d.exr").to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("overall (3 frame(s))") && text.contains("only in B"),
        "{text}"
    );
}

#[test]
fn size_mismatch_is_a_clear_error_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("small.exr"), dir.path().join("large.png"));
    write_exr(&a, &card(8, 6, 0.0));
    write_png(&b, &card(10, 6, 0.0));
    let out = tinct(&["qc", a.to_str().unwrap(), b.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("small.exr is 8x6") && err.contains("large.png is 10x6"),
        "{err}"
    );
}
