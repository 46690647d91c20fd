//! Fuzz the `tinct.toml` parser (`tinct_core::project::parse_config`).
use std::path::Path;

fn main() {
    let path = Path::new("tinct.toml");
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        let _ = tinct_core::project::parse_config(path, &text);
    });
}
