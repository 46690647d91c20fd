//! CIE 1931 xy chromaticities of the primaries and white points tinct knows.
//!
//! Every RGB↔XYZ matrix in the crate is *derived* from these numbers (see `matrix.rs`), never
//! typed in, so a colourspace is fully described by four xy pairs plus a transfer function.

/// A CIE 1931 chromaticity (x, y).
pub type Xy = [f64; 2];

/// The chromaticities of an RGB colourspace: three primaries and the white point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chromaticities {
    pub red: Xy,
    pub green: Xy,
    pub blue: Xy,
    pub white: Xy,
}

/// White points.
pub mod white {
    use super::Xy;
    /// CIE standard illuminant D65 (as specified in ITU-R BT.709 / BT.2020 / IEC 61966-2-1).
    pub const D65: Xy = [0.3127, 0.3290];
    /// The DCI projector white (SMPTE RP 431-2), greenish compared with D65.
    pub const DCI: Xy = [0.314, 0.351];
    /// The ACES white (SMPTE ST 2065-1), close to but not exactly CIE D60.
    pub const ACES: Xy = [0.32168, 0.33767];
}

/// ITU-R BT.709 / sRGB.
pub const REC709: Chromaticities = Chromaticities {
    red: [0.640, 0.330],
    green: [0.300, 0.600],
    blue: [0.150, 0.060],
    white: white::D65,
};

/// ITU-R BT.2020.
pub const REC2020: Chromaticities = Chromaticities {
    red: [0.708, 0.292],
    green: [0.170, 0.797],
    blue: [0.131, 0.046],
    white: white::D65,
};

/// SMPTE RP 431-2 P3 primaries with the DCI white.
pub const P3_DCI: Chromaticities = Chromaticities {
    red: [0.680, 0.320],
    green: [0.265, 0.690],
    blue: [0.150, 0.060],
    white: white::DCI,
};

/// P3 primaries with a D65 white (P3-D65, Display P3).
pub const P3_D65: Chromaticities = Chromaticities {
    white: white::D65,
    ..P3_DCI
};

/// ACES AP0 (SMPTE ST 2065-1): encloses the whole spectral locus.
pub const AP0: Chromaticities = Chromaticities {
    red: [0.7347, 0.2653],
    green: [0.0000, 1.0000],
    blue: [0.0001, -0.0770],
    white: white::ACES,
};

/// ACES AP1 (ACEScg / ACEScct working primaries).
pub const AP1: Chromaticities = Chromaticities {
    red: [0.713, 0.293],
    green: [0.165, 0.830],
    blue: [0.128, 0.044],
    white: white::ACES,
};
