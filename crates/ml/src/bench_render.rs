//! `tinct bench render` (run in `tinct-worker`, which links torch): the pipelined render's
//! frames/s against its slowest stage alone (`tinct_core::bench::render`) for the MatchGrade
//! LUT and for the chroma network at full and at half chroma resolution (`infer.chroma-scale`),
//! default threads, then one thread everywhere in a child; last, the EXR ZIP half write against
//! OpenImageIO (`bench io`'s case, `tinct_core::bench::render::print_exr_write_against_oiio`).

use crate::net::{ChromaNet, ModelSize};
use crate::tiles::{self, TileOptions};
use tch::nn;
use tinct_core::bench::BenchOpts;
use tinct_core::bench::render::{self as bench, Compute};

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let one = bench::one_thread();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tch::set_num_threads(if one { 1 } else { cores as i32 });
    let work = tempfile::tempdir()?;
    let mg_frames = if opts.quick { 6 } else { 16 };
    let (seq, frames) = bench::source_frames(opts, work.path(), mg_frames)?;
    // The network costs seconds per 2K frame on a CPU: fewer frames there.
    let device = crate::device::select(tinct_core::project::config::Device::Auto)?;
    let ml_frames = match (device.is_cuda(), opts.quick) {
        (true, _) => frames.len(),
        (false, true) => 2,
        (false, false) => 4,
    };
    let size = ModelSize::Medium;
    if !one {
        println!(
            "bench render: 2048x1080 real footage (EXR ZIP half in, EXR ZIP half P3-D65 out), {} model on {}",
            size.id(),
            crate::device::describe(device)
        );
        println!(
            "  fps of each stage alone and of the pipelined whole; whole/slow 1.0 = perfect overlap"
        );
    }
    bench::print_section(&if one {
        "threads = 1 (rayon, torch, one writer)".to_string()
    } else {
        format!(
            "threads default: rayon {}, torch {}, {} writer(s)",
            rayon::current_num_threads(),
            tch::get_num_threads(),
            tinct_core::stages::render::default_writers()
        )
    });
    bench::measure(
        work.path(),
        &seq,
        &frames,
        &mut bench::matchgrade_compute(),
        true,
    )?;

    let vs = nn::VarStore::new(device);
    let net = ChromaNet::new(&vs.root(), size);
    for scale in [1, 2] {
        let tile = TileOptions {
            chroma_scale: scale,
            ..TileOptions::default()
        };
        let net = &net;
        let mut compute = Compute {
            name: format!("ml {} chroma 1/{scale}", size.id()),
            run: Box::new(move |_, img| Ok(tiles::colorize(net, &img, device, &tile))),
        };
        bench::measure(
            work.path(),
            &seq,
            &frames[..ml_frames],
            &mut compute,
            device.is_cuda(),
        )?;
    }
    if !one {
        bench::run_one_thread_child()?;
        bench::print_exr_write_against_oiio(opts)?;
    }
    Ok(())
}
