//! The Python peers (OpenImageIO, numpy) the interop tests run, from `$TINCT_PYTHON` (the
//! virtualenv `scripts/dev` fills), and the raw little-endian f32 files they hand back.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

pub fn python() -> String {
    std::env::var("TINCT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Run a python snippet with OpenImageIO; fail loudly if the peer is missing.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (set TINCT_PYTHON to a python with OpenImageIO): {e}",
                python()
            )
        });
    assert!(
        out.status.success(),
        "python peer failed (needs OpenImageIO and numpy; set TINCT_PYTHON):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A file of little-endian f32 samples (numpy's `astype("<f4").tofile`).
pub fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// OpenImageIO reads `argv[1]` to `argv[1].f32` (float, interleaved) and prints its spec as JSON:
/// size, channels, compression and the DPX attributes (empty where the format has none).
pub const OIIO_READ: &str = r#"
import sys, json, OpenImageIO as oiio
path = sys.argv[1]
i = oiio.ImageInput.open(path)
assert i, oiio.geterror()
s = i.spec()
i.read_image("float").astype("<f4").tofile(path + ".f32")
print(json.dumps({"w": s.width, "h": s.height, "nch": s.nchannels,
    "channels": list(s.channelnames), "compression": s.get_string_attribute("compression"),
    "bits": s.get_int_attribute("oiio:BitsPerSample"),
    "transfer": s.get_string_attribute("dpx:Transfer"),
    "packing": s.get_string_attribute("dpx:Packing")}))
"#;
