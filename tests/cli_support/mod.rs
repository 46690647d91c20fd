//! Shared fixtures for the tests that drive the `tinct` binary.
#![allow(dead_code)]

use std::process::Output;

/// Pass a finished `tinct` run through, failing the test with its stderr unless it succeeded.
pub fn succeeded(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A new project made by `tinct init` (placeholder source and reference patterns) plus `extra`
/// init flags.
pub fn init_project(extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    succeeded(
        std::process::Command::new(env!("CARGO_BIN_EXE_tinct"))
            .args(["init", dir.path().to_str().unwrap()])
            .args(["--source", "s.%04d.exr", "--reference", "r.%04d.exr"])
            .args(extra)
            .output()
            .unwrap(),
    );
    dir
}

/// An aligned pair that needed no transform (the reference already sits on the source), as the
/// alignment stage records it: what stage tests build their manifests from.
pub fn identity_pair(
    frame: i64,
    source: String,
    reference: String,
) -> tinct::stages::align::AlignedPair {
    tinct::stages::align::AlignedPair {
        frame,
        reference_frame: frame,
        source,
        reference,
        model: "similarity".into(),
        matrix: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        confidence: 0.99,
        residual: 0.0,
        coverage: 1.0,
        flagged: false,
        accepted: false,
        override_mode: "none".into(),
        split: String::new(),
    }
}
