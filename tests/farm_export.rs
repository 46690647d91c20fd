//! The job files tinct writes for schedulers: the Slurm array script, the OpenCue job spec
//! (validated against OpenCue's own `cjsl-1.16.dtd` when `xmllint` is installed) and the
//! Deadline `CommandLine` job. Golden files keep them exact; the checks below say why each
//! line matters to the scheduler.

use std::path::PathBuf;
use tinct::farm::{Engine, FarmJob, export, plan, slurm};
use tinct::stages::Stage;

/// A farm job as `farm submit` plans it, with fixed paths and time.
fn farm(engine: Engine, stage: Stage) -> FarmJob {
    let frames: Vec<i64> = (1001..=1240).collect();
    FarmJob {
        id: "20261204-010000-farm-infer-ab12".into(),
        stage,
        engine,
        root: PathBuf::from("/mnt/archive/reel 3"),
        exe: PathBuf::from("/opt/tinct/bin/tinct"),
        frames: tinct::stages::FrameRange {
            first: 1001,
            last: 1240,
        },
        chunk_size: 50,
        chunks: plan::split(&frames, 50),
        frame_count: frames.len(),
        output: "pipeline/04_inference_render/render.%04d.exr".into(),
        parallel: Some(4),
        gpus_per_task: u32::from(stage == Stage::Infer),
        partition: Some("gpu".into()),
        sbatch_args: vec!["--time=04:00:00".into()],
        sets: vec![],
        created: "2026-12-04T01:00:00Z".parse().unwrap(),
        submissions: vec![],
        notes: vec![],
    }
}

#[test]
fn the_slurm_script_runs_one_chunk_per_array_task() {
    let script = slurm::script(&farm(Engine::Slurm, Stage::Infer));
    insta::assert_snapshot!("slurm_script", script);
    assert!(script.contains("#SBATCH --array=0-4%4"));
    assert!(script.contains("#SBATCH --gpus=1"));
    assert!(script.contains("CHUNKS=(1001-1050 1051-1100 1101-1150 1151-1200 1201-1240)"));
    // The project path has a space: it must reach tinct as one argument.
    assert!(script.contains("--project '/mnt/archive/reel 3' farm chunk"));
    let cpu = slurm::script(&farm(Engine::Slurm, Stage::Matchgrade));
    assert!(!cpu.contains("--gpus"), "a CPU stage asks for no GPU");
}

#[test]
fn the_opencue_spec_is_one_layer_of_chunked_frames_and_valid_cjsl() {
    let xml = export::opencue_xml(&farm(Engine::Opencue, Stage::Infer), "operator");
    insta::assert_snapshot!("opencue_spec", xml);
    assert!(xml.contains("<range>1001-1240</range>"));
    assert!(xml.contains("<chunk>50</chunk>"));
    assert!(xml.contains("--frames #FRAME_START#-#FRAME_END#"));
    assert!(xml.contains(r#"--project "/mnt/archive/reel 3""#));

    let dtd =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/opencue/cjsl-1.16.dtd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("job.xml");
    std::fs::write(&file, &xml).unwrap();
    match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--dtdvalid")
        .arg(&dtd)
        .arg(&file)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint rejects the spec: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("SKIPPED DTD validation: xmllint is not installed (libxml2-utils)"),
    }
}

#[test]
fn the_deadline_job_is_a_command_line_job_over_chunks() {
    let (job, plugin) = export::deadline_files(&farm(Engine::Deadline, Stage::Matchgrade));
    insta::assert_snapshot!("deadline_job_info", job);
    insta::assert_snapshot!("deadline_plugin_info", plugin);
    assert!(job.lines().any(|l| l == "Plugin=CommandLine"));
    assert!(job.lines().any(|l| l == "Frames=1001-1240"));
    assert!(job.lines().any(|l| l == "ChunkSize=50"));
    assert!(
        plugin
            .lines()
            .any(|l| l == "Executable=/opt/tinct/bin/tinct")
    );
    assert!(plugin.contains("--frames <STARTFRAME>-<ENDFRAME>"));
}

#[test]
fn farm_export_writes_the_files_and_status_follows_the_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tinct = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tinct"))
            .arg("--project")
            .arg(root)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        std::process::Command::new(env!("CARGO_BIN_EXE_tinct"))
            .current_dir(root)
            .args(["init", "."])
            .args(["--source", "src/s.%04d.exr", "--reference", "r.%04d.exr"])
            .status()
            .unwrap()
            .success()
    );
    let img = tinct::media::Image::from_fn_rgb(8, 8, |x, y| [x as f32 / 8.0, y as f32 / 8.0, 0.5]);
    for f in 1..=12 {
        tinct::media::write(
            &root.join(format!("src/s.{f:04}.exr")),
            &img,
            &Default::default(),
        )
        .unwrap();
    }
    let out = tinct(&[
        "farm",
        "export",
        "--engine",
        "opencue",
        "--stage",
        "matchgrade",
        "--chunk",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let xml = std::fs::read_to_string(root.join(format!("runs/{id}/opencue.xml"))).unwrap();
    assert!(xml.contains("<range>1-12</range>") && xml.contains("<chunk>5</chunk>"));
    let st = tinct(&["farm", "status", &id, "--json"]);
    let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    let states: Vec<&str> = st["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["missing"; 3], "nothing ran yet: {st:#}");
    assert_eq!(st["missing_frames"][0], "1-12");

    // A site whose MaxArraySize is 2 gets two bigger chunks, and is told so.
    let project = tinct::project::Project::load(root).unwrap();
    let request = tinct::farm::FarmRequest {
        stage: Stage::Matchgrade,
        engine: Engine::Slurm,
        frames: None,
        chunk: 5,
        parallel: None,
        gpus_per_task: None,
        partition: None,
        sbatch_args: vec![],
        sets: vec![],
    };
    let job = FarmJob::create(&project, &request, Some(2)).unwrap();
    assert_eq!(job.chunk_size, 6);
    assert_eq!(job.chunks.len(), 2);
    assert!(job.notes[0].contains("MaxArraySize"), "{:?}", job.notes);
}
