//! Stage `infer`.

use super::{Ctx, Outcome};

pub fn run(_ctx: &Ctx) -> anyhow::Result<Outcome> {
    anyhow::bail!("stage 'infer' is not available in this build yet")
}
