//! `tinct bench jobs`.

use super::BenchOpts;

pub fn run(_opts: &BenchOpts) -> anyhow::Result<()> {
    anyhow::bail!("benchmark 'jobs' is not available in this build yet")
}
