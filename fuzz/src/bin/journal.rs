//! Fuzz the experiments-journal parser (`tinct_core::journal::parse`, what `Journal::entries`
//! runs on the file's bytes, lossily decoded as UTF-8).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        for entry in tinct_core::journal::parse(&text) {
            // Round trip: what parses must render again.
            let _ = tinct_core::journal::render(&entry, "\n");
        }
    });
}
