//! `tinct bench grade`.

use super::BenchOpts;

pub fn run(_opts: &BenchOpts) -> anyhow::Result<()> {
    anyhow::bail!("benchmark 'grade' is not available in this build yet")
}
