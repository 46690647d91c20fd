//! `tinct demo DIR [--no-open]`: a complete project made from the footage embedded in the binary.

use super::Global;
use crate::demo::{self, DemoSpec, SourceKind};
use clap::Subcommand;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Subcommand, Debug)]
pub enum Commands {
    /// Create a demo project (faded print + video transfer of CC0 panoramas) and open it.
    Demo {
        /// Folder for the project (created; refused if it already holds a tinct.toml).
        dir: PathBuf,
        /// Only create the project, do not open the console.
        #[arg(long)]
        no_open: bool,
        /// Seed for shots, grain and fading: the same seed makes the same project.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Make the black-and-white print the project's source (the faded one is written beside).
        #[arg(long)]
        monochrome: bool,
        /// Deliver the reference as one H.264 MP4 with timecode (as video transfers arrive)
        /// instead of a JPEG sequence; needs the ffmpeg program.
        #[arg(long)]
        reference_video: bool,
    },
}

pub fn run(cmd: Commands, g: &Global) -> anyhow::Result<u8> {
    let Commands::Demo {
        dir,
        no_open,
        seed,
        monochrome,
        reference_video,
    } = cmd;
    let spec = DemoSpec {
        seed,
        source_kind: if monochrome {
            SourceKind::Monochrome
        } else {
            SourceKind::Faded
        },
        ..DemoSpec::default()
    };
    let started = Instant::now();
    let mut truth = demo::generate(&dir, &spec)?;
    if reference_video {
        demo::reference_as_video(&dir, &mut truth)?;
    }
    let secs = started.elapsed().as_secs_f64();

    let src = &truth.source;
    let reference = &truth.reference.footage;
    println!("demo project created in {} ({secs:.1} s)", dir.display());
    println!(
        "  source     {}  frames {}-{}  {}x{}  ({} print, {} shots)",
        src.pattern,
        src.first_frame,
        src.last_frame,
        src.width,
        src.height,
        src.kind,
        truth.shots.len()
    );
    if let Some(alt) = &truth.alternate_source {
        println!(
            "  also       {}  ({} print, to try instead)",
            alt.pattern, alt.kind
        );
    }
    println!(
        "  reference  {}  frames {}-{}  {}x{}  (video transfer, {})",
        reference.pattern,
        reference.first_frame,
        reference.last_frame,
        reference.width,
        reference.height,
        if reference_video {
            "H.264 MP4, timecode from 01:00:00:00"
        } else {
            "JPEG 4:2:0"
        }
    );
    if let Some(clean) = &truth.clean {
        println!(
            "  answer key {}  (the unfaded print, for `tinct qc`)",
            clean.pattern
        );
    }
    println!(
        "  truth      {}  (offset, cuts, framing: for checking sync and align)",
        demo::TRUTH_FILE
    );
    println!("footage: panoramas by Greg Zaal, Poly Haven (CC0)");
    if no_open {
        println!("next: tinct open {}", dir.display());
        return Ok(0);
    }
    super::console::open(Some(&dir), g)
}
