//! Stage `train`: fit the chroma network on the prepared pairs (see `ml::trainer`).
//!
//! Writes into the run folder: `metrics.jsonl` (step, loss, lr, images/s, elapsed, ETA and the
//! validation ΔE00 at every checkpoint), `artifacts/checkpoint.NNNNNNN.safetensors` (+ `.json`),
//! `artifacts/contact.NNNNNNN.png`, `artifacts/train_setup.json` and `best.json`.

use super::{Ctx, Outcome};
use crate::trainer;

/// Train; a resumed job (`ctx.resume_from`) continues from that run's latest checkpoint.
pub fn run(ctx: &Ctx) -> anyhow::Result<Outcome> {
    run_from(ctx, ctx.resume_from.as_deref())
}

/// Train, continuing from the latest checkpoint of `resume` (a run folder or a checkpoint).
pub fn run_from(ctx: &Ctx, resume: Option<&std::path::Path>) -> anyhow::Result<Outcome> {
    let r = trainer::train(ctx, resume)?;
    let best = r.best.as_ref();
    let verb = if r.cancelled {
        "cancelled at"
    } else {
        "trained to"
    };
    let summary = format!(
        "{verb} step {}/{} ({} model, {:.2} M params, batch {}), loss {:.4} → {:.4}{}",
        r.steps_done,
        r.total_steps,
        r.model,
        r.parameters as f64 / 1e6,
        r.batch_size,
        r.first_loss,
        r.final_loss,
        best.and_then(|b| b
            .val_de00_mean
            .map(|m| format!(", best validation ΔE00 {m:.2} at step {}", b.step)))
            .unwrap_or_default()
    );
    let mut outputs: Vec<std::path::PathBuf> = r.last_checkpoint.iter().cloned().collect();
    outputs.push(ctx.run_dir.join(trainer::BEST_FILE));
    Ok(Outcome {
        summary,
        outputs,
        metrics: serde_json::to_value(&r)?,
    })
}
