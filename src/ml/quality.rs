//! Held-out quality: CIEDE2000 between two linear Rec.709 images, as mean and 95th percentile.
//! (Kept here because training validates with it at every checkpoint; the formula follows
//! Sharma, Wu & Dalal 2005, reference white D65, Lab from linear Rec.709 via XYZ.)

use crate::media::Image;
use rayon::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct DeltaE {
    pub mean: f64,
    pub p95: f64,
}

fn lab(rgb: [f32; 3]) -> [f64; 3] {
    let [r, g, b] = rgb.map(|v| v.max(0.0) as f64);
    let x = 0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b;
    let z = 0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b;
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x / 0.950_47), f(y), f(z / 1.088_83));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// CIEDE2000 between two CIELAB colours.
pub fn ciede2000(l1: [f64; 3], l2: [f64; 3]) -> f64 {
    use std::f64::consts::PI;
    let [lp1, a1, b1] = l1;
    let [lp2, a2, b2] = l2;
    let c1 = a1.hypot(b1);
    let c2 = a2.hypot(b2);
    let cbar7 = ((c1 + c2) / 2.0).powi(7);
    let g = 0.5 * (1.0 - (cbar7 / (cbar7 + 25f64.powi(7))).sqrt());
    let (a1p, a2p) = ((1.0 + g) * a1, (1.0 + g) * a2);
    let (c1p, c2p) = (a1p.hypot(b1), a2p.hypot(b2));
    let hue = |b: f64, a: f64| {
        if b == 0.0 && a == 0.0 {
            0.0
        } else {
            b.atan2(a).rem_euclid(2.0 * PI)
        }
    };
    let (h1p, h2p) = (hue(b1, a1p), hue(b2, a2p));
    let dl = lp2 - lp1;
    let dc = c2p - c1p;
    let mut dh = h2p - h1p;
    if c1p * c2p == 0.0 {
        dh = 0.0;
    } else if dh > PI {
        dh -= 2.0 * PI;
    } else if dh < -PI {
        dh += 2.0 * PI;
    }
    let dhh = 2.0 * (c1p * c2p).sqrt() * (dh / 2.0).sin();
    let lbar = (lp1 + lp2) / 2.0;
    let cbar = (c1p + c2p) / 2.0;
    let hbar = if c1p * c2p == 0.0 {
        h1p + h2p
    } else if (h1p - h2p).abs() <= PI {
        (h1p + h2p) / 2.0
    } else if h1p + h2p < 2.0 * PI {
        (h1p + h2p + 2.0 * PI) / 2.0
    } else {
        (h1p + h2p - 2.0 * PI) / 2.0
    };
    let t = 1.0 - 0.17 * (hbar - PI / 6.0).cos()
        + 0.24 * (2.0 * hbar).cos()
        + 0.32 * (3.0 * hbar + PI / 30.0).cos()
        - 0.20 * (4.0 * hbar - 63.0 * PI / 180.0).cos();
    let dtheta = 30f64.to_radians() * (-((hbar.to_degrees() - 275.0) / 25.0).powi(2)).exp();
    let cbar7 = cbar.powi(7);
    let rc = 2.0 * (cbar7 / (cbar7 + 25f64.powi(7))).sqrt();
    let sl = 1.0 + 0.015 * (lbar - 50.0).powi(2) / (20.0 + (lbar - 50.0).powi(2)).sqrt();
    let sc = 1.0 + 0.045 * cbar;
    let sh = 1.0 + 0.015 * cbar * t;
    let rt = -(2.0 * dtheta).sin() * rc;
    ((dl / sl).powi(2) + (dc / sc).powi(2) + (dhh / sh).powi(2) + rt * (dc / sc) * (dhh / sh))
        .sqrt()
}

/// ΔE00 statistics between two images of the same size (linear Rec.709; display-referred
/// values above 1 are compared as they are).
pub fn delta_e(a: &Image, b: &Image) -> anyhow::Result<DeltaE> {
    Ok(stats(&mut delta_e_values(a, b)?))
}

/// Per-pixel ΔE00 between two images of the same size.
pub fn delta_e_values(a: &Image, b: &Image) -> anyhow::Result<Vec<f32>> {
    anyhow::ensure!(
        (a.width, a.height) == (b.width, b.height),
        "ΔE00: image sizes differ ({}x{} vs {}x{})",
        a.width,
        a.height,
        b.width,
        b.height
    );
    Ok((0..a.pixel_count())
        .into_par_iter()
        .map(|i| {
            let (x, y) = (i % a.width, i / a.width);
            ciede2000(lab(a.rgb(x, y)), lab(b.rgb(x, y))) as f32
        })
        .collect())
}

/// Mean and 95th percentile of per-pixel values (reorders them).
pub fn stats(d: &mut [f32]) -> DeltaE {
    if d.is_empty() {
        return DeltaE::default();
    }
    let mean = d.iter().map(|&v| v as f64).sum::<f64>() / d.len() as f64;
    let k = ((d.len() as f64 * 0.95) as usize).min(d.len() - 1);
    let p95 = *d.select_nth_unstable_by(k, |x, y| x.total_cmp(y)).1 as f64;
    DeltaE { mean, p95 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharma_reference_pairs() {
        // Pairs 1, 7 and 17 from Sharma, Wu & Dalal's test data.
        let cases = [
            ([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485], 2.0425),
            ([50.0, 0.0, 0.0], [50.0, -1.0, 2.0], 2.3669),
            ([50.0, 2.5, 0.0], [73.0, 25.0, -18.0], 27.1492),
        ];
        for (a, b, want) in cases {
            let got = ciede2000(a, b);
            assert!((got - want).abs() < 1e-3, "{a:?} {b:?}: {got} vs {want}");
        }
    }
}
