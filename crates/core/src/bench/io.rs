//! `tinct bench io`: read and write throughput of `crate::media` (the functions the stages call)
//! against OpenImageIO's Python binding (`benches/io_peer.py`), on the same files with the same
//! settings, in the same run: OpenEXR half/float x ZIP/PIZ, and the integer formats a render
//! delivers (`infer.format`): DPX 10-bit (filled method A, big-endian) and TIFF 16-bit
//! (uncompressed), written with exactly the options `stages::output::OutputSpec` gives them.
//!
//! The test frame is real footage: a CC0 panorama scaled up to cover 2048x1080 and centre-cropped,
//! so ZIP and PIZ see real image statistics. tinct writes it once per case; both sides then read
//! those same files to f32 RGB (median of N reads) and each writes its own copies from the same
//! float picture (`source.exr`, float ZIP: lossless) (median of N writes, each ending with an
//! fsync because tinct's writer syncs before its atomic rename). Timings are taken inside each
//! process, so Python's start-up is excluded. Reads decode samples as stored (`media::read`, what
//! `read_linear` calls before its colour conversion), and the integer formats are written from
//! the linear picture as it is (clipped to 0..1), because OpenImageIO converts no colours: the
//! render's conversion into `infer.colorspace` is compute, not I/O.
//!
//! Threads: the exr crate compresses and decompresses on a rayon pool it builds per file, and
//! tinct's own PIZ reader (`media::exr_io::piz`) on rayon's global pool, both sized by
//! `RAYON_NUM_THREADS` (default: one per CPU); OpenImageIO uses its own pool (`threads`,
//! `exr_threads`). DPX is coded on one thread by both; tinct's uncompressed TIFF
//! (`media::tiff16`) reads bands of rows on rayon's global pool and, with more than one thread,
//! converts the next band while the file takes the current one. The bench runs both at their
//! defaults and both with one codec thread, each tinct pass in a child process so the
//! environment variable applies cleanly.
//!
//! A fast-but-wrong path cannot pass: the files OpenImageIO wrote are read back by tinct and must
//! match the source frame within the format's precision (half: 1 ulp; float: exactly; integers:
//! one code value, half a code for tinct's own rounding writer), tinct's own written files
//! likewise, both sides' files of a case must have the same sample type and compression (DPX:
//! packing and byte order too), and both readers must agree on the channel means of every file
//! they both decoded.

use super::BenchOpts;
use crate::color::Colorspace;
use crate::media::{self, Image, WriteOptions};
use crate::project::config::{InferConfig, OutputFormat};
use crate::stages::output::OutputSpec;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const WIDTH: usize = 2048;
const HEIGHT: usize = 1080;
/// Set in the child process that times tinct: the folder holding the `frame-*` files.
const CHILD_DIR_ENV: &str = "TINCT_BENCH_IO_CHILD";
/// Set in the child process: `READS,WRITES`.
const CHILD_REPEATS_ENV: &str = "TINCT_BENCH_IO_REPEATS";
/// The panorama preferred as the test picture (most detail of the eight); any other will do.
const PREFERRED_FOOTAGE: &str = "forest.exr";
/// The float picture both sides write from (float ZIP: lossless).
const SOURCE_FILE: &str = "source.exr";

/// One measured combination of file format, sample type and compression (or layout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Case {
    /// The render's output format (`infer.format`).
    format: OutputFormat,
    /// `half` | `float` (EXR), `uint10` (DPX), `uint16` (TIFF).
    pixel: &'static str,
    /// EXR: `zip` | `piz`; DPX: `filled-a` (method A, big-endian); TIFF: `none`.
    compression: &'static str,
}

/// The delivery default (`infer.format = "exr"`, `infer.exr-compression = "zip"`), which
/// `bench render` also measures against OpenImageIO.
pub(crate) const EXR_HALF_ZIP: Case = Case {
    format: OutputFormat::Exr,
    pixel: "half",
    compression: "zip",
};

const CASES: [Case; 6] = [
    EXR_HALF_ZIP,
    Case {
        format: OutputFormat::Exr,
        pixel: "half",
        compression: "piz",
    },
    Case {
        format: OutputFormat::Exr,
        pixel: "float",
        compression: "zip",
    },
    Case {
        format: OutputFormat::Exr,
        pixel: "float",
        compression: "piz",
    },
    Case {
        format: OutputFormat::Dpx,
        pixel: "uint10",
        compression: "filled-a",
    },
    Case {
        format: OutputFormat::Tiff,
        pixel: "uint16",
        compression: "none",
    },
];

impl Case {
    fn pixel(&self) -> &'static str {
        self.pixel
    }

    /// `exr` | `dpx` | `tiff`: the format as the peer and the JSON name it.
    fn kind(&self) -> &'static str {
        match self.format {
            OutputFormat::Exr => "exr",
            OutputFormat::Dpx => "dpx",
            OutputFormat::Tiff => "tiff",
        }
    }

    /// `half-zip`, used in file names and to match peer results.
    fn stem(&self) -> String {
        format!("{}-{}", self.pixel(), self.compression)
    }

    /// `<dir>/<who>-<stem>.<ext>`; `who` is `frame` (tinct's, read by both), `tinct` or `oiio`.
    fn file(&self, dir: &Path, who: &str) -> PathBuf {
        dir.join(format!("{who}-{}.{}", self.stem(), self.format.extension()))
    }

    /// `format:pixel:compression`, the peer's `--cases` item.
    fn peer_arg(&self) -> String {
        format!("{}:{}:{}", self.kind(), self.pixel, self.compression)
    }

    /// `half   zip`, `uint10 dpx`: the table's case column.
    fn label(&self) -> String {
        let codec = match self.format {
            OutputFormat::Exr => self.compression,
            _ => self.kind(),
        };
        format!("{:<6} {codec}", self.pixel)
    }

    /// `EXR ZIP half`: the case in a sentence.
    pub(crate) fn title(&self) -> String {
        let codec = match self.format {
            OutputFormat::Exr => format!(" {}", self.compression.to_uppercase()),
            _ => String::new(),
        };
        format!("{}{codec} {}", self.kind().to_uppercase(), self.pixel)
    }

    /// Bits of an integer sample; `None` for EXR's floats.
    fn bits(&self) -> Option<u8> {
        match self.pixel {
            "uint10" => Some(10),
            "uint16" => Some(16),
            _ => None,
        }
    }

    /// What tinct writes with. EXR: the case's pixel type and compression. DPX and TIFF: the
    /// options a render with `infer.format` = this format passes to `media::write` (bit depth,
    /// layout), in linear (see the module doc).
    fn options(&self) -> anyhow::Result<WriteOptions> {
        Ok(match self.format {
            OutputFormat::Exr => WriteOptions {
                half: self.pixel == "half",
                compression: self.compression.into(),
                ..WriteOptions::default()
            },
            format => {
                let spec = OutputSpec::from_config(&InferConfig {
                    format,
                    ..InferConfig::default()
                })?;
                WriteOptions {
                    colorspace: Colorspace::LinearRec709,
                    ..spec.options
                }
            }
        })
    }

    /// Bytes of pixel data in one frame as stored uncompressed: what "MB/s" counts.
    fn raw_bytes(&self) -> f64 {
        let per_pixel = match self.pixel {
            "float" => 12,
            // Three 10-bit samples filled into one 32-bit word.
            "uint10" => 4,
            _ => 6,
        };
        (WIDTH * HEIGHT * per_pixel) as f64
    }

    /// Does a decoded sample `got` hold the source sample `want` within what this case stores?
    /// Half: one ulp step (2^-10 relative, 2^-24 absolute below half's normal range); float:
    /// exactly; integers: the clipped value within half a code value when `rounded` (tinct's
    /// writers round), else one (OpenImageIO converts float to 16 bits, then truncates to 10).
    fn holds(&self, got: f32, want: f32, rounded: bool) -> bool {
        match (self.bits(), self.pixel) {
            (Some(bits), _) => {
                let code = 1.0 / ((1u32 << bits) - 1) as f32;
                let tol = if rounded { 0.5 * code } else { code };
                (got - want.clamp(0.0, 1.0)).abs() <= tol + 1e-6
            }
            (None, "half") => {
                (got - want).abs() <= want.abs() * (1.0 / 1024.0) + 1.0 / 16_777_216.0
            }
            (None, _) => got == want,
        }
    }

    /// Do two readers' channel means of the same file agree? Floats: to 1e-6 (relative above
    /// 1). Integers: within one 16-bit step, because OpenImageIO widens a 10-bit code to 16 bits
    /// by bit replication before scaling, where tinct divides by 1023.
    fn means_agree(&self, a: f64, b: f64) -> bool {
        let tol = match self.bits() {
            Some(_) => 1.0 / 65535.0 + 1e-6 * b.abs(),
            None => 1e-6 * b.abs().max(1.0),
        };
        (a - b).abs() <= tol
    }
}

/// One side's timings for one case; the JSON shape `benches/io_peer.py` prints too.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct CaseResult {
    /// `exr` | `dpx` | `tiff`.
    format: String,
    pixel: String,
    compression: String,
    /// Median seconds per frame.
    read_s: f64,
    write_s: f64,
    /// Channel means of the decoded `frame-<case>` file.
    means: Vec<f64>,
    /// Size of the file this side wrote.
    written_bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RunResult {
    /// Worker threads the codec used (tinct: rayon pool size; OpenImageIO: `threads`).
    threads: i64,
    #[serde(default)]
    exr_threads: Option<i64>,
    #[serde(default)]
    peer: Option<String>,
    cases: Vec<CaseResult>,
}

impl RunResult {
    fn case(&self, case: Case) -> anyhow::Result<&CaseResult> {
        self.cases
            .iter()
            .find(|c| {
                c.format == case.kind()
                    && c.pixel == case.pixel()
                    && c.compression == case.compression
            })
            .with_context(|| format!("no result for case {} {}", case.kind(), case.stem()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Threads {
    Default,
    One,
}

/// Reads and writes timed per case (each after one warm-up).
pub(crate) fn repeats(quick: bool) -> (usize, usize) {
    if quick { (3, 2) } else { (9, 5) }
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    if let Ok(dir) = std::env::var(CHILD_DIR_ENV) {
        return child(Path::new(&dir));
    }
    let (reads, writes) = repeats(opts.quick);
    let (footage, frame) = footage_frame_2k(&opts.footage)?;
    let dir = tempfile::tempdir().context("creating the bench io work folder")?;
    prepare(dir.path(), &frame, &CASES)?;
    println!(
        "bench io: {WIDTH}x{HEIGHT} RGB, real footage ({} scaled to cover, centre crop)",
        footage.display()
    );
    println!(
        "  OpenEXR half/float x ZIP/PIZ; DPX 10-bit filled method A big-endian and TIFF 16-bit \
         uncompressed as a render writes them (infer.format)"
    );
    println!(
        "  read: median of {reads} (after 1 warm-up) decoding to f32 RGB in memory; write: median of {writes}, each + fsync"
    );
    println!(
        "  MB/s counts 10^6 bytes of pixel data as stored uncompressed (half 2 B, float 4 B per \
         sample; DPX 10-bit 4 B per pixel; TIFF 16-bit 2 B per sample)"
    );
    for threads in [Threads::Default, Threads::One] {
        let ours = tinct_child(dir.path(), reads, writes, threads)?;
        let peer = oiio_peer(dir.path(), reads, writes, threads, &CASES)?;
        verify(dir.path(), &frame, &ours, &peer, &CASES)?;
        let peer_name = peer.peer.clone().unwrap_or_else(|| "OpenImageIO".into());
        println!();
        println!(
            "threads {}: tinct (rayon pools) {} thread(s); {peer_name} threads={} exr_threads={}",
            match threads {
                Threads::Default => "default",
                Threads::One => "= 1",
            },
            ours.threads,
            peer.threads,
            peer.exr_threads.map_or("?".into(), |t| t.to_string()),
        );
        print!("{}", format_table(&rows(&ours, &peer, &CASES)?));
    }
    println!();
    println!(
        "verified: OpenImageIO's and tinct's written files read back by tinct match the source \
         (half: within 1 ulp, float: exactly, DPX/TIFF: within one code value of the clipped \
         source, tinct's within half); both sides' files have the same sample type and layout; \
         both readers agree on every file's channel means"
    );
    Ok(())
}

/// Write the float source both sides write from and tinct's file of each case into `dir`.
pub(crate) fn prepare(dir: &Path, frame: &Image, cases: &[Case]) -> anyhow::Result<()> {
    let source = dir.join(SOURCE_FILE);
    media::write(
        &source,
        frame,
        &WriteOptions {
            half: false,
            ..WriteOptions::default()
        },
    )
    .with_context(|| format!("writing the test frame {}", source.display()))?;
    for case in cases {
        let path = case.file(dir, "frame");
        media::write(&path, frame, &case.options()?)
            .with_context(|| format!("writing the test frame {}", path.display()))?;
    }
    Ok(())
}

/// The child process: time tinct on the files in `dir` and print a [`RunResult`] as JSON.
fn child(dir: &Path) -> anyhow::Result<()> {
    let repeats = std::env::var(CHILD_REPEATS_ENV).unwrap_or_default();
    let (reads, writes) = repeats
        .split_once(',')
        .and_then(|(r, w)| Some((r.parse().ok()?, w.parse().ok()?)))
        .with_context(|| format!("{CHILD_REPEATS_ENV}='{repeats}' is not READS,WRITES"))?;
    let result = measure_tinct(dir, reads, writes, &CASES)?;
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

/// Time tinct on `cases` (files from [`prepare`] in `dir`), in this process.
pub(crate) fn measure_tinct(
    dir: &Path,
    reads: usize,
    writes: usize,
    cases: &[Case],
) -> anyhow::Result<RunResult> {
    let source = read_frame(&dir.join(SOURCE_FILE))?;
    let mut results = Vec::new();
    for case in cases {
        let path = case.file(dir, "frame");
        let decoded = read_frame(&path)?;
        let read_s = median_seconds(reads, || read_frame(&path).map(drop))?;
        let out = case.file(dir, "tinct");
        let options = case.options()?;
        let write_s = median_seconds(writes, || media::write(&out, &source, &options))?;
        results.push(CaseResult {
            format: case.kind().into(),
            pixel: case.pixel().into(),
            compression: case.compression.into(),
            read_s,
            write_s,
            means: channel_means(&decoded),
            written_bytes: std::fs::metadata(&out)?.len(),
        });
    }
    // rayon sizes its pools from RAYON_NUM_THREADS, else one thread per CPU.
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &i64| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()) as i64);
    Ok(RunResult {
        threads,
        exr_threads: None,
        peer: None,
        cases: results,
    })
}

/// What the stages' `read_linear` decodes a frame with, before any colour conversion.
fn read_frame(path: &Path) -> anyhow::Result<Image> {
    Ok(media::read(path)
        .with_context(|| format!("tinct reading {}", path.display()))?
        .image)
}

/// Median wall time of `repeats` calls, after one untimed warm-up call.
fn median_seconds(
    repeats: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<f64> {
    f()?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    Ok(median(&mut times))
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn channel_means(img: &Image) -> Vec<f64> {
    let mut sums = vec![0f64; img.channels];
    for px in img.data.chunks_exact(img.channels) {
        for (s, v) in sums.iter_mut().zip(px) {
            *s += *v as f64;
        }
    }
    sums.iter().map(|s| s / img.pixel_count() as f64).collect()
}

fn tinct_child(
    dir: &Path,
    reads: usize,
    writes: usize,
    threads: Threads,
) -> anyhow::Result<RunResult> {
    let exe = std::env::current_exe().context("locating the tinct executable")?;
    let mut cmd = Command::new(&exe);
    cmd.args(["bench", "io"])
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_REPEATS_ENV, format!("{reads},{writes}"));
    match threads {
        Threads::Default => cmd.env_remove("RAYON_NUM_THREADS"),
        Threads::One => cmd.env("RAYON_NUM_THREADS", "1"),
    };
    let out = cmd
        .output()
        .with_context(|| format!("running {} bench io (child)", exe.display()))?;
    parse_run("tinct's bench io child", &out)
}

fn peer_script() -> PathBuf {
    super::peer_script("io_peer.py")
}

/// Time OpenImageIO on `cases` (files from [`prepare`] in `dir`) in `benches/io_peer.py`.
pub(crate) fn oiio_peer(
    dir: &Path,
    reads: usize,
    writes: usize,
    threads: Threads,
    cases: &[Case],
) -> anyhow::Result<RunResult> {
    let py = super::python();
    let cases = cases
        .iter()
        .map(Case::peer_arg)
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new(&py)
        .arg(peer_script())
        .arg("--dir")
        .arg(dir)
        .args(["--cases", &cases])
        .args(["--reads", &reads.to_string(), "--writes", &writes.to_string()])
        .args([
            "--threads",
            match threads {
                Threads::Default => "0",
                Threads::One => "1",
            },
        ])
        .output()
        .with_context(|| {
            format!("running the OpenImageIO peer with '{py}' (set TINCT_PYTHON to a python with OpenImageIO)")
        })?;
    parse_run("the OpenImageIO peer", &out)
}

fn parse_run(who: &str, out: &std::process::Output) -> anyhow::Result<RunResult> {
    anyhow::ensure!(
        out.status.success(),
        "{who} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(out.stdout.trim_ascii()).with_context(|| {
        format!(
            "{who} printed no result JSON: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The checks that keep a fast-but-wrong reader or writer from passing.
pub(crate) fn verify(
    dir: &Path,
    source: &Image,
    ours: &RunResult,
    peer: &RunResult,
    cases: &[Case],
) -> anyhow::Result<()> {
    for &case in cases {
        let (a, b) = (&ours.case(case)?.means, &peer.case(case)?.means);
        anyhow::ensure!(
            a.len() == 3 && b.len() == 3 && a.iter().zip(b).all(|(x, y)| case.means_agree(*x, *y)),
            "{} decodes differently: tinct channel means {a:?}, OpenImageIO {b:?}",
            case.file(dir, "frame").display()
        );
        for writer in ["oiio", "tinct"] {
            let path = case.file(dir, writer);
            let back = read_frame(&path)?;
            anyhow::ensure!(
                (back.width, back.height, back.channels) == (WIDTH, HEIGHT, 3),
                "{} is {}x{}x{}, expected {WIDTH}x{HEIGHT}x3",
                path.display(),
                back.width,
                back.height,
                back.channels
            );
            if let Some((i, got, want)) =
                first_mismatch(&back.data, &source.data, case, writer == "tinct")
            {
                let p = i / 3;
                anyhow::bail!(
                    "{} does not hold the source frame: pixel ({}, {}) channel {} is {got}, expected {want}",
                    path.display(),
                    p % WIDTH,
                    p / WIDTH,
                    i % 3
                );
            }
        }
        let (t, o) = (
            media::info::probe(&case.file(dir, "tinct"))?,
            media::info::probe(&case.file(dir, "oiio"))?,
        );
        // DPX: "filled method A, big-endian, transfer .."; the codes after it may differ.
        let layout = |l: &str| l.split(", transfer").next().unwrap_or_default().to_owned();
        anyhow::ensure!(
            (t.pixel_type, &t.compression) == (o.pixel_type, &o.compression)
                && (case.format != OutputFormat::Dpx || layout(&t.layout) == layout(&o.layout)),
            "{}: tinct wrote {} {} ({}), OpenImageIO {} {} ({}): not the same format",
            case.title(),
            t.pixel_type.name(),
            t.compression,
            t.layout,
            o.pixel_type.name(),
            o.compression,
            o.layout
        );
    }
    Ok(())
}

/// First sample where `got` does not hold `want` as the case stores it ([`Case::holds`]).
fn first_mismatch(
    got: &[f32],
    want: &[f32],
    case: Case,
    rounded: bool,
) -> Option<(usize, f32, f32)> {
    got.iter()
        .zip(want)
        .position(|(&g, &w)| !case.holds(g, w, rounded))
        .map(|i| (i, got[i], want[i]))
}

/// A CC0 panorama from `footage/blender-cc0`, scaled to cover the 2K bench frame and
/// centre-cropped (also the source of `bench render`).
pub fn footage_frame_2k(footage: &Path) -> anyhow::Result<(PathBuf, Image)> {
    let folder = footage.join("blender-cc0");
    let preferred = folder.join(PREFERRED_FOOTAGE);
    let path = if preferred.is_file() {
        preferred
    } else {
        let mut exrs: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("listing {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "exr"))
            .collect();
        exrs.sort();
        exrs.into_iter()
            .next()
            .with_context(|| format!("no .exr footage in {}", folder.display()))?
    };
    let img = media::read(&path)?.image.to_rgb();
    Ok((path, cover(&img, WIDTH, HEIGHT)))
}

/// Bilinear scale of `img` so it covers `w` x `h`, then the centre `w` x `h` of it.
fn cover(img: &Image, w: usize, h: usize) -> Image {
    let scale = (w as f64 / img.width as f64).max(h as f64 / img.height as f64);
    let scaled_w = (img.width as f64 * scale).round() as usize;
    let scaled_h = (img.height as f64 * scale).round() as usize;
    let (x0, y0) = (
        scaled_w.saturating_sub(w) / 2,
        scaled_h.saturating_sub(h) / 2,
    );
    let clamp = |v: f64, n: usize| v.clamp(0.0, (n - 1) as f64);
    Image::from_fn_rgb(w, h, |x, y| {
        // Pixel centres map to pixel centres.
        let sx = clamp(((x + x0) as f64 + 0.5) / scale - 0.5, img.width);
        let sy = clamp(((y + y0) as f64 + 0.5) / scale - 0.5, img.height);
        let (ix, iy) = (sx.floor() as usize, sy.floor() as usize);
        let (jx, jy) = ((ix + 1).min(img.width - 1), (iy + 1).min(img.height - 1));
        let (fx, fy) = ((sx - ix as f64) as f32, (sy - iy as f64) as f32);
        let mut out = [0f32; 3];
        for (c, o) in out.iter_mut().enumerate() {
            let top = img.rgb(ix, iy)[c] * (1.0 - fx) + img.rgb(jx, iy)[c] * fx;
            let bottom = img.rgb(ix, jy)[c] * (1.0 - fx) + img.rgb(jx, jy)[c] * fx;
            *o = top * (1.0 - fy) + bottom * fy;
        }
        out
    })
}

/// One table line: a case and direction with both sides' median seconds per frame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    label: String,
    raw_bytes: f64,
    tinct_s: f64,
    oiio_s: f64,
    /// Written file sizes (tinct, OpenImageIO) for write rows.
    written: Option<(u64, u64)>,
}

impl Row {
    pub(crate) fn mb_per_s(&self, seconds: f64) -> f64 {
        self.raw_bytes / 1e6 / seconds
    }

    /// tinct's throughput in MB/s.
    pub(crate) fn tinct_mb_per_s(&self) -> f64 {
        self.mb_per_s(self.tinct_s)
    }

    /// OpenImageIO's throughput in MB/s.
    pub(crate) fn oiio_mb_per_s(&self) -> f64 {
        self.mb_per_s(self.oiio_s)
    }

    /// tinct throughput over OpenImageIO's (> 1: tinct is faster).
    pub(crate) fn ratio(&self) -> f64 {
        self.oiio_s / self.tinct_s
    }
}

/// A case's read and write rows, in that order.
pub(crate) fn case_rows(
    case: Case,
    ours: &RunResult,
    peer: &RunResult,
) -> anyhow::Result<[Row; 2]> {
    let (t, o) = (ours.case(case)?, peer.case(case)?);
    let label = case.label();
    Ok([
        Row {
            label: format!("{label} read"),
            raw_bytes: case.raw_bytes(),
            tinct_s: t.read_s,
            oiio_s: o.read_s,
            written: None,
        },
        Row {
            label: format!("{label} write"),
            raw_bytes: case.raw_bytes(),
            tinct_s: t.write_s,
            oiio_s: o.write_s,
            written: Some((t.written_bytes, o.written_bytes)),
        },
    ])
}

fn rows(ours: &RunResult, peer: &RunResult, cases: &[Case]) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &case in cases {
        rows.extend(case_rows(case, ours, peer)?);
    }
    Ok(rows)
}

fn format_table(rows: &[Row]) -> String {
    let mut s = format!(
        "  {:<18} {:>10} {:>9} {:>10} {:>9} {:>11}  {}\n",
        "case",
        "tinct MB/s",
        "tinct fps",
        "OIIO MB/s",
        "OIIO fps",
        "tinct/OIIO",
        "file MB tinct/OIIO"
    );
    for r in rows {
        let written = r.written.map_or(String::new(), |(t, o)| {
            format!("{:.2} / {:.2}", t as f64 / 1e6, o as f64 / 1e6)
        });
        s += &format!(
            "  {:<18} {:>10.1} {:>9.2} {:>10.1} {:>9.2} {:>11.2}  {written}\n",
            r.label,
            r.mb_per_s(r.tinct_s),
            1.0 / r.tinct_s,
            r.mb_per_s(r.oiio_s),
            1.0 / r.oiio_s,
            r.ratio(),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_rates_and_the_tinct_over_oiio_ratio() {
        let row = Row {
            label: "half   zip read".into(),
            raw_bytes: 2048.0 * 1080.0 * 3.0 * 2.0,
            tinct_s: 0.1,
            oiio_s: 0.05,
            written: None,
        };
        assert!((row.mb_per_s(row.tinct_s) - 132.7104).abs() < 1e-3);
        assert!((row.ratio() - 0.5).abs() < 1e-12);
        let table = format_table(&[
            row.clone(),
            Row {
                label: "half   zip write".into(),
                written: Some((4_500_000, 4_400_000)),
                tinct_s: 0.2,
                oiio_s: 0.4,
                ..row
            },
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        let cells: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "half", "zip", "read", "132.7", "10.00", "265.4", "20.00", "0.50"
            ]
        );
        let cells: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "half", "zip", "write", "66.4", "5.00", "33.2", "2.50", "2.00", "4.50", "/", "4.40"
            ]
        );
    }

    #[test]
    fn rows_pair_each_case_with_the_peer_result_of_the_same_case() {
        let run = |scale: f64| RunResult {
            threads: 1,
            exr_threads: None,
            peer: None,
            cases: CASES
                .iter()
                .rev() // order must not matter
                .enumerate()
                .map(|(i, c)| CaseResult {
                    format: c.kind().into(),
                    pixel: c.pixel().into(),
                    compression: c.compression.into(),
                    read_s: scale * (i + 1) as f64,
                    write_s: scale * 10.0 * (i + 1) as f64,
                    means: vec![0.0; 3],
                    written_bytes: 1,
                })
                .collect(),
        };
        let table = rows(&run(1.0), &run(2.0), &CASES).unwrap();
        assert_eq!(table.len(), 12);
        assert!(table.iter().all(|r| (r.ratio() - 2.0).abs() < 1e-12));
        assert_eq!(table[0].label, "half   zip read");
        assert_eq!(table[0].raw_bytes, (2048 * 1080 * 6) as f64);
        assert_eq!(table[7].label, "float  piz write");
        assert_eq!(table[7].raw_bytes, (2048 * 1080 * 12) as f64);
        assert_eq!(table[8].label, "uint10 dpx read");
        assert_eq!(table[8].raw_bytes, (2048 * 1080 * 4) as f64);
        assert_eq!(table[11].label, "uint16 tiff write");
        assert_eq!(table[11].raw_bytes, (2048 * 1080 * 6) as f64);
        // A case one side did not report is an error, not a gap in the table.
        let mut other = run(1.0);
        other.cases.retain(|c| c.format != "dpx");
        assert!(rows(&other, &run(1.0), &CASES).is_err());
    }

    #[test]
    fn result_json_round_trips_in_the_peers_shape() {
        let json = r#"{"peer": "OpenImageIO 3.2.2.0", "threads": 2, "exr_threads": 2, "cases": [
            {"format": "dpx", "pixel": "uint10", "compression": "filled-a", "read_s": 0.02,
             "write_s": 0.03, "means": [0.1, 0.2, 0.3], "shape": [1080, 2048, 3],
             "written_bytes": 8855552}]}"#;
        let run: RunResult = serde_json::from_str(json).unwrap();
        let dpx = CASES[4];
        assert_eq!(run.case(dpx).unwrap().written_bytes, 8_855_552);
        assert!(run.case(CASES[5]).is_err());
        assert_eq!(dpx.peer_arg(), "dpx:uint10:filled-a");
        assert_eq!(CASES[5].peer_arg(), "tiff:uint16:none");
        assert_eq!(EXR_HALF_ZIP.title(), "EXR ZIP half");
        assert_eq!(dpx.title(), "DPX uint10");
        assert_eq!(
            dpx.file(Path::new("d"), "oiio"),
            PathBuf::from("d/oiio-uint10-filled-a.dpx")
        );
        assert_eq!(
            CASES[5].file(Path::new("d"), "frame"),
            PathBuf::from("d/frame-uint16-none.tif")
        );
    }

    /// The integer cases write what a render with that `infer.format` writes, and that is the
    /// layout the peer is asked for (10-bit filled method A big-endian DPX, uncompressed 16-bit
    /// TIFF), at the bit depth their pixel names.
    #[test]
    fn integer_cases_write_the_renders_format() {
        let dir = tempfile::tempdir().unwrap();
        let img = Image::from_fn_rgb(7, 3, |x, y| [x as f32 / 6.0, y as f32 / 2.0, 0.5]);
        for case in &CASES[4..] {
            let opts = case.options().unwrap();
            assert_eq!(Some(opts.bits), case.bits(), "{case:?}");
            let path = case.file(dir.path(), "tinct");
            media::write(&path, &img, &opts).unwrap();
            let info = media::info::probe(&path).unwrap();
            match case.format {
                OutputFormat::Dpx => {
                    assert_eq!(info.pixel_type, media::info::PixelType::UInt10);
                    assert!(
                        info.layout.starts_with("filled method A, big-endian"),
                        "{}",
                        info.layout
                    );
                }
                _ => {
                    assert_eq!(info.pixel_type, media::info::PixelType::UInt16);
                    assert_eq!(info.compression, "none");
                }
            }
            let back = read_frame(&path).unwrap();
            assert_eq!(first_mismatch(&back.data, &img.data, *case, true), None);
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn half_tolerance_accepts_rounding_and_rejects_real_errors() {
        let (half, float) = (CASES[0], CASES[2]);
        let want = [1000.0f32, 0.25, 1e-6, 0.0];
        let rounded: Vec<f32> = want
            .iter()
            .map(|&v| half::f16::from_f32(v).to_f32())
            .collect();
        assert_eq!(first_mismatch(&rounded, &want, half, true), None);
        let mut wrong = rounded.clone();
        wrong[1] *= 1.01;
        assert_eq!(
            first_mismatch(&wrong, &want, half, true).map(|m| m.0),
            Some(1)
        );
        // Float must be exact.
        assert_eq!(
            first_mismatch(&rounded, &want, float, true).map(|m| m.0),
            Some(2)
        );
    }

    #[test]
    fn integer_tolerance_is_half_a_code_rounded_one_code_else_of_the_clipped_source() {
        let dpx = CASES[4];
        let code = 1.0 / 1023.0;
        let want = [0.5f32, 2.0, -1.0];
        // Clipped to 0..1, then quantised.
        let q: Vec<f32> = want
            .iter()
            .map(|v| (v.clamp(0.0, 1.0) * 1023.0).round() / 1023.0)
            .collect();
        assert_eq!(first_mismatch(&q, &want, dpx, true), None);
        // OpenImageIO truncates: up to one code off.
        let truncated = [0.5 - 0.95 * code, 1.0, 0.0];
        assert_eq!(first_mismatch(&truncated, &want, dpx, false), None);
        assert_eq!(
            first_mismatch(&truncated, &want, dpx, true).map(|m| m.0),
            Some(0)
        );
        let wrong = [0.5 + 1.5 * code, 1.0, 0.0];
        assert_eq!(
            first_mismatch(&wrong, &want, dpx, false).map(|m| m.0),
            Some(0)
        );
        // Means of one file by two readers: one 16-bit step apart at most, for integers only.
        assert!(dpx.means_agree(0.25, 0.25 + 0.9 / 65535.0));
        assert!(!dpx.means_agree(0.25, 0.25 + 2.0 / 65535.0));
        assert!(!CASES[0].means_agree(0.25, 0.25 + 0.9 / 65535.0));
    }

    #[test]
    fn cover_scales_up_and_crops_the_centre() {
        // 4x2 ramp in x; covering 6x6 scales by 3 (to 12x6) and keeps columns 3..9.
        let img = Image::from_fn_rgb(4, 2, |x, _| [x as f32, 0.0, 1.0]);
        let out = cover(&img, 6, 6);
        assert_eq!((out.width, out.height), (6, 6));
        // Output column 0 is scaled column 3, whose centre maps to source x = 3.5/3 - 0.5.
        let expect = 3.5 / 3.0 - 0.5;
        assert!((out.rgb(0, 0)[0] - expect as f32).abs() < 1e-6);
        assert!(out.data.chunks(3).all(|p| p[2] == 1.0));
        // Symmetric crop of a symmetric ramp: left and right edges mirror around 1.5.
        assert!((out.rgb(0, 3)[0] + out.rgb(5, 3)[0] - 3.0).abs() < 1e-6);
    }
}
