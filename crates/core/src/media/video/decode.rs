//! Frames out of a video through `ffmpeg`: YCbCr to R'G'B' at 16 bits per channel (`rgb48le`)
//! with the matrix and range stated explicitly (never left to ffmpeg's guess), streamed through a
//! pipe one frame at a time, so memory holds one frame whatever the length of the video.
//!
//! Frame `i` (0-based) is the one whose timestamp is `start + i / fps`. A run of frames is one
//! ffmpeg process that seeks to a keyframe before frame `i` and keeps, by timestamp
//! (`select='gte(t, start + (i - 0.5) / fps)'` on the file's own timestamps), frame `i` and those
//! after it. Containers without a keyframe index (MPEG program and transport streams) seek by
//! byte position and may land between keyframes, where nothing decodes until the next one: for
//! them the seek starts [`PREROLL_UNINDEXED`] seconds early. With inverse telecine the cadence
//! needs every field from the start, so the video is read from its first frame and only the
//! wanted frames are kept.

use super::tools::{Tool, last_line, spawn_error};
use super::{Decode, Matrix, Range};
use crate::media::Image;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;

/// Seconds a seek starts early in a container without a keyframe index: longer than any GOP of
/// a DVD, broadcast or Digibeta transfer.
pub const PREROLL_UNINDEXED: f64 = 5.0;

/// The stream a run is read from.
pub struct Stream<'a> {
    pub path: &'a Path,
    pub size: (usize, usize),
    pub fps: f64,
    /// Timestamp of frame 0, in seconds.
    pub start_time: f64,
    /// Seconds to seek early (0 where the container has a keyframe index).
    pub preroll: f64,
}

/// Scaler flags: exact rounding, chroma interpolated to full resolution before the matrix
/// (nearest-neighbour chroma would put a colour fringe on every edge the network learns from).
const SWS_FLAGS: &str = "accurate_rnd+full_chroma_int+full_chroma_inp+bicubic";

fn matrix_name(m: Matrix) -> &'static str {
    match m {
        Matrix::Bt601 | Matrix::Auto => "bt601",
        Matrix::Bt709 => "bt709",
        Matrix::Bt2020 => "bt2020",
    }
}

fn range_name(r: Range) -> &'static str {
    match r {
        Range::Full => "pc",
        Range::Limited | Range::Auto => "tv",
    }
}

/// The filter chain for `decode`: inverse telecine if on, `select` (which frames to keep), then
/// the scaler to 16-bit R'G'B'.
pub fn filters(decode: &Decode, select: &str) -> String {
    let mut chain = Vec::new();
    if decode.pulldown {
        // Match the fields back into film frames, then drop the duplicate of each cycle of five.
        chain.push("fieldmatch".to_string());
        chain.push("decimate".to_string());
    }
    chain.push(format!("select='{select}'"));
    chain.push(format!(
        "scale=in_color_matrix={}:in_range={}:flags={SWS_FLAGS}",
        matrix_name(decode.matrix),
        range_name(decode.range)
    ));
    chain.push("format=rgb48le".into());
    chain.join(",")
}

/// Runs of consecutive indices: `[3, 4, 5, 9]` -> `[(3, 3), (9, 1)]` as (first, count).
pub fn runs(indices: &[u64]) -> Vec<(u64, usize)> {
    let mut out: Vec<(u64, usize)> = Vec::new();
    for &i in indices {
        match out.last_mut() {
            Some((first, count)) if *first + *count as u64 == i => *count += 1,
            _ => out.push((i, 1)),
        }
    }
    out
}

/// One ffmpeg process: `count` frames from 0-based `first` (seeking), or with inverse telecine the
/// frames of `indices` read from the start. Each frame goes to `each(index, image)` in order, as
/// encoded R'G'B' in 0..1.
pub fn decode_run(
    stream: &Stream,
    decode: &Decode,
    indices: &[u64],
    each: &mut dyn FnMut(u64, Image) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (Some(&first), Some(&last)) = (indices.first(), indices.last()) else {
        return Ok(());
    };
    let select = if decode.pulldown {
        // Indices count the frames after `decimate`.
        runs(indices)
            .iter()
            .map(|&(a, n)| format!("between(n,{a},{})", a + n as u64 - 1))
            .collect::<Vec<_>>()
            .join("+")
    } else {
        debug_assert_eq!(
            last - first + 1,
            indices.len() as u64,
            "a seek run is contiguous"
        );
        String::new()
    };
    let mut run = Running::spawn(stream, decode, first, &select, Some(indices.len()))?;
    let result = indices.iter().try_for_each(|&i| {
        let img = run.next_frame(i)?;
        each(i, img)
    });
    match result {
        Ok(()) => run.finish(),
        Err(e) => Err(run.fail(e)),
    }
}

/// A running ffmpeg process streaming frames in order, from 0-based `first` on; killed when
/// dropped. [`decode_run`] reads a known run from one; a [`super::Video`] keeps one open
/// between reads, so a render that asks for frame after frame pays one seek, not one per frame.
pub struct Running {
    child: std::process::Child,
    stdout: std::process::ChildStdout,
    errors: Option<std::thread::JoinHandle<Vec<u8>>>,
    path: std::path::PathBuf,
    size: (usize, usize),
    bytes: Vec<u8>,
    /// The 0-based index of the frame the next read returns.
    pub next: u64,
}

impl Running {
    /// Start at 0-based `first` (seeking, or with inverse telecine reading from the start).
    /// `select`: the filter's frame selection (empty: `first` and every frame after it);
    /// `count`: the frames to decode (`None`: to the end of the stream).
    pub fn spawn(
        stream: &Stream,
        decode: &Decode,
        first: u64,
        select: &str,
        count: Option<usize>,
    ) -> anyhow::Result<Running> {
        let path = stream.path;
        let mut args: Vec<String> = vec!["-nostdin".into(), "-v".into(), "error".into()];
        let select = if !select.is_empty() {
            select.to_string()
        } else if decode.pulldown {
            format!("gte(n,{first})")
        } else {
            let from = (first as f64 - 0.5) / stream.fps;
            let seek = from - stream.preroll;
            if seek > 0.0 {
                // ffmpeg trims nothing itself (`-noaccurate_seek`): `select` keeps frames by
                // their own timestamps, which `-copyts` leaves as the file has them.
                args.extend([
                    "-noaccurate_seek".into(),
                    "-ss".into(),
                    format!("{seek:.6}"),
                ]);
            }
            format!("gte(t,{:.6})", stream.start_time + from)
        };
        args.extend([
            "-copyts".into(),
            "-i".into(),
            path.to_string_lossy().into_owned(),
        ]);
        args.extend(
            [
                "-map",
                "0:v:0",
                "-an",
                "-sn",
                "-dn",
                "-fps_mode",
                "passthrough",
            ]
            .map(String::from),
        );
        if let Some(count) = count {
            args.extend(["-frames:v".into(), count.to_string()]);
        }
        args.extend(["-vf".into(), filters(decode, &select)]);
        args.extend(["-f", "rawvideo", "-"].map(String::from));

        let mut child = Tool::Ffmpeg
            .command()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error(Tool::Ffmpeg, path, e))?;
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let errors = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let (w, h) = stream.size;
        Ok(Running {
            child,
            stdout,
            errors: Some(errors),
            path: path.to_path_buf(),
            size: stream.size,
            bytes: vec![0u8; w * h * 6],
            next: first,
        })
    }

    /// The next frame, which the caller numbers `index` for its message if the video ends.
    pub fn next_frame(&mut self, index: u64) -> anyhow::Result<Image> {
        if let Err(e) = self.stdout.read_exact(&mut self.bytes) {
            anyhow::bail!(
                "{}: frame index {index}: the video ended or could not be decoded ({e})",
                self.path.display()
            );
        }
        self.next += 1;
        let data: Vec<f32> = self
            .bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as f32 / 65535.0)
            .collect();
        let (w, h) = self.size;
        Ok(Image::from_vec(w, h, 3, data))
    }

    /// The run read to its end: wait for ffmpeg and check how it exited.
    pub fn finish(mut self) -> anyhow::Result<()> {
        let status = self.child.wait();
        let stderr = self.stderr();
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => anyhow::bail!(
                "{}: ffmpeg failed ({s}): {}",
                self.path.display(),
                last_line(&stderr)
            ),
            Err(e) => anyhow::bail!("{}: ffmpeg: {e}", self.path.display()),
        }
    }

    /// `e` with what ffmpeg said, the process stopped.
    pub fn fail(mut self, e: anyhow::Error) -> anyhow::Error {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stderr = self.stderr();
        match stderr.is_empty() {
            true => e,
            false => e.context(format!("ffmpeg: {}", last_line(&stderr))),
        }
    }

    fn stderr(&mut self) -> Vec<u8> {
        self.errors
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Not read to its end (a render that stopped, or a read elsewhere in the video): stop
        // the decoder rather than leave it blocked on a full pipe.
        if self.errors.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = self.stderr();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_indices_make_one_run() {
        assert_eq!(runs(&[3, 4, 5, 9, 11, 12]), vec![(3, 3), (9, 1), (11, 2)]);
        assert!(runs(&[]).is_empty());
    }

    #[test]
    fn the_matrix_and_range_are_always_explicit() {
        let d = Decode {
            matrix: Matrix::Bt709,
            range: Range::Limited,
            pulldown: false,
        };
        let f = filters(&d, "gte(t,0)");
        assert!(
            f.contains("in_color_matrix=bt709") && f.contains("in_range=tv"),
            "{f}"
        );
        assert!(f.ends_with("format=rgb48le"));
        let p = Decode {
            pulldown: true,
            ..d
        };
        assert!(filters(&p, "between(n,1,2)").starts_with("fieldmatch,decimate,select="));
    }
}
