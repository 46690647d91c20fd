//! Fuzz the DPX reader: `tinct_core::media::read` and `probe` on a `.dpx` file.
fn main() {
    tinct_fuzz::fuzz_media("dpx", "dpx");
}
