//! How a tinct program reports a failed command: the error in one readable line, then each
//! cause on its own line (`tinct` and `tinct-worker` alike).

/// Print `e` and its causes to stderr.
pub fn print_error(e: &anyhow::Error) {
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
