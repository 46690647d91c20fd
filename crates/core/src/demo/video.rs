//! `tinct demo DIR --reference-video`: the demo's video transfer delivered the way transfers
//! arrive, as one H.264 MP4 (4:2:0, BT.709 matrix, limited range, a `tmcd` timecode from
//! 01:00:00:00), encoded by the `ffmpeg` program from the JPEG frames the generator wrote; the
//! JPEGs are then removed and `tinct.toml` points at the video.

use super::truth::DemoTruth;
use crate::media::video::tools::{Tool, last_line, spawn_error};
use anyhow::Context;
use std::path::Path;

/// The video, relative to the project.
pub const REFERENCE_VIDEO: &str = "footage/reference/transfer.mp4";
/// The timecode of the video's first frame.
pub const START_TIMECODE: &str = "01:00:00:00";

pub fn reference_as_video(dir: &Path, truth: &mut DemoTruth) -> anyhow::Result<()> {
    let footage = truth.reference.footage.clone();
    let input = dir.join(&footage.pattern);
    let output = dir.join(REFERENCE_VIDEO);
    let out = Tool::Ffmpeg
        .command()
        .args([
            "-y",
            "-nostdin",
            "-v",
            "error",
            "-framerate",
            "24",
            "-start_number",
        ])
        .arg(footage.first_frame.to_string())
        .arg("-i")
        .arg(&input)
        .args([
            "-vf",
            // The JPEGs are JFIF: BT.601 full range. A video transfer is BT.709 limited range.
            // 4:2:0 needs an even size: a black row/column is added at the bottom/right, which
            // moves no pixel (the truth's framing stays exact).
            "pad=ceil(iw/2)*2:ceil(ih/2)*2,\
             scale=in_color_matrix=bt601:in_range=pc:out_color_matrix=bt709:out_range=tv:\
             flags=accurate_rnd+full_chroma_int,format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "medium",
            "-crf",
            "12",
            // The pictures were sRGB-encoded: say so, so a reader decodes them the same way.
            "-color_primaries",
            "bt709",
            "-color_trc",
            "iec61966-2-1",
            "-colorspace",
            "bt709",
            "-color_range",
            "tv",
            "-timecode",
            START_TIMECODE,
        ])
        .arg(&output)
        .output()
        .map_err(|e| spawn_error(Tool::Ffmpeg, &output, e))?;
    anyhow::ensure!(
        out.status.success(),
        "{}: ffmpeg could not encode the reference video: {}",
        output.display(),
        last_line(&out.stderr)
    );
    for n in footage.frames() {
        let _ = std::fs::remove_file(footage.path(dir, n));
    }

    let mut project = crate::project::open(Some(dir), &[])?;
    project.config.reference.pattern = REFERENCE_VIDEO.into();
    project.config.reference.first_frame = footage.first_frame;
    let config = dir.join(crate::project::CONFIG_FILE);
    crate::fsx::write_atomic(
        &config,
        crate::project::config_file_text(&project.config)?.as_bytes(),
    )
    .with_context(|| {
        format!(
            "{}: cannot point the reference at the video",
            config.display()
        )
    })?;

    truth.reference.footage.pattern = REFERENCE_VIDEO.into();
    truth.reference.footage.kind = "video-transfer (H.264 MP4)".into();
    truth.save(dir)
}
