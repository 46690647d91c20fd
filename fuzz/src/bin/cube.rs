//! Fuzz the `.cube` 3D LUT parser (`tinct_core::grade::cube::parse`, the text entry point behind
//! `cube::read`; invalid UTF-8 is replaced, as `read` would reject it before parsing).
use std::path::Path;

fn main() {
    let path = Path::new("fuzz.cube");
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        if let Ok(lut) = tinct_core::grade::cube::parse(&text, path) {
            // A LUT the parser accepts must be usable: look up a few colours, and serialise it.
            for rgb in [[0.0, 0.0, 0.0], [0.5, 0.25, 1.0], [-1.0, 2.0, f32::NAN]] {
                let _ = lut.apply(rgb);
            }
            let _ = tinct_core::grade::cube::to_string(&lut, "fuzz", &[]);
        }
    });
}
