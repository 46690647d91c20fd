//! Colourfulness metric of Hasler & Süsstrunk (2003), "Measuring colourfulness in natural
//! images", computed as in the paper on display-referred sRGB values in 0..255.

use crate::color::transfer::Transfer;
use crate::media::Image;

/// `M = σ_rgyb + 0.3 μ_rgyb` with `rg = R − G`, `yb = (R + G)/2 − B` over sRGB-encoded,
/// clipped 0..255 values. 0 for a grey image; the paper rates ~15 "slightly", ~33 "moderately",
/// ~59 "quite", ~82 "highly", ~109 "extremely" colourful.
pub fn colourfulness(img: &Image) -> f64 {
    let n = img.pixel_count();
    if n == 0 {
        return 0.0;
    }
    let (mut s_rg, mut s_yb, mut ss_rg, mut ss_yb) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let [r, g, b] = super::rgb_at(&img.data, img.channels, i)
            .map(|v| f64::from(Transfer::Srgb.encode(v).clamp(0.0, 1.0)) * 255.0);
        let rg = r - g;
        let yb = 0.5 * (r + g) - b;
        s_rg += rg;
        s_yb += yb;
        ss_rg += rg * rg;
        ss_yb += yb * yb;
    }
    let n = n as f64;
    let (m_rg, m_yb) = (s_rg / n, s_yb / n);
    // Population variance, as in the paper; clamp tiny negative rounding.
    let var_rg = (ss_rg / n - m_rg * m_rg).max(0.0);
    let var_yb = (ss_yb / n - m_yb * m_yb).max(0.0);
    (var_rg + var_yb).sqrt() + 0.3 * (m_rg * m_rg + m_yb * m_yb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_is_zero_and_red_green_halves_match_the_closed_form() {
        let grey = Image::from_fn_rgb(8, 8, |_, _| [0.18; 3]);
        assert!(colourfulness(&grey).abs() < 1e-9);
        // Half pure red, half pure green: rg = ±255 (σ 255, μ 0), yb = 127.5 (σ 0, μ 127.5).
        let rg = Image::from_fn_rgb(8, 8, |x, _| {
            if x < 4 {
                [1.0, 0.0, 0.0]
            } else {
                [0.0, 1.0, 0.0]
            }
        });
        assert!((colourfulness(&rg) - (255.0 + 0.3 * 127.5)).abs() < 1e-3);
    }
}
