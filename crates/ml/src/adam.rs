//! Adam (Kingma & Ba 2015) written over the VarStore's tensors, so its state (first and second
//! moments, step count) is plain named tensors that a checkpoint saves and a resume restores:
//! `tch`'s built-in optimizer keeps its state inside libtorch where we cannot serialise it.

use std::collections::BTreeMap;
use tch::{Tensor, nn};

pub struct Adam {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Optimiser steps taken (the bias correction depends on it).
    pub t: i64,
    /// Parameter name → (parameter, first moment, second moment); sorted by name.
    slots: BTreeMap<String, (Tensor, Tensor, Tensor)>,
}

impl Adam {
    pub fn new(vs: &nn::VarStore) -> Adam {
        let slots = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .map(|(name, p)| {
                let m = p.zeros_like();
                let v = p.zeros_like();
                (name, (p, m, v))
            })
            .collect();
        Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            slots,
        }
    }

    pub fn zero_grad(&mut self) {
        for (p, _, _) in self.slots.values_mut() {
            p.zero_grad();
        }
    }

    /// One update with learning rate `lr` from the gradients currently held.
    pub fn step(&mut self, lr: f64) {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t as i32);
        let bc2 = 1.0 - self.beta2.powi(self.t as i32);
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        tch::no_grad(|| {
            for (p, m, v) in self.slots.values_mut() {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                let _ = m.g_mul_scalar_(b1);
                let _ = m.g_add_(&(&g * (1.0 - b1)));
                let _ = v.g_mul_scalar_(b2);
                let _ = v.g_add_(&(&g * &g * (1.0 - b2)));
                let denom = (v.shallow_clone() / bc2).sqrt() + eps;
                let _ = p.g_sub_(&((m.shallow_clone() / denom) * (lr / bc1)));
            }
        });
    }

    /// The state as named tensors (`adam.m.<param>`, `adam.v.<param>`, `adam.t`).
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.slots.len() + 1);
        for (name, (_, m, v)) in &self.slots {
            out.push((format!("adam.m.{name}"), m.shallow_clone()));
            out.push((format!("adam.v.{name}"), v.shallow_clone()));
        }
        out.push(("adam.t".into(), Tensor::from_slice(&[self.t])));
        out
    }

    /// Restore moments and step count from `tensors` (as read from a checkpoint).
    pub fn load_state(&mut self, tensors: &BTreeMap<String, Tensor>) -> anyhow::Result<()> {
        for (name, (_, m, v)) in self.slots.iter_mut() {
            for (key, dst) in [(format!("adam.m.{name}"), m), (format!("adam.v.{name}"), v)] {
                let src = tensors
                    .get(&key)
                    .ok_or_else(|| anyhow::anyhow!("optimizer state '{key}' missing"))?;
                tch::no_grad(|| dst.copy_(src));
            }
        }
        let t = tensors
            .get("adam.t")
            .ok_or_else(|| anyhow::anyhow!("optimizer step 'adam.t' missing"))?;
        self.t = t.int64_value(&[0]);
        Ok(())
    }

    /// L2 norm of all first moments (tests compare it across a save/load).
    pub fn moment_norm(&self) -> f64 {
        self.slots
            .values()
            .map(|(_, m, _)| m.square().sum(tch::Kind::Double).double_value(&[]))
            .sum::<f64>()
            .sqrt()
    }
}
