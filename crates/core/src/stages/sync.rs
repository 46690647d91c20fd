//! Stage `sync`: find the frame offset between source and reference (reference frame = source
//! frame + offset) when they are numbered differently or one has extra or missing frames.
//!
//! Each frame becomes a small signature: gamma-encoded luma of the central 80% of the picture,
//! area-averaged onto a coarse grid and normalised to zero mean and unit variance (so fading,
//! grading and exposure drop out, and a different resolution, framing or compression barely
//! matters at that scale). Sync compares the *change* between consecutive frames – where things
//! move, where the light changes – which a video transfer shares with its scan even when the
//! pictures themselves look nothing alike. Every candidate offset is scored by the correlation
//! of those change signatures over all frames the two sequences share.
//!
//! Candidates are searched within `sync.max-offset` of the configured `reference.offset` and of
//! the difference between the sequences' first frame numbers (a transfer numbered from 86400
//! against a scan from 1001).

use super::{Ctx, Outcome};
use crate::fsx;
use crate::media::{self, Sequence};
use crate::project::reference::Reference;
use crate::project::{CONFIG_FILE, layout};
use anyhow::Context;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Signature grid (columns x rows).
const GRID_W: usize = 24;
const GRID_H: usize = 16;
/// Share of the picture (centred) a signature covers; frame edges differ most between transfers.
const CENTRE: f64 = 0.8;

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    ctx.require_patterns()?;
    let cfg = &ctx.config;
    anyhow::ensure!(
        cfg.sync.max_offset >= 0,
        "config key sync.max-offset must not be negative"
    );
    let (src_seq, reference, ref_first) = inputs(ctx)?;
    let ref_clip = &reference.clip;

    let src_frames: Vec<i64> = src_seq
        .frames
        .iter()
        .copied()
        .filter(|&f| ctx.frames.is_none_or(|r| r.contains(f)))
        .take(cfg.sync.sample.max(2))
        .collect();
    anyhow::ensure!(
        src_frames.len() >= 2,
        "sync needs at least two source frames (found {})",
        src_frames.len()
    );
    let src_first = src_seq.frames[0];
    let src_clip = media::Clip::Sequence(src_seq);
    let candidates = candidate_offsets(reference.offset, src_first, ref_first, cfg.sync.max_offset);
    let (lo, hi) = (
        src_frames[0] + candidates[0],
        src_frames[src_frames.len() - 1] + candidates[candidates.len() - 1],
    );
    let ref_frames = ref_clip.frames_within(lo - 1, hi);
    ctx.log(format!(
        "sync: {} source frames, {} reference frames, {} candidate offsets",
        src_frames.len(),
        ref_frames.len(),
        candidates.len()
    ));

    let src_sig = signatures(ctx, &src_clip, &src_frames, "source")?;
    let ref_sig = signatures(ctx, ref_clip, &ref_frames, "reference")?;
    if let Some(cost) = ref_clip.decoding_cost() {
        ctx.log(format!("reference: {cost}"));
    }
    let (src_d, ref_d) = (changes(&src_sig), changes(&ref_sig));
    let scores: Vec<OffsetScore> = candidates
        .iter()
        .map(|&o| score_offset(&src_d, &ref_d, o))
        .filter(|s| s.overlap >= cfg.sync.min_overlap.max(1))
        .collect();
    let result = pick(&scores).with_context(|| {
        format!(
            "no offset within {} of {:?} leaves {} or more frame changes shared by both sequences",
            cfg.sync.max_offset,
            candidate_centres(reference.offset, src_first, ref_first),
            cfg.sync.min_overlap
        )
    })?;

    // An anchor is the operator's own statement (from an EDL or a camera report): sync checks it
    // and never overwrites it.
    let written = cfg.sync.write_offset && reference.anchor.is_none();
    let config_path = ctx.project.path(CONFIG_FILE);
    if written {
        record_offset(&config_path, result.offset)?;
    }
    let (report_path, report) = write_report(ctx, &result, &scores, written, &src_frames)?;
    ctx.metric(serde_json::json!({"stage": "sync", "offset": result.offset, "confidence": result.confidence, "margin": result.margin}))?;
    let weak = if result.confidence < 0.5 || result.margin < 0.1 {
        "; WEAK MATCH: check by eye before trusting it"
    } else {
        ""
    };
    let recorded = recorded_text(&reference, result.offset, written);
    ctx.log(format!(
        "offset {} confidence {:.3} margin {:.3}{weak}",
        result.offset, result.confidence, result.margin
    ));
    let mut outputs = vec![report_path];
    if written {
        outputs.push(config_path);
    }
    Ok(Outcome {
        summary: format!(
            "offset {} (confidence {:.3}, margin {:.3} over offset {}; {recorded}{weak})",
            result.offset,
            result.confidence,
            result.margin,
            result
                .runner_up
                .map(|o| o.to_string())
                .unwrap_or_else(|| "-".into())
        ),
        outputs,
        metrics: report,
    })
}

/// The source sequence, the reference (logged when it is a video) and its first frame.
fn inputs(ctx: &Ctx) -> anyhow::Result<(Sequence, Reference, i64)> {
    let cfg = &ctx.config;
    let src_seq = Sequence::discover(&ctx.project.path(&cfg.source.pattern))
        .with_context(|| format!("source.pattern '{}'", cfg.source.pattern))?;
    let reference = crate::project::reference::open(&ctx.project, &cfg.reference)?;
    if let media::Clip::Video(v) = &reference.clip {
        ctx.log(format!("reference: {}", v.describe()));
    }
    anyhow::ensure!(
        !src_seq.frames.is_empty(),
        "source.pattern '{}' matches no files",
        cfg.source.pattern
    );
    let ref_first = reference.clip.first().with_context(|| {
        format!(
            "reference.pattern '{}' matches no files",
            cfg.reference.pattern
        )
    })?;
    Ok((src_seq, reference, ref_first))
}

/// `pipeline/01_dataset_curation/sync.json`: the pick, every score, whether it was recorded.
fn write_report(
    ctx: &Ctx,
    result: &SyncResult,
    scores: &[OffsetScore],
    written: bool,
    src_frames: &[i64],
) -> anyhow::Result<(std::path::PathBuf, serde_json::Value)> {
    let report = serde_json::json!({
        "offset": result.offset,
        "confidence": result.confidence,
        "margin": result.margin,
        "runner_up": result.runner_up,
        "overlap": result.overlap,
        "written_to_config": written,
        "source_frames": [src_frames[0], src_frames[src_frames.len() - 1]],
        "scores": scores.iter().map(|s| serde_json::json!({"offset": s.offset, "score": s.score, "overlap": s.overlap})).collect::<Vec<_>>(),
    });
    let report_path = ctx.project.path(layout::CURATION).join("sync.json");
    fsx::write_atomic(&report_path, &serde_json::to_vec_pretty(&report)?)?;
    Ok((report_path, report))
}

/// What became of the offset found: recorded, not asked to be, or checked against an anchor.
fn recorded_text(reference: &Reference, found: i64, written: bool) -> String {
    if let Some(a) = &reference.anchor {
        let verdict = if found == reference.offset {
            "agrees"
        } else {
            "DISAGREES: check the anchor"
        };
        format!(
            "not recorded: reference.anchor '{a}' fixes the offset at {}, which this {verdict}",
            reference.offset
        )
    } else if written {
        format!("recorded as reference.offset in {CONFIG_FILE}")
    } else {
        "not recorded (sync.write-offset = false)".into()
    }
}

fn candidate_centres(configured: i64, src_first: i64, ref_first: i64) -> Vec<i64> {
    let mut c = vec![configured];
    if ref_first - src_first != configured {
        c.push(ref_first - src_first);
    }
    c
}

/// Every offset within `max` of a plausible centre, ascending, each once.
fn candidate_offsets(configured: i64, src_first: i64, ref_first: i64, max: i64) -> Vec<i64> {
    let set: BTreeSet<i64> = candidate_centres(configured, src_first, ref_first)
        .into_iter()
        .flat_map(|c| c - max..=c + max)
        .collect();
    set.into_iter().collect()
}

/// Normalised luma grids of `frames` (sequence files in parallel, a video streamed).
fn signatures(
    ctx: &Ctx,
    clip: &media::Clip,
    frames: &[i64],
    role: &str,
) -> anyhow::Result<BTreeMap<i64, Vec<f32>>> {
    let sigs = clip
        .map_linear(frames, None, &|_, img| {
            if ctx.cancelled() {
                anyhow::bail!("cancelled");
            }
            Ok(signature(&img))
        })
        .with_context(|| format!("{role} frames"))?;
    Ok(sigs.into_iter().collect())
}

/// Encoded luma of the central picture, averaged onto the grid, zero mean, unit variance.
pub fn signature(img: &media::Image) -> Vec<f32> {
    let (w, h, ch) = (img.width, img.height, img.channels);
    let (x0, y0) = (
        (w as f64 * (1.0 - CENTRE) / 2.0) as usize,
        (h as f64 * (1.0 - CENTRE) / 2.0) as usize,
    );
    let (cw, chh) = ((w - 2 * x0).max(1), (h - 2 * y0).max(1));
    let mut sum = vec![0.0f64; GRID_W * GRID_H];
    let mut count = vec![0u32; GRID_W * GRID_H];
    for y in y0..(y0 + chh).min(h) {
        let gy = ((y - y0) * GRID_H / chh).min(GRID_H - 1);
        for x in x0..(x0 + cw).min(w) {
            let gx = ((x - x0) * GRID_W / cw).min(GRID_W - 1);
            let p = &img.data[(y * w + x) * ch..(y * w + x + 1) * ch];
            let l = if ch >= 3 {
                0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]
            } else {
                p[0]
            };
            let l = if l.is_finite() {
                l.max(0.0).powf(1.0 / 2.4)
            } else {
                0.0
            };
            sum[gy * GRID_W + gx] += l as f64;
            count[gy * GRID_W + gx] += 1;
        }
    }
    let cells: Vec<f64> = sum
        .iter()
        .zip(&count)
        .map(|(s, &c)| s / c.max(1) as f64)
        .collect();
    normalise(&cells)
}

fn normalise(v: &[f64]) -> Vec<f32> {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd < 1e-9 {
        return vec![0.0; v.len()];
    }
    v.iter().map(|x| ((x - mean) / sd) as f32).collect()
}

/// Frame-to-frame change of the signature, for frames whose predecessor exists.
fn changes(sig: &BTreeMap<i64, Vec<f32>>) -> BTreeMap<i64, Vec<f32>> {
    sig.iter()
        .filter_map(|(&f, s)| {
            let prev = sig.get(&(f - 1))?;
            Some((f, s.iter().zip(prev).map(|(a, b)| a - b).collect()))
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct OffsetScore {
    offset: i64,
    score: f64,
    overlap: usize,
}

/// Correlation of all change signatures the two sequences share at offset `o`.
fn score_offset(
    src: &BTreeMap<i64, Vec<f32>>,
    reference: &BTreeMap<i64, Vec<f32>>,
    o: i64,
) -> OffsetScore {
    let (mut sab, mut saa, mut sbb) = (0.0f64, 0.0f64, 0.0f64);
    let mut overlap = 0;
    for (f, a) in src {
        let Some(b) = reference.get(&(f + o)) else {
            continue;
        };
        overlap += 1;
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (*x as f64, *y as f64);
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
    }
    let score = if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    };
    OffsetScore {
        offset: o,
        score,
        overlap,
    }
}

#[derive(Debug)]
struct SyncResult {
    offset: i64,
    confidence: f64,
    /// Best score minus the best score at least two frames away.
    margin: f64,
    runner_up: Option<i64>,
    overlap: usize,
}

fn pick(scores: &[OffsetScore]) -> Option<SyncResult> {
    let best = scores.iter().max_by(|a, b| a.score.total_cmp(&b.score))?;
    let runner = scores
        .iter()
        .filter(|s| (s.offset - best.offset).abs() > 1)
        .max_by(|a, b| a.score.total_cmp(&b.score));
    Some(SyncResult {
        offset: best.offset,
        confidence: best.score.max(0.0),
        margin: best.score - runner.map(|r| r.score).unwrap_or(0.0),
        runner_up: runner.map(|r| r.offset),
        overlap: best.overlap,
    })
}

/// Set `reference.offset` in `tinct.toml`, keeping everything else (comments included) as the
/// operator wrote it.
pub fn record_offset(config_path: &Path, offset: i64) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_path)
        .with_context(|| format!("{}: cannot read", config_path.display()))?;
    let updated = with_offset(&text, offset)
        .with_context(|| format!("{}: cannot record reference.offset", config_path.display()))?;
    fsx::write_atomic(config_path, updated.as_bytes())?;
    Ok(())
}

/// The config text with `reference.offset = offset`: a line edit inside `[reference]` when the
/// file has that table (comments and layout survive), else a rewrite through the `toml` crate.
pub fn with_offset(text: &str, offset: i64) -> anyhow::Result<String> {
    let edited = line_edit(text, offset);
    if let Some(e) = edited.filter(|e| reads_offset(e) == Some(offset)) {
        return Ok(e);
    }
    let mut table: toml::Table = toml::from_str(text)?;
    let reference = table
        .entry("reference")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(reference) = reference else {
        anyhow::bail!("'reference' is not a table")
    };
    reference.insert("offset".into(), toml::Value::Integer(offset));
    Ok(toml::to_string(&table)?)
}

fn reads_offset(text: &str) -> Option<i64> {
    let t: toml::Table = toml::from_str(text).ok()?;
    t.get("reference")?.get("offset")?.as_integer()
}

fn line_edit(text: &str, offset: i64) -> Option<String> {
    let header = regex::Regex::new(r"^\s*\[\s*reference\s*\]\s*(#.*)?$").expect("static regex");
    let any_header = regex::Regex::new(r"^\s*\[").expect("static regex");
    let key = regex::Regex::new(r"^(\s*offset\s*=\s*)([^#]*?)(\s*(#.*)?)$").expect("static regex");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let start = lines.iter().position(|l| header.is_match(l))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| any_header.is_match(l))
        .map(|i| start + 1 + i)
        .unwrap_or(lines.len());
    if let Some(i) = (start + 1..end).find(|&i| key.is_match(&lines[i])) {
        lines[i] = key
            .replace(&lines[i], format!("${{1}}{offset}${{3}}"))
            .into_owned();
    } else {
        // After the table's last non-blank line.
        let last = (start..end)
            .rev()
            .find(|&i| !lines[i].trim().is_empty())
            .unwrap_or(start);
        lines.insert(last + 1, format!("offset = {offset}"));
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_edit_keeps_comments_and_other_keys() {
        let text = "# my reel\n[source]\npattern = \"a.%04d.exr\"\n\n[reference]\npattern = \"b.%04d.exr\" # transfer\noffset = 3 # checked\n\n[curate]\nframes = [1]\n";
        let out = with_offset(text, -12).unwrap();
        assert!(out.contains("offset = -12 # checked"), "{out}");
        assert!(out.contains("# my reel") && out.contains("frames = [1]"));
        let added = with_offset(
            "[reference]\npattern = \"b\"\n\n[sync]\nmax-offset = 4\n",
            7,
        )
        .unwrap();
        assert_eq!(reads_offset(&added), Some(7));
        assert!(added.contains("pattern = \"b\"\noffset = 7\n"), "{added}");
        let none = with_offset("[source]\npattern = \"a\"\n", 5).unwrap();
        assert_eq!(reads_offset(&none), Some(5));
    }

    #[test]
    fn the_best_offset_wins_with_a_margin() {
        let mut src = BTreeMap::new();
        let mut reference = BTreeMap::new();
        for f in 0..40i64 {
            // Pseudo-random (not periodic: a periodic signal has several equally good offsets).
            let v: Vec<f32> = (0..8)
                .map(|k| {
                    let mut x = ((f * 8 + k) as u64).wrapping_mul(0x9e3779b97f4a7c15);
                    x ^= x >> 31;
                    x = x.wrapping_mul(0xff51afd7ed558ccd);
                    x ^= x >> 33;
                    (x % 1000) as f32 / 500.0 - 1.0
                })
                .collect();
            src.insert(f, v.clone());
            reference.insert(f + 5, v.iter().map(|x| 0.5 * x).collect::<Vec<_>>());
        }
        let scores: Vec<_> = (-8..=8)
            .map(|o| score_offset(&src, &reference, o))
            .collect();
        let r = pick(&scores).unwrap();
        assert_eq!(r.offset, 5);
        assert!(r.confidence > 0.99 && r.margin > 0.3, "{r:?}");
    }
}
