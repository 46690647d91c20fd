//! Alignment accuracy on real frames (vtest JPEGs from the shared footage) warped by known
//! transforms: RMS corner error in source pixels, clean and degraded (fading, grain, JPEG).

use tinct::media::Image;
use tinct::stages::align::{self, motion, motion::Mat3, warp};

fn footage() -> std::path::PathBuf {
    let dir = tinct::bench::footage_dir(None).expect("shared footage folder (set TINCT_FOOTAGE)");
    dir.join("vtest")
}

/// A vtest frame (numbered in steps of 8) as linear RGB, decoded with the `image` crate (independent of tinct's readers).
fn frame(n: usize) -> Image {
    let path = footage().join(format!("vtest.{n:04}.jpg"));
    let rgb = image::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let (w, h) = rgb.dimensions();
    let data = rgb
        .as_raw()
        .iter()
        .map(|&v| srgb_to_linear(v as f32 / 255.0))
        .collect();
    Image::from_vec(w as usize, h as usize, 3, data)
}

fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f32) -> f32 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.0031308 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// The reference a transform `truth` (source px -> reference px) implies: reference(truth x) =
/// source(x), rendered with Lanczos3 onto a canvas `size`.
fn reference_for(src: &Image, truth: &Mat3, size: (usize, usize)) -> Image {
    let back = motion::inverse(truth).unwrap();
    warp::warp_image(src, &back, size.0, size.1, warp::Filter::Lanczos3).0
}

/// Fading (dye loss with a magenta cast, lifted blacks), film grain, then JPEG at quality 80.
fn degrade(img: &Image, seed: u64) -> Image {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut noise = move || {
        // Sum of uniforms: cheap, close enough to Gaussian grain.
        let mut s = 0.0;
        for _ in 0..4 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s += (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
        }
        s * 0.5
    };
    let mut bytes = Vec::with_capacity(img.data.len());
    for px in img.data.chunks_exact(3) {
        let faded = [px[0] * 0.85 + 0.04, px[1] * 0.45 + 0.05, px[2] * 0.6 + 0.03];
        let grain = noise() * 0.04;
        for v in faded {
            bytes.push((linear_to_srgb(v) + grain).clamp(0.0, 1.0) * 255.0);
        }
    }
    let buf = image::RgbImage::from_raw(
        img.width as u32,
        img.height as u32,
        bytes.iter().map(|&v| v.round() as u8).collect(),
    )
    .unwrap();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&buf)
        .unwrap();
    let dec = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    let data = dec
        .as_raw()
        .iter()
        .map(|&v| srgb_to_linear(v as f32 / 255.0))
        .collect();
    Image::from_vec(img.width, img.height, 3, data)
}

fn settings(model: &str) -> align::Settings {
    let cfg = tinct::project::config::AlignConfig {
        model: model.into(),
        ..Default::default()
    };
    align::Settings::from_config(&cfg).unwrap()
}

/// A similarity about the source centre, then the reference canvas scaled by `scale`.
fn similarity(src: &Image, shift: (f64, f64), rot_deg: f64, scale: f64) -> (Mat3, (usize, usize)) {
    let size = (
        (src.width as f64 * scale).round() as usize,
        (src.height as f64 * scale).round() as usize,
    );
    let place = motion::initial((src.width, src.height), size);
    let centre = (
        (src.width as f64 - 1.0) / 2.0,
        (src.height as f64 - 1.0) / 2.0,
    );
    let turn = motion::transform_about(centre, [shift.0, shift.1], rot_deg, 1.0);
    (motion::mul(&place, &turn), size)
}

fn check(
    name: &str,
    src: &Image,
    truth: &Mat3,
    size: (usize, usize),
    model: &str,
    degraded: bool,
    limit: f64,
) -> f64 {
    let mut reference = reference_for(src, truth, size);
    if degraded {
        reference = degrade(&reference, 7);
    }
    let p = align::place(src, &reference, &settings(model), None);
    let err = motion::rms_corner_error(&p.matrix, truth, src.width, src.height);
    eprintln!(
        "{name}: {model} degraded={degraded} rms corner error {err:.4} px, confidence {:.4}",
        p.score.correlation
    );
    assert!(
        err <= limit,
        "{name}: RMS corner error {err:.4} px > {limit} (fit {:?}, truth {truth:?})",
        p.matrix
    );
    err
}

#[test]
fn a_shifted_copy_gives_back_the_shift() {
    let src = frame(8);
    let truth = motion::scale_translate(1.0, 3.37, -2.71);
    check(
        "shift",
        &src,
        &truth,
        (src.width, src.height),
        "translation",
        false,
        0.05,
    );
}

#[test]
fn similarity_warps_are_recovered_clean_and_degraded() {
    let src = frame(40);
    for (i, &(shift, rot, scale)) in [
        ((1.3, -0.6), 0.5, 0.7),
        ((-4.2, 2.5), -2.0, 1.3),
        ((0.4, 0.45), 1.2, 0.9),
    ]
    .iter()
    .enumerate()
    {
        let (truth, size) = similarity(&src, shift, rot, scale);
        check(
            &format!("similarity {i}"),
            &src,
            &truth,
            size,
            "similarity",
            false,
            0.1,
        );
        check(
            &format!("similarity {i}"),
            &src,
            &truth,
            size,
            "similarity",
            true,
            0.3,
        );
    }
}

#[test]
fn homography_warps_are_recovered_clean_and_degraded() {
    let src = frame(72);
    let (sim, size) = similarity(&src, (2.2, -1.4), 0.8, 0.85);
    let keystone = [[1.0, 0.01, 0.0], [-0.005, 1.0, 0.0], [1.5e-5, -1e-5, 1.0]];
    let truth = motion::normalised(&motion::mul(&sim, &keystone));
    check("homography", &src, &truth, size, "homography", false, 0.1);
    check("homography", &src, &truth, size, "homography", true, 0.3);
}
