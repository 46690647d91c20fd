//! `train.luma = tone` on real footage: a faded print's tone scale comes back from the pairs,
//! and the scan's own detail and grain survive (its high frequencies correlate with the
//! scan's, not with the reference's).

use tinct::color::tone::ToneCurve;
use tinct::color::working;
use tinct::demo::footage::PANORAMAS;
use tinct::media::Image;

/// A print whose dyes faded: lifted blacks, lowered whites, a flatter mid-tone; plus grain of
/// its own that the reference does not have.
fn faded(truth: &Image, seed: u32) -> Image {
    Image::from_fn_rgb(truth.width, truth.height, |x, y| {
        let (l, c) = working::split_luma_chroma(truth.rgb(x, y));
        let h = (x as u32 * 73_856_093) ^ (y as u32 * 19_349_663) ^ seed;
        let grain = ((h.wrapping_mul(2_654_435_761) >> 8) % 1000) as f32 / 1000.0 - 0.5;
        let faded = 0.12 + 0.7 * l.clamp(0.0, 1.2).powf(1.3) + 0.03 * grain;
        working::combine(faded, [c[0] * 0.4, c[1] * 0.4])
    })
}

/// Luma minus its own 5x5 box blur: the picture's fine detail and grain.
fn high_pass(img: &Image) -> Vec<f32> {
    let luma: Vec<f32> = (0..img.height)
        .flat_map(|y| (0..img.width).map(move |x| (x, y)))
        .map(|(x, y)| working::luma(img.rgb(x, y)))
        .collect();
    let (w, h) = (img.width as i64, img.height as i64);
    let at = |x: i64, y: i64| luma[(y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize];
    (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let mut s = 0.0;
            for dy in -2..=2 {
                for dx in -2..=2 {
                    s += at(x + dx, y + dy);
                }
            }
            at(x, y) - s / 25.0
        })
        .collect()
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (
        a.iter().map(|&v| v as f64).sum::<f64>() / n,
        b.iter().map(|&v| v as f64).sum::<f64>() / n,
    );
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64 - ma, y as f64 - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa * bb).sqrt()
}

fn luma_error(a: &Image, b: &Image) -> f64 {
    let n = (a.width * a.height) as f64;
    (0..a.height)
        .flat_map(|y| (0..a.width).map(move |x| (x, y)))
        .map(|(x, y)| (working::luma(a.rgb(x, y)) - working::luma(b.rgb(x, y))).abs() as f64)
        .sum::<f64>()
        / n
}

#[test]
fn tone_follows_the_reference_and_detail_follows_the_scan() {
    let truths: Vec<Image> = PANORAMAS[..4].iter().map(|p| p.decode().unwrap()).collect();
    let scans: Vec<Image> = truths
        .iter()
        .enumerate()
        .map(|(i, t)| faded(t, i as u32))
        .collect();
    // Fitted on three pairs, judged on the fourth picture, which it never saw.
    let curve = ToneCurve::fit_images(scans[..3].iter().zip(&truths[..3]), 3);
    let (scan, truth) = (&scans[3], &truths[3]);
    let toned = curve.apply(scan);

    let before = luma_error(scan, truth);
    let after = luma_error(&toned, truth);
    assert!(
        after < 0.35 * before,
        "tone error {after:.4} vs faded {before:.4}"
    );
    let hf = correlation(&high_pass(&toned), &high_pass(scan));
    eprintln!("luma error: faded {before:.4}, toned {after:.4}; high-pass r = {hf:.4}");
    assert!(hf >= 0.99, "high frequencies of the scan kept: r = {hf:.4}");
}
