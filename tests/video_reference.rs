//! Video transfers as references, read as they arrive: ProRes MOV, H.264 MP4 and MPEG-2 made
//! here by the same ffmpeg tinct drives, checked against ffmpeg's own PNG export of each frame
//! and ffprobe's own counts, and taken through sync and curate like a sequence.

#[path = "cli_support/mod.rs"]
mod cli_support;

use cli_support::succeeded;
use std::path::{Path, PathBuf};
use std::process::Command;
use tinct::color::Colorspace;
use tinct::color::metrics::de00_image;
use tinct::media::video::{Matrix, Pulldown, Video, VideoOptions};
use tinct::media::{self, Image};

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-y", "-nostdin", "-v", "error"])
        .args(args)
        .output()
        .expect("ffmpeg is installed by scripts/dev");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ffprobe(args: &[&str]) -> String {
    let out = Command::new("ffprobe").args(args).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A test video: what it is, and how its matrix is tagged.
struct Fixture {
    path: PathBuf,
    /// The matrix the stream is tagged with, as ffmpeg's scaler names it.
    matrix: &'static str,
    timecode: &'static str,
}

/// 60 frames of ffmpeg's moving test pattern as ProRes 422 HQ (HD, BT.709), H.264 4:2:0 (HD,
/// BT.709) and MPEG-2 4:2:0 (SD PAL, BT.601), each with a start timecode.
fn fixtures(dir: &Path) -> Vec<Fixture> {
    let hd = "testsrc2=size=640x360:rate=25";
    let sd = "testsrc2=size=720x576:rate=25";
    let bt709 = [
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-colorspace",
        "bt709",
    ];
    let make = |src: &str, codec: &[&str], tags: &[&str], tc: &str, name: &str| {
        let path = dir.join(name);
        let mut args = vec!["-f", "lavfi", "-i", src, "-frames:v", "60"];
        args.extend(codec);
        args.extend(tags);
        args.extend(["-timecode", tc, path.to_str().unwrap()]);
        ffmpeg(&args);
        path
    };
    vec![
        Fixture {
            path: make(
                hd,
                &[
                    "-c:v",
                    "prores_ks",
                    "-profile:v",
                    "3",
                    "-pix_fmt",
                    "yuv422p10le",
                ],
                // ffmpeg 5.1's ProRes encoder takes the tags from the frames, and MOV writes
                // its `colr` atom only when asked.
                &[
                    "-vf",
                    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709",
                    "-movflags",
                    "+write_colr",
                ],
                "01:00:00:00",
                "hd_prores.mov",
            ),
            matrix: "bt709",
            timecode: "01:00:00:00",
        },
        Fixture {
            path: make(
                hd,
                &["-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p"],
                &bt709,
                "01:00:00:00",
                "hd_h264.mp4",
            ),
            matrix: "bt709",
            timecode: "01:00:00:00",
        },
        Fixture {
            path: make(
                sd,
                &["-c:v", "mpeg2video", "-q:v", "2", "-pix_fmt", "yuv420p"],
                &["-colorspace", "bt470bg"],
                "10:00:00:00",
                "sd_mpeg2.mpg",
            ),
            matrix: "bt601",
            timecode: "10:00:00:00",
        },
    ]
}

/// ffmpeg's own export of the frame at 0-based `index` as a 16-bit PNG (`select`, which decodes
/// from the start and keeps that frame), with `scale` arguments `scale`.
fn ffmpeg_png(video: &Path, index: u64, scale: &str, out: &Path) -> Image {
    let vf = format!("select=eq(n\\,{index}),{scale},format=rgb48be");
    ffmpeg(&[
        "-i",
        video.to_str().unwrap(),
        "-vf",
        &vf,
        "-frames:v",
        "1",
        out.to_str().unwrap(),
    ]);
    media::read(out).unwrap().image
}

/// tinct's decode of frame `n` (numbered from 1) as the file encodes it (no conversion).
fn tinct_frame(v: &Video, n: i64) -> Image {
    v.read_linear(n, Some(Colorspace::LinearRec709)).unwrap()
}

fn max_code_value_diff(a: &Image, b: &Image) -> f32 {
    assert_eq!(
        (a.width, a.height, a.channels),
        (b.width, b.height, b.channels)
    );
    a.data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| (x - y).abs() * 255.0)
        .fold(0.0, f32::max)
}

fn mean_code_value_diff(a: &Image, b: &Image) -> f32 {
    let sum: f32 = a.data.iter().zip(&b.data).map(|(x, y)| (x - y).abs()).sum();
    sum * 255.0 / a.data.len() as f32
}

#[test]
fn frame_n_decodes_to_the_pixels_of_ffmpegs_own_png_of_frame_n() {
    let dir = tempfile::tempdir().unwrap();
    for fx in fixtures(dir.path()) {
        let v = Video::open(&fx.path, &VideoOptions::default()).unwrap();
        assert_eq!(v.frame_count, 60, "{}", fx.path.display());
        let scale = format!(
            "scale=in_color_matrix={}:in_range=tv:flags=accurate_rnd+full_chroma_int+full_chroma_inp+bicubic",
            fx.matrix
        );
        for n in [1i64, 2, 17, 46, 60] {
            let ours = tinct_frame(&v, n);
            let png = dir.path().join(format!("peer.{n}.png"));
            let same_settings = ffmpeg_png(&fx.path, (n - 1) as u64, &scale, &png);
            let d = max_code_value_diff(&ours, &same_settings);
            assert!(
                d <= 1.0,
                "{} frame {n}: {d:.2} code values from ffmpeg's PNG of the same frame",
                fx.path.display()
            );
            // ffmpeg's plain PNG export (its default scaler, which does not interpolate chroma
            // before the matrix) is the same picture up to the chroma at colour edges (mean 1.4
            // code values on this test pattern; a BT.601 decode of a BT.709 stream is 9.7 away);
            // the next frame is not.
            let plain = ffmpeg_png(&fx.path, (n - 1) as u64, "scale", &png);
            let mean = mean_code_value_diff(&ours, &plain);
            assert!(
                mean <= 2.0,
                "{} frame {n}: mean {mean:.2} code values from the plain PNG",
                fx.path.display()
            );
            if n < 60 {
                let next = ffmpeg_png(&fx.path, n as u64, &scale, &png);
                assert!(
                    max_code_value_diff(&ours, &next) > 50.0,
                    "{} frames {n} and {} look alike: the test could not see a wrong frame",
                    fx.path.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn reading_frame_after_frame_starts_one_decoder_and_gets_what_a_batch_read_gets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gop12.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-frames:v",
        "60",
        "-c:v",
        "libx264",
        "-g",
        "12",
        "-pix_fmt",
        "yuv420p",
        path.to_str().unwrap(),
    ]);
    let all: Vec<i64> = (1..=60).collect();
    let mut want = std::collections::BTreeMap::new();
    Video::open(&path, &VideoOptions::default())
        .unwrap()
        .read_linear_each(&all, None, &mut |n, img| {
            want.insert(n, img.data);
            Ok(())
        })
        .unwrap();
    // A render's reference: frame after frame, with a jump over a few (past two keyframes).
    let v = Video::open(&path, &VideoOptions::default()).unwrap();
    for n in (1..=30).chain([35]).chain(40..=60) {
        let got = v.read_linear(n, None).unwrap();
        assert!(
            got.data == want[&n],
            "frame {n} differs from the batch read's"
        );
    }
    assert_eq!(v.decoders_started(), 1, "one ffmpeg for the whole pass");
    // A step back (a farm task's first frames, a preview) starts another, and is right too.
    assert!(v.read_linear(12, None).unwrap().data == want[&12]);
    assert_eq!(v.decoders_started(), 2);
}

#[test]
fn timecode_and_frame_count_match_ffprobe() {
    let dir = tempfile::tempdir().unwrap();
    for fx in fixtures(dir.path()) {
        let out = succeeded(
            Command::new(env!("CARGO_BIN_EXE_tinct"))
                .args(["media", "info", "--json"])
                .arg(&fx.path)
                .output()
                .unwrap(),
        );
        let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let counted: u64 = ffprobe(
            &[
                "-v",
                "error",
                "-count_frames",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=nb_read_frames",
                "-of",
                "csv=p=0",
            ]
            .iter()
            .copied()
            .chain([fx.path.to_str().unwrap()])
            .collect::<Vec<_>>(),
        )
        .trim_end_matches(',')
        .parse()
        .unwrap();
        assert_eq!(info["frames"], counted, "{}", fx.path.display());
        assert_eq!(
            info["first_frame"], 1,
            "numbered from 1, as a Nuke Read node numbers a movie"
        );
        assert_eq!(info["last_frame"], counted);
        assert_eq!(info["timecode"], fx.timecode, "{}", fx.path.display());
        assert_eq!(info["fps"], 25.0);
        let matrix = if fx.matrix == "bt709" {
            "bt709"
        } else {
            "bt601"
        };
        assert_eq!(info["read_as"]["matrix"], matrix, "{}", fx.path.display());
        assert_eq!(info["read_as"]["range"], "limited");
        for key in ["codec", "pix_fmt", "width", "height"] {
            assert!(!info[key].is_null(), "{key} missing from {info}");
        }
    }
}

#[test]
fn a_wrong_matrix_gives_a_hue_error_the_test_sees() {
    let dir = tempfile::tempdir().unwrap();
    let fx = fixtures(dir.path()).remove(1);
    let right = Video::open(&fx.path, &VideoOptions::default()).unwrap();
    let wrong = Video::open(
        &fx.path,
        &VideoOptions {
            matrix: Matrix::Bt601,
            ..VideoOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        right.decode.matrix,
        Matrix::Bt709,
        "the stream's tag is used"
    );
    let (a, b) = (
        right.read_linear(30, None).unwrap(),
        wrong.read_linear(30, None).unwrap(),
    );
    let err = de00_image(&a, &b).unwrap();
    assert!(
        err.mean > 1.0 && err.p95 > 3.0,
        "BT.601 on a BT.709 stream: ΔE00 mean {:.2} p95 {:.2}",
        err.mean,
        err.p95
    );
}

#[test]
fn a_telecined_ntsc_transfer_gives_back_the_film_frames() {
    let dir = tempfile::tempdir().unwrap();
    let film = dir.path().join("film24.mkv");
    let ntsc = dir.path().join("telecine.mpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=24000/1001",
        "-frames:v",
        "40",
        "-c:v",
        "ffv1",
        film.to_str().unwrap(),
    ]);
    // 3:2 pulldown to 29.97 interlaced, as a DVD or Digibeta transfer of film is.
    ffmpeg(&[
        "-i",
        film.to_str().unwrap(),
        "-vf",
        "telecine=first_field=t:pattern=23",
        "-c:v",
        "mpeg2video",
        "-q:v",
        "2",
        "-flags",
        "+ilme+ildct",
        "-top",
        "1",
        "-r",
        "30000/1001",
        ntsc.to_str().unwrap(),
    ]);
    let fields = Video::open(
        &ntsc,
        &VideoOptions {
            pulldown: Pulldown::None,
            ..VideoOptions::default()
        },
    )
    .unwrap();
    assert_eq!(fields.frame_count, 50);
    let v = Video::open(&ntsc, &VideoOptions::default()).unwrap();
    assert!(
        v.decode.pulldown,
        "auto: an interlaced 29.97 stream is inverse telecined"
    );
    assert_eq!(v.frame_count, 40);
    let original = Video::open(&film, &VideoOptions::default()).unwrap();
    for n in [1, 7, 22, 38] {
        let ours = v.read_linear(n, None).unwrap();
        let right = de00_image(&ours, &original.read_linear(n, None).unwrap()).unwrap();
        let off_by_one = de00_image(&ours, &original.read_linear(n + 1, None).unwrap()).unwrap();
        assert!(
            right.mean < 1.5 && right.mean * 3.0 < off_by_one.mean,
            "frame {n}: ΔE00 {:.2} to film frame {n}, {:.2} to film frame {}",
            right.mean,
            off_by_one.mean,
            n + 1
        );
    }
}

#[test]
fn a_machine_without_ffmpeg_is_told_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("ref.mov");
    std::fs::write(&video, b"not read").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(["media", "info"])
        .arg(&video)
        .env("TINCT_FFPROBE", "/nonexistent/ffprobe")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ref.mov") && err.contains("apt-get install ffmpeg"),
        "{err}"
    );
}
