//! Fuzz the SOP parser and validator (`tinct_core::sop::Sop::parse`, behind `Sop::load`).
use std::path::Path;
use tinct_core::sop::Sop;

fn main() {
    let path = Path::new("sop.toml");
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        if let Ok(sop) = Sop::parse(path, &text) {
            // What the checklist does with a loaded SOP.
            let _ = sop.steps().count();
            let _ = sop.structure_digest();
        }
    });
}
