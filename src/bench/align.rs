//! `tinct bench align`.

use super::BenchOpts;

pub fn run(_opts: &BenchOpts) -> anyhow::Result<()> {
    anyhow::bail!("benchmark 'align' is not available in this build yet")
}
