//! Checkpoints: one safetensors file holding the network (`net.<param>`), the optimiser state
//! (`adam.*`), the training step (`meta.step`), the model width (`meta.width`) and the scale it
//! was trained at (`meta.chroma_scale`, 1/N of full size), so a file is self-describing for
//! inference and complete for resuming. A JSON sidecar with the same stem
//! carries the human-readable facts (step, size, validation ΔE00).

use super::adam::Adam;
use super::net::{ChromaNet, ModelSize};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tch::{Device, Tensor, nn};
use tinct_core::project::config::validate::MAX_CHROMA_SCALE;

/// `artifacts/checkpoint.<step:07>.safetensors`.
pub fn path_for(artifacts: &Path, step: u64) -> PathBuf {
    artifacts.join(format!("checkpoint.{step:07}.safetensors"))
}

/// Sidecar of a checkpoint: same stem, `.json`.
pub fn sidecar(ckpt: &Path) -> PathBuf {
    ckpt.with_extension("json")
}

/// What a checkpoint says of its network beyond the weights.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub size: ModelSize,
    pub step: u64,
    /// The working scale it was trained at (1/N of full size).
    pub chroma_scale: usize,
}

/// Save the network, the optimiser and the step (atomically: temp path, then rename).
pub fn save(
    path: &Path,
    vs: &nn::VarStore,
    adam: &Adam,
    meta: Meta,
    info: &serde_json::Value,
) -> anyhow::Result<()> {
    let Meta {
        size,
        step,
        chroma_scale,
    } = meta;
    let mut tensors: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(k, v)| (format!("net.{k}"), v.to_device(Device::Cpu)))
        .collect();
    tensors.extend(
        adam.state()
            .into_iter()
            .map(|(k, v)| (k, v.to_device(Device::Cpu))),
    );
    tensors.push(("meta.step".into(), Tensor::from_slice(&[step as i64])));
    tensors.push((
        "meta.width".into(),
        Tensor::from_slice(&[size.base_width()]),
    ));
    tensors.push((
        "meta.chroma_scale".into(),
        Tensor::from_slice(&[chroma_scale as i64]),
    ));
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    crate::fsx::write_atomic_path(path, |tmp| {
        Tensor::write_safetensors(&tensors, tmp)
            .with_context(|| format!("writing checkpoint {}", tmp.display()))
    })?;
    let mut meta = info.clone();
    if let Some(o) = meta.as_object_mut() {
        o.insert("step".into(), step.into());
        o.insert("model".into(), size.id().into());
        o.insert("chroma_scale".into(), chroma_scale.into());
        o.insert(
            "checkpoint".into(),
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .into(),
        );
    }
    crate::fsx::write_atomic(&sidecar(path), &serde_json::to_vec_pretty(&meta)?)?;
    Ok(())
}

/// A checkpoint read back: every tensor by name.
pub struct Loaded {
    pub tensors: BTreeMap<String, Tensor>,
    pub step: u64,
    pub size: ModelSize,
    /// The working scale the network was trained at (checkpoints from before it: 1).
    pub chroma_scale: usize,
}

pub fn read(path: &Path) -> anyhow::Result<Loaded> {
    let tensors: BTreeMap<String, Tensor> = Tensor::read_safetensors(path)
        .with_context(|| format!("reading checkpoint {}", path.display()))?
        .into_iter()
        .collect();
    let scalar = |k: &str| -> anyhow::Result<i64> {
        Ok(tensors
            .get(k)
            .with_context(|| format!("checkpoint {}: '{k}' missing", path.display()))?
            .int64_value(&[0]))
    };
    let step = scalar("meta.step")? as u64;
    let width = scalar("meta.width")?;
    let size = ModelSize::from_width(width)
        .with_context(|| format!("checkpoint {}: unknown model width {width}", path.display()))?;
    // Checkpoints from before the scale was recorded were trained at full size.
    let chroma_scale = match tensors
        .get("meta.chroma_scale")
        .map(|t| t.int64_value(&[0]))
    {
        None => 1,
        Some(n) if (1..=MAX_CHROMA_SCALE as i64).contains(&n) => n as usize,
        Some(n) => anyhow::bail!(
            "checkpoint {}: 'meta.chroma_scale' is {n}, expected 1 to {MAX_CHROMA_SCALE}",
            path.display()
        ),
    };
    Ok(Loaded {
        tensors,
        step,
        size,
        chroma_scale,
    })
}

impl Loaded {
    /// Points per axis of the stored grade prior (`net.prior_lut`, `[1, 2, n, n, n]`).
    pub fn prior_nodes(&self) -> anyhow::Result<i64> {
        let key = format!("net.{}", super::prior::VAR);
        let t = self.tensors.get(&key).with_context(|| {
            format!("checkpoint has no '{key}' (written by an older tinct: retrain)")
        })?;
        let s = t.size();
        anyhow::ensure!(
            s.len() == 5 && s[..2] == [1, 2] && s[3] == s[2] && s[4] == s[2],
            "checkpoint '{key}' has shape {s:?}, expected [1, 2, n, n, n]"
        );
        Ok(s[2])
    }

    /// Whether the stored network reads position channels (its first layer's input count;
    /// checkpoints from before `train.coords` do not).
    pub fn coords(&self) -> bool {
        self.tensors
            .get("net.e0.weight")
            .is_some_and(|t| ChromaNet::reads_coords(&t.size()))
    }

    /// Copy the network weights into `vs` (built with the same size).
    pub fn load_net(&self, vs: &mut nn::VarStore) -> anyhow::Result<()> {
        tch::no_grad(|| -> anyhow::Result<()> {
            for (name, mut dst) in vs.variables() {
                let src = self
                    .tensors
                    .get(&format!("net.{name}"))
                    .with_context(|| format!("checkpoint has no weights for '{name}'"))?;
                dst.copy_(src);
            }
            Ok(())
        })
    }

    /// Build a network on `device` with these weights, ready for inference.
    pub fn network(&self, device: Device) -> anyhow::Result<(nn::VarStore, ChromaNet)> {
        let mut vs = nn::VarStore::new(device);
        let net =
            ChromaNet::with_prior_nodes(&vs.root(), self.size, self.prior_nodes()?, self.coords());
        self.load_net(&mut vs)?;
        vs.freeze();
        Ok((vs, net))
    }
}

/// The newest checkpoint (highest step) in an artifacts folder.
/// The checkpoint a resume of `run_dir` continues from: the newest one that reads back whole
/// in that run, else in the run it resumed, and so on back (a job killed before its first
/// checkpoint leaves none of its own). A checkpoint cut short by a kill is skipped.
pub fn resumable(run_dir: &Path) -> Option<(PathBuf, Loaded)> {
    let mut dir = run_dir.to_path_buf();
    // Bounded: a chain of resumes is short, and a hand-edited record must not loop forever.
    for _ in 0..10_000 {
        for ckpt in all_in(&dir.join("artifacts")).into_iter().rev() {
            if let Ok(loaded) = read(&ckpt) {
                return Some((ckpt, loaded));
            }
        }
        dir = tinct_core::jobs::record::read(&dir).ok()?.resume_from?;
    }
    None
}

/// The newest checkpoint file in `artifacts` (by step, as the names sort).
pub fn latest_in(artifacts: &Path) -> Option<PathBuf> {
    all_in(artifacts).pop()
}

/// Every checkpoint file in `artifacts`, oldest first.
fn all_in(artifacts: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(artifacts) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            n.starts_with("checkpoint.") && n.ends_with(".safetensors")
        })
        .collect();
    found.sort();
    found
}
