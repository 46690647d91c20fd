//! The pipeline on a video reference: the demo with its transfer delivered as an H.264 MP4
//! (`tinct demo --reference-video`) syncs, curates and aligns like the same demo with a JPEG
//! sequence; a timecode anchor pairs the frames; and sync on a 10,000-frame video decodes only
//! the frames it compares.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::succeeded;
use std::path::Path;
use std::process::{Command, Output};
use tinct::color::metrics::de00_image;
use tinct::demo::DemoTruth;
use tinct::media;
use tinct::stages::align::AlignmentManifest;

fn tinct(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(args)
        .arg("-p")
        .arg(dir)
        .output()
        .unwrap()
}

fn demo(dir: &Path, video: bool) -> DemoTruth {
    let mut args = vec!["demo", dir.to_str().unwrap(), "--no-open"];
    if video {
        args.push("--reference-video");
    }
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_tinct"))
            .args(&args)
            .output()
            .unwrap(),
    );
    let text = std::fs::read_to_string(dir.join(tinct::demo::TRUTH_FILE)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Everything a foreground run printed (its log lines go to stderr).
fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn offset_line(out: &Output) -> i64 {
    let text = printed(out);
    let line = text
        .lines()
        .find(|l| l.starts_with("offset "))
        .unwrap_or_else(|| panic!("no `offset N` line in {text}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The log of the job a foreground run made (its id is on the `job ID in DIR` line).
fn log_of(dir: &Path, out: &Output) -> String {
    let text = printed(out);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("job ")?.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id in {text}"));
    std::fs::read_to_string(dir.join("runs").join(id).join("log.txt")).unwrap()
}

fn alignment(dir: &Path) -> AlignmentManifest {
    let text = std::fs::read_to_string(dir.join("pipeline/02_alignment/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Where a source->reference matrix puts the source's corners.
fn corners(m: &[[f64; 3]; 3]) -> Vec<(f64, f64)> {
    [(0.0, 0.0), (511.0, 0.0), (0.0, 287.0), (511.0, 287.0)]
        .iter()
        .map(|&(x, y)| {
            let w = m[2][0] * x + m[2][1] * y + m[2][2];
            (
                (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
                (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
            )
        })
        .collect()
}

#[test]
fn a_video_transfer_syncs_curates_and_aligns_like_the_same_frames_as_a_sequence() {
    let (seq_dir, vid_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (seq, vid) = (seq_dir.path(), vid_dir.path());
    let truth = demo(seq, false);
    let truth_v = demo(vid, true);
    assert_eq!(truth.reference.offset, truth_v.reference.offset);
    assert!(vid.join("footage/reference/transfer.mp4").is_file());
    assert!(!vid.join("footage/reference/transfer.0010.jpg").exists());

    let mut sync_log = String::new();
    for dir in [seq, vid] {
        let out = succeeded(tinct(&["run", "sync"], dir));
        assert_eq!(
            offset_line(&out),
            truth.reference.offset,
            "{}",
            dir.display()
        );
        sync_log = log_of(dir, &out);
        succeeded(tinct(&["run", "suggest"], dir));
        succeeded(tinct(&["run", "curate", "--from-suggested"], dir));
        succeeded(tinct(&["run", "align"], dir));
    }
    assert!(
        sync_log.contains("read as BT.709 matrix, limited range, R'G'B' in srgb"),
        "{sync_log}"
    );

    let (a, b) = (alignment(seq), alignment(vid));
    assert_eq!(a.pairs.len(), b.pairs.len());
    let mut total = 0.0;
    for (p, q) in a.pairs.iter().zip(&b.pairs) {
        assert_eq!((p.frame, p.reference_frame), (q.frame, q.reference_frame));
        let worst = corners(&p.matrix)
            .iter()
            .zip(corners(&q.matrix))
            .map(|(x, y)| ((x.0 - y.0).powi(2) + (x.1 - y.1).powi(2)).sqrt())
            .fold(0.0, f64::max);
        assert!(
            worst < 0.75,
            "pair {}: the fits differ by {worst:.2} px",
            p.frame
        );
        // The aligned references are the same picture, up to the video's own compression.
        let ra = media::read(&seq.join(&p.reference)).unwrap().image;
        let rb = media::read(&vid.join(&q.reference)).unwrap().image;
        let de = de00_image(&ra, &rb).unwrap().mean;
        assert!(
            de < 2.5,
            "pair {}: ΔE00 {de:.2} between the aligned references",
            p.frame
        );
        total += de;
    }
    let mean = total / a.pairs.len() as f64;
    assert!(
        mean < 1.5,
        "ΔE00 {mean:.2} between the aligned references, on average"
    );
    let curated =
        std::fs::read_to_string(vid.join("pipeline/01_dataset_curation/manifest.json")).unwrap();
    assert!(
        curated.contains("transfer.mp4 frame") && curated.contains("(01:00:0"),
        "{curated}"
    );
}

#[test]
fn a_timecode_anchor_pairs_the_frames_and_sync_checks_it_without_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = demo(d, true);
    let r = &truth.reference;
    // Source frame 40 is the reference frame 40 + offset, which the video's timecode (01:00:00:00
    // on its first frame, 24 fps) names:
    let k = 40 + r.offset - r.footage.first_frame;
    let tc = format!("01:00:{:02}:{:02}", k / 24, k % 24);
    let config = d.join("tinct.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen("anchor = \"\"", &format!("anchor = \"40 = {tc}\""), 1);
    std::fs::write(&config, text).unwrap();

    let out = printed(&succeeded(tinct(&["run", "sync"], d)));
    assert!(out.contains("not recorded: reference.anchor"), "{out}");
    assert!(out.contains("which this agrees"), "{out}");
    let status = String::from_utf8_lossy(&succeeded(tinct(&["status"], d)).stdout).to_string();
    assert!(
        status.contains(&format!("reference = source {:+}", r.offset)),
        "{status}"
    );

    succeeded(tinct(&["run", "curate", "--set", "curate.frames=[40]"], d));
    let curated =
        std::fs::read_to_string(d.join("pipeline/01_dataset_curation/manifest.json")).unwrap();
    let m: tinct::stages::curate::CurationManifest = serde_json::from_str(&curated).unwrap();
    assert_eq!(m.pairs[0].reference_frame, 40 + r.offset);
    assert!(
        m.pairs[0].reference_file.ends_with(&format!("({tc})")),
        "{curated}"
    );

    // A wrong anchor is caught by sync, not silently used or overwritten.
    let wrong = format!("01:00:{:02}:{:02}", (k + 5) / 24, (k + 5) % 24);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&tc, &wrong);
    std::fs::write(&config, text).unwrap();
    let out = printed(&succeeded(tinct(&["run", "sync"], d)));
    assert!(out.contains("DISAGREES"), "{out}");
}

#[test]
fn sync_on_a_10000_frame_video_decodes_no_more_frames_than_on_the_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let truth = demo(d, false);
    let fp = &truth.reference.footage;
    // The demo's transfer, then 9,904 more frames: a reel-length MOV.
    let long = d.join("footage/reference/long.mov");
    let jpgs = d.join(&fp.pattern);
    let status = Command::new("ffmpeg")
        .args([
            "-y",
            "-nostdin",
            "-v",
            "error",
            "-framerate",
            "24",
            "-start_number",
        ])
        .arg(fp.first_frame.to_string())
        .arg("-i")
        .arg(&jpgs)
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=308x174:rate=24",
            "-filter_complex",
        ])
        .arg("[0]pad=308:174,setsar=1[a];[1]setsar=1[b];[a][b]concat=n=2:v=1,format=yuv420p")
        .args([
            "-frames:v",
            "10000",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        .arg(&long)
        .status()
        .unwrap();
    assert!(status.success());

    // The same 10,000 frames as a JPEG sequence, numbered as the video's frames are.
    let status = Command::new("ffmpeg")
        .args(["-y", "-nostdin", "-v", "error", "-i"])
        .arg(&long)
        .args(["-q:v", "3", "-start_number"])
        .arg(fp.first_frame.to_string())
        .arg(d.join("footage/reference/long.%05d.jpg"))
        .status()
        .unwrap();
    assert!(status.success());
    let seq_out = succeeded(tinct(
        &[
            "run",
            "sync",
            "--set",
            "reference.pattern=footage/reference/long.%05d.jpg",
            "--set",
            "sync.write-offset=false",
        ],
        d,
    ));
    let seq_log = log_of(d, &seq_out);
    let read = |log: &str| -> usize {
        let l = log
            .lines()
            .find(|l| l.contains(" reference frames, "))
            .unwrap();
        let words: Vec<&str> = l.split_whitespace().collect();
        let i = words.iter().position(|w| *w == "reference").unwrap();
        words[i - 1].parse().unwrap()
    };
    let from_sequence = read(&seq_log);
    assert!(from_sequence < 200, "{seq_log}");

    // The same sync with the video as the reference, in a process that may not hold a
    // decoded reel (10,000 frames of 308x174 float RGB would need 6.4 GB).
    let first = fp.first_frame.to_string();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_tinct"))
        .args(["run", "sync", "-p"])
        .arg(d)
        .args(["--set", "reference.pattern=footage/reference/long.mov"])
        .args(["--set", &format!("reference.first-frame={first}")])
        .args(["--set", "sync.write-offset=false"])
        .output()
        .unwrap();
    let out = succeeded(out);
    assert_eq!(offset_line(&out), offset_line(&seq_out));
    assert_eq!(offset_line(&out), truth.reference.offset);
    let log = log_of(d, &out);
    assert!(log.contains("10000 frames"), "{log}");
    // "reference: N frames decoded by M ffmpeg process(es)"
    let decoded: usize = log
        .lines()
        .filter(|l| l.contains("frames decoded by"))
        .find_map(|l| l.split("reference: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(read(&log), from_sequence);
    assert_eq!(decoded, from_sequence, "decoded {decoded} frames of 10,000");
}
