//! Fuzz the PNG reader: `tinct_core::media::read` and `probe` on a `.png` file.
fn main() {
    tinct_fuzz::fuzz_media("png", "png");
}
