//! `tinct-worker`: the one binary that links libtorch. The `tinct` app starts it for the torch
//! stages (`worker RUN_DIR`), for its `--version` line (`version`) and for `tinct bench ml` and
//! `tinct bench render`.

use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage: tinct-worker worker RUN_DIR | version | bench-ml|bench-render [--quick] [--footage DIR]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("worker") if args.len() == 2 => tinct_core::jobs::worker::worker_main(
            &PathBuf::from(&args[1]),
            tinct_ml::stages::RUNNER,
        ),
        Some("version") => {
            println!("{}", tinct_ml::device::version_text());
            Ok(0)
        }
        Some("bench-ml") => bench(&args[1..], tinct_ml::bench_ml::run),
        Some("bench-render") => bench(&args[1..], tinct_ml::bench_render::run),
        _ => return usage(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tinct_core::report::print_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// `bench-ml` / `bench-render`: their shared arguments, then the bench.
fn bench(
    args: &[String],
    run: fn(&tinct_core::bench::BenchOpts) -> anyhow::Result<()>,
) -> anyhow::Result<u8> {
    let mut quick = false;
    let mut footage = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--footage" => footage = it.next().map(PathBuf::from),
            other => anyhow::bail!("bench: unknown argument '{other}'"),
        }
    }
    let opts = tinct_core::bench::BenchOpts {
        footage: tinct_core::bench::footage_dir(footage)?,
        quick,
    };
    run(&opts)?;
    Ok(0)
}
