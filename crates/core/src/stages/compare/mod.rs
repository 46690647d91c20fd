//! Stage `compare`: what the operator shows a curator. On held-out validation pairs (or, lacking
//! those, the training pairs, said so loudly) it measures the untouched source, the MatchGrade
//! baseline and the ML render against the reference: ΔE2000 mean/median/p95, chroma PSNR,
//! colourfulness ratio, and temporal flicker over consecutive rendered frames. It writes a
//! terminal table, JSON and a Markdown summary ready for the journal, plus labelled side-by-side,
//! split-screen and A/B contact-sheet PNGs.

mod font;
mod renders;

use super::align::AlignmentManifest;
use super::output::OutputSpec;
use super::{Ctx, Outcome};
use crate::color::Colorspace;
use crate::color::metrics::{self, De00Stats};
use crate::grade::{self, Lut3d, cube};
use crate::media::{self, Image, Sequence};
use crate::project::layout;
use anyhow::Context;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The pictures being judged, in table order.
const VARIANTS: [&str; 3] = ["source", "matchgrade", "ml"];

/// A rectangle in source pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rect {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
}

impl Rect {
    fn intersect(self, o: Rect) -> Option<Rect> {
        let (x0, y0) = (self.x.max(o.x), self.y.max(o.y));
        let (x1, y1) = (
            (self.x + self.w).min(o.x + o.w),
            (self.y + self.h).min(o.y + o.h),
        );
        (x1 > x0 && y1 > y0).then(|| Rect {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        })
    }

    /// `img` covers `self`; cut out `part` (in source pixels).
    fn cut(self, img: &Image, part: Rect) -> Image {
        img.crop(part.x - self.x, part.y - self.y, part.w, part.h)
    }
}

/// Per-variant numbers for one frame.
#[derive(Clone, Debug, serde::Serialize)]
struct Scores {
    de00: De00Stats,
    chroma_psnr: f64,
    colourfulness_ratio: f64,
}

/// Pixels the aligned reference really covers: warping a differently framed video transfer onto
/// the scan leaves black borders, which say nothing about colour and must not count.
fn coverage(reference: &Image) -> Vec<bool> {
    reference
        .data
        .chunks_exact(reference.channels)
        .map(|p| p.iter().any(|&v| v != 0.0))
        .collect()
}

fn score(
    img: &Image,
    reference: &Image,
    covered: &[bool],
    ref_colourfulness: f64,
) -> anyhow::Result<(Scores, Vec<f32>)> {
    let map: Vec<f32> = metrics::de00_map(img, reference)?
        .into_iter()
        .zip(covered)
        .filter(|(_, c)| **c)
        .map(|(v, _)| v)
        .collect();
    anyhow::ensure!(
        !map.is_empty(),
        "the aligned reference covers no pixel of this frame"
    );
    let de00 = De00Stats::from_values(&mut map.clone());
    let chroma_psnr = metrics::chroma_psnr(img, reference)?;
    let colourfulness_ratio = metrics::colourfulness(img) / ref_colourfulness.max(1e-9);
    Ok((
        Scores {
            de00,
            chroma_psnr,
            colourfulness_ratio,
        },
        map,
    ))
}

/// The ML render of `frame`, if it exists, with the source rectangle it covers.
fn ml_render(
    ctx: &Ctx,
    spec: &OutputSpec,
    frame: i64,
    full: (usize, usize),
) -> anyhow::Result<Option<(Image, Rect)>> {
    let path = spec.frame_path(&ctx.project.path(layout::INFERENCE), "render", frame);
    if !path.exists() {
        return Ok(None);
    }
    let img = media::read_linear(&path, Some(spec.colorspace))
        .with_context(|| format!("ML render of frame {frame}"))?;
    let rect = match spec.crop {
        Some([x, y, w, h]) => Rect { x, y, w, h },
        None => Rect {
            x: 0,
            y: 0,
            w: full.0,
            h: full.1,
        },
    };
    anyhow::ensure!(
        (img.width, img.height) == (rect.w, rect.h),
        "{}: {}x{} but the [infer] crop says {}x{}",
        path.display(),
        img.width,
        img.height,
        rect.w,
        rect.h
    );
    Ok(Some((img, rect)))
}

fn load_baseline(ctx: &Ctx) -> anyhow::Result<Option<Lut3d>> {
    let path = ctx.project.path(layout::MATCHGRADE).join("matchgrade.cube");
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(cube::read(&path)?))
}

/// Mean frame-to-frame change of mean chroma (Cb, Cr) over a sequence of frames.
fn flicker(paths: &[PathBuf], assume: Option<Colorspace>) -> anyhow::Result<Option<f64>> {
    if paths.len() < 2 {
        return Ok(None);
    }
    let mut prev: Option<metrics::MeanChroma> = None;
    let mut total = 0.0;
    for p in paths {
        let img = media::read_linear(p, assume)?;
        let m = metrics::mean_chroma(&img);
        if let Some(q) = prev {
            total += ((m.cb - q.cb).powi(2) + (m.cr - q.cr).powi(2)).sqrt();
        }
        prev = Some(m);
    }
    Ok(Some(total / (paths.len() - 1) as f64))
}

/// The first `n` existing frames of a rendered sequence in `dir`.
fn rendered(dir: &Path, stem: &str, ext: &str, n: usize) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("{stem}.")) && n.ends_with(&format!(".{ext}"))
            })
        })
        .collect();
    v.sort();
    v.truncate(n);
    v
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let set = AlignmentManifest::load(&ctx.project.root)?;
    let spec = OutputSpec::from_config(&ctx.config.infer)?;
    let validation = &super::curate::held_out_frames(ctx);
    let held_out = set.pairs.iter().any(|p| validation.contains(&p.frame));
    let pairs: Vec<_> = set
        .pairs
        .iter()
        .filter(|p| {
            if held_out {
                validation.contains(&p.frame)
            } else {
                p.usable()
            }
        })
        .collect();
    anyhow::ensure!(!pairs.is_empty(), "no aligned pairs to compare");
    let baseline = load_baseline(ctx)?;
    let seq = Sequence::discover(&ctx.project.path(&ctx.config.source.pattern))
        .with_context(|| format!("config key source.pattern '{}'", ctx.config.source.pattern))?;
    let out_dir = ctx.project.path(layout::MATCHGRADE).join("compare");

    let mut per_frame = Vec::new();
    let mut pooled: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    let mut sums: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
    let mut sheet_rows: Vec<(String, Vec<(String, Image)>)> = Vec::new();
    for pair in &pairs {
        if ctx.cancelled() {
            break;
        }
        let (variants, reference) = variants_of(ctx, &set, &spec, baseline.as_ref(), &seq, pair)?;
        let ref_c = metrics::colourfulness(&reference);
        let covered = coverage(&reference);
        let mut frame_scores = serde_json::Map::new();
        for (name, img) in &variants {
            let (s, map) = score(img, &reference, &covered, ref_c)?;
            let e = sums.entry(name).or_default();
            e.0 += s.chroma_psnr;
            e.1 += s.colourfulness_ratio;
            e.2 += 1;
            pooled
                .entry(name)
                .or_default()
                .extend(map.iter().step_by(4));
            frame_scores.insert((*name).into(), serde_json::to_value(&s)?);
        }
        ctx.metric(json!({"frame": pair.frame, "scores": frame_scores}))?;
        per_frame.push(json!({"frame": pair.frame, "scores": frame_scores}));
        let mut row: Vec<(String, Image)> = variants
            .into_iter()
            .map(|(n, i)| (n.to_uppercase(), i))
            .collect();
        row.push(("REFERENCE".into(), reference));
        if ctx.frames.is_none_or(|r| r.contains(pair.frame)) {
            write_renders(ctx, &out_dir, pair.frame, &row)?;
        }
        if sheet_rows.len() < 8 {
            sheet_rows.push((format!("FRAME {}", pair.frame), row));
        }
    }

    let flick = flicker_of_renders(ctx, &seq, &spec)?;

    let mut overall = serde_json::Map::new();
    for name in VARIANTS {
        let Some(values) = pooled.get_mut(name) else {
            continue;
        };
        let de00 = De00Stats::from_values(values);
        let (psnr, colour, k) = sums[name];
        overall.insert(
            name.into(),
            json!({
                "de00": {"mean": de00.mean, "median": de00.median, "p95": de00.p95},
                "chroma_psnr": psnr / k as f64,
                "colourfulness_ratio": colour / k as f64,
                "flicker": flick.get(name).copied().flatten(),
            }),
        );
    }
    if !sheet_rows.is_empty() {
        let rows: Vec<(String, Vec<(&str, &Image)>)> = sheet_rows
            .iter()
            .map(|(l, r)| (l.clone(), r.iter().map(|(n, i)| (n.as_str(), i)).collect()))
            .collect();
        renders::save_png(
            &out_dir.join("ab_contact_sheet.png"),
            &renders::contact_sheet(&rows, 320),
        )?;
    }
    let frames: Vec<i64> = pairs.iter().map(|p| p.frame).collect();
    let report =
        json!({"held_out": held_out, "frames": frames, "overall": overall, "per_frame": per_frame});
    let md = markdown(&overall, held_out, &frames);
    write_reports(ctx, &out_dir, &report, &md)?;
    ctx.log(&md);
    Ok(Outcome {
        summary: table(&overall, held_out),
        outputs: vec![out_dir.join("compare.md"), out_dir.join("compare.json")],
        metrics: report,
    })
}

/// The variants of one pair (source, MatchGrade, ML where rendered) and its reference, all cut
/// to the same pixels: where the aligned pair and the ML render overlap.
fn variants_of(
    ctx: &Ctx,
    set: &AlignmentManifest,
    spec: &OutputSpec,
    baseline: Option<&Lut3d>,
    seq: &Sequence,
    pair: &super::align::AlignedPair,
) -> anyhow::Result<(Vec<(&'static str, Image)>, Image)> {
    let src = media::read_linear(&ctx.project.path(&pair.source), None)
        .with_context(|| format!("frame {}", pair.frame))?;
    let reference = media::read_linear(&ctx.project.path(&pair.reference), None)
        .with_context(|| format!("frame {}", pair.frame))?;
    let (ox, oy) = set.crop_origin();
    let aligned = Rect {
        x: ox,
        y: oy,
        w: src.width,
        h: src.height,
    };
    let full = media::read(&seq.path(pair.frame))
        .map(|d| (d.image.width, d.image.height))
        .unwrap_or((ox + src.width, oy + src.height));
    let ml = ml_render(ctx, spec, pair.frame, full)?;
    let area = match &ml {
        Some((_, r)) => aligned
            .intersect(*r)
            .context("the [infer] crop and the alignment crop do not overlap")?,
        None => aligned,
    };
    let reference = aligned.cut(&reference, area);
    let src = aligned.cut(&src, area);
    let mut variants: Vec<(&'static str, Image)> = vec![("source", src.clone())];
    if let Some(lut) = baseline {
        variants.push(("matchgrade", grade::apply_lut_linear(lut, &src)));
    }
    if let Some((img, r)) = &ml {
        variants.push(("ml", r.cut(img, area)));
    }
    Ok((variants, reference))
}

/// Temporal flicker of the first `compare.flicker-frames` frames of each rendered sequence.
fn flicker_of_renders(
    ctx: &Ctx,
    seq: &Sequence,
    spec: &OutputSpec,
) -> anyhow::Result<BTreeMap<&'static str, Option<f64>>> {
    let n = ctx.config.compare.flicker_frames;
    let src_paths: Vec<PathBuf> = seq.frames.iter().take(n).map(|f| seq.path(*f)).collect();
    let assume =
        super::curate::assumed_colorspace("source.colorspace", &ctx.config.source.colorspace)?;
    let mut flick = BTreeMap::new();
    flick.insert("source", flicker(&src_paths, assume)?);
    for (name, dir, stem) in [
        ("matchgrade", layout::MATCHGRADE, "matchgrade"),
        ("ml", layout::INFERENCE, "render"),
    ] {
        let frames = rendered(&ctx.project.path(dir), stem, spec.ext, n);
        flick.insert(name, flicker(&frames, Some(spec.colorspace))?);
    }
    Ok(flick)
}

/// `compare.json` and `compare.md`, in the run's artifacts and beside the MatchGrade render.
fn write_reports(
    ctx: &Ctx,
    out_dir: &Path,
    report: &serde_json::Value,
    md: &str,
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    for dir in [ctx.artifacts(), out_dir.to_path_buf()] {
        crate::fsx::write_atomic(&dir.join("compare.json"), json.as_bytes())?;
        crate::fsx::write_atomic(&dir.join("compare.md"), md.as_bytes())?;
    }
    Ok(())
}

fn write_renders(ctx: &Ctx, dir: &Path, frame: i64, row: &[(String, Image)]) -> anyhow::Result<()> {
    let panels: Vec<(&str, &Image)> = row.iter().map(|(n, i)| (n.as_str(), i)).collect();
    renders::save_png(
        &dir.join(format!("side_by_side.{frame:04}.png")),
        &renders::side_by_side(&panels, 720),
    )?;
    // The wipe compares the best classic result with the ML one (or the source when one is missing).
    let pick = |name: &str| row.iter().find(|(n, _)| n == name);
    let left = pick("MATCHGRADE")
        .or_else(|| pick("SOURCE"))
        .expect("source is always present");
    let right = pick("ML")
        .or_else(|| pick("REFERENCE"))
        .expect("reference is always present");
    let split = renders::split_screen(
        (&left.0, &left.1),
        (&right.0, &right.1),
        ctx.config.compare.wipe,
    );
    renders::save_png(
        &dir.join(format!("split.{frame:04}.png")),
        &renders::fit_width(&split, 1920),
    )
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

fn rows(overall: &serde_json::Map<String, serde_json::Value>) -> Vec<[String; 7]> {
    VARIANTS
        .iter()
        .map(|name| {
            let o = overall.get(*name);
            let g = |path: &[&str]| {
                path.iter()
                    .try_fold(o?, |v, k| v.get(k))
                    .and_then(|v| v.as_f64())
            };
            [
                name.to_string(),
                fmt_opt(g(&["de00", "mean"]), 2),
                fmt_opt(g(&["de00", "median"]), 2),
                fmt_opt(g(&["de00", "p95"]), 2),
                fmt_opt(g(&["chroma_psnr"]), 1),
                fmt_opt(g(&["colourfulness_ratio"]), 2),
                fmt_opt(g(&["flicker"]), 4),
            ]
        })
        .collect()
}

const HEADER: [&str; 7] = [
    "variant",
    "ΔE00 mean",
    "median",
    "p95",
    "chroma PSNR dB",
    "colourfulness",
    "flicker",
];

fn table(overall: &serde_json::Map<String, serde_json::Value>, held_out: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "compare ({}):",
        if held_out {
            "held-out validation pairs"
        } else {
            "TRAINING pairs: no held-out frames configured (curate.validation)"
        }
    );
    let _ = writeln!(
        s,
        "{:<11}{:>10}{:>8}{:>8}{:>16}{:>15}{:>9}",
        HEADER[0], HEADER[1], HEADER[2], HEADER[3], HEADER[4], HEADER[5], HEADER[6]
    );
    for r in rows(overall) {
        let _ = writeln!(
            s,
            "{:<11}{:>10}{:>8}{:>8}{:>16}{:>15}{:>9}",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6]
        );
    }
    s
}

fn markdown(
    overall: &serde_json::Map<String, serde_json::Value>,
    held_out: bool,
    frames: &[i64],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Comparison against the reference on {} frames {frames:?}.\n",
        if held_out {
            "held-out"
        } else {
            "training (not held-out)"
        }
    );
    let _ = writeln!(s, "| {} |", HEADER.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(HEADER.len()));
    for r in rows(overall) {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangles_intersect_and_cut_in_source_pixels() {
        let a = Rect {
            x: 10,
            y: 10,
            w: 100,
            h: 50,
        };
        let b = Rect {
            x: 50,
            y: 0,
            w: 200,
            h: 40,
        };
        let i = a.intersect(b).unwrap();
        assert_eq!(
            i,
            Rect {
                x: 50,
                y: 10,
                w: 60,
                h: 30
            }
        );
        let img = Image::from_fn_rgb(100, 50, |x, y| [x as f32, y as f32, 0.0]);
        let c = a.cut(&img, i);
        assert_eq!(c.rgb(0, 0), [40.0, 0.0, 0.0]);
        assert!(
            a.intersect(Rect {
                x: 200,
                y: 0,
                w: 5,
                h: 5
            })
            .is_none()
        );
    }
}
