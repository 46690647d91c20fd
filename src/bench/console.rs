//! `tinct bench console`.

use super::BenchOpts;

pub fn run(_opts: &BenchOpts) -> anyhow::Result<()> {
    anyhow::bail!("benchmark 'console' is not available in this build yet")
}
