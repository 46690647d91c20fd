//! A training whose checkpoints fill the disk: it stops with an error naming the checkpoint,
//! every checkpoint under its final name reads back whole, and once space is back a resume
//! continues from the last one to the last step. The tmpfs is mounted by the test; where the
//! machine does not allow it the test says why and passes without checking.

mod ml_support;
#[path = "../../../tests/tmpfs_support/mod.rs"]
mod tmpfs_support;

use ml_support::*;
use tinct_ml::{checkpoint, trainer};
use tmpfs_support::Tmpfs;

#[test]
fn checkpoints_that_fill_the_disk_fail_cleanly_and_resume_once_space_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = project(dir.path(), &[1, 2, 3]);
    p.config.train.steps = tinct_core::project::config::Steps::Count(40);
    p.config.train.checkpoint_interval = 5;
    p.config.train.contact_sheet_interval = 1000;
    tinct_ml::stages::prep::run(&ctx(&p, "prep")).unwrap();

    let first = ctx(&p, "first");
    let artifacts = first.artifacts();
    // Probe one checkpoint's size, then leave room for about three.
    let probe = ctx(&p, "probe");
    let mut short = probe.config.clone();
    short.train.steps = tinct_core::project::config::Steps::Count(5);
    let probe = tinct_ml::stages::Ctx::new(p.clone(), short, probe.run_dir.clone()).unwrap();
    trainer::train(&probe, None).unwrap();
    let one = std::fs::metadata(checkpoint::latest_in(&probe.artifacts()).unwrap())
        .unwrap()
        .len();
    let fs = match Tmpfs::mount(&artifacts, &format!("{}k", one * 7 / 2 / 1024)) {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs here ({why})");
            return;
        }
    };
    let err = format!("{:#}", trainer::train(&first, None).unwrap_err());
    assert!(err.contains("No space left"), "{err}");
    assert!(
        err.contains("checkpoint"),
        "the error names the checkpoint: {err}"
    );
    let mut kept = 0;
    for e in std::fs::read_dir(&artifacts).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with(".tinct-tmp"), "temp file left: {name}");
        if name.ends_with(".safetensors") {
            checkpoint::read(&path).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            kept += 1;
        }
    }
    assert!((1..8).contains(&kept), "{kept} checkpoints fit");

    fs.grow("64m");
    let second = ctx(&p, "second");
    let r = trainer::train(&second, Some(&first.run_dir)).unwrap();
    assert_eq!(r.steps_done, 40);
    eprintln!("{kept} checkpoints of {one} bytes fitted before the disk was full; resumed to 40");
}
