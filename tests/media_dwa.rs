//! DWAA/DWAB OpenEXR files (lossy DCT compression, common in VFX deliveries and in the CC0
//! footage) read through `media::read` match what the OpenEXR reference library decodes.
//!
//! Fixtures: 61x37 crops (partial DCT blocks, a short last DWAA chunk) written by
//! `tests/fixtures/media/make_dwa_fixtures.py`, beside what OpenEXR decodes from them, stored as
//! ZIP EXRs. DWA decoders agree to one half-float step in DWA's perceptual domain (OpenEXR's
//! AVX, SSE2 and scalar inverse DCTs round differently), hence the tolerance.

use std::path::{Path, PathBuf};
use tinct::media;

const MAX_REL_ERR: f32 = 5e-3;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media")
}

fn check(stem: &str) {
    let got = media::read(&fixtures().join(format!("{stem}.exr"))).unwrap();
    let want = media::read(&fixtures().join(format!("{stem}.expected.exr"))).unwrap();
    assert_eq!((got.image.width, got.image.height), (61, 37), "{stem}");
    assert_eq!(got.image.channels, want.image.channels, "{stem}");
    let worst = got
        .image
        .data
        .iter()
        .zip(&want.image.data)
        .map(|(&g, &w)| (g - w).abs() / w.abs().max(1e-2))
        .fold(0f32, f32::max);
    assert!(worst <= MAX_REL_ERR, "{stem}: max relative error {worst}");
    let info = media::probe(&fixtures().join(format!("{stem}.exr"))).unwrap();
    assert!(
        info.compression.to_ascii_lowercase().contains("dwa"),
        "{stem}: {}",
        info.compression
    );
}

#[test]
fn dwaa_matches_openexr() {
    check("dwaa_61x37");
}

#[test]
fn dwab_matches_openexr() {
    check("dwab_61x37");
}

/// Two DWAA files the fuzzer made from the fixture (one counter in a chunk header raised): the
/// `exr` crate sized a buffer from it and aborted the process (373 GB allocation; capacity
/// overflow on a decoder thread). They are refused with one error line naming the file.
#[test]
fn dwa_chunks_declaring_impossible_sizes_are_an_error_not_an_abort() {
    for name in [
        "dwaa_fuzz_huge_section.exr",
        "dwaa_fuzz_capacity_overflow.exr",
    ] {
        let path = fixtures().join(name);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tinct"))
            .args(["media", "convert"])
            .arg(&path)
            .arg(std::env::temp_dir().join(format!("tinct-dwa-{}.exr", std::process::id())))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("DWA"),
            "{name}: {stderr}"
        );
    }
}
