//! Every colourspace conversion checked against colour-science (python peer): its primaries,
//! whites, Bradford adaptation and transfer functions, computed independently of tinct's tables.

use std::process::Command;
use tinct::color::{Colorspace, from_linear, to_linear};

const SAMPLES: [[f32; 3]; 6] = [
    [0.18, 0.18, 0.18],
    [0.5, 0.25, 0.1],
    [0.05, 0.3, 0.6],
    [0.9, 0.85, 0.4],
    [0.002, 0.004, 0.003],
    [2.5, 1.8, 1.2],
];

#[test]
fn every_colourspace_matches_colour_science() {
    let script = r#"
import json, sys, numpy as np, colour
from colour.adaptation import matrix_chromatic_adaptation_VonKries as cat
from colour.models import (eotf_inverse_sRGB, eotf_inverse_BT1886, gamma_function,
                           log_encoding_ACEScct, log_encoding_Cineon)
S = colour.RGB_COLOURSPACES
src = S['ITU-R BT.709']
def matrix(dst):
    npm = colour.normalised_primary_matrix
    w = lambda xy: colour.xy_to_XYZ(xy)
    m = cat(w(src.whitepoint), w(dst.whitepoint), transform='Bradford')
    return np.linalg.inv(npm(dst.primaries, dst.whitepoint)) @ m @ npm(src.primaries, src.whitepoint)
lin = lambda x: x
g = lambda p: (lambda x: gamma_function(x, 1.0 / p))
spaces = {
    'linear-rec709': ('ITU-R BT.709', lin),
    'srgb': ('ITU-R BT.709', eotf_inverse_sRGB),
    'rec709': ('ITU-R BT.709', lambda x: eotf_inverse_BT1886(x, L_B=0, L_W=1)),
    'rec2020': ('ITU-R BT.2020', lambda x: eotf_inverse_BT1886(x, L_B=0, L_W=1)),
    'linear-rec2020': ('ITU-R BT.2020', lin),
    'dci-p3': ('DCI-P3', g(2.6)),
    'p3-d65': ('P3-D65', g(2.6)),
    'display-p3': ('Display P3', eotf_inverse_sRGB),
    'aces2065-1': ('ACES2065-1', lin),
    'acescg': ('ACEScg', lin),
    'acescct': ('ACEScct', log_encoding_ACEScct),
    'cineon': ('ITU-R BT.709', log_encoding_Cineon),
}
rgb = np.array(json.loads(sys.argv[1]), dtype=np.float64)
out = {}
for cs, (name, encode) in spaces.items():
    out[cs] = np.asarray(encode(rgb @ matrix(S[name]).T)).tolist()
print(json.dumps(out))
"#;
    let python = std::env::var("TINCT_PYTHON").unwrap_or_else(|_| "python3".into());
    let samples = serde_json::to_string(&SAMPLES).unwrap();
    let out = Command::new(&python)
        .args(["-c", script, &samples])
        .output()
        .unwrap_or_else(|e| panic!("python peer '{python}' not runnable ({e}); set TINCT_PYTHON to a python with colour-science"));
    assert!(
        out.status.success(),
        "python peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    for cs in Colorspace::ALL {
        let want = peer[cs.id()]
            .as_array()
            .unwrap_or_else(|| panic!("peer has no {cs}"));
        for (s, w) in SAMPLES.iter().zip(want) {
            let got = from_linear(cs, *s);
            for c in 0..3 {
                let w = w[c].as_f64().unwrap() as f32;
                assert!(
                    (got[c] - w).abs() <= 2e-5 * w.abs().max(1.0),
                    "{cs}: {s:?} → {got:?}, colour-science {w} (channel {c})"
                );
            }
            let back = to_linear(cs, got);
            for c in 0..3 {
                assert!(
                    (back[c] - s[c]).abs() <= 2e-5 * s[c].max(1.0),
                    "{cs}: round trip {s:?} → {back:?}"
                );
            }
        }
    }
}
