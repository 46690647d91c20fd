//! Stage `matchgrade`: the classic baseline. Fit global grades (3D LUT, ASC CDL, 3x3 matrix,
//! root-polynomial) from the aligned pairs, report each one's fit error, export the LUT as
//! `.cube` and the CDL as `.cc`/`.cdl`, and render the source sequence through the chosen grade
//! into `pipeline/05_matchgrade_render/` with the same output settings as the ML render.

use super::align::AlignmentManifest;
use super::curate::assumed_colorspace;
use super::output::OutputSpec;
use super::render::{self, RenderPlan};
use super::{Ctx, Outcome};
use crate::color;
use crate::grade::lut_fit::LutFitParams;
use crate::grade::{self, Cdl, Lut3d, Matrix3, RootPoly, Samples, cube};
use crate::media::{self, Image};
use crate::project::{Project, layout};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Every fitted grade, and which one renders.
pub struct FittedGrades {
    pub lut: Lut3d,
    pub cdl: Cdl,
    pub matrix: Matrix3,
    pub root_poly: RootPoly,
}

/// How a grade is applied to a linear Rec.709 pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradeKind {
    Lut,
    Cdl,
    Matrix,
    RootPoly,
}

impl GradeKind {
    pub const ALL: [GradeKind; 4] = [
        GradeKind::Lut,
        GradeKind::Cdl,
        GradeKind::Matrix,
        GradeKind::RootPoly,
    ];

    pub fn id(self) -> &'static str {
        match self {
            GradeKind::Lut => "lut",
            GradeKind::Cdl => "cdl",
            GradeKind::Matrix => "matrix",
            GradeKind::RootPoly => "root-poly",
        }
    }

    pub fn parse(s: &str) -> anyhow::Result<GradeKind> {
        GradeKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| anyhow::anyhow!("config key matchgrade.render: unknown grade '{s}' (lut, cdl, matrix, root-poly)"))
    }
}

impl FittedGrades {
    /// Fit all four grades on linear samples.
    pub fn fit(samples: &Samples, params: &LutFitParams) -> FittedGrades {
        let matrix = Matrix3::fit(samples);
        let enc = samples.encoded();
        let cdl = Cdl::fit(&enc);
        let root_poly = RootPoly::fit(samples);
        let lut = grade::fit_lut_around(&root_poly, &enc, params);
        FittedGrades {
            lut,
            cdl,
            matrix,
            root_poly,
        }
    }

    /// Apply one grade to a linear Rec.709 colour.
    pub fn apply(&self, kind: GradeKind, p: [f32; 3]) -> [f32; 3] {
        match kind {
            GradeKind::Lut => grade::decode(self.lut.apply(grade::encode(p))),
            GradeKind::Cdl => {
                grade::decode(self.cdl.apply(grade::encode(p).map(|c| c.clamp(0.0, 1.0))))
            }
            GradeKind::Matrix => self.matrix.apply(p),
            GradeKind::RootPoly => self.root_poly.apply(p),
        }
    }

    pub fn apply_image(&self, kind: GradeKind, img: &mut Image) {
        use rayon::prelude::*;
        let ch = img.channels;
        img.data.par_chunks_mut(ch * 4096).for_each(|block| {
            for px in block.chunks_exact_mut(ch) {
                let o = self.apply(kind, [px[0], px[1], px[2]]);
                px[..3].copy_from_slice(&o);
            }
        });
    }
}

/// Gather the fit samples from the aligned training pairs (validation frames held out).
pub fn gather_samples(
    project: &Project,
    set: &AlignmentManifest,
    validation: &[i64],
    max_samples: usize,
) -> anyhow::Result<(Samples, Vec<i64>)> {
    let pairs = set.training_pairs(validation);
    anyhow::ensure!(
        !pairs.is_empty(),
        "no usable aligned pairs (all flagged or held out for validation)"
    );
    let mut images = Vec::new();
    let mut total = 0usize;
    for p in &pairs {
        let s = media::read_linear(&project.path(&p.source), None)
            .with_context(|| format!("frame {}", p.frame))?;
        let r = media::read_linear(&project.path(&p.reference), None)
            .with_context(|| format!("frame {}", p.frame))?;
        total += s.pixel_count();
        images.push((s, r));
    }
    let stride = total.div_ceil(max_samples.max(1)).max(1);
    let mut samples = Samples::default();
    for ((s, r), p) in images.iter().zip(&pairs) {
        samples
            .push_pair(s, r, stride)
            .with_context(|| format!("aligned pair of frame {}", p.frame))?;
    }
    Ok((samples, pairs.iter().map(|p| p.frame).collect()))
}

/// Mean ΔE2000 between `pred(src)` and `dst` over (thinned) samples.
pub fn fit_error(samples: &Samples, pred: impl Fn([f32; 3]) -> [f32; 3]) -> f64 {
    let s = samples.thinned(200_000);
    let total: f64 = s
        .src
        .iter()
        .zip(&s.dst)
        .map(|(x, y)| {
            color::delta_e::de2000(
                color::lab::linear_to_lab(pred(*x)),
                color::lab::linear_to_lab(*y),
            )
        })
        .sum();
    total / s.len().max(1) as f64
}

pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    let cfg = &ctx.config.matchgrade;
    anyhow::ensure!(
        matches!(cfg.lut_size, 2..=129),
        "config key matchgrade.lut-size: {} (use 17, 33 or 65)",
        cfg.lut_size
    );
    let kind = GradeKind::parse(&cfg.render)?;
    let spec = OutputSpec::from_config(&ctx.config.infer)?;
    let out_dir = ctx.project.path(layout::MATCHGRADE);

    let set = AlignmentManifest::load(&ctx.project.root)?;
    let t0 = Instant::now();
    let (samples, frames) = gather_samples(
        &ctx.project,
        &set,
        &super::curate::held_out_frames(ctx),
        cfg.max_samples,
    )?;
    ctx.log(format!(
        "fitting on {} samples from frames {frames:?}",
        samples.len()
    ));
    let params = cfg.lut_fit_params();
    let grades = FittedGrades::fit(&samples, &params);
    let fit_s = t0.elapsed().as_secs_f64();

    let mut errors = serde_json::Map::new();
    errors.insert("untouched".into(), json!(fit_error(&samples, |p| p)));
    for k in GradeKind::ALL {
        errors.insert(
            k.id().into(),
            json!(fit_error(&samples, |p| grades.apply(k, p))),
        );
    }
    ctx.metric(json!({"fit_seconds": fit_s, "samples": samples.len(), "fit_de00": errors}))?;

    let cube_path = out_dir.join("matchgrade.cube");
    let comments = vec![
        "tinct MatchGrade baseline: regularised least-squares fit on the aligned dataset"
            .to_owned(),
        format!("frames {frames:?}; input and output: Rec.709 primaries, sRGB transfer, 0..1"),
    ];
    cube::write(&cube_path, &grades.lut, "tinct matchgrade", &comments)?;
    let desc = "tinct MatchGrade baseline (Rec.709, sRGB-encoded)";
    grades
        .cdl
        .write(&out_dir.join("matchgrade.cc"), "tinct_matchgrade", desc)?;
    grades
        .cdl
        .write(&out_dir.join("matchgrade.cdl"), "tinct_matchgrade", desc)?;
    let report = json!({
        "frames": frames, "samples": samples.len(), "fit_seconds": fit_s, "fit_de00_mean": errors,
        "render": kind.id(), "cdl": grades.cdl, "matrix": grades.matrix, "root_poly": grades.root_poly,
        "lut_size": cfg.lut_size,
    });
    crate::fsx::write_atomic(
        &out_dir.join("matchgrade.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;

    let rendered = render_sequence(ctx, &grades, kind, &spec)?;
    let summary = format!(
        "matchgrade: fitted on {} frames in {fit_s:.1}s; fit ΔE00 mean untouched {:.2}, lut {:.2}, cdl {:.2}, matrix {:.2}, root-poly {:.2}; rendered {} frames with the {}",
        frames.len(),
        errors["untouched"].as_f64().unwrap_or(f64::NAN),
        errors["lut"].as_f64().unwrap_or(f64::NAN),
        errors["cdl"].as_f64().unwrap_or(f64::NAN),
        errors["matrix"].as_f64().unwrap_or(f64::NAN),
        errors["root-poly"].as_f64().unwrap_or(f64::NAN),
        rendered.len(),
        kind.id(),
    );
    let mut outputs = vec![
        cube_path,
        out_dir.join("matchgrade.cc"),
        out_dir.join("matchgrade.cdl"),
    ];
    outputs.extend(rendered);
    Ok(Outcome {
        summary,
        outputs,
        metrics: report,
    })
}

/// Render the (range of the) source sequence through the grade, pipelined (`stages::render`).
fn render_sequence(
    ctx: &Ctx,
    grades: &FittedGrades,
    kind: GradeKind,
    spec: &OutputSpec,
) -> anyhow::Result<Vec<PathBuf>> {
    let (seq, frames) = ctx.source_frames()?;
    let assume = assumed_colorspace("source.colorspace", &ctx.config.source.colorspace)?;
    let dir = ctx.project.path(layout::MATCHGRADE);
    let plan = RenderPlan {
        frames: &frames,
        spec,
        dir: &dir,
        stem: "matchgrade",
        force: ctx.force,
        writers: None,
        steady: None,
    };
    let done = render::render(
        &plan,
        &ctx.cancel,
        |f| render::read_source(&seq, f, assume),
        |_, mut img| {
            grades.apply_image(kind, &mut img);
            Ok(img)
        },
        |p| {
            let fps = p.frames_per_s();
            ctx.metric(json!({"frame": p.frame, "done": p.done, "total": p.total, "fps": fps, "eta": p.eta_s()}))
        },
    )?;
    if done.cancelled {
        ctx.log("cancelled: stopping the render");
    }
    ctx.log(done.times_line());
    Ok(done.written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grade_fits_a_density_fade() {
        let mut s = Samples::default();
        for i in 0..20_000 {
            let clean = [
                ((i * 37) % 101) as f32 / 130.0 + 0.02,
                ((i * 53) % 97) as f32 / 125.0 + 0.02,
                ((i * 11) % 89) as f32 / 115.0 + 0.02,
            ];
            let src =
                [0, 1, 2].map(|c| 10f32.powf((clean[c].log10()) * [0.55, 0.9, 0.5][c] - 0.03));
            s.src.push(src);
            s.dst.push(clean);
        }
        let g = FittedGrades::fit(
            &s,
            &LutFitParams {
                size: 17,
                ..Default::default()
            },
        );
        let base = fit_error(&s, |p| p);
        for k in GradeKind::ALL {
            let e = fit_error(&s, |p| g.apply(k, p));
            assert!(e < 0.5 * base, "{}: {e:.2} vs untouched {base:.2}", k.id());
        }
    }
}
