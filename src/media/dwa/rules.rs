//! DWA channel classification: which scheme (lossy DCT, RLE, or stored "unknown") each channel
//! uses, and which R/G/B triples are decoded together through Y'CbCr. Version-2 chunks carry
//! their own rule table; older ones use the fixed legacy table below.

use super::header::{Channel, SampleType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Unknown,
    LossyDct,
    Rle,
}

#[derive(Clone, Debug)]
pub struct Rule {
    suffix: String,
    scheme: Scheme,
    sample_code: u8,
    /// 0, 1, 2 for the R, G, B member of a colour triple.
    csc_index: Option<usize>,
    case_insensitive: bool,
}

impl Rule {
    fn matches(&self, suffix: &str, sample: SampleType) -> bool {
        sample.code() == self.sample_code
            && if self.case_insensitive {
                suffix.eq_ignore_ascii_case(&self.suffix)
            } else {
                suffix == self.suffix
            }
    }
}

/// Rules of chunk-format versions 0 and 1.
pub fn legacy() -> Vec<Rule> {
    let mut rules = Vec::new();
    let names: [(&[&str], Scheme, Option<usize>); 7] = [
        (&["r", "red"], Scheme::LossyDct, Some(0)),
        (&["g", "grn", "green"], Scheme::LossyDct, Some(1)),
        (&["b", "blu", "blue"], Scheme::LossyDct, Some(2)),
        (&["y"], Scheme::LossyDct, None),
        (&["by"], Scheme::LossyDct, None),
        (&["ry"], Scheme::LossyDct, None),
        (&["a"], Scheme::Rle, None),
    ];
    for (suffixes, scheme, csc_index) in names {
        for s in suffixes {
            let types: &[u8] = if scheme == Scheme::Rle {
                &[0, 1, 2]
            } else {
                &[1, 2]
            };
            for &t in types {
                rules.push(Rule {
                    suffix: s.to_string(),
                    scheme,
                    sample_code: t,
                    csc_index,
                    case_insensitive: true,
                });
            }
        }
    }
    rules
}

/// Parses the rule table at the start of `bytes`; returns the rules and the bytes it used.
pub fn parse(bytes: &[u8]) -> Result<(Vec<Rule>, usize), String> {
    if bytes.len() < 2 {
        return Err("missing channel rule table".into());
    }
    let size = u16::from_le_bytes([bytes[0], bytes[1]]) as usize;
    if size < 2 || size > bytes.len() {
        return Err(format!("channel rule table size {size} is invalid"));
    }
    let mut body = &bytes[2..size];
    let mut rules = Vec::new();
    while !body.is_empty() {
        let nul = body
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated channel rule suffix")?;
        if body.len() < nul + 3 {
            return Err("truncated channel rule".into());
        }
        let suffix = String::from_utf8_lossy(&body[..nul]).into_owned();
        let (value, sample_code) = (body[nul + 1], body[nul + 2]);
        let csc = (value >> 4) as i32 - 1;
        let scheme = match (value >> 2) & 3 {
            0 => Scheme::Unknown,
            1 => Scheme::LossyDct,
            2 => Scheme::Rle,
            s => {
                return Err(format!(
                    "channel rule for {suffix:?} has unknown scheme {s}"
                ));
            }
        };
        if !(-1..3).contains(&csc) || sample_code > 2 {
            return Err(format!("channel rule for {suffix:?} is malformed"));
        }
        rules.push(Rule {
            suffix,
            scheme,
            sample_code,
            csc_index: (csc >= 0).then_some(csc as usize),
            case_insensitive: value & 1 != 0,
        });
        body = &body[nul + 3..];
    }
    Ok((rules, size))
}

pub struct Classification {
    pub schemes: Vec<Scheme>,
    /// Channel indices (R, G, B) decoded together through Y'CbCr, in decode order.
    pub csc_sets: Vec<[usize; 3]>,
}

/// The suffix after the last '.', which is what rules match ("left.R" → "R").
fn split_name(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) => (&name[..i + 1], &name[i + 1..]),
        None => ("", name),
    }
}

pub fn classify(channels: &[Channel], rules: &[Rule]) -> Classification {
    let mut schemes = vec![Scheme::Unknown; channels.len()];
    // Prefixes in first-seen order, each with its candidate R, G, B channel indices.
    let mut prefixes: Vec<(&str, [Option<usize>; 3])> = Vec::new();
    for (c, ch) in channels.iter().enumerate() {
        let (prefix, suffix) = split_name(&ch.name);
        let slot = match prefixes.iter().position(|(p, _)| *p == prefix) {
            Some(i) => i,
            None => {
                prefixes.push((prefix, [None; 3]));
                prefixes.len() - 1
            }
        };
        // Later rules override earlier ones, as in the reference.
        for rule in rules.iter().filter(|r| r.matches(suffix, ch.sample)) {
            schemes[c] = rule.scheme;
            if let Some(i) = rule.csc_index {
                prefixes[slot].1[i] = Some(c);
            }
        }
    }
    let csc_sets = prefixes
        .iter()
        .filter_map(|(_, idx)| Some([idx[0]?, idx[1]?, idx[2]?]))
        .collect();
    Classification { schemes, csc_sets }
}
