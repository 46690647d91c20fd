//! `tinct media info|convert`: inspect and convert image files and frame sequences.

use super::Global;
use crate::color::Colorspace;
use crate::media::video::{self, Video, VideoOptions};
use crate::media::{self, FramePattern, Sequence, WriteOptions};
use anyhow::Context;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Inspect and convert image files and frame sequences.
    #[command(subcommand)]
    Media(MediaCmd),
}

#[derive(Subcommand, Debug)]
pub enum MediaCmd {
    /// Size, channels, pixel type, compression, frame range and gaps (headers only); for a video
    /// file codec, rate, frame count, pixel format, matrix, range and start timecode.
    Info {
        /// A file, a sequence pattern (name.%04d.exr, name.####.exr, name.@.exr) or a video.
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Convert a file or a sequence (frame numbers kept) to another format or colourspace.
    Convert {
        input: PathBuf,
        output: PathBuf,
        /// Colourspace to write (default: linear-rec709 for EXR, srgb for integer formats).
        #[arg(long)]
        to_colorspace: Option<Colorspace>,
        /// Colourspace the input is in, overriding what the file implies (e.g. cineon).
        #[arg(long)]
        assume: Option<Colorspace>,
        /// EXR: 32-bit float instead of half.
        #[arg(long)]
        float: bool,
        /// EXR compression (none, zip, piz, ...) or DPX layout (a, b, packed; -le suffix).
        #[arg(long)]
        compression: Option<String>,
        /// Bits per sample for integer formats (DPX 8/10/12/16, TIFF/PNG 8/16).
        #[arg(long)]
        bits: Option<u8>,
    },
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    let Commands::Media(cmd) = cmd;
    apply_limits(g)?;
    match cmd {
        MediaCmd::Info { path, json } => info(&path, json),
        MediaCmd::Convert {
            input,
            output,
            to_colorspace,
            assume,
            float,
            compression,
            bits,
        } => {
            let is_exr = output
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("exr"));
            let defaults = WriteOptions::default();
            let opts = WriteOptions {
                colorspace: to_colorspace.unwrap_or(if is_exr {
                    Colorspace::LinearRec709
                } else {
                    Colorspace::Srgb
                }),
                half: !float,
                compression: compression.unwrap_or_else(|| {
                    if is_exr {
                        defaults.compression.clone()
                    } else {
                        "a".into()
                    }
                }),
                bits: bits.unwrap_or(
                    if output
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("dpx"))
                    {
                        10
                    } else {
                        16
                    },
                ),
            };
            convert(&input, &output, assume, &opts)
        }
    }
}

fn is_pattern(p: &Path) -> bool {
    FramePattern::parse(p).is_some()
}

fn info(path: &Path, json: bool) -> anyhow::Result<u8> {
    if video::is_video(path) {
        return video_info(path, json);
    }
    let seq = Sequence::discover(path)?;
    let first = seq
        .first()
        .with_context(|| format!("{}: no frames found", path.display()))?;
    let file = seq.path(first);
    let header = media::probe(&file)?;
    let gaps: Vec<[i64; 2]> = seq.gap_ranges().into_iter().map(|(a, b)| [a, b]).collect();
    if json {
        let mut v = serde_json::to_value(&header)?;
        let obj = v.as_object_mut().expect("FileInfo serialises to an object");
        obj.insert("path".into(), serde_json::json!(path));
        if is_pattern(path) {
            obj.insert("first_frame".into(), serde_json::json!(first));
            obj.insert("last_frame".into(), serde_json::json!(seq.last()));
            obj.insert("frames".into(), serde_json::json!(seq.frames.len()));
            obj.insert("gaps".into(), serde_json::json!(gaps));
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(0);
    }
    println!("{}", path.display());
    println!("  format       {} ({})", header.format, header.layout);
    println!("  size         {}x{}", header.width, header.height);
    println!("  channels     {}", header.channels.join(", "));
    println!("  pixel type   {:?}", header.pixel_type);
    println!("  compression  {}", header.compression);
    println!("  colourspace  {}", header.colorspace);
    if !header.ignored_layers.is_empty() {
        println!("  ignored      {}", header.ignored_layers.join(", "));
    }
    if is_pattern(path) {
        println!(
            "  frames       {first}-{} ({} files)",
            seq.last().unwrap_or(first),
            seq.frames.len()
        );
        if gaps.is_empty() {
            println!("  gaps         none");
        } else {
            let list: Vec<String> = gaps
                .iter()
                .map(|[a, b]| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}-{b}")
                    }
                })
                .collect();
            println!("  gaps         {}", list.join(", "));
        }
    }
    Ok(0)
}

/// A video file: what ffprobe says of its first video stream, and how tinct reads it by default.
fn video_info(path: &Path, json: bool) -> anyhow::Result<u8> {
    let v = Video::open(path, &VideoOptions::default())?;
    let last = v.first_frame + v.frame_count as i64 - 1;
    if json {
        let mut out = serde_json::to_value(&v.info)?;
        let obj = out
            .as_object_mut()
            .expect("VideoInfo serialises to an object");
        obj.insert("format".into(), serde_json::json!("video"));
        obj.insert("first_frame".into(), serde_json::json!(v.first_frame));
        obj.insert("last_frame".into(), serde_json::json!(last));
        obj.insert("frames".into(), serde_json::json!(v.frame_count));
        obj.insert(
            "read_as".into(),
            serde_json::json!({
                "matrix": v.decode.matrix,
                "range": v.decode.range,
                "inverse_telecine": v.decode.pulldown,
                "colorspace": v.colorspace,
                "fps": v.rate().fps(),
            }),
        );
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(0);
    }
    let i = &v.info;
    let or_untagged = |t: &Option<String>| t.clone().unwrap_or_else(|| "untagged".into());
    println!("{}", path.display());
    println!("  format       video ({}, {})", i.container, i.codec);
    println!("  size         {}x{}", i.width, i.height);
    println!(
        "  rate         {} fps ({})",
        i.rate,
        or_untagged(&i.field_order)
    );
    println!("  pixel format {}", i.pix_fmt);
    println!(
        "  tagged       matrix {}, range {}, transfer {}, primaries {}",
        or_untagged(&i.matrix),
        or_untagged(&i.range),
        or_untagged(&i.transfer),
        or_untagged(&i.primaries)
    );
    println!("  timecode     {}", i.timecode.as_deref().unwrap_or("none"));
    println!(
        "  frames       {}-{last} ({} frames{})",
        v.first_frame,
        v.frame_count,
        if v.decode.pulldown {
            " after inverse telecine"
        } else {
            ""
        }
    );
    println!(
        "  read as      {} matrix, {} range, R'G'B' in {}{}",
        v.decode.matrix,
        v.decode.range,
        v.colorspace,
        if v.decode.pulldown {
            ", inverse telecine"
        } else {
            ""
        }
    );
    Ok(0)
}

/// Every frame of a video to `output` (a pattern), numbered from the video's first frame (1).
fn convert_video(
    input: &Path,
    output: &Path,
    assume: Option<Colorspace>,
    opts: &WriteOptions,
) -> anyhow::Result<u8> {
    let v = Video::open(input, &VideoOptions::default())?;
    let out = FramePattern::parse(output).with_context(|| {
        format!(
            "{}: converting a video needs an output pattern (e.g. ref.%04d.exr)",
            output.display()
        )
    })?;
    eprintln!("{}", v.describe());
    v.read_linear_each(&v.frames(), assume, &mut |n, img| {
        media::write(&out.path(n), &img, opts).with_context(|| format!("frame {n}"))
    })?;
    println!(
        "{} frames: {} -> {}",
        v.frame_count,
        input.display(),
        output.display()
    );
    Ok(0)
}

fn convert(
    input: &Path,
    output: &Path,
    assume: Option<Colorspace>,
    opts: &WriteOptions,
) -> anyhow::Result<u8> {
    if video::is_video(input) {
        return convert_video(input, output, assume, opts);
    }
    let seq = Sequence::discover(input)?;
    if !is_pattern(input) {
        let img = media::read_linear(input, assume)?;
        media::write(output, &img, opts)?;
        println!("{} -> {}", input.display(), output.display());
        return Ok(0);
    }
    let out = FramePattern::parse(output).with_context(|| {
        format!(
            "{}: converting a sequence needs an output pattern (e.g. out.%04d.exr)",
            output.display()
        )
    })?;
    anyhow::ensure!(
        !seq.frames.is_empty(),
        "{}: no frames found",
        input.display()
    );
    for f in &seq.frames {
        let img = seq.read_linear(*f, assume)?;
        media::write(&out.path(*f), &img, opts).with_context(|| format!("frame {f}"))?;
    }
    println!(
        "{} frames: {} -> {}",
        seq.frames.len(),
        input.display(),
        output.display()
    );
    Ok(0)
}

/// The readers' limits (`[media]`): the project's, with `--set`, when the command runs in or is
/// pointed at one; else the defaults with `--set`. Files are often inspected outside a project.
fn apply_limits(g: &Global) -> anyhow::Result<()> {
    let config = match crate::project::resolve_root(g.project.as_deref()) {
        Ok(_) => crate::project::open(g.project.as_deref(), &g.set)?.config,
        Err(e) if g.project.is_some() => return Err(e),
        Err(_) => crate::project::apply_overrides(&crate::project::Config::default(), &g.set)?,
    };
    media::budget::set_max_pixels(config.media.max_pixels);
    Ok(())
}
