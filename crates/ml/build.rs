//! Link libtorch so that `target/*/tinct` runs without environment variables, and so that CUDA
//! is really used when present.
//!
//! * torch-sys tells dependants where libtorch lives (`DEP_TCH_LIBTORCH_LIB`); we bake that
//!   directory into the binary's rpath. The pip wheel's own libraries carry rpaths to the
//!   `nvidia/*` wheels next to them, so one rpath entry is enough.
//! * The linker drops libraries whose symbols are never referenced (`--as-needed`). Nothing in
//!   our code references `libtorch_cuda.so` directly: its kernels register themselves in static
//!   initialisers. Without `--no-as-needed` the CUDA backend is silently absent and every tensor
//!   stays on the CPU.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Some(lib) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") {
        let lib = lib.to_string_lossy();
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
        println!("cargo:rustc-env=TINCT_LIBTORCH_LIB={lib}");
        // The pip wheel's torch/version.py names the exact libtorch build (e.g. 2.11.0+cu130).
        let version_py = std::path::Path::new(&*lib).join("../version.py");
        let version = std::fs::read_to_string(&version_py)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("__version__"))
                    .and_then(|l| l.split('\'').nth(1).map(str::to_owned))
            })
            .unwrap_or_else(|| "unknown".into());
        println!("cargo:rustc-env=TINCT_LIBTORCH_VERSION={version}");
        let has_cuda = std::path::Path::new(&*lib)
            .join("libtorch_cuda.so")
            .exists();
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        if has_cuda {
            println!("cargo:rustc-link-arg=-ltorch_cuda");
        }
        println!("cargo:rustc-link-arg=-ltorch");
        println!("cargo:rustc-link-arg=-Wl,--as-needed");
    }
}
