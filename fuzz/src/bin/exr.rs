//! Fuzz the EXR reader: `tinct_core::media::read` and `probe` on a `.exr` file.
fn main() {
    tinct_fuzz::fuzz_media("exr", "exr");
}
