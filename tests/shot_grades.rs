//! `prep.shot-grades` on real footage: a reference a telecine colourist balanced shot by shot
//! is told apart from one consistent transfer, and the shots' balances do not reach the
//! training targets; a B&W source's shot colours are never taken out.

use tinct::color::working;
use tinct::demo::footage::PANORAMAS;
use tinct::media::{self, Image, WriteOptions};
use tinct::project::{self, layout};
use tinct::stages::align::AlignmentManifest;
use tinct::stages::prep::PrepManifest;
use tinct::stages::{Ctx, Stage};

mod cli_support;

const FRAMES: [i64; 6] = [10, 20, 30, 40, 50, 60];

/// Shot `i`'s clean print: a window of one of the embedded CC0 photographs, 1:4.
fn clean_shot(panoramas: &[Image], i: usize) -> Image {
    let p = &panoramas[i % panoramas.len()];
    let (x0, y0) = ((i * 97) % (p.width - 4 * 128), p.height / 4);
    Image::from_fn_rgb(128, 80, |x, y| {
        p.rgb(x0 + 4 * x, (y0 + 4 * y).min(p.height - 1))
            .map(|v| v.clamp(0.0, 0.9))
    })
}

/// The same dye fade on every shot (a property of the print): in density, cyan and yellow lost.
fn faded(img: &Image) -> Image {
    let keep = [0.55, 0.9, 0.5];
    let mut out = img.clone();
    for p in out.data.chunks_exact_mut(3) {
        for c in 0..3 {
            p[c] = 10f32.powf(p[c].max(1e-4).log10() * keep[c] - 0.03);
        }
    }
    out
}

fn monochrome(img: &Image) -> Image {
    Image::from_fn_rgb(img.width, img.height, |x, y| {
        [working::luma(img.rgb(x, y)).max(0.0); 3]
    })
}

/// A colourist's balance of shot `i`: a few per cent on each channel, different every shot.
fn shot_gain(i: usize) -> [f32; 3] {
    const GAINS: [[f32; 3]; 6] = [
        [1.08, 0.96, 0.95],
        [0.93, 1.04, 1.07],
        [1.02, 0.92, 1.09],
        [0.95, 1.07, 0.94],
        [1.09, 1.01, 0.91],
        [0.92, 0.97, 1.10],
    ];
    GAINS[i % GAINS.len()]
}

fn graded(img: &Image, gain: [f32; 3]) -> Image {
    let mut out = img.clone();
    for p in out.data.chunks_exact_mut(3) {
        for c in 0..3 {
            p[c] *= gain[c];
        }
    }
    out
}

/// Mean Y'CbCr chroma.
fn mean_chroma(img: &Image) -> [f64; 2] {
    let mut s = [0f64; 2];
    for i in 0..img.pixel_count() {
        let c = working::split_luma_chroma(img.rgb(i % img.width, i / img.width)).1;
        s[0] += c[0] as f64;
        s[1] += c[1] as f64;
    }
    s.map(|v| v / img.pixel_count() as f64)
}

struct Case {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    manifest: PrepManifest,
    clean: Vec<Image>,
    references: Vec<Image>,
}

/// Prep on six aligned pairs (the last one validation) of `source(clean)` and
/// `reference(shot, clean)`.
fn prep(source: impl Fn(&Image) -> Image, reference: impl Fn(usize, &Image) -> Image) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mut proj = project::init(
        &root,
        "footage/src/reel.%04d.exr",
        "footage/ref/ref.%04d.exr",
        0,
        false,
    )
    .unwrap();
    let panoramas: Vec<Image> = PANORAMAS.iter().map(|p| p.decode().unwrap()).collect();
    let exr = WriteOptions {
        half: false,
        ..Default::default()
    };
    let mut manifest = AlignmentManifest {
        crop: [0, 0, 128, 80],
        pairs: Vec::new(),
    };
    let (mut clean, mut references) = (Vec::new(), Vec::new());
    for (i, &f) in FRAMES.iter().enumerate() {
        let c = clean_shot(&panoramas, i);
        let (src, r) = (source(&c), reference(i, &c));
        media::write(
            &root.join(format!("footage/src/reel.{f:04}.exr")),
            &src,
            &exr,
        )
        .unwrap();
        media::write(&root.join(format!("footage/ref/ref.{f:04}.exr")), &r, &exr).unwrap();
        let (s_rel, r_rel) = (
            format!("{}/src.{f:04}.exr", layout::ALIGNMENT),
            format!("{}/ref.{f:04}.exr", layout::ALIGNMENT),
        );
        media::write(&root.join(&s_rel), &src, &exr).unwrap();
        media::write(&root.join(&r_rel), &r, &exr).unwrap();
        manifest
            .pairs
            .push(cli_support::identity_pair(f, s_rel, r_rel));
        clean.push(c);
        references.push(r);
    }
    std::fs::write(
        root.join(layout::ALIGNMENT).join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    proj.config.curate.validation = vec![60];
    proj.config.matchgrade.lut_size = 17;
    proj.config.train.luma_field = false;
    let ctx = Ctx::new(proj.clone(), proj.config.clone(), root.join("runs/prep")).unwrap();
    Stage::Prep.run(&ctx).unwrap();
    let manifest = PrepManifest::load(
        &tinct::stages::prep::prep_dir(&root).join(tinct::stages::prep::MANIFEST),
    )
    .unwrap();
    Case {
        _dir: dir,
        root,
        manifest,
        clean,
        references,
    }
}

#[test]
fn a_reference_balanced_shot_by_shot_is_found_and_its_balances_leave_the_targets() {
    let case = prep(faded, |i, c| graded(c, shot_gain(i)));
    let report = case.manifest.shot_grades.as_ref().expect("the check ran");
    assert!(
        report.removed && !report.monochrome,
        "spread {} (limit {})",
        report.spread,
        report.limit
    );
    // Without a shot list infer cannot tell which pair's grade each frame carries: it says why
    // it renders without the reference guide.
    let project = tinct::project::Project::load(&case.root).unwrap();
    let refused = tinct::stages::guide::ReferenceGuide::open(&project, &project.config)
        .err()
        .expect("the guide is not used");
    assert!(
        format!("{refused:#}").contains("graded shot by shot")
            && format!("{refused:#}").contains("tinct run suggest"),
        "{refused:#}"
    );
    // The targets' colour balance is much nearer the film's than the graded references' was
    // (the consensus is fitted on the graded pairs themselves, so it absorbs part of the
    // grades: the part left is measured here).
    let (mut kept, mut graded_off) = (0.0, 0.0);
    for (i, pair) in case.manifest.pairs.iter().enumerate() {
        let target = media::read_linear(&case.root.join(&pair.target), None).unwrap();
        let (t, c, r) = (
            mean_chroma(&target),
            mean_chroma(&case.clean[i]),
            mean_chroma(&case.references[i]),
        );
        let off = |a: [f64; 2]| (a[0] - c[0]).hypot(a[1] - c[1]);
        kept += off(t);
        graded_off += off(r);
    }
    assert!(
        kept < 0.6 * graded_off,
        "targets {kept:.4} from the film's balance, graded references {graded_off:.4}"
    );
}

#[test]
fn with_the_shots_suggest_found_the_guide_takes_each_frames_grade_back_out() {
    let case = prep(faded, |i, c| graded(c, shot_gain(i)));
    // Every pair its own shot, in the proposal `tinct run suggest` writes.
    let shots: Vec<String> = FRAMES
        .iter()
        .map(|&f| format!("[{}, {}]", f - 4, f + 5))
        .collect();
    std::fs::write(
        case.root
            .join(layout::CURATION)
            .join(tinct::stages::curate::SUGGESTED),
        format!("[suggest]\nshots = [{}]\n", shots.join(", ")),
    )
    .unwrap();
    let project = tinct::project::Project::load(&case.root).unwrap();
    let guide = tinct::stages::guide::ReferenceGuide::open(&project, &project.config)
        .unwrap()
        .expect("the guide is used");
    assert!(
        guide.describe().contains("6 of 6 shots"),
        "{}",
        guide.describe()
    );
    // A render with the film's luma and no colour takes its colour from the guide: the
    // reference's, its shot's grade taken back out.
    let (mut guided, mut graded_off) = (0.0, 0.0);
    for (i, &f) in FRAMES.iter().enumerate() {
        let clean = &case.clean[i];
        let placed = guide
            .prepare(f, clean.width, clean.height)
            .unwrap()
            .expect("the reference has the frame");
        let mut render = Image::from_fn_rgb(clean.width, clean.height, |x, y| {
            working::combine(working::luma(clean.rgb(x, y)), [0.0, 0.0])
        });
        guide.apply(&mut render, &placed).unwrap();
        let c = mean_chroma(clean);
        let off = |a: [f64; 2]| (a[0] - c[0]).hypot(a[1] - c[1]);
        guided += off(mean_chroma(&render));
        graded_off += off(mean_chroma(&case.references[i]));
    }
    assert!(
        guided < 0.6 * graded_off,
        "guided renders {guided:.4} from the film's balance, graded references {graded_off:.4}"
    );
}

#[test]
fn one_consistent_transfer_is_followed_as_it_is() {
    let case = prep(faded, |_, c| c.clone());
    let report = case.manifest.shot_grades.as_ref().expect("the check ran");
    assert!(
        !report.removed,
        "spread {} (limit {})",
        report.spread, report.limit
    );
    let project = tinct::project::Project::load(&case.root).unwrap();
    let guide = tinct::stages::guide::ReferenceGuide::open(&project, &project.config);
    assert!(
        matches!(guide, Ok(Some(_))),
        "the guide reads every frame's reference"
    );
}

#[test]
fn a_bw_sources_shot_colours_are_the_references_to_give() {
    let case = prep(monochrome, |i, c| graded(c, shot_gain(i)));
    let report = case.manifest.shot_grades.as_ref().expect("the check ran");
    assert!(report.monochrome && !report.removed, "{report:?}");
}
