//! Transfer functions: encoded value ↔ linear light, one channel at a time.
//!
//! Power-law curves are mirrored through zero (`f(-x) = -f(x)`) so out-of-gamut negative values
//! survive a round trip instead of turning into NaN.

/// How code values relate to linear light.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transfer {
    Linear,
    /// IEC 61966-2-1 piecewise sRGB curve.
    Srgb,
    /// Pure power law `V = L^(1/γ)` (BT.1886 with zero black: γ 2.4; DCI: γ 2.6).
    Gamma(f32),
    /// ACEScct (S-2016-001): log with a linear toe.
    AcesCct,
    /// Kodak Cineon printing density, normalised 10-bit code values (code / 1023).
    Cineon,
}

/// Cineon reference white and black code values, density per code value and negative gamma.
mod cineon {
    pub const WHITE: f32 = 685.0;
    pub const BLACK: f32 = 95.0;
    /// `0.002 density / code ÷ 0.6 negative gamma`: log10 exposure per code value.
    pub const LOG_PER_CODE: f32 = 0.002 / 0.6;
    /// Linear light of code 95 before the offset is removed: `10^((95 - 685) · 0.002/0.6)`.
    pub fn black_offset() -> f32 {
        10f32.powf((BLACK - WHITE) * LOG_PER_CODE)
    }
}

mod acescct {
    pub const A: f32 = 10.540_237;
    pub const B: f32 = 0.072_905_53;
    pub const X_BREAK: f32 = 0.0078125;
    pub const Y_BREAK: f32 = 0.155_251_15;
    /// Largest half-float value: ACEScct saturates there.
    pub const HALF_MAX: f32 = 65504.0;
}

#[inline]
fn mirror(v: f32, f: impl Fn(f32) -> f32) -> f32 {
    if v < 0.0 { -f(-v) } else { f(v) }
}

impl Transfer {
    /// Encoded value → linear light.
    #[inline]
    pub fn decode(self, v: f32) -> f32 {
        match self {
            Transfer::Linear => v,
            Transfer::Srgb => mirror(v, |v| {
                if v <= 0.04045 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            }),
            Transfer::Gamma(g) => mirror(v, |v| v.powf(g)),
            Transfer::AcesCct => {
                if v <= acescct::Y_BREAK {
                    (v - acescct::B) / acescct::A
                } else {
                    (v * 17.52 - 9.72).exp2().min(acescct::HALF_MAX)
                }
            }
            Transfer::Cineon => {
                let off = cineon::black_offset();
                let code = v * 1023.0;
                (10f32.powf((code - cineon::WHITE) * cineon::LOG_PER_CODE) - off) / (1.0 - off)
            }
        }
    }

    /// Linear light → encoded value.
    #[inline]
    pub fn encode(self, l: f32) -> f32 {
        match self {
            Transfer::Linear => l,
            Transfer::Srgb => mirror(l, |l| {
                if l <= 0.003_130_8 {
                    l * 12.92
                } else {
                    1.055 * l.powf(1.0 / 2.4) - 0.055
                }
            }),
            Transfer::Gamma(g) => mirror(l, |l| l.powf(1.0 / g)),
            Transfer::AcesCct => {
                if l <= acescct::X_BREAK {
                    acescct::A * l + acescct::B
                } else {
                    (l.log2() + 9.72) / 17.52
                }
            }
            Transfer::Cineon => {
                let off = cineon::black_offset();
                // Below the film base (negative light after the offset) the log is undefined;
                // clamp to a density far below black so the code stays finite.
                let arg = (l * (1.0 - off) + off).max(1e-10);
                (cineon::WHITE + arg.log10() / cineon::LOG_PER_CODE) / 1023.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srgb_known_values() {
        let t = Transfer::Srgb;
        assert!((t.decode(0.5) - 0.214_041_14).abs() < 1e-6);
        assert!((t.encode(0.18) - 0.461_356_3).abs() < 1e-6);
        assert!((t.decode(0.04045) - 0.04045 / 12.92).abs() < 1e-9);
        assert_eq!(t.decode(1.0), 1.0);
        assert_eq!(t.encode(-0.18), -t.encode(0.18));
    }

    #[test]
    fn cineon_reference_points() {
        let t = Transfer::Cineon;
        assert!((t.decode(685.0 / 1023.0) - 1.0).abs() < 1e-6);
        assert!(t.decode(95.0 / 1023.0).abs() < 1e-6);
        assert!((t.encode(1.0) * 1023.0 - 685.0).abs() < 1e-3);
        assert!((t.encode(0.0) * 1023.0 - 95.0).abs() < 1e-3);
        // Mid grey 0.18 sits near code 470 in the offset-corrected convention.
        let code = t.encode(0.18) * 1023.0;
        assert!((code - 470.0).abs() < 3.0, "{code}");
    }

    #[test]
    fn acescct_reference_points() {
        let t = Transfer::AcesCct;
        // S-2016-001: 0.18 → 0.4135884; 0 → 0.0729055.
        assert!((t.encode(0.18) - 0.413_588_4).abs() < 1e-6);
        assert!((t.encode(0.0) - 0.072_905_53).abs() < 1e-7);
        assert!((t.decode(t.encode(0.18)) - 0.18).abs() < 1e-6);
    }

    #[test]
    fn every_transfer_round_trips() {
        for t in [
            Transfer::Linear,
            Transfer::Srgb,
            Transfer::Gamma(2.4),
            Transfer::Gamma(2.6),
            Transfer::AcesCct,
            Transfer::Cineon,
        ] {
            for &l in &[0.0f32, 1e-4, 0.0031, 0.01, 0.18, 0.5, 1.0, 4.0, 16.0] {
                let back = t.decode(t.encode(l));
                assert!((back - l).abs() <= 1e-5 * l.max(1.0), "{t:?} {l} -> {back}");
            }
        }
    }
}
