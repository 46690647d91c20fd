//! ASC CDL: slope, offset, power per channel, then saturation with Rec.709 luma weights, on
//! grading-encoded values. Applied like OpenColorIO's default CDL style (`CDL_NO_CLAMP`, what
//! Nuke's OCIOCDLTransform uses): no clamping, and the power leaves negative values as they are.
//! Inside 0..1 this agrees with the clamping ASC v1.2 style that Resolve applies.
//! Fitted by Levenberg–Marquardt; written as `.cc` and `.cdl` XML for Resolve, Nuke
//! (OCIOCDLTransform) and OpenColorIO.

use super::Samples;
use crate::fsx;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Cdl {
    pub slope: [f32; 3],
    pub offset: [f32; 3],
    pub power: [f32; 3],
    pub saturation: f32,
}

impl Default for Cdl {
    fn default() -> Self {
        Cdl {
            slope: [1.0; 3],
            offset: [0.0; 3],
            power: [1.0; 3],
            saturation: 1.0,
        }
    }
}

const LUMA: [f32; 3] = [0.2126, 0.7152, 0.0722];

impl Cdl {
    pub fn apply(&self, p: [f32; 3]) -> [f32; 3] {
        let sop: [f32; 3] = std::array::from_fn(|c| {
            let v = p[c] * self.slope[c] + self.offset[c];
            if v > 0.0 { v.powf(self.power[c]) } else { v }
        });
        let luma: f32 = (0..3).map(|c| LUMA[c] * sop[c]).sum();
        sop.map(|v| luma + self.saturation * (v - luma))
    }

    fn params(&self) -> [f64; 10] {
        let mut p = [0f64; 10];
        for c in 0..3 {
            p[c] = self.slope[c] as f64;
            p[3 + c] = self.offset[c] as f64;
            p[6 + c] = self.power[c] as f64;
        }
        p[9] = self.saturation as f64;
        p
    }

    fn from_params(p: &[f64; 10]) -> Cdl {
        Cdl {
            slope: std::array::from_fn(|c| p[c].max(0.0) as f32),
            offset: std::array::from_fn(|c| p[3 + c] as f32),
            power: std::array::from_fn(|c| p[6 + c].clamp(0.05, 20.0) as f32),
            saturation: p[9].max(0.0) as f32,
        }
    }

    /// Fit on encoded samples (at most a few tens of thousands are needed: 10 parameters).
    pub fn fit(enc: &Samples) -> Cdl {
        let s = enc.thinned(20_000);
        let residuals = |cdl: &Cdl, out: &mut Vec<f64>| {
            out.clear();
            for (x, y) in s.src.iter().zip(&s.dst) {
                let o = cdl.apply(*x);
                out.extend((0..3).map(|c| (o[c] - y[c]) as f64));
            }
        };
        let cost = |r: &Vec<f64>| r.iter().map(|v| v * v).sum::<f64>();
        let mut p = Cdl::default().params();
        let mut r = Vec::new();
        residuals(&Cdl::from_params(&p), &mut r);
        let mut c0 = cost(&r);
        let mut damping = 1e-3;
        let mut jac = vec![vec![0f64; r.len()]; 10];
        let mut rp = Vec::new();
        for _ in 0..60 {
            // Numeric Jacobian, one column per parameter.
            for k in 0..10 {
                let mut q = p;
                let h = 1e-4 * q[k].abs().max(1e-2);
                q[k] += h;
                residuals(&Cdl::from_params(&q), &mut rp);
                for (j, (a, b)) in jac[k].iter_mut().zip(rp.iter().zip(&r)) {
                    *j = (a - b) / h;
                }
            }
            let mut jtj = vec![0f64; 100];
            let mut jtr = vec![0f64; 10];
            for a in 0..10 {
                for b in a..10 {
                    let v: f64 = jac[a].iter().zip(&jac[b]).map(|(x, y)| x * y).sum();
                    jtj[a * 10 + b] = v;
                    jtj[b * 10 + a] = v;
                }
                jtr[a] = -jac[a].iter().zip(&r).map(|(x, y)| x * y).sum::<f64>();
            }
            let mut improved = false;
            for _ in 0..8 {
                let mut m = jtj.clone();
                for a in 0..10 {
                    m[a * 10 + a] *= 1.0 + damping;
                    m[a * 10 + a] += 1e-12;
                }
                let step = super::global::solve(10, m, jtr.clone());
                let mut q = p;
                q.iter_mut().zip(&step).for_each(|(q, s)| *q += s);
                residuals(&Cdl::from_params(&q), &mut rp);
                let c1 = cost(&rp);
                if c1 < c0 {
                    p = Cdl::from_params(&q).params();
                    std::mem::swap(&mut r, &mut rp);
                    improved = (c0 - c1) > 1e-10 * c0.max(1e-30);
                    c0 = c1;
                    damping = (damping * 0.3).max(1e-9);
                    break;
                }
                damping *= 10.0;
            }
            if !improved {
                break;
            }
        }
        Cdl::from_params(&p)
    }

    fn correction_xml(&self, id: &str, indent: &str, description: &str) -> String {
        let f = |v: [f32; 3]| format!("{:.6} {:.6} {:.6}", v[0], v[1], v[2]);
        let mut s = String::new();
        let _ = writeln!(s, "{indent}<ColorCorrection id=\"{id}\">");
        let _ = writeln!(s, "{indent}  <SOPNode>");
        let _ = writeln!(s, "{indent}    <Description>{description}</Description>");
        let _ = writeln!(s, "{indent}    <Slope>{}</Slope>", f(self.slope));
        let _ = writeln!(s, "{indent}    <Offset>{}</Offset>", f(self.offset));
        let _ = writeln!(s, "{indent}    <Power>{}</Power>", f(self.power));
        let _ = writeln!(s, "{indent}  </SOPNode>");
        let _ = writeln!(s, "{indent}  <SatNode>");
        let _ = writeln!(
            s,
            "{indent}    <Saturation>{:.6}</Saturation>",
            self.saturation
        );
        let _ = writeln!(s, "{indent}  </SatNode>");
        let _ = writeln!(s, "{indent}</ColorCorrection>");
        s
    }

    /// A `.cc` file: one ColorCorrection.
    pub fn to_cc(&self, id: &str, description: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            self.correction_xml(id, "", description)
        )
    }

    /// A `.cdl` file: a ColorDecisionList holding one decision.
    pub fn to_cdl(&self, id: &str, description: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ColorDecisionList xmlns=\"urn:ASC:CDL:v1.01\">\n  <ColorDecision>\n{}  </ColorDecision>\n</ColorDecisionList>\n",
            self.correction_xml(id, "    ", description)
        )
    }

    /// Write `.cc` or `.cdl` (by extension) atomically.
    pub fn write(&self, path: &Path, id: &str, description: &str) -> anyhow::Result<()> {
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("cdl") => self.to_cdl(id, description),
            _ => self.to_cc(id, description),
        };
        fsx::write_atomic(path, text.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_known_cdl() {
        let truth = Cdl {
            slope: [1.1, 0.9, 1.05],
            offset: [0.02, -0.01, 0.0],
            power: [0.9, 1.1, 1.0],
            saturation: 0.8,
        };
        let mut s = Samples::default();
        for i in 0..3000 {
            let p = [
                ((i * 37) % 101) as f32 / 110.0,
                ((i * 53) % 97) as f32 / 105.0,
                ((i * 11) % 89) as f32 / 95.0,
            ];
            s.src.push(p);
            s.dst.push(truth.apply(p));
        }
        let fit = Cdl::fit(&s);
        for q in [[0.2, 0.4, 0.6], [0.7, 0.3, 0.1]] {
            let (a, b) = (fit.apply(q), truth.apply(q));
            assert!((0..3).all(|c| (a[c] - b[c]).abs() < 2e-3), "{fit:?}");
        }
    }

    #[test]
    fn cc_xml_has_the_asc_nodes() {
        let xml = Cdl::default().to_cc("grade", "test");
        for tag in [
            "<ColorCorrection id=\"grade\">",
            "<Slope>1.000000 1.000000 1.000000</Slope>",
            "<Saturation>1.000000</Saturation>",
        ] {
            assert!(xml.contains(tag), "{xml}");
        }
    }
}
