//! Named colourspaces.

use super::primaries::{self, Chromaticities};
use super::transfer::Transfer;
use std::fmt;
use std::str::FromStr;

/// Every colourspace tinct reads, writes or converts between. The string ids (`FromStr`,
/// `Display`) are what `tinct.toml` and the CLI accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Colorspace {
    /// Scene-linear, Rec.709/sRGB primaries, D65. The working space.
    LinearRec709,
    /// sRGB primaries, sRGB piecewise transfer (IEC 61966-2-1).
    Srgb,
    /// Rec.709 primaries, BT.1886 display transfer (pure 2.4 gamma).
    Rec709,
    /// Rec.2020 primaries, BT.1886 (2.4) transfer.
    Rec2020,
    /// Rec.2020 primaries, linear.
    LinearRec2020,
    /// DCI-P3 primaries, DCI white, 2.6 gamma.
    DciP3,
    /// P3 primaries, D65 white, 2.6 gamma (the archival/cinema-D65 deliverable).
    P3D65,
    /// P3 primaries, D65 white, sRGB transfer (Apple Display P3).
    DisplayP3,
    /// ACES AP0 primaries, linear.
    Aces2065_1,
    /// ACES AP1 primaries, linear.
    AcesCg,
    /// ACES AP1 primaries, ACEScct log.
    AcesCct,
    /// Cineon printing-density log (10-bit code values 95 black / 685 white), Rec.709 primaries.
    Cineon,
}

impl Colorspace {
    pub const ALL: [Colorspace; 12] = [
        Colorspace::LinearRec709,
        Colorspace::Srgb,
        Colorspace::Rec709,
        Colorspace::Rec2020,
        Colorspace::LinearRec2020,
        Colorspace::DciP3,
        Colorspace::P3D65,
        Colorspace::DisplayP3,
        Colorspace::Aces2065_1,
        Colorspace::AcesCg,
        Colorspace::AcesCct,
        Colorspace::Cineon,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Colorspace::LinearRec709 => "linear-rec709",
            Colorspace::Srgb => "srgb",
            Colorspace::Rec709 => "rec709",
            Colorspace::Rec2020 => "rec2020",
            Colorspace::LinearRec2020 => "linear-rec2020",
            Colorspace::DciP3 => "dci-p3",
            Colorspace::P3D65 => "p3-d65",
            Colorspace::DisplayP3 => "display-p3",
            Colorspace::Aces2065_1 => "aces2065-1",
            Colorspace::AcesCg => "acescg",
            Colorspace::AcesCct => "acescct",
            Colorspace::Cineon => "cineon",
        }
    }

    /// True for spaces whose values are proportional to light.
    pub fn is_linear(self) -> bool {
        self.transfer() == Transfer::Linear
    }
}

impl Colorspace {
    /// Primaries and white point.
    pub fn chromaticities(self) -> Chromaticities {
        match self {
            Colorspace::LinearRec709
            | Colorspace::Srgb
            | Colorspace::Rec709
            | Colorspace::Cineon => primaries::REC709,
            Colorspace::Rec2020 | Colorspace::LinearRec2020 => primaries::REC2020,
            Colorspace::DciP3 => primaries::P3_DCI,
            Colorspace::P3D65 | Colorspace::DisplayP3 => primaries::P3_D65,
            Colorspace::Aces2065_1 => primaries::AP0,
            Colorspace::AcesCg | Colorspace::AcesCct => primaries::AP1,
        }
    }

    /// How encoded values relate to linear light.
    pub fn transfer(self) -> Transfer {
        match self {
            Colorspace::LinearRec709
            | Colorspace::LinearRec2020
            | Colorspace::Aces2065_1
            | Colorspace::AcesCg => Transfer::Linear,
            Colorspace::Srgb | Colorspace::DisplayP3 => Transfer::Srgb,
            Colorspace::Rec709 | Colorspace::Rec2020 => Transfer::Gamma(2.4),
            Colorspace::DciP3 | Colorspace::P3D65 => Transfer::Gamma(2.6),
            Colorspace::AcesCct => Transfer::AcesCct,
            Colorspace::Cineon => Transfer::Cineon,
        }
    }
}

impl fmt::Display for Colorspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown colourspace '{0}' (known: {known})", known = Colorspace::ALL.iter().map(|c| c.id()).collect::<Vec<_>>().join(", "))]
pub struct UnknownColorspace(pub String);

impl FromStr for Colorspace {
    type Err = UnknownColorspace;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match norm.as_str() {
            "linear" | "lin-rec709" | "linear-srgb" | "scene-linear" => "linear-rec709",
            "bt1886" | "rec.709" | "bt709" => "rec709",
            "p3d65" | "p3-d65-gamma26" => "p3-d65",
            "aces" | "ap0" => "aces2065-1",
            "ap1" => "acescg",
            "log" | "printing-density" => "cineon",
            other => other,
        };
        Colorspace::ALL
            .iter()
            .copied()
            .find(|c| c.id() == alias)
            .ok_or_else(|| UnknownColorspace(s.to_owned()))
    }
}

impl TryFrom<String> for Colorspace {
    type Error = UnknownColorspace;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Colorspace> for String {
    fn from(c: Colorspace) -> String {
        c.id().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_aliases_parse() {
        for c in Colorspace::ALL {
            assert_eq!(c.id().parse::<Colorspace>().unwrap(), c);
        }
        assert_eq!("P3D65".parse::<Colorspace>().unwrap(), Colorspace::P3D65);
        let err = "rec601".parse::<Colorspace>().unwrap_err().to_string();
        assert!(err.contains("rec601") && err.contains("p3-d65"), "{err}");
    }
}
