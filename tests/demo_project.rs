//! The demo generator end to end, on the tiny spec: files, frame numbers, sizes, the fade, the
//! B&W print, the transfer's offset and framing, determinism.

use std::path::{Path, PathBuf};
use tinct::demo::{self, DemoSpec, DemoTruth, Footage, paths};
use tinct::media::{self, Image, Sequence};

fn make(seed: u64) -> (tempfile::TempDir, PathBuf, DemoTruth) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let truth = demo::generate(
        &dir,
        &DemoSpec {
            seed,
            ..DemoSpec::tiny()
        },
    )
    .unwrap();
    (tmp, dir, truth)
}

fn read(path: &Path) -> Image {
    media::read_linear(path, None).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

fn frames_on_disk(dir: &Path, footage: &Footage) -> Vec<i64> {
    Sequence::discover(&dir.join(&footage.pattern))
        .unwrap()
        .frames
}

#[test]
fn tiny_demo_is_a_complete_project() {
    let (_tmp, dir, truth) = make(1);
    let project = tinct::project::Project::load(&dir).unwrap();
    assert_eq!(project.config.source.pattern, paths::SOURCE);
    assert_eq!(project.config.reference.pattern, paths::REFERENCE);
    assert_eq!(
        project.config.reference.offset, 0,
        "the operator finds the offset with sync"
    );
    assert!(project.config.curate.frames.is_empty());
    for sub in tinct::project::layout::PIPELINE {
        assert!(dir.join(sub).is_dir(), "{sub} missing");
    }
    assert_eq!(
        DemoTruth::load(&dir).unwrap(),
        truth,
        "demo-truth.json round-trips"
    );

    let n = truth.source.last_frame - truth.source.first_frame + 1;
    assert!(n >= 4, "tiny demo has {n} frames");
    assert_eq!(truth.shots.len(), 2);
    assert_eq!(truth.shots[0].first_frame, truth.source.first_frame);
    assert_eq!(truth.shots[1].first_frame, truth.shots[0].last_frame + 1);
    assert_eq!(truth.shots[1].last_frame, truth.source.last_frame);

    let sources = [
        Some(&truth.source),
        truth.alternate_source.as_ref(),
        truth.clean.as_ref(),
    ];
    for footage in sources.into_iter().flatten() {
        let expected: Vec<i64> = footage.frames().collect();
        assert_eq!(
            frames_on_disk(&dir, footage),
            expected,
            "{}",
            footage.pattern
        );
        let img = read(&footage.path(&dir, footage.first_frame));
        assert_eq!(
            (img.width, img.height),
            DemoSpec::tiny().frame_size,
            "{}",
            footage.pattern
        );
        assert!(img.find_non_finite().is_none());
    }
}

#[test]
fn reference_is_smaller_offset_and_framed_as_recorded() {
    let (_tmp, dir, truth) = make(1);
    let r = &truth.reference;
    let t = &DemoSpec::tiny().transfer;
    let (sw, sh) = (truth.source.width, truth.source.height);
    assert_eq!((r.footage.width, r.footage.height), (58, 38), "0.6 x 96x64");
    assert!(r.footage.width < sw && r.footage.height < sh);
    assert_eq!(r.offset, t.offset);
    assert_eq!(
        r.footage.first_frame,
        truth.source.first_frame + t.offset - t.lead_in as i64,
        "lead-in"
    );
    assert_eq!(r.footage.last_frame, truth.source.last_frame + t.offset);
    let expected: Vec<i64> = r.footage.frames().collect();
    assert_eq!(frames_on_disk(&dir, &r.footage), expected);
    let first = read(&r.footage.path(&dir, r.footage.first_frame));
    assert_eq!((first.width, first.height), (58, 38));

    // The recorded offset and matrix must be the ones that make the transfer line up with the
    // clean print: warp every clean frame into the reference and compare, for nearby offsets.
    let clean_seq = truth.clean.as_ref().expect("tiny writes the clean print");
    let clean: Vec<(i64, Image)> = clean_seq
        .frames()
        .map(|n| (n, read(&clean_seq.path(&dir, n))))
        .collect();
    let refs: Vec<(i64, Image)> = r
        .footage
        .frames()
        .map(|n| (n, read(&r.footage.path(&dir, n))))
        .collect();
    let error_at = |offset: i64, to_source: &demo::Matrix3| {
        let errors: Vec<f64> = clean
            .iter()
            .filter_map(|(n, c)| {
                refs.iter()
                    .find(|(m, _)| *m == n + offset)
                    .map(|(_, v)| (c, v))
            })
            .map(|(c, v)| warp_error(c, v, to_source, r.video_gain))
            .collect();
        errors.iter().sum::<f64>() / errors.len() as f64
    };
    let to_source = r.matrix.inverse().unwrap();
    let right = error_at(r.offset, &to_source);
    eprintln!("transfer vs warped clean print, mean |linear error|: {right:.4} at the true offset");
    assert!(
        right < 0.03,
        "aligned transfer differs from the clean print by {right:.4} (linear)"
    );
    for wrong in [r.offset - 2, r.offset - 1, r.offset + 1, r.offset + 2] {
        let e = error_at(wrong, &to_source);
        eprintln!("  {e:.4} at offset {wrong}");
        assert!(
            right < e,
            "offset {} should fit best: error {right:.4} vs {e:.4} at {wrong}",
            r.offset
        );
    }
    let shifted = demo::Matrix3::translate(1.5, 0.0)
        .after(&r.matrix)
        .inverse()
        .unwrap();
    let e = error_at(r.offset, &shifted);
    eprintln!("  {e:.4} with the matrix shifted 1.5 px");
    assert!(
        right < e,
        "the recorded matrix should fit better than one shifted 1.5 px: {right:.4} vs {e:.4}"
    );
}

/// Mean |reference - gain * clean(warped)| in linear light over reference pixels inside the source.
fn warp_error(clean: &Image, reference: &Image, to_source: &demo::Matrix3, gain: f32) -> f64 {
    let (mut sum, mut n) = (0.0f64, 0usize);
    for v in 0..reference.height {
        for u in 0..reference.width {
            let (x, y) = to_source.apply(u as f64, v as f64);
            if x < 0.0 || y < 0.0 || x > (clean.width - 1) as f64 || y > (clean.height - 1) as f64 {
                continue;
            }
            let c = bilinear(clean, x, y);
            let r = reference.rgb(u, v);
            for k in 0..3 {
                sum += ((c[k] * gain).min(1.0) - r[k]).abs() as f64;
            }
            n += 3;
        }
    }
    sum / n as f64
}

fn bilinear(img: &Image, x: f64, y: f64) -> [f32; 3] {
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(img.width - 1), (y0 + 1).min(img.height - 1));
    let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
    let (a, b, c, d) = (
        img.rgb(x0, y0),
        img.rgb(x1, y0),
        img.rgb(x0, y1),
        img.rgb(x1, y1),
    );
    std::array::from_fn(|k| {
        (a[k] * (1.0 - fx) + b[k] * fx) * (1.0 - fy) + (c[k] * (1.0 - fx) + d[k] * fx) * fy
    })
}

/// Mean over frames and pixels of ln(R) - ln(G) and ln(B) - ln(G): both grow when a print
/// turns magenta (cyan and yellow dyes gone, so red and blue light pass).
fn log_casts(dir: &Path, footage: &Footage) -> [f64; 2] {
    let (mut rg, mut bg, mut n) = (0.0, 0.0, 0.0);
    for f in footage.frames() {
        let img = read(&footage.path(dir, f));
        for p in img.data.chunks_exact(3) {
            let l: [f64; 3] = std::array::from_fn(|c| (p[c].max(1e-4) as f64).ln());
            rg += l[0] - l[1];
            bg += l[2] - l[1];
            n += 1.0;
        }
    }
    [rg / n, bg / n]
}

#[test]
fn faded_print_turns_magenta_and_bw_print_has_no_chroma() {
    let (_tmp, dir, truth) = make(1);
    let clean = log_casts(&dir, truth.clean.as_ref().unwrap());
    let faded = log_casts(&dir, &truth.source);
    assert_eq!(truth.source.kind, "faded");
    eprintln!("mean ln(R/G), ln(B/G): clean {clean:.3?}, faded {faded:.3?}");
    assert!(
        faded[0] - clean[0] > 0.3,
        "red over green should rise: clean {clean:?} faded {faded:?}"
    );
    assert!(
        faded[1] - clean[1] > 0.15,
        "blue over green should rise: clean {clean:?} faded {faded:?}"
    );

    let bw = truth.alternate_source.as_ref().unwrap();
    assert_eq!(bw.kind, "monochrome");
    let mut spread = 0.0f32;
    for f in bw.frames() {
        let img = read(&bw.path(&dir, f));
        assert!(img.channels == 1 || img.channels >= 3);
        if img.channels >= 3 {
            for p in img.data.chunks_exact(img.channels) {
                assert!(p[0] == p[1] && p[1] == p[2], "B&W pixel with chroma: {p:?}");
                spread = spread.max(p[0]);
            }
        }
    }
    assert!(spread > 0.1, "the B&W print is not blank");
}

#[test]
fn generation_is_deterministic_for_a_seed() {
    let (_a, dir_a, truth_a) = make(7);
    let (_b, dir_b, truth_b) = make(7);
    let (_c, dir_c, truth_c) = make(8);
    assert_eq!(truth_a, truth_b);
    assert_ne!(truth_a.shots, truth_c.shots, "another seed, another reel");
    for rel in files_under(&dir_a) {
        let (a, b) = (
            std::fs::read(dir_a.join(&rel)).unwrap(),
            std::fs::read(dir_b.join(&rel)).unwrap(),
        );
        assert!(
            a == b,
            "{} differs between two runs with the same seed",
            rel.display()
        );
    }
    let first = truth_a.source.path(&dir_a, truth_a.source.first_frame);
    let other_seed = truth_c.source.path(&dir_c, truth_c.source.first_frame);
    assert_ne!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&other_seed).unwrap()
    );
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    assert!(
        out.len() > 10,
        "expected a populated project, found {}",
        out.len()
    );
    out
}

#[test]
fn an_existing_project_is_not_overwritten() {
    let (_tmp, dir, _) = make(1);
    let err = demo::generate(&dir, &DemoSpec::tiny()).unwrap_err();
    assert!(format!("{err:#}").contains("already"), "{err:#}");
}
