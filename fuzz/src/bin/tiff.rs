//! Fuzz the TIFF reader: `tinct_core::media::read` and `probe` on a `.tif` file.
fn main() {
    tinct_fuzz::fuzz_media("tiff", "tif");
}
