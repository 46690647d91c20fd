//! `tinct bench io`.

use super::BenchOpts;

pub fn run(_opts: &BenchOpts) -> anyhow::Result<()> {
    anyhow::bail!("benchmark 'io' is not available in this build yet")
}
