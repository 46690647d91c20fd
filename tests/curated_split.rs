//! The curated training/validation split is the truth downstream: prep, matchgrade and compare
//! hold out what the curate run locked, not whatever `tinct.toml` says now.

#[path = "cli_support/mod.rs"]
mod cli_support;

use tinct::project::Project;
use tinct::stages::Ctx;
use tinct::stages::curate::{self, CuratedPair, CurationManifest};

fn pair(frame: i64, split: &str) -> CuratedPair {
    CuratedPair {
        frame,
        reference_frame: frame + 7,
        source: format!("pipeline/01_dataset_curation/src.{frame:04}.exr"),
        reference: format!("pipeline/01_dataset_curation/ref.{frame:04}.exr"),
        source_size: [64, 32],
        reference_size: [64, 32],
        split: split.into(),
        source_file: String::new(),
        reference_file: String::new(),
    }
}

fn ctx_with(dir: &std::path::Path, sets: &[String]) -> Ctx {
    let p = tinct::project::open(Some(dir), sets).unwrap();
    let config = p.config.clone();
    Ctx::new(p, config, dir.join("runs/test")).unwrap()
}

fn log_of(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("runs/test/log.txt")).unwrap_or_default()
}

#[test]
fn downstream_stages_hold_out_the_curated_validation_frames() {
    let dir = cli_support::init_project(&[]);
    let ctx = ctx_with(dir.path(), &[]);
    // Nothing curated yet: the config decides.
    assert_eq!(curate::held_out_frames(&ctx), Vec::<i64>::new());

    let manifest = CurationManifest {
        pairs: vec![pair(10, "train"), pair(20, "validation"), pair(30, "train")],
    };
    let path = dir
        .path()
        .join("pipeline/01_dataset_curation/manifest.json");
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    // tinct.toml still says `validation = []`: the locked split wins, and the log says so.
    let ctx = ctx_with(dir.path(), &[]);
    assert_eq!(curate::held_out_frames(&ctx), vec![20]);
    assert!(log_of(dir.path()).contains("validation frames from the curate manifest: [20]"));
    // A config that disagrees is warned about, not silently used.
    let ctx = ctx_with(dir.path(), &["curate.validation=[30]".to_string()]);
    assert_eq!(curate::held_out_frames(&ctx), vec![20]);
    assert!(log_of(dir.path()).contains("warning: curate.validation [30] differs"));
    let _ = Project::load(dir.path()).unwrap();
}

#[test]
fn from_suggested_takes_the_proposed_frames_and_warns_about_shared_shots() {
    let dir = cli_support::init_project(&[]);
    let cur = dir.path().join("pipeline/01_dataset_curation");
    std::fs::write(
        cur.join("suggested.toml"),
        "# proposal\n[curate]\nframes = [3, 14]\nvalidation = [9]\n\n[suggest]\nshots = [[1, 10], [11, 20]]\n",
    )
    .unwrap();
    assert_eq!(
        curate::suggested_overrides(dir.path()).unwrap(),
        vec![
            "curate.frames=[3,14]".to_string(),
            "curate.validation=[9]".to_string()
        ]
    );
    // Frame 9 is held out but shares shot 1-10 with training frame 3.
    let chosen = [(3, "train"), (14, "train"), (9, "validation")];
    assert_eq!(
        curate::shared_shots(&[(1, 10), (11, 20)], &chosen),
        vec![(9, (1, 10), 3)]
    );
    std::fs::remove_file(cur.join("suggested.toml")).unwrap();
    let err = curate::suggested_overrides(dir.path()).unwrap_err();
    assert!(format!("{err:#}").contains("tinct run suggest"), "{err:#}");
}
