//! DWAA/DWAB decoding against the OpenEXR reference library.
//!
//! Fixtures (always run): small crops written by `tests/fixtures/media/make_dwa_fixtures.py`
//! together with what OpenEXR decodes from them, stored as ZIP EXRs read through the `exr` crate.
//! Footage (runs where `../shared/footage/blender-cc0` exists): the CC0 Blender HDRIs, compared
//! to the python OpenEXR peer (`$TINCT_PYTHON`).

use std::path::{Path, PathBuf};
use std::process::Command;
use tinct::media::dwa::{DwaKind, read_dwa_exr};

/// OpenEXR's own AVX, SSE2 and scalar inverse DCTs round differently, so decoders agree only
/// to one half-float step in DWA's perceptual domain (bit-identical on >99.9% of samples).
/// Above 1.0 that domain is logarithmic, turning one step into up to ~4.7e-3 relative in linear.
const MAX_REL_ERR: f32 = 5e-3;

/// Relative error with a floor, so near-black samples compare by absolute difference.
fn rel_err(got: f32, want: f32) -> f32 {
    (got - want).abs() / want.abs().max(1e-2)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media")
}

fn expected_planes(path: &Path) -> Vec<(String, Vec<f32>)> {
    let image = exr::prelude::read_first_flat_layer_from_file(path)
        .unwrap_or_else(|e| panic!("reading reference {}: {e}", path.display()));
    image
        .layer_data
        .channel_data
        .list
        .iter()
        .map(|c| (c.name.to_string(), c.sample_data.values_as_f32().collect()))
        .collect()
}

fn check_fixture(stem: &str, kind: DwaKind) {
    let img = read_dwa_exr(&fixtures().join(format!("{stem}.exr"))).unwrap();
    assert_eq!((img.width, img.height, img.kind), (61, 37, kind));
    assert_eq!(img.channels, ["A", "B", "G", "R", "depth.Z"]);
    for (name, want) in expected_planes(&fixtures().join(format!("{stem}.expected.exr"))) {
        let got = img
            .plane(&name)
            .unwrap_or_else(|| panic!("{stem}: no channel {name}"));
        assert_eq!(got.len(), want.len(), "{stem}: {name} size");
        let worst = got
            .iter()
            .zip(&want)
            .map(|(&g, &w)| rel_err(g, w))
            .fold(0f32, f32::max);
        assert!(
            worst <= MAX_REL_ERR,
            "{stem}: channel {name} max relative error {worst}"
        );
        if name == "A" || name == "depth.Z" {
            // RLE and "unknown" channels are lossless.
            assert_eq!(got, &want[..], "{stem}: lossless channel {name} differs");
        }
    }
}

#[test]
fn dwaa_fixture_matches_openexr() {
    check_fixture("dwaa_61x37", DwaKind::Dwaa);
}

#[test]
fn dwab_fixture_matches_openexr() {
    check_fixture("dwab_61x37", DwaKind::Dwab);
}

#[test]
fn non_dwa_file_is_refused_with_its_name() {
    let path = fixtures().join("dwab_61x37.expected.exr");
    let err = read_dwa_exr(&path).unwrap_err().to_string();
    assert!(
        err.contains("dwab_61x37.expected.exr") && err.contains("compression"),
        "{err}"
    );
}

fn python() -> String {
    std::env::var("TINCT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Decodes `path` with the python OpenEXR peer into interleaved RGB f32.
fn peer_rgb(path: &Path, out: &Path) -> Vec<f32> {
    let script = "import sys, OpenEXR, numpy as np\n\
        px = OpenEXR.File(sys.argv[1]).channels()['RGB'].pixels\n\
        np.ascontiguousarray(px, dtype='<f4').tofile(sys.argv[2])\n";
    let status = Command::new(python())
        .args(["-c", script])
        .arg(path)
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("python peer ({}) missing: {e}; set TINCT_PYTHON", python()));
    assert!(
        status.success(),
        "python OpenEXR peer failed on {}",
        path.display()
    );
    std::fs::read(out)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

#[test]
fn blender_footage_matches_python_openexr() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/footage/blender-cc0");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: {} not present", dir.display());
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let img = read_dwa_exr(&path).unwrap();
        let (got, n) = img.rgba_interleaved().expect("RGB channels");
        assert_eq!(n, 3);
        let want = peer_rgb(&path, &tmp.path().join("peer.f32"));
        assert_eq!(got.len(), want.len(), "{}", path.display());
        let errs: Vec<f32> = got
            .iter()
            .zip(&want)
            .map(|(&g, &w)| rel_err(g, w))
            .collect();
        let worst = errs.iter().copied().fold(0f32, f32::max);
        let mean = errs.iter().map(|&e| e as f64).sum::<f64>() / errs.len() as f64;
        let differing = errs.iter().filter(|&&e| e > 0.0).count() as f64 / errs.len() as f64;
        eprintln!(
            "{}: max relative error {worst:e}, mean {mean:e}, {:.3}% samples differ",
            path.display(),
            differing * 100.0
        );
        assert!(
            worst <= MAX_REL_ERR,
            "{}: max relative error {worst}",
            path.display()
        );
        assert!(
            differing < 1e-3,
            "{}: {differing} of samples differ",
            path.display()
        );
    }
}
