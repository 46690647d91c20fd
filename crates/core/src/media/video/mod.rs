//! Video files as references: a MOV/MP4/MXF/MPEG-2 video transfer read as it arrives, through
//! the `ffmpeg` program, frame by frame, numbered like a Nuke Read node numbers a movie (from
//! `reference.first-frame`, default 1).
//!
//! Everything that changes the colour the model learns is decided here, explicitly, and logged:
//! the YCbCr matrix (BT.601 for SD, BT.709 for HD, BT.2020), the range (limited or full), the
//! transfer the R'G'B' is encoded with, and inverse telecine for 29.97 transfers of 24 fps film.
//! What the file is tagged with wins over the defaults; `tinct.toml` wins over both.

mod decode;
mod probe;
mod timecode;
pub(crate) mod tools;

pub use probe::{Rate, VideoInfo, probe};
pub use timecode::{BadTimecode, Timecode};

use crate::color::Colorspace;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Extensions read as video (case-insensitive).
pub const VIDEO_EXTENSIONS: &[&str] = &[
    "mov", "mp4", "m4v", "mxf", "mpg", "mpeg", "m2v", "vob", "ts", "m2ts", "mts", "mkv", "avi",
    "dv", "webm", "y4m",
];

/// True when `path` names a video file (by extension).
pub fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| VIDEO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `reference.matrix`: the YCbCr to R'G'B' matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Matrix {
    /// As the stream is tagged; untagged: BT.601 up to 576 lines, BT.709 above.
    #[default]
    Auto,
    Bt601,
    Bt709,
    Bt2020,
}

/// `reference.range`: where black and white sit in the code values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Range {
    /// As the stream is tagged; untagged: full for RGB and `yuvj` formats, else limited.
    #[default]
    Auto,
    /// 16-235 (8-bit), the video norm.
    Limited,
    /// 0-255.
    Full,
}

/// `reference.pulldown`: inverse telecine of a 29.97 transfer of 24 fps film.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pulldown {
    /// On for an interlaced 29.97/59.94 stream, off otherwise.
    #[default]
    Auto,
    /// Always (a telecined transfer flagged progressive).
    On,
    None,
}

/// How the operator asked a video to be read (`[reference]` in `tinct.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoOptions {
    pub matrix: Matrix,
    pub range: Range,
    pub pulldown: Pulldown,
    /// The number of the video's first frame.
    pub first_frame: i64,
    /// The colourspace of the decoded R'G'B'; `None` = from the transfer the stream is tagged with.
    pub colorspace: Option<Colorspace>,
}

impl Default for VideoOptions {
    fn default() -> Self {
        Self {
            matrix: Matrix::Auto,
            range: Range::Auto,
            pulldown: Pulldown::Auto,
            first_frame: 1,
            colorspace: None,
        }
    }
}

impl std::fmt::Display for Matrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Matrix::Auto => "auto",
            Matrix::Bt601 => "BT.601",
            Matrix::Bt709 => "BT.709",
            Matrix::Bt2020 => "BT.2020",
        })
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Range::Auto => "auto",
            Range::Limited => "limited",
            Range::Full => "full",
        })
    }
}

/// What the decoder is told: every choice resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decode {
    pub matrix: Matrix,
    pub range: Range,
    pub pulldown: bool,
}

/// A video opened as a frame source.
#[derive(Debug)]
pub struct Video {
    pub info: VideoInfo,
    pub decode: Decode,
    /// The colourspace the decoded R'G'B' is in.
    pub colorspace: Colorspace,
    pub first_frame: i64,
    /// Frames the video has as tinct numbers them (after inverse telecine, if on).
    pub frame_count: u64,
    decoded: AtomicU64,
    /// ffmpeg processes started so far.
    decoders: AtomicU64,
    /// The decoder [`Video::read_linear`] left running, to go on from.
    kept: Kept,
}

/// Frames a read may decode and drop to reach the one asked for, rather than start a decoder
/// there: two seconds of film, about what a seek decodes from its keyframe anyway.
const SKIP_AHEAD: u64 = 48;

#[derive(Default)]
struct Kept(std::sync::Mutex<Option<decode::Running>>);

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kept")
    }
}

impl Video {
    /// Probe `path` and resolve every choice in `opts` against what the stream says.
    pub fn open(path: &Path, opts: &VideoOptions) -> anyhow::Result<Video> {
        let info = probe(path)?;
        let decode = Decode {
            matrix: resolve_matrix(opts.matrix, &info),
            range: resolve_range(opts.range, &info),
            pulldown: match opts.pulldown {
                Pulldown::On => true,
                Pulldown::None => false,
                Pulldown::Auto => info.rate.is_ntsc() && info.interlaced(),
            },
        };
        // Inverse telecine keeps 4 frames of every 5.
        let frame_count = if decode.pulldown {
            info.frame_count - info.frame_count / 5
        } else {
            info.frame_count
        };
        Ok(Video {
            colorspace: opts.colorspace.unwrap_or_else(|| tagged_colorspace(&info)),
            decode,
            first_frame: opts.first_frame,
            frame_count,
            info,
            decoded: AtomicU64::new(0),
            decoders: AtomicU64::new(0),
            kept: Kept::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.info.path
    }

    /// Frame numbers, ascending.
    pub fn frames(&self) -> Vec<i64> {
        (0..self.frame_count as i64)
            .map(|i| self.first_frame + i)
            .collect()
    }

    /// The frame rate of the frames tinct reads (24000/1001 after inverse telecine).
    pub fn rate(&self) -> Rate {
        if self.decode.pulldown {
            Rate {
                num: self.info.rate.num * 4 / 5,
                den: self.info.rate.den,
            }
        } else {
            self.info.rate
        }
    }

    /// The timecode of frame `n` (from the stream's start timecode), if it has one.
    pub fn timecode_of(&self, n: i64) -> Option<Timecode> {
        let start = self.info.start_timecode()?;
        Some(start.add_frames(n - self.first_frame, self.rate().nominal()))
    }

    /// The frame number at timecode `tc`.
    pub fn frame_at(&self, tc: Timecode) -> anyhow::Result<i64> {
        let start = self.info.start_timecode().ok_or_else(|| {
            anyhow::anyhow!(
                "{}: the video carries no timecode, so {tc} cannot be placed (give a frame number)",
                self.path().display()
            )
        })?;
        let fps = self.rate().nominal();
        Ok(self.first_frame + tc.to_frames(fps) - start.to_frames(fps))
    }

    /// Frames decoded so far by this handle (what a stage cost in decoding).
    pub fn decoded_frames(&self) -> u64 {
        self.decoded.load(Ordering::Relaxed)
    }

    /// ffmpeg processes this handle started (each one a seek).
    pub fn decoders_started(&self) -> u64 {
        self.decoders.load(Ordering::Relaxed)
    }

    /// One line on how the video is read, for logs: matrix, range, transfer, telecine.
    pub fn describe(&self) -> String {
        let i = &self.info;
        format!(
            "{}: {} {}x{} {} fps, {} frames{}, {}; read as {} matrix, {} range, R'G'B' in {}{}",
            self.path().display(),
            i.codec,
            i.width,
            i.height,
            self.rate(),
            self.frame_count,
            i.timecode
                .as_deref()
                .map(|t| format!(" from {t}"))
                .unwrap_or_default(),
            i.pix_fmt,
            self.decode.matrix,
            self.decode.range,
            self.colorspace,
            if self.decode.pulldown {
                ", inverse telecine (fieldmatch+decimate)"
            } else {
                ""
            }
        )
    }

    /// Decode `frames` (any order, duplicates ignored) as scene-linear Rec.709 (or as `assume`
    /// says the R'G'B' is encoded) and hand each to `each` in ascending order. Decodes only
    /// those frames: one ffmpeg seek per run of consecutive frames.
    pub fn read_linear_each(
        &self,
        frames: &[i64],
        assume: Option<Colorspace>,
        each: &mut dyn FnMut(i64, crate::media::Image) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut indices = frames
            .iter()
            .map(|&f| self.index(f))
            .collect::<anyhow::Result<Vec<u64>>>()?;
        indices.sort_unstable();
        indices.dedup();
        let from = assume.unwrap_or(self.colorspace);
        let stream = self.stream();
        let mut deliver = |i: u64, mut img: crate::media::Image| {
            self.decoded.fetch_add(1, Ordering::Relaxed);
            crate::media::linearize(&mut img, from);
            let n = self.first_frame + i as i64;
            each(n, img).map_err(|e| e.context(format!("{} frame {n}", self.path().display())))
        };
        if self.decode.pulldown {
            self.decoders.fetch_add(1, Ordering::Relaxed);
            return decode::decode_run(&stream, &self.decode, &indices, &mut deliver);
        }
        // `indices` is sorted and deduplicated, so each run is a slice of it.
        let mut rest = indices.as_slice();
        for (_, count) in decode::runs(&indices) {
            let (run, tail) = rest.split_at(count);
            self.decoders.fetch_add(1, Ordering::Relaxed);
            decode::decode_run(&stream, &self.decode, run, &mut deliver)?;
            rest = tail;
        }
        Ok(())
    }

    /// One frame, scene-linear as [`Video::read_linear_each`] reads it. The decoder is kept
    /// running after it, so the next read of a frame at or a little after the next one (a
    /// render's reference, frame after frame) goes on from there instead of starting another
    /// ffmpeg and seeking; any other frame starts a new one.
    pub fn read_linear(
        &self,
        n: i64,
        assume: Option<Colorspace>,
    ) -> anyhow::Result<crate::media::Image> {
        let i = self.index(n)?;
        let mut kept = self.kept.0.lock().unwrap_or_else(|p| p.into_inner());
        let goes_on = kept
            .as_ref()
            .is_some_and(|run| run.next <= i && i - run.next <= SKIP_AHEAD);
        if !goes_on {
            *kept = None;
            self.decoders.fetch_add(1, Ordering::Relaxed);
            *kept = Some(decode::Running::spawn(
                &self.stream(),
                &self.decode,
                i,
                "",
                None,
            )?);
        }
        let run = kept.as_mut().expect("a decoder is running");
        loop {
            let at = run.next;
            match run.next_frame(at) {
                Ok(mut img) => {
                    self.decoded.fetch_add(1, Ordering::Relaxed);
                    if at == i {
                        crate::media::linearize(&mut img, assume.unwrap_or(self.colorspace));
                        return Ok(img);
                    }
                }
                Err(e) => {
                    let failed = kept.take().expect("a decoder is running");
                    return Err(failed
                        .fail(e)
                        .context(format!("{} frame {n}", self.path().display())));
                }
            }
        }
    }

    /// The 0-based index of frame `n`, or an error naming the video's frames.
    fn index(&self, n: i64) -> anyhow::Result<u64> {
        let i = n - self.first_frame;
        anyhow::ensure!(
            (0..self.frame_count as i64).contains(&i),
            "{}: has no frame {n} (its frames are {}-{})",
            self.path().display(),
            self.first_frame,
            self.first_frame + self.frame_count as i64 - 1
        );
        Ok(i as u64)
    }

    fn stream(&self) -> decode::Stream<'_> {
        decode::Stream {
            path: self.path(),
            size: (self.info.width, self.info.height),
            fps: self.info.rate.fps(),
            start_time: self.info.start_time,
            preroll: if self.info.has_keyframe_index() {
                0.0
            } else {
                decode::PREROLL_UNINDEXED
            },
        }
    }

    /// The file and frame, for manifests and messages: `ref.mov frame 38 (01:00:01:13)`.
    pub fn frame_label(&self, n: i64) -> String {
        match self.timecode_of(n) {
            Some(tc) => format!("{} frame {n} ({tc})", self.path().display()),
            None => format!("{} frame {n}", self.path().display()),
        }
    }
}

fn resolve_matrix(asked: Matrix, info: &VideoInfo) -> Matrix {
    if asked != Matrix::Auto {
        return asked;
    }
    match info.matrix.as_deref() {
        Some("bt709") => Matrix::Bt709,
        Some("smpte170m" | "bt470bg" | "bt601" | "fcc") => Matrix::Bt601,
        Some(m) if m.starts_with("bt2020") => Matrix::Bt2020,
        // Untagged: the convention of the format's era (SD was BT.601, HD is BT.709).
        _ if info.height <= 576 => Matrix::Bt601,
        _ => Matrix::Bt709,
    }
}

fn resolve_range(asked: Range, info: &VideoInfo) -> Range {
    if asked != Range::Auto {
        return asked;
    }
    match info.range.as_deref() {
        Some("pc" | "jpeg") => Range::Full,
        Some("tv" | "mpeg") => Range::Limited,
        _ if info.pix_fmt.starts_with("yuvj")
            || info.pix_fmt.starts_with("rgb")
            || info.pix_fmt.starts_with("gbr") =>
        {
            Range::Full
        }
        _ => Range::Limited,
    }
}

/// The colourspace of decoded R'G'B' from the stream's transfer and primaries tags; a video
/// transfer without tags is BT.709 primaries seen on a BT.1886 (2.4 gamma) display.
fn tagged_colorspace(info: &VideoInfo) -> Colorspace {
    let bt2020 = info
        .primaries
        .as_deref()
        .is_some_and(|p| p.starts_with("bt2020"));
    match info.transfer.as_deref() {
        Some("iec61966-2-1" | "iec61966_2_1") if !bt2020 => Colorspace::Srgb,
        Some("linear") if bt2020 => Colorspace::LinearRec2020,
        Some("linear") => Colorspace::LinearRec709,
        _ if bt2020 => Colorspace::Rec2020,
        _ => Colorspace::Rec709,
    }
}
