//! The last few minutes of samples, one ring per plotted series.

use super::ring::Ring;
use super::sample::Sample;

/// Ten minutes at one sample per second.
pub const DEFAULT_CAPACITY: usize = 600;

#[derive(Clone, Debug)]
pub struct GpuHistory {
    pub index: u32,
    pub name: Option<String>,
    pub util: Ring<f32>,
    pub mem_pct: Ring<f32>,
    pub temp: Ring<f32>,
    pub power: Ring<f32>,
}

/// Series for the sparklines plus the latest full sample (for the numbers beside them).
#[derive(Clone, Debug)]
pub struct History {
    pub cpu: Ring<f32>,
    pub mem_pct: Ring<f32>,
    pub gpus: Vec<GpuHistory>,
    pub latest: Option<Sample>,
    /// "no NVIDIA GPU: <reason>" when NVML is not usable.
    pub gpu_note: Option<String>,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl History {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            cpu: Ring::new(capacity),
            mem_pct: Ring::new(capacity),
            gpus: Vec::new(),
            latest: None,
            gpu_note: None,
            capacity,
        }
    }

    /// Missing values are not pushed: a gap in a sparkline is better than a fake zero.
    pub fn push(&mut self, s: Sample) {
        if let Some(v) = s.cpu_pct {
            self.cpu.push(v);
        }
        if let Some(v) = s.mem_pct() {
            self.mem_pct.push(v);
        }
        for g in &s.gpus {
            let pos = match self.gpus.iter().position(|h| h.index == g.index) {
                Some(p) => p,
                None => {
                    let c = self.capacity;
                    self.gpus.push(GpuHistory {
                        index: g.index,
                        name: g.name.clone(),
                        util: Ring::new(c),
                        mem_pct: Ring::new(c),
                        temp: Ring::new(c),
                        power: Ring::new(c),
                    });
                    self.gpus.len() - 1
                }
            };
            let h = &mut self.gpus[pos];
            if let Some(v) = g.util_pct {
                h.util.push(v as f32);
            }
            if let Some(v) = g.mem_pct() {
                h.mem_pct.push(v);
            }
            if let Some(v) = g.temp_c {
                h.temp.push(v as f32);
            }
            if let Some(v) = g.power_w {
                h.power.push(v);
            }
        }
        self.latest = Some(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::GpuSample;

    #[test]
    fn missing_values_leave_gaps_not_zeros() {
        let mut h = History::with_capacity(4);
        h.push(Sample {
            cpu_pct: Some(10.0),
            ..Default::default()
        });
        h.push(Sample {
            cpu_pct: None,
            gpus: vec![GpuSample {
                index: 0,
                util_pct: Some(50),
                ..Default::default()
            }],
            ..Default::default()
        });
        assert_eq!(h.cpu.len(), 1);
        assert_eq!(h.gpus.len(), 1);
        assert_eq!(h.gpus[0].util.last(), Some(&50.0));
        assert!(h.gpus[0].temp.is_empty());
    }
}
