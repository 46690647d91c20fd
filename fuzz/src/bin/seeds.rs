//! Writes the seed corpus for every fuzz target into `<out>/<target>/` (default `fuzz/out/seeds`):
//! real frames cropped from two embedded CC0 panoramas, written by tinct's own writers in the
//! layouts each reader handles, and the project's real text files. Not a fuzz target; run by
//! `scripts/fuzz` before fuzzing.
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tinct_core::color::Colorspace;
use tinct_core::grade::{Lut3d, cube};
use tinct_core::journal::{Entry, Kind, render};
use tinct_core::media::{self, Image, WriteOptions};

// Long by design: the list of seed files, one block per format.
fn main() -> Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("fuzz/out/seeds"));
    let dir = |t: &str| -> Result<PathBuf> {
        let d = out.join(t);
        std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
        Ok(d)
    };

    // Two real frames, 48x32 crops (small seeds keep execs fast).
    let pano = tinct_core::demo::footage::PANORAMAS;
    let frames: Vec<(String, Image)> = [(0usize, 300usize, 150usize), (4, 400, 200)]
        .into_iter()
        .map(|(i, x, y)| {
            Ok((
                pano[i].name.to_string(),
                pano[i].decode()?.crop(x, y, 48, 32),
            ))
        })
        .collect::<Result<_>>()?;

    let opts = |colorspace, half, compression: &str, bits| WriteOptions {
        colorspace,
        half,
        compression: compression.into(),
        bits,
    };
    let (exr, dpx, tiff, png, jpeg) = (
        dir("exr")?,
        dir("dpx")?,
        dir("tiff")?,
        dir("png")?,
        dir("jpeg")?,
    );
    for (name, img) in &frames {
        for comp in ["zip", "piz", "none", "rle"] {
            for (half, kind) in [(true, "half"), (false, "float")] {
                let p = exr.join(format!("{name}_{comp}_{kind}.exr"));
                write(&p, img, &opts(Colorspace::LinearRec709, half, comp, 16))?;
            }
        }
        write(
            &dpx.join(format!("{name}_10a.dpx")),
            img,
            &opts(Colorspace::Srgb, false, "a", 10),
        )?;
        write(
            &dpx.join(format!("{name}_16le.dpx")),
            img,
            &opts(Colorspace::Srgb, false, "-le", 16),
        )?;
        write(
            &tiff.join(format!("{name}_16.tif")),
            img,
            &opts(Colorspace::Srgb, false, "", 16),
        )?;
        for bits in [8, 16] {
            let p = png.join(format!("{name}_{bits}.png"));
            write(&p, img, &opts(Colorspace::Srgb, false, "", bits))?;
        }
        // JPEG: tinct does not write it; encode the 8-bit PNG's pixels with the image crate.
        let rgb = image::open(png.join(format!("{name}_8.png")))?.to_rgb8();
        let p = jpeg.join(format!("{name}.jpg"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&p)?);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 90)
            .encode_image(&rgb)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    // A DWAA file (a compression tinct reads but does not write).
    let dwaa = repo().join("tests/fixtures/media/dwaa_61x37.exr");
    std::fs::copy(&dwaa, exr.join("dwaa_61x37.exr"))
        .with_context(|| format!("cannot copy {}", dwaa.display()))?;

    // .cube: an identity and a graded LUT on a wider domain, by the crate's own writer.
    let cube_dir = dir("cube")?;
    cube::write(
        &cube_dir.join("identity_2.cube"),
        &Lut3d::identity(2),
        "identity",
        &[],
    )
    .map_err(anyhow::Error::from)?;
    let mut lut = Lut3d::identity(5);
    for v in &mut lut.data {
        *v = [v[0].powf(0.8), v[1] * 0.9, v[2].sqrt()];
    }
    lut.domain_min = [-0.1; 3];
    lut.domain_max = [1.5; 3];
    cube::write(
        &cube_dir.join("graded_5.cube"),
        &lut,
        "graded",
        &["fuzz seed".into()],
    )
    .map_err(anyhow::Error::from)?;

    // tinct.toml: every key with its default.
    let text = tinct_core::project::config_file_text(&Default::default())?;
    std::fs::write(dir("config")?.join("tinct.toml"), text)?;

    // SOP: the built-in one (and any other in sop/).
    let sop_dir = dir("sop")?;
    for e in std::fs::read_dir(repo().join("sop"))? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "toml") {
            std::fs::copy(&p, sop_dir.join(p.file_name().unwrap()))?;
        }
    }

    // Journal: the template alone, and the template with entries of every kind, LF and CRLF.
    let journal = dir("journal")?;
    let template = tinct_core::project::JOURNAL_TEMPLATE;
    std::fs::write(journal.join("template.md"), template)?;
    let entries = [
        Entry::new(Kind::Note, "first scan looks good\nsecond line"),
        Entry::new(Kind::Decision, "use the 5-point LUT")
            .at(Some("05_matchgrade_render"), Some("fit-lut"))
            .with_config("grade.lut-size", 33),
        Entry::new(Kind::QcPass, "delta E ok")
            .at(Some("02_alignment"), None)
            .with_run("20240101-120000-align")
            .with_metric("delta_e_mean", 1.25),
        Entry::new(Kind::QcFail, "flicker on shot 3").at(None, Some("qc-flicker")),
    ];
    for (eol, name) in [("\n", "entries.md"), ("\r\n", "entries_crlf.md")] {
        let mut text = template.replace('\n', eol);
        for e in &entries {
            text.push_str(eol);
            text.push_str(&render(e, eol));
        }
        std::fs::write(journal.join(name), text)?;
    }

    println!("seeds written to {}", out.display());
    Ok(())
}

fn write(path: &Path, img: &Image, opts: &WriteOptions) -> Result<()> {
    media::write(path, img, opts).with_context(|| format!("seed {}", path.display()))
}

/// The repository root (this crate lives in `<root>/fuzz`).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}
