//! Which libtorch we linked and which device we compute on.

use tinct_core::project::config::Device;

/// libtorch version baked in at build time from the wheel's `torch/version.py`.
pub const LIBTORCH_VERSION: &str = env!("TINCT_LIBTORCH_VERSION");

/// `tinct --version` text: our version, libtorch's, and whether CUDA is usable here.
pub fn version_text() -> String {
    let cuda = if tch::Cuda::is_available() {
        format!(
            "CUDA available ({} device(s), cuDNN {})",
            tch::Cuda::device_count(),
            tch::Cuda::cudnn_is_available()
        )
    } else {
        "CUDA not available (CPU only)".to_owned()
    };
    format!(
        "tinct {}\nlibtorch {LIBTORCH_VERSION}\n{cuda}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Pick the compute device: `auto` = first CUDA device if usable, else CPU. Every caller logs
/// the choice in its run's log (once), because a silently CPU-bound training run is the classic
/// libtorch mistake.
pub fn select(pref: Device) -> anyhow::Result<tch::Device> {
    let dev = match pref {
        Device::Auto => tch::Device::cuda_if_available(),
        Device::Cpu => tch::Device::Cpu,
        Device::Cuda(idx) => {
            anyhow::ensure!(
                tch::Cuda::is_available(),
                "device '{pref}' requested but CUDA is not available"
            );
            tch::Device::Cuda(idx)
        }
    };
    Ok(dev)
}

pub fn describe(dev: tch::Device) -> String {
    match dev {
        tch::Device::Cpu => format!("cpu ({} threads; CUDA not in use)", tch::get_num_threads()),
        tch::Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}"),
    }
}
