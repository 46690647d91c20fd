//! `tinct bench ml`.

use super::BenchOpts;

pub fn run(_opts: &BenchOpts) -> anyhow::Result<()> {
    anyhow::bail!("benchmark 'ml' is not available in this build yet")
}
