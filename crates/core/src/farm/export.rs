//! Job files for sites that submit themselves: an OpenCue job spec (XML, `cjsl-1.16.dtd`, one
//! layer whose frames are `range` cut into `chunk`s) and a Deadline `CommandLine` job
//! (`job_info.job` + `plugin_info.job`, `Frames=` cut into `ChunkSize=`). Both run the same
//! `tinct farm chunk ID --frames A-B` as a Slurm task, with the scheduler's own frame tokens, so
//! `tinct farm status ID` sees their chunks exactly as it sees Slurm's.

use super::plan::FarmJob;
use std::path::PathBuf;

/// `runs/<id>/opencue.xml`.
pub const OPENCUE_FILE: &str = "opencue.xml";
/// `runs/<id>/deadline/{job_info,plugin_info}.job`.
pub const DEADLINE_DIR: &str = "deadline";

/// Escape element text (the spec puts no free text in attributes).
fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Letters, digits, `-`, `_`, `.` only: an XML NMTOKEN, and safe in OpenCue's job names.
fn token(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A command line as one string for a shell-less runner: arguments with spaces in quotes.
fn command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '"', '\'']) {
                format!("\"{}\"", a.replace('"', "\\\""))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The project's name, for the spec's show.
fn show_of(farm: &FarmJob) -> String {
    token(
        &farm
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tinct".into()),
    )
}

/// The OpenCue job spec. `user` is the submitting user (`$USER`).
pub fn opencue_xml(farm: &FarmJob, user: &str) -> String {
    let cmd = command_line(&farm.chunk_argv("#FRAME_START#-#FRAME_END#"));
    let gpus = if farm.gpus_per_task > 0 {
        format!("        <gpus>{}</gpus>\n", farm.gpus_per_task)
    } else {
        String::new()
    };
    format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE spec PUBLIC "SPI Cue Specification Language" "http://localhost:8080/spcue/dtd/cjsl-1.16.dtd">
<spec>
  <facility>local</facility>
  <show>{show}</show>
  <shot>{stage}</shot>
  <user>{user}</user>
  <job name="{name}">
    <paused>False</paused>
    <maxretries>2</maxretries>
    <autoeat>False</autoeat>
    <layers>
      <layer name="{stage}" type="Render">
        <cmd>{cmd}</cmd>
        <range>{first}-{last}</range>
        <chunk>{chunk}</chunk>
        <cores>1</cores>
{gpus}        <services>
          <service>shell</service>
        </services>
      </layer>
    </layers>
  </job>
</spec>
"#,
        show = show_of(farm),
        stage = farm.stage.id(),
        user = xml_escape(&token(user)),
        name = token(&format!("{}-{}", show_of(farm), farm.id)),
        cmd = xml_escape(&cmd),
        first = farm.frames.first,
        last = farm.frames.last,
        chunk = farm.chunk_size,
    )
}

/// Deadline's `job_info.job` and `plugin_info.job`.
pub fn deadline_files(farm: &FarmJob) -> (String, String) {
    let argv = farm.chunk_argv("<STARTFRAME>-<ENDFRAME>");
    let output_dir = farm
        .frame_path(farm.frames.first)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let job_info = format!(
        "Plugin=CommandLine\nName=tinct {stage} {id}\nComment=tinct farm job {id}: {stage} of frames {first}-{last}\nFrames={first}-{last}\nChunkSize={chunk}\nOutputDirectory0={output_dir}\n",
        stage = farm.stage.id(),
        id = farm.id,
        first = farm.frames.first,
        last = farm.frames.last,
        chunk = farm.chunk_size,
    );
    let plugin_info = format!(
        "Executable={}\nArguments={}\nStartupDirectory={}\nShellExecute=False\n",
        argv[0],
        command_line(&argv[1..]),
        farm.root.display()
    );
    (job_info, plugin_info)
}

/// Write the engine's files under the farm's run folder; returns their paths.
pub fn write(farm: &FarmJob) -> anyhow::Result<Vec<PathBuf>> {
    let dir = farm.run_dir();
    match farm.engine {
        super::Engine::Opencue => {
            let user = std::env::var("USER").unwrap_or_else(|_| "tinct".into());
            let path = dir.join(OPENCUE_FILE);
            crate::fsx::write_atomic(&path, opencue_xml(farm, &user).as_bytes())?;
            Ok(vec![path])
        }
        super::Engine::Deadline => {
            let (job, plugin) = deadline_files(farm);
            let (a, b) = (
                dir.join(DEADLINE_DIR).join("job_info.job"),
                dir.join(DEADLINE_DIR).join("plugin_info.job"),
            );
            crate::fsx::write_atomic(&a, job.as_bytes())?;
            crate::fsx::write_atomic(&b, plugin.as_bytes())?;
            Ok(vec![a, b])
        }
        other => anyhow::bail!(
            "`farm export` writes job files for opencue or deadline, not {}",
            other.id()
        ),
    }
}
