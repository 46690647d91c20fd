//! `tinct bench io`: OpenEXR read and write throughput of `crate::media` (the functions the
//! stages call) against OpenImageIO's Python binding (`benches/io_peer.py`), on the same files
//! with the same settings, in the same run.
//!
//! The test frame is real footage: a CC0 panorama scaled up to cover 2048x1080 and centre-cropped,
//! so ZIP and PIZ see real image statistics. tinct writes it once per case (half/float x ZIP/PIZ);
//! both sides then read those same files to f32 RGB (median of N reads) and each writes its own
//! copies from the same float picture (median of N writes, each ending with an fsync because
//! tinct's writer syncs before its atomic rename). Timings are taken inside each process, so
//! Python's start-up is excluded.
//!
//! Threads: the exr crate compresses and decompresses on a rayon pool it builds per file, and
//! tinct's own PIZ reader (`media::exr_io::piz`) on rayon's global pool, both sized by
//! `RAYON_NUM_THREADS` (default: one per CPU); OpenImageIO uses its own pool (`threads`,
//! `exr_threads`). The bench runs both at their defaults and both with one codec thread, each
//! tinct pass in a child process so the environment variable applies cleanly.
//!
//! A fast-but-wrong path cannot pass: the files OpenImageIO wrote are read back by tinct and must
//! match the source frame within half precision (float: exactly), tinct's own written files
//! likewise, and both readers must agree on the channel means of every file they both decoded.

use super::BenchOpts;
use crate::media::{self, Image, WriteOptions};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const WIDTH: usize = 2048;
const HEIGHT: usize = 1080;
/// Set in the child process that times tinct: the folder holding the `frame-*.exr` files.
const CHILD_DIR_ENV: &str = "TINCT_BENCH_IO_CHILD";
/// Set in the child process: `READS,WRITES`.
const CHILD_REPEATS_ENV: &str = "TINCT_BENCH_IO_REPEATS";
/// The panorama preferred as the test picture (most detail of the eight); any other will do.
const PREFERRED_FOOTAGE: &str = "forest.exr";

/// One measured combination of sample type and compression.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Case {
    half: bool,
    compression: &'static str,
}

const CASES: [Case; 4] = [
    Case {
        half: true,
        compression: "zip",
    },
    Case {
        half: true,
        compression: "piz",
    },
    Case {
        half: false,
        compression: "zip",
    },
    Case {
        half: false,
        compression: "piz",
    },
];

impl Case {
    fn pixel(&self) -> &'static str {
        if self.half { "half" } else { "float" }
    }

    /// `half-zip`, used in file names and to match peer results.
    fn stem(&self) -> String {
        format!("{}-{}", self.pixel(), self.compression)
    }

    fn options(&self) -> WriteOptions {
        WriteOptions {
            half: self.half,
            compression: self.compression.into(),
            ..WriteOptions::default()
        }
    }

    /// Bytes of pixel data in one frame as stored uncompressed: what "MB/s" counts.
    fn raw_bytes(&self) -> f64 {
        (WIDTH * HEIGHT * 3 * if self.half { 2 } else { 4 }) as f64
    }
}

/// One side's timings for one case; the JSON shape `benches/io_peer.py` prints too.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CaseResult {
    pixel: String,
    compression: String,
    /// Median seconds per frame.
    read_s: f64,
    write_s: f64,
    /// Channel means of the decoded `frame-<case>.exr`.
    means: Vec<f64>,
    /// Size of the file this side wrote.
    written_bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunResult {
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
            .find(|c| c.pixel == case.pixel() && c.compression == case.compression)
            .with_context(|| format!("no result for case {}", case.stem()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Threads {
    Default,
    One,
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    if let Ok(dir) = std::env::var(CHILD_DIR_ENV) {
        return child(Path::new(&dir));
    }
    let (reads, writes) = if opts.quick { (3, 2) } else { (9, 5) };
    let (footage, frame) = footage_frame_2k(&opts.footage)?;
    let dir = tempfile::tempdir().context("creating the bench io work folder")?;
    for case in CASES {
        let path = dir.path().join(format!("frame-{}.exr", case.stem()));
        media::write(&path, &frame, &case.options())
            .with_context(|| format!("writing the test frame {}", path.display()))?;
    }
    println!(
        "bench io: OpenEXR {WIDTH}x{HEIGHT} RGB, real footage ({} scaled to cover, centre crop)",
        footage.display()
    );
    println!(
        "  read: median of {reads} (after 1 warm-up) decoding to f32 RGB in memory; write: median of {writes}, each + fsync"
    );
    println!(
        "  MB/s counts 10^6 bytes of pixel data as stored uncompressed (half 2 B, float 4 B per sample)"
    );
    for threads in [Threads::Default, Threads::One] {
        let ours = tinct_child(dir.path(), reads, writes, threads)?;
        let peer = oiio_peer(dir.path(), reads, writes, threads)?;
        verify(dir.path(), &frame, &ours, &peer)?;
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
        print!("{}", format_table(&rows(&ours, &peer)?));
    }
    println!();
    println!(
        "verified: OpenImageIO's and tinct's written files read back by tinct match the source \
         (half: within 1 ulp, float: exactly); both readers agree on every file's channel means"
    );
    Ok(())
}

/// The child process: time tinct on the files in `dir` and print a [`RunResult`] as JSON.
fn child(dir: &Path) -> anyhow::Result<()> {
    let repeats = std::env::var(CHILD_REPEATS_ENV).unwrap_or_default();
    let (reads, writes) = repeats
        .split_once(',')
        .and_then(|(r, w)| Some((r.parse().ok()?, w.parse().ok()?)))
        .with_context(|| format!("{CHILD_REPEATS_ENV}='{repeats}' is not READS,WRITES"))?;
    let result = measure_tinct(dir, reads, writes)?;
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

fn measure_tinct(dir: &Path, reads: usize, writes: usize) -> anyhow::Result<RunResult> {
    // The same float picture the peer writes from (ZIP is lossless).
    let source = read_frame(&dir.join("frame-float-zip.exr"))?;
    let mut cases = Vec::new();
    for case in CASES {
        let path = dir.join(format!("frame-{}.exr", case.stem()));
        let decoded = read_frame(&path)?;
        let read_s = median_seconds(reads, || read_frame(&path).map(drop))?;
        let out = dir.join(format!("tinct-{}.exr", case.stem()));
        let write_s = median_seconds(writes, || media::write(&out, &source, &case.options()))?;
        cases.push(CaseResult {
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
        cases,
    })
}

/// What the stages do to load a frame.
fn read_frame(path: &Path) -> anyhow::Result<Image> {
    media::read_linear(path, None).with_context(|| format!("tinct reading {}", path.display()))
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

fn median(v: &mut [f64]) -> f64 {
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
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../benches/io_peer.py"
    ))
}

fn oiio_peer(
    dir: &Path,
    reads: usize,
    writes: usize,
    threads: Threads,
) -> anyhow::Result<RunResult> {
    let py = super::python();
    let cases = CASES
        .iter()
        .map(|c| format!("{}:{}", c.pixel(), c.compression))
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
fn verify(dir: &Path, source: &Image, ours: &RunResult, peer: &RunResult) -> anyhow::Result<()> {
    for case in CASES {
        let (a, b) = (&ours.case(case)?.means, &peer.case(case)?.means);
        anyhow::ensure!(
            a.len() == 3
                && b.len() == 3
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (x - y).abs() <= 1e-6 * y.abs().max(1.0)),
            "frame-{}.exr decodes differently: tinct channel means {a:?}, OpenImageIO {b:?}",
            case.stem()
        );
        for writer in ["oiio", "tinct"] {
            let path = dir.join(format!("{writer}-{}.exr", case.stem()));
            let back = read_frame(&path)?;
            anyhow::ensure!(
                (back.width, back.height, back.channels) == (WIDTH, HEIGHT, 3),
                "{} is {}x{}x{}, expected {WIDTH}x{HEIGHT}x3",
                path.display(),
                back.width,
                back.height,
                back.channels
            );
            if let Some((i, got, want)) = first_mismatch(&back.data, &source.data, case.half) {
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
    }
    Ok(())
}

/// First sample where `got` differs from `want` by more than the stored precision allows: one
/// half ulp step (2^-10 relative, 2^-24 absolute below half's normal range), or nothing for float.
fn first_mismatch(got: &[f32], want: &[f32], half: bool) -> Option<(usize, f32, f32)> {
    got.iter()
        .zip(want)
        .position(|(&g, &w)| {
            if half {
                let tol = w.abs() * (1.0 / 1024.0) + 1.0 / 16_777_216.0;
                (g - w).abs() > tol
            } else {
                g != w
            }
        })
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
struct Row {
    label: String,
    raw_bytes: f64,
    tinct_s: f64,
    oiio_s: f64,
    /// Written file sizes (tinct, OpenImageIO) for write rows.
    written: Option<(u64, u64)>,
}

impl Row {
    fn mb_per_s(&self, seconds: f64) -> f64 {
        self.raw_bytes / 1e6 / seconds
    }

    /// tinct throughput over OpenImageIO's (> 1: tinct is faster).
    fn ratio(&self) -> f64 {
        self.oiio_s / self.tinct_s
    }
}

fn rows(ours: &RunResult, peer: &RunResult) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for case in CASES {
        let (t, o) = (ours.case(case)?, peer.case(case)?);
        let label = format!("{:<5} {}", case.pixel(), case.compression);
        rows.push(Row {
            label: format!("{label} read"),
            raw_bytes: case.raw_bytes(),
            tinct_s: t.read_s,
            oiio_s: o.read_s,
            written: None,
        });
        rows.push(Row {
            label: format!("{label} write"),
            raw_bytes: case.raw_bytes(),
            tinct_s: t.write_s,
            oiio_s: o.write_s,
            written: Some((t.written_bytes, o.written_bytes)),
        });
    }
    Ok(rows)
}

fn format_table(rows: &[Row]) -> String {
    let mut s = format!(
        "  {:<16} {:>10} {:>9} {:>10} {:>9} {:>11}  {}\n",
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
            "  {:<16} {:>10.1} {:>9.2} {:>10.1} {:>9.2} {:>11.2}  {written}\n",
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
            label: "half  zip read".into(),
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
                label: "half  zip write".into(),
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
                    pixel: c.pixel().into(),
                    compression: c.compression.into(),
                    read_s: scale * (i + 1) as f64,
                    write_s: scale * 10.0 * (i + 1) as f64,
                    means: vec![0.0; 3],
                    written_bytes: 1,
                })
                .collect(),
        };
        let rows = rows(&run(1.0), &run(2.0)).unwrap();
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().all(|r| (r.ratio() - 2.0).abs() < 1e-12));
        assert_eq!(rows[0].label, "half  zip read");
        assert_eq!(rows[0].raw_bytes, (2048 * 1080 * 6) as f64);
        assert_eq!(rows[7].label, "float piz write");
        assert_eq!(rows[7].raw_bytes, (2048 * 1080 * 12) as f64);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn half_tolerance_accepts_rounding_and_rejects_real_errors() {
        let want = [1000.0f32, 0.25, 1e-6, 0.0];
        let rounded: Vec<f32> = want
            .iter()
            .map(|&v| half::f16::from_f32(v).to_f32())
            .collect();
        assert_eq!(first_mismatch(&rounded, &want, true), None);
        let mut wrong = rounded.clone();
        wrong[1] *= 1.01;
        assert_eq!(first_mismatch(&wrong, &want, true).map(|m| m.0), Some(1));
        // Float must be exact.
        assert_eq!(first_mismatch(&rounded, &want, false).map(|m| m.0), Some(2));
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
