//! What a video file holds, from `ffprobe`'s JSON: codec, size, rate, frame count, pixel format,
//! the YCbCr matrix, range and transfer it is tagged with, and the start timecode (a MOV/MP4
//! `tmcd` track or container tag, or the first MPEG-2 GOP header).

use super::timecode::Timecode;
use super::tools::{Tool, run_tool};
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A rational frame rate, e.g. 30000/1001.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub num: u32,
    pub den: u32,
}

impl Rate {
    pub fn fps(self) -> f64 {
        self.num as f64 / self.den.max(1) as f64
    }

    /// The whole-number rate timecode counts in (30 for 29.97, 24 for 23.976).
    pub fn nominal(self) -> u32 {
        self.fps().round().max(1.0) as u32
    }

    /// 29.97 or 59.94: the NTSC rates a telecine of 24 fps film ends up at.
    pub fn is_ntsc(self) -> bool {
        self.den == 1001 && (self.num == 30000 || self.num == 60000)
    }

    fn parse(s: &str) -> Option<Rate> {
        let (n, d) = s.split_once('/').unwrap_or((s, "1"));
        let (num, den) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
        (num > 0 && den > 0).then_some(Rate { num, den })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{:.3} ({}/{})", self.fps(), self.num, self.den)
        }
    }
}

/// The first video stream of a file, as the container and codec describe it.
#[derive(Clone, Debug, Serialize)]
pub struct VideoInfo {
    pub path: PathBuf,
    /// Container, as ffprobe names it (`mov,mp4,m4a,3gp,3g2,mj2`, `mpeg`, ...).
    pub container: String,
    pub codec: String,
    pub width: usize,
    pub height: usize,
    pub rate: Rate,
    pub fps: f64,
    /// Frames in the stream (the container's count, else counted packet by packet).
    pub frame_count: u64,
    pub pix_fmt: String,
    /// YCbCr matrix as tagged (`bt709`, `smpte170m`, `bt470bg`, `bt2020nc`), `None` if untagged.
    pub matrix: Option<String>,
    /// `tv` (limited) or `pc` (full), `None` if untagged.
    pub range: Option<String>,
    /// Transfer as tagged (`bt709`, `iec61966-2-1`, ...), `None` if untagged.
    pub transfer: Option<String>,
    pub primaries: Option<String>,
    /// `progressive`, `tt`, `bb`, `tb`, `bt` (interlaced field orders), `None` if unknown.
    pub field_order: Option<String>,
    /// Stream start in seconds (frame indices count from here).
    pub start_time: f64,
    /// Timecode of the first frame, if the file carries one.
    pub timecode: Option<String>,
}

impl VideoInfo {
    pub fn start_timecode(&self) -> Option<Timecode> {
        self.timecode.as_deref()?.parse().ok()
    }

    /// MOV/MP4, Matroska, MXF and AVI index their keyframes, so a seek lands on one; MPEG
    /// program and transport streams (DVD, broadcast captures) and raw streams do not.
    pub fn has_keyframe_index(&self) -> bool {
        ["mov", "mp4", "matroska", "webm", "mxf", "avi"]
            .iter()
            .any(|c| self.container.split(',').any(|name| name == *c))
    }

    pub fn interlaced(&self) -> bool {
        self.field_order
            .as_deref()
            .is_some_and(|f| f != "progressive" && f != "unknown")
    }
}

/// Probe `path` with ffprobe (once per file version in a process: the console's status asks
/// again on every change in the project). Errors name the file.
pub fn probe(path: &Path) -> anyhow::Result<VideoInfo> {
    type Key = (PathBuf, u64, Option<std::time::SystemTime>);
    static CACHE: std::sync::Mutex<Vec<(Key, VideoInfo)>> = std::sync::Mutex::new(Vec::new());
    let meta = std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let key: Key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    if let Some(hit) = CACHE
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|(k, _)| *k == key).map(|(_, i)| i.clone()))
    {
        return Ok(hit);
    }
    let info = probe_uncached(path)?;
    if let Ok(mut c) = CACHE.lock() {
        c.retain(|(k, _)| k.0 != key.0);
        c.push((key, info.clone()));
    }
    Ok(info)
}

/// ffprobe with `args`, then the file.
fn ffprobe(path: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let file = path.to_string_lossy();
    let mut all = vec!["-v", "error"];
    all.extend_from_slice(args);
    all.push(&file);
    run_tool(Tool::Ffprobe, path, &all)
}

fn probe_uncached(path: &Path) -> anyhow::Result<VideoInfo> {
    let out = ffprobe(
        path,
        &["-print_format", "json", "-show_format", "-show_streams"],
    )?;
    let doc: Value = serde_json::from_slice(&out)
        .map_err(|e| anyhow::anyhow!("{}: ffprobe printed no JSON: {e}", path.display()))?;
    let streams = doc["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .ok_or_else(|| anyhow::anyhow!("{}: the file has no video stream", path.display()))?;
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .filter(|s| !s.is_empty() && s != "unknown")
    };
    let width = video["width"].as_u64().unwrap_or(0) as usize;
    let height = video["height"].as_u64().unwrap_or(0) as usize;
    anyhow::ensure!(
        width > 0 && height > 0,
        "{}: the video stream has no size",
        path.display()
    );
    let rate = text(&video["r_frame_rate"])
        .and_then(|r| Rate::parse(&r))
        .or_else(|| text(&video["avg_frame_rate"]).and_then(|r| Rate::parse(&r)))
        .ok_or_else(|| anyhow::anyhow!("{}: the video stream has no frame rate", path.display()))?;
    let start_time = text(&video["start_time"])
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    let timecode = text(&video["tags"]["timecode"])
        .or_else(|| streams.iter().find_map(|s| text(&s["tags"]["timecode"])))
        .or_else(|| text(&doc["format"]["tags"]["timecode"]));
    let mut info = VideoInfo {
        path: path.to_path_buf(),
        container: text(&doc["format"]["format_name"]).unwrap_or_default(),
        codec: text(&video["codec_name"]).unwrap_or_default(),
        width,
        height,
        rate,
        fps: rate.fps(),
        frame_count: text(&video["nb_frames"])
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        pix_fmt: text(&video["pix_fmt"]).unwrap_or_default(),
        matrix: text(&video["color_space"]),
        range: text(&video["color_range"]),
        transfer: text(&video["color_transfer"]),
        primaries: text(&video["color_primaries"]),
        field_order: text(&video["field_order"]),
        start_time,
        timecode,
    };
    if info.frame_count == 0 {
        info.frame_count = count_packets(path)?;
    }
    if info.timecode.is_none() {
        info.timecode = first_frame_timecode(path)?;
    }
    Ok(info)
}

/// Streams without a frame count in their header (MPEG-2 program streams, transport streams):
/// count the video packets. This demuxes the file but decodes nothing.
fn count_packets(path: &Path) -> anyhow::Result<u64> {
    let out = ffprobe(
        path,
        &[
            "-count_packets",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_packets",
            "-of",
            "csv=p=0",
        ],
    )?;
    let s = String::from_utf8_lossy(&out);
    s.trim().trim_end_matches(',').parse().map_err(|_| {
        anyhow::anyhow!(
            "{}: ffprobe could not count the frames ('{}')",
            path.display(),
            s.trim()
        )
    })
}

/// The timecode an MPEG-2 stream carries in its first GOP header (exported on the first frame;
/// ffprobe needs two packets read before the first frame has its side data).
fn first_frame_timecode(path: &Path) -> anyhow::Result<Option<String>> {
    let out = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-read_intervals",
            "%+#2",
            "-show_frames",
            "-print_format",
            "json",
        ],
    )?;
    let doc: Value = serde_json::from_slice(&out).unwrap_or(Value::Null);
    let frame = &doc["frames"][0];
    let from_side_data = frame["side_data_list"]
        .as_array()
        .and_then(|l| l.iter().find_map(|d| d["timecode"].as_str()));
    Ok(frame["tags"]["timecode"]
        .as_str()
        .or(from_side_data)
        .map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_name_their_timecode_base() {
        let r = Rate::parse("30000/1001").unwrap();
        assert!(r.is_ntsc());
        assert_eq!(r.nominal(), 30);
        assert_eq!(Rate::parse("25/1").unwrap().nominal(), 25);
        assert!(Rate::parse("0/0").is_none());
    }
}
