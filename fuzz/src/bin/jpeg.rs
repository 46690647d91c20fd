//! Fuzz the JPEG reader: `tinct_core::media::read` and `probe` on a `.jpg` file.
fn main() {
    tinct_fuzz::fuzz_media("jpeg", "jpg");
}
