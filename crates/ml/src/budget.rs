//! `train.steps = auto` on a CPU keeps to `train.auto-minutes` as the run goes.
//!
//! The step count is chosen from the speed of the first 25 steps, and a shared machine's speed
//! changes. Measured: a build running during those steps made `auto` choose 300 steps (0.7
//! steps/s) for a run that then went at 11 steps/s and ended in 1.7 of its 7 minutes (validation
//! 2.066 where 2000 steps reach ~1.9); a CI run starting after them stretched 650 steps chosen
//! for 7 minutes to 13.3. So every [`RECHECK`] steps the speed is measured again and the total
//! refitted to what the budget still buys at it: shortened whenever the plan would overrun by
//! more than [`SLACK`], lengthened only in the first quarter of the run (or its first 100
//! steps) and by more than a quarter (the learning-rate schedule is planned on the total: late or small changes would
//! only bend it).

use std::time::Instant;

/// Steps between two measurements of the speed.
pub const RECHECK: u64 = 50;
/// A run may still be lengthened in its first quarter or its first this many steps.
const EARLY_STEPS: u64 = 2 * RECHECK;
/// How far past the budget a plan may run before it is cut (noise in the speed).
const SLACK: f64 = 1.05;

/// The time budget of one run and where its latest speed measurement started.
pub struct Budget {
    seconds: f64,
    mark: (Instant, u64),
}

impl Budget {
    pub fn new(minutes: f64, step: u64) -> Budget {
        Budget {
            seconds: minutes * 60.0,
            mark: (Instant::now(), step),
        }
    }

    /// Restart the speed measurement at `step` (after time that is not training, e.g. a
    /// validation, so it does not count as slowness).
    pub fn restart(&mut self, step: u64) {
        self.mark = (Instant::now(), step);
    }

    /// At `step` of a run planned to `total`, `elapsed_s` into it: the total the budget buys at
    /// the speed since the last mark (and that speed, in steps/s) when it should replace the
    /// plan ([`refit`]).
    pub fn recheck(
        &mut self,
        step: u64,
        total: u64,
        elapsed_s: f64,
        limits: (u64, u64),
    ) -> Option<(u64, f64)> {
        let (since, from) = self.mark;
        if step < from + RECHECK {
            return None;
        }
        let rate = (step - from) as f64 / since.elapsed().as_secs_f64().max(1e-9);
        self.restart(step);
        refit(self.seconds, elapsed_s, step, total, rate, limits).map(|t| (t, rate))
    }
}

/// The total that ends within `budget_s` at `steps_per_s` from `step` (`elapsed_s` already
/// spent), within `limits` (the floor and the cap of an auto run) and never below `step`, when
/// it should replace `total`: the plan would overrun by more than [`SLACK`], or it is still in
/// its first quarter (or first [`EARLY_STEPS`]) and the budget buys more than a quarter more.
pub fn refit(
    budget_s: f64,
    elapsed_s: f64,
    step: u64,
    total: u64,
    steps_per_s: f64,
    (floor, cap): (u64, u64),
) -> Option<u64> {
    if step >= total || steps_per_s.is_nan() || steps_per_s <= 0.0 {
        return None;
    }
    let more = ((budget_s - elapsed_s).max(0.0) * steps_per_s) as u64;
    let fit = (step + more).clamp(floor, cap).max(step);
    let projected = elapsed_s + (total - step) as f64 / steps_per_s;
    let overrun = projected > budget_s * SLACK && fit < total;
    let early = step * 4 <= total.max(EARLY_STEPS * 4);
    let early_and_faster = early && fit * 4 > total * 5;
    (overrun || early_and_faster).then_some(fit)
}

#[cfg(test)]
mod tests {
    use super::refit;

    #[test]
    fn a_run_whose_machine_changes_speed_is_refitted_to_its_budget() {
        let limits = (200, 2000);
        // 420 s budget, 2000 steps planned; at step 500 after 100 s the machine now does
        // 2 steps/s: 1500 more would take 750 s. 320 s left buys 640 steps.
        assert_eq!(refit(420.0, 100.0, 500, 2000, 2.0, limits), Some(1140));
        // On time (or within 5 %): the plan stands.
        assert_eq!(refit(420.0, 100.0, 500, 2000, 4.8, limits), None);
        // Past the budget already: stop now...
        assert_eq!(refit(420.0, 500.0, 900, 2000, 2.0, limits), Some(900));
        // ...but never below the floor of an auto run.
        assert_eq!(refit(420.0, 500.0, 100, 2000, 2.0, limits), Some(200));
        // A probe slowed by a passing build chose 300; at step 75 the machine does 11 steps/s:
        // the budget buys the cap.
        assert_eq!(refit(420.0, 30.0, 75, 300, 11.0, limits), Some(2000));
        // Even from the floor, at the first recheck.
        assert_eq!(refit(420.0, 30.0, 75, 200, 11.0, limits), Some(2000));
        // Faster, but past the first quarter or by too little: the schedule is not bent.
        assert_eq!(refit(420.0, 30.0, 125, 300, 11.0, limits), None);
        assert_eq!(refit(420.0, 30.0, 75, 1900, 5.0, limits), None);
        // Nothing measured: no change.
        assert_eq!(refit(420.0, 100.0, 500, 2000, f64::NAN, limits), None);
    }
}
