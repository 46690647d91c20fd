//! The generator: plan the reel, render every source and reference frame, write the project.

use super::film::{Ageing, SmoothField, sample_fields, transmittance};
use super::footage::PANORAMAS;
use super::random::{Rng, stream_key};
use super::render::{PrintedPanorama, luma, reference_transmittance, source_density};
use super::shots::{Shot, ShotPlanInput, plan, shot_of};
use super::transfer::{encode_video, grade_shot, video_gain, write_jpeg};
use super::truth::{DemoTruth, Footage, ReferenceTruth, SourceKind};
use super::{DemoSpec, paths};
use crate::media::{self, Image, WriteOptions};
use anyhow::Context;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;

/// Noise streams: each print has its own grain.
const GRAIN_FADED: u64 = 1;
const GRAIN_MONOCHROME: u64 = 2;

/// Create the demo project in `dir` (created if missing; refused if it already holds a project).
pub fn generate(dir: &Path, spec: &DemoSpec) -> anyhow::Result<DemoTruth> {
    spec.validate()?;
    let plan = Plan::new(spec);
    let truth = plan.truth(spec);
    crate::project::init(dir, paths::SOURCE, paths::REFERENCE, 0, false)
        .with_context(|| format!("{}: cannot create the demo project", dir.display()))?;

    let panoramas = print_panoramas(&plan.shots, spec)?;
    let prints = Prints::of(&truth);
    let frames: Vec<i64> = truth.source.frames().collect();
    frames
        .par_iter()
        .try_for_each(|&n| write_source_frame(dir, spec, &plan, &panoramas, &prints, n))?;

    let reference = &truth.reference;
    let to_source = reference
        .matrix
        .inverse()
        .context("demo: the transfer's framing is degenerate")?;
    let ref_frames: Vec<i64> = reference.footage.frames().collect();
    ref_frames.par_iter().try_for_each(|&r| {
        let n = r - reference.offset;
        let shot = shot_of(&plan.shots, n);
        let mut linear = reference_transmittance(
            &panoramas[&shot.panorama],
            shot,
            n,
            spec.frame_size,
            (reference.footage.width, reference.footage.height),
            &to_source,
            &spec.stock,
        );
        grade_shot(&mut linear, spec.transfer.shot_grade, spec.seed, shot.index);
        let rgb = encode_video(&linear, reference.video_gain);
        let path = reference.footage.path(dir, r);
        write_jpeg(
            &path,
            &rgb,
            (linear.width, linear.height),
            spec.transfer.jpeg_quality,
        )
        .with_context(|| format!("{}: cannot write reference frame {r}", path.display()))
    })?;

    truth.save(dir)?;
    Ok(truth)
}

/// Everything random, drawn once, in a fixed order, from the seed.
struct Plan {
    shots: Vec<Shot>,
    fields: [SmoothField; 3],
    /// `fields` sampled on the source frame's pixels.
    field_map: Vec<[f32; 3]>,
}

impl Plan {
    fn new(spec: &DemoSpec) -> Plan {
        let mut rng = Rng::new(spec.seed);
        let names: Vec<&'static str> = PANORAMAS.iter().map(|p| p.name).collect();
        let shots = plan(
            &mut rng,
            &ShotPlanInput {
                panoramas: &names,
                panorama_size: (768, 384),
                frame_size: spec.frame_size,
                shots: spec.shots,
                shots_per_setting: spec.shots_per_setting,
                frames_per_shot: spec.frames_per_shot,
                first_frame: spec.first_frame,
                lead_in: spec.transfer.lead_in,
            },
        );
        let fields = std::array::from_fn(|_| SmoothField::random(&mut rng));
        let field_map = sample_fields(&fields, spec.frame_size);
        Plan {
            shots,
            fields,
            field_map,
        }
    }

    fn truth(&self, spec: &DemoSpec) -> DemoTruth {
        let (w, h) = spec.frame_size;
        let first = spec.first_frame;
        let last = self.shots.last().map(|s| s.last_frame).unwrap_or(first);
        let seq = |kind: &str, pattern: &str| Footage {
            kind: kind.into(),
            pattern: pattern.into(),
            first_frame: first,
            last_frame: last,
            width: w,
            height: h,
        };
        let (primary, alternate) = match spec.source_kind {
            SourceKind::Faded => (
                seq("faded", paths::SOURCE),
                seq("monochrome", paths::SOURCE_BW),
            ),
            SourceKind::Monochrome => (
                seq("monochrome", paths::SOURCE),
                seq("faded", paths::SOURCE_FADED),
            ),
        };
        let t = &spec.transfer;
        let (rw, rh) = t.reference_size(spec.frame_size);
        DemoTruth {
            seed: spec.seed,
            source_kind: spec.source_kind,
            source: primary,
            alternate_source: spec.write_alternate.then_some(alternate),
            clean: spec.write_clean.then(|| seq("clean", paths::CLEAN)),
            reference: ReferenceTruth {
                footage: Footage {
                    kind: "video-transfer".into(),
                    pattern: paths::REFERENCE.into(),
                    first_frame: first + t.offset - t.lead_in as i64,
                    last_frame: last + t.offset,
                    width: rw,
                    height: rh,
                },
                offset: t.offset,
                matrix: t.source_to_reference(spec.frame_size),
                video_gain: video_gain(spec.stock.d_min),
                chroma_subsampling: "4:2:0".into(),
                transfer: t.clone(),
            },
            shots: self.shots.clone(),
            stock: spec.stock.clone(),
            fade: spec.fade.clone(),
            fade_fields: self.fields.clone(),
        }
    }
}

/// Decode and print only the panoramas the shots use.
fn print_panoramas(
    shots: &[Shot],
    spec: &DemoSpec,
) -> anyhow::Result<HashMap<String, PrintedPanorama>> {
    let used: Vec<_> = PANORAMAS
        .iter()
        .filter(|p| shots.iter().any(|s| s.panorama == p.name))
        .collect();
    used.par_iter()
        .map(|p| {
            Ok((
                p.name.to_string(),
                PrintedPanorama::new(&p.decode()?, &spec.stock),
            ))
        })
        .collect()
}

/// Which sequences each source frame goes to.
struct Prints {
    faded: Option<Footage>,
    monochrome: Option<Footage>,
    clean: Option<Footage>,
}

impl Prints {
    fn of(truth: &DemoTruth) -> Prints {
        let all: Vec<&Footage> = std::iter::once(&truth.source)
            .chain(truth.alternate_source.iter())
            .collect();
        let find = |kind: &str| all.iter().find(|f| f.kind == kind).map(|f| (*f).clone());
        Prints {
            faded: find("faded"),
            monochrome: find("monochrome"),
            clean: truth.clean.clone(),
        }
    }
}

fn write_source_frame(
    dir: &Path,
    spec: &DemoSpec,
    plan: &Plan,
    panoramas: &HashMap<String, PrintedPanorama>,
    prints: &Prints,
    n: i64,
) -> anyhow::Result<()> {
    let shot = shot_of(&plan.shots, n);
    let density = source_density(
        &panoramas[&shot.panorama],
        shot,
        n,
        spec.frame_size,
        &spec.stock,
    );
    let (w, h) = spec.frame_size;
    let total = plan
        .shots
        .last()
        .map(|s| s.last_frame - spec.first_frame)
        .unwrap_or(0)
        .max(1);
    let ageing = |stream| Ageing {
        stock: &spec.stock,
        fade: &spec.fade,
        field_map: &plan.field_map,
        reel_position: (n - spec.first_frame) as f32 / total as f32,
        grain_key: stream_key(spec.seed, stream, n),
    };
    let opts = WriteOptions::default();
    let write = |footage: &Footage, img: &Image| {
        let path = footage.path(dir, n);
        media::write(&path, img, &opts).with_context(|| {
            format!(
                "{}: cannot write {} frame {n}",
                path.display(),
                footage.kind
            )
        })
    };

    let clean = Image::from_vec(
        w,
        h,
        3,
        density.data.iter().map(|&d| transmittance(d)).collect(),
    );
    if let Some(f) = &prints.clean {
        write(f, &clean)?;
    }
    if let Some(f) = &prints.faded {
        let a = ageing(GRAIN_FADED);
        let data = (0..w * h)
            .flat_map(|i| {
                let d = &density.data[i * 3..i * 3 + 3];
                a.faded([d[0], d[1], d[2]], i).map(transmittance)
            })
            .collect();
        write(f, &Image::from_vec(w, h, 3, data))?;
    }
    if let Some(f) = &prints.monochrome {
        let a = ageing(GRAIN_MONOCHROME);
        let data = (0..w * h)
            .flat_map(|i| {
                let c = &clean.data[i * 3..i * 3 + 3];
                let y_density = -luma(c[0], c[1], c[2]).max(1e-6).log10();
                [transmittance(a.monochrome(y_density, i)); 3]
            })
            .collect();
        write(f, &Image::from_vec(w, h, 3, data))?;
    }
    Ok(())
}
