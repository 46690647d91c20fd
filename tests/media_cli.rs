//! `tinct media info` and `tinct media convert` on a small sequence with a gap.

use std::process::Command;
use tinct::media::{self, Image, WriteOptions};

fn tinct(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn info_reports_range_and_gaps_and_convert_keeps_frame_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::from_fn_rgb(32, 16, |x, y| [x as f32 / 32.0, y as f32 / 16.0, 0.25]);
    for f in [10, 11, 14] {
        media::write(
            &dir.path().join(format!("shot.{f:04}.exr")),
            &img,
            &WriteOptions::default(),
        )
        .unwrap();
    }
    let pattern = dir.path().join("shot.%04d.exr");
    let (ok, out, err) = tinct(&["media", "info", pattern.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(32), Some(16))
    );
    assert_eq!(
        (v["first_frame"].as_i64(), v["last_frame"].as_i64()),
        (Some(10), Some(14))
    );
    assert_eq!(v["gaps"], serde_json::json!([[12, 13]]));
    assert_eq!(v["compression"], "zip");

    let out_pattern = dir.path().join("png/shot.####.png");
    let (ok, _, err) = tinct(&[
        "media",
        "convert",
        pattern.to_str().unwrap(),
        out_pattern.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    for f in [10, 11, 14] {
        let back =
            media::read_linear(&dir.path().join(format!("png/shot.{f:04}.png")), None).unwrap();
        assert!(
            (back.rgb(16, 8)[0] - 0.5).abs() < 0.01,
            "{:?}",
            back.rgb(16, 8)
        );
    }

    let (ok, _, err) = tinct(&[
        "media",
        "info",
        dir.path().join("missing.exr").to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("missing.exr"), "{err}");
}
