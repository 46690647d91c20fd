//! Learning-rate schedules, all with a linear warm-up.

/// The `train.lr-schedule` choice.
pub use tinct_core::project::config::LrSchedule as Schedule;

/// Learning rate for 0-based `step` of `total`.
pub fn lr_at(kind: Schedule, peak: f64, warmup: u64, step: u64, total: u64) -> f64 {
    if step < warmup {
        return peak * (step + 1) as f64 / warmup as f64;
    }
    let span = total.saturating_sub(warmup).max(1) as f64;
    let t = ((step - warmup) as f64 / span).min(1.0);
    match kind {
        Schedule::Constant => peak,
        Schedule::Cosine => peak * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())),
        Schedule::Step => peak * 0.5f64.powi((t * 3.0).floor().min(2.0) as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_decay() {
        assert!(lr_at(Schedule::Cosine, 1.0, 10, 0, 100) < 0.2);
        assert_eq!(lr_at(Schedule::Cosine, 1.0, 10, 10, 100), 1.0);
        assert!((lr_at(Schedule::Cosine, 1.0, 10, 100, 100) - 0.05).abs() < 1e-9);
        assert_eq!(lr_at(Schedule::Step, 1.0, 0, 99, 100), 0.25);
    }
}
