//! The delivered render, pipelined: one implementation for the ML render (`infer`) and the
//! MatchGrade render.
//!
//! A render is read → compute → write per frame. Done one after another, a frame costs the sum
//! of the three and the GPU (or the grade) waits for the decoder and the ZIP encoder. Here a
//! reader thread decodes ahead, the compute runs on the calling thread (a torch network stays on
//! the thread that loaded it), and a pool of writers encodes behind. Bounded queues join them,
//! so at most `READ_AHEAD + 1` decoded and `2 × writers + 1` computed frames are alive at once,
//! whatever the length of the reel (with [`RenderPlan::steady`], also the `frames / 2` computed
//! frames a [`steady::Window`] holds back). Frames finish out of order but each is written under its own
//! number, by temp file and rename (`OutputSpec::write`), so a cancel, a crash or a full disk
//! leaves only whole frames, and a rerun skips them.
//!
//! What each frame holds is exactly what the sequential loop produced: the same read, compute
//! and write functions run on the same inputs; only the order in time changes.

use super::output::OutputSpec;
use super::steady;
use crate::media::Image;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Frames decoded ahead of the compute.
const READ_AHEAD: usize = 2;

/// What to render and where.
pub struct RenderPlan<'a> {
    pub frames: &'a [i64],
    pub spec: &'a OutputSpec,
    pub dir: &'a Path,
    /// File stem: `<dir>/<stem>.<frame>.<ext>`.
    pub stem: &'a str,
    /// Rewrite frames that already exist.
    pub force: bool,
    /// Writer threads; `None` = [`default_writers`].
    pub writers: Option<usize>,
    /// Steady each frame's mean colour over its neighbours (`infer.steady-frames`); `None` =
    /// every frame alone.
    pub steady: Option<Steady<'a>>,
}

/// What [`RenderPlan::steady`] needs: the window, and the whole reel's frames, so that a part of
/// it also renders (without writing) the neighbours beyond its ends.
#[derive(Clone, Copy)]
pub struct Steady<'a> {
    pub frames: usize,
    pub sequence: &'a [i64],
}

/// Busy seconds of each stage, summed over frames, and the wall time of the whole.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct StageTimes {
    pub read_s: f64,
    pub compute_s: f64,
    /// Summed over the writer threads.
    pub write_s: f64,
    pub wall_s: f64,
    pub writers: usize,
}

/// One frame done, for the caller's metrics.
pub struct Progress {
    pub frame: i64,
    /// Frames accounted for so far (written + skipped), of `total`.
    pub done: usize,
    pub total: usize,
    pub rendered: usize,
    pub skipped: usize,
    pub elapsed_s: f64,
}

impl Progress {
    pub fn frames_per_s(&self) -> f64 {
        self.rendered as f64 / self.elapsed_s.max(1e-9)
    }

    pub fn eta_s(&self) -> f64 {
        (self.total - self.done) as f64 / self.frames_per_s().max(1e-9)
    }
}

/// How a render ended (an error is returned instead, after every started write has finished).
pub struct Rendered {
    /// Frames written by this call, in frame order.
    pub written: Vec<PathBuf>,
    /// Frames already there (not rewritten).
    pub skipped: usize,
    /// Frames computed only for their neighbours' steadying, not written.
    pub context: usize,
    pub cancelled: bool,
    pub times: StageTimes,
}

impl Rendered {
    /// One log line with where the render's time went.
    pub fn times_line(&self) -> String {
        let t = &self.times;
        let context = match self.context {
            0 => String::new(),
            n => format!(" (and {n} beyond the range's ends for steadying)"),
        };
        format!(
            "render: {} frames{context} in {:.1}s; busy read {:.1}s, compute {:.1}s, write {:.1}s over {} writer(s)",
            self.written.len(),
            t.wall_s,
            t.read_s,
            t.compute_s,
            t.write_s,
            t.writers
        )
    }
}

/// One writer per two cores, at least one: each ZIP write is itself parallel over line blocks
/// (`exr_io::zip_write`), so a few writers keep every core busy, and DPX/TIFF (serial encoders)
/// still get several at once on a big box.
pub fn default_writers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores / 2).clamp(1, 8)
}

type Written = (i64, PathBuf, anyhow::Result<()>, f64);

/// Whether a frame already under its final name can be kept: not empty and it decodes. Every
/// write goes through a temp file and a rename, so a torn file under a final name means the
/// storage lost it (a node's NFS cache, a full disk on a copy); a resumed render or a farm
/// resubmit renders such a frame again instead of trusting its name.
pub fn is_complete(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0) && crate::media::read(path).is_ok()
}

/// Render `plan.frames`: `read(frame)` on the reader thread, `compute(frame, image)` here,
/// `plan.spec.write` on the writers. `progress` is called here for every frame written. The
/// first error (naming its frame) stops the reading and the compute; writes already started
/// finish, so every file under a final name is whole. `cancel` stops it the same way, without
/// an error.
// Long by design (~150 lines): the reader, the writers and the channels that join them live in
// one `thread::scope`, and the order of the shutdown at its end (stop the reader, drop the
// queues, drain the writers) is what keeps every file under a final name whole.
pub fn render<T, R, C, P>(
    plan: &RenderPlan,
    cancel: &AtomicBool,
    read: R,
    mut compute: C,
    mut progress: P,
) -> anyhow::Result<Rendered>
where
    T: Send,
    R: Fn(i64) -> anyhow::Result<T> + Sync,
    C: FnMut(i64, T) -> anyhow::Result<Image>,
    P: FnMut(&Progress) -> anyhow::Result<()>,
{
    let started = Instant::now();
    let path_of = |f: i64| plan.spec.frame_path(plan.dir, plan.stem, f);
    let todo: Vec<i64> = plan
        .frames
        .iter()
        .copied()
        .filter(|&f| plan.force || !is_complete(&path_of(f)))
        .collect();
    let skipped = plan.frames.len() - todo.len();
    // With steadying, the neighbours of the frames to write are computed too (in frame order, so
    // a frame leaves the window as soon as the frames after it are in), and only `todo` written.
    let (compute_order, mut window) = match plan.steady.filter(|s| s.frames > 1 && !todo.is_empty())
    {
        Some(s) => (
            steady::frames_to_compute(&todo, s.sequence, s.frames),
            Some(steady::Window::new(s.frames)),
        ),
        None => (todo.clone(), None),
    };
    let to_write: std::collections::HashSet<i64> = todo.iter().copied().collect();
    let writers = plan.writers.unwrap_or_else(default_writers).max(1);
    let stop = AtomicBool::new(false);
    let halted = || stop.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed);

    let (mut read_s, mut compute_s, mut write_s) = (0.0, 0.0, 0.0);
    let mut written: Vec<(i64, PathBuf)> = Vec::new();
    let mut first_error: Option<anyhow::Error> = None;
    let mut cancelled = false;

    // The reader and the writers each get their own rayon pool (sized like the global one, by
    // RAYON_NUM_THREADS or the core count): EXR decoding and ZIP encoding are parallel inside,
    // and on one shared pool a decode would queue behind an encode (and both behind a CPU
    // grade) instead of overlapping with them.
    let read_pool = stage_pool("read")?;
    let write_pool = stage_pool("write")?;
    std::thread::scope(|s| {
        let (read_tx, read_rx) = sync_channel::<(i64, anyhow::Result<T>, f64)>(READ_AHEAD);
        let (write_tx, write_rx) = sync_channel::<(PathBuf, steady::Steadied)>(writers);
        let (done_tx, done_rx) = channel::<Written>();

        let (compute_order, read, halted, read_pool) = (&compute_order, &read, &halted, &read_pool);
        s.spawn(move || {
            for &f in compute_order {
                if halted() {
                    break;
                }
                let t = Instant::now();
                let image = read_pool.install(|| read(f));
                if read_tx.send((f, image, t.elapsed().as_secs_f64())).is_err() {
                    break;
                }
            }
        });
        let write_rx = Arc::new(Mutex::new(write_rx));
        for _ in 0..writers {
            let (write_rx, done_tx, pool) = (Arc::clone(&write_rx), done_tx.clone(), &write_pool);
            s.spawn(move || pool.install(|| write_loop(plan.spec, &write_rx, &done_tx)));
        }
        drop(done_tx);

        let mut on_written = |(f, path, result, secs): Written,
                              written: &mut Vec<(i64, PathBuf)>,
                              first_error: &mut Option<anyhow::Error>|
         -> anyhow::Result<()> {
            write_s += secs;
            match result {
                Ok(()) => {
                    written.push((f, path));
                    progress(&Progress {
                        frame: f,
                        done: skipped + written.len(),
                        total: plan.frames.len(),
                        rendered: written.len(),
                        skipped,
                        elapsed_s: started.elapsed().as_secs_f64(),
                    })
                }
                Err(e) => {
                    if first_error.is_none() {
                        *first_error =
                            Some(e.context(format!("frame {f}: cannot write the render")));
                    }
                    Ok(())
                }
            }
        };

        // The reader sends `compute_order` in order, so the i-th frame in is its i-th.
        for (i, (f, image, secs)) in read_rx.iter().enumerate() {
            read_s += secs;
            if cancel.load(Ordering::Relaxed) {
                cancelled = true;
                break;
            }
            let t = Instant::now();
            let out = image
                .and_then(|img| compute(f, img))
                .map(|img| match &mut window {
                    Some(w) => w.push(f, img, compute_order.get(i + 1).copied()),
                    None => vec![steady::Steadied::unsteadied(f, img)],
                });
            compute_s += t.elapsed().as_secs_f64();
            match out {
                Ok(finished) => {
                    let mut sent = true;
                    for done in finished.into_iter().filter(|d| to_write.contains(&d.frame)) {
                        sent &= write_tx.send((path_of(done.frame), done)).is_ok();
                    }
                    if !sent {
                        break;
                    }
                }
                Err(e) => {
                    first_error = Some(e);
                    break;
                }
            }
            for done in done_rx.try_iter() {
                if let Err(e) = on_written(done, &mut written, &mut first_error) {
                    first_error.get_or_insert(e);
                }
            }
            if first_error.is_some() {
                break;
            }
        }
        // Stop the reader (a full queue unblocks when `read_rx` drops), let the writers finish
        // what they hold, and collect their results.
        stop.store(true, Ordering::Relaxed);
        drop(read_rx);
        drop(write_tx);
        for done in done_rx.iter() {
            if let Err(e) = on_written(done, &mut written, &mut first_error) {
                first_error.get_or_insert(e);
            }
        }
    });
    if !cancelled && cancel.load(Ordering::Relaxed) && written.len() < todo.len() {
        cancelled = true;
    }
    let times = StageTimes {
        read_s,
        compute_s,
        write_s,
        wall_s: started.elapsed().as_secs_f64(),
        writers,
    };
    if let Some(e) = first_error {
        return Err(e);
    }
    written.sort_by_key(|(f, _)| *f);
    Ok(Rendered {
        written: written.into_iter().map(|(_, p)| p).collect(),
        skipped,
        context: compute_order.len() - todo.len(),
        cancelled,
        times,
    })
}

fn stage_pool(stage: &'static str) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .thread_name(move |i| format!("tinct-{stage}-{i}"))
        .build()
        .with_context(|| format!("cannot start the render's {stage} threads"))
}

/// One writer: take computed frames until the queue closes, steady and write each, report it.
fn write_loop(
    spec: &OutputSpec,
    queue: &Mutex<Receiver<(PathBuf, steady::Steadied)>>,
    done: &std::sync::mpsc::Sender<Written>,
) {
    loop {
        let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok((path, frame)) = job else { return };
        let t = Instant::now();
        let f = frame.frame;
        // The steadying shift is a full pass over the frame: here, beside the compute.
        let image = frame.finish();
        let result = spec.write(&path, &image);
        drop(image);
        if done
            .send((f, path, result, t.elapsed().as_secs_f64()))
            .is_err()
        {
            return;
        }
    }
}

/// `read` for the common case: the source frame, linearised, with the frame in the error.
pub fn read_source(
    seq: &crate::media::Sequence,
    frame: i64,
    assume: Option<crate::color::Colorspace>,
) -> anyhow::Result<Image> {
    let path = seq.path(frame);
    crate::media::read_linear(&path, assume)
        .with_context(|| format!("source frame {frame}: {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::config::InferConfig;

    /// A frame whose pixels depend on its number, so a frame written under the wrong name shows.
    fn picture(frame: i64) -> Image {
        let mut img = Image::new(37, 21, 3);
        for (i, v) in img.data.iter_mut().enumerate() {
            *v = ((i as i64 * 7 + frame * 13) % 101) as f32 / 100.0;
        }
        img
    }

    /// The compute under test: frame-dependent, and slow enough that frames overlap.
    fn grade(frame: i64, mut img: Image) -> anyhow::Result<Image> {
        std::thread::sleep(std::time::Duration::from_millis(3));
        for v in &mut img.data {
            *v = (*v * 0.8 + frame as f32 * 0.01).powf(1.1);
        }
        Ok(img)
    }

    fn plan<'a>(frames: &'a [i64], spec: &'a OutputSpec, dir: &'a Path) -> RenderPlan<'a> {
        RenderPlan {
            frames,
            spec,
            dir,
            stem: "out",
            force: false,
            writers: Some(3),
            steady: None,
        }
    }

    fn decode(path: &Path) -> Vec<f32> {
        crate::media::read(path).unwrap().image.data
    }

    #[test]
    fn every_frame_is_the_sequential_render_bit_for_bit_under_its_own_number() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = OutputSpec::from_config(&InferConfig::default()).unwrap();
        let frames: Vec<i64> = (1001..1025).collect();
        let (piped, serial) = (tmp.path().join("piped"), tmp.path().join("serial"));
        std::fs::create_dir_all(&piped).unwrap();
        std::fs::create_dir_all(&serial).unwrap();
        let mut seen = 0;
        let done = render(
            &plan(&frames, &spec, &piped),
            &AtomicBool::new(false),
            |f| Ok(picture(f)),
            grade,
            |p| {
                seen += 1;
                assert_eq!(p.done, seen);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(done.written.len(), frames.len());
        assert_eq!(seen, frames.len());
        for &f in &frames {
            let path = spec.frame_path(&serial, "out", f);
            spec.write(&path, &grade(f, picture(f)).unwrap()).unwrap();
            let got = decode(&spec.frame_path(&piped, "out", f));
            assert!(
                got == decode(&path),
                "frame {f} differs from the sequential render"
            );
        }
        assert!(done.times.compute_s > 0.0 && done.times.write_s > 0.0);
    }

    #[test]
    fn a_steadied_part_of_the_reel_is_written_alone_and_as_the_whole_render_wrote_it() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = OutputSpec::from_config(&InferConfig::default()).unwrap();
        let reel: Vec<i64> = (1..=24).collect();
        // A colour that wanders a little from frame to frame, as a network's does.
        let wander = |f: i64, _: Image| -> anyhow::Result<Image> {
            let r = 0.2 + 0.0005 * ((f * 7) % 5) as f32;
            Ok(Image::from_fn_rgb(9, 5, |x, _| {
                [r, 0.18 + 0.01 * x as f32, 0.16]
            }))
        };
        let render_into = |dir: &Path, frames: &[i64]| {
            std::fs::create_dir_all(dir).unwrap();
            let mut p = plan(frames, &spec, dir);
            p.steady = Some(Steady {
                frames: 5,
                sequence: &reel,
            });
            render(
                &p,
                &AtomicBool::new(false),
                |f| Ok(picture(f)),
                wander,
                |_| Ok(()),
            )
            .unwrap()
        };
        let (whole, part) = (tmp.path().join("whole"), tmp.path().join("part"));
        render_into(&whole, &reel);
        let done = render_into(&part, &[10, 11, 12]);
        assert_eq!(
            done.written.len(),
            3,
            "only the frames asked for are written"
        );
        assert_eq!(std::fs::read_dir(&part).unwrap().count(), 3);
        for f in [10, 11, 12] {
            let got = decode(&spec.frame_path(&part, "out", f));
            assert!(
                got == decode(&spec.frame_path(&whole, "out", f)),
                "frame {f} differs from the whole reel's render"
            );
            let alone = wander(f, picture(f)).unwrap();
            assert!(got != alone.data, "frame {f} was not steadied");
        }
    }

    #[test]
    fn a_failing_frame_stops_the_render_naming_it_and_leaves_only_whole_frames() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = OutputSpec::from_config(&InferConfig::default()).unwrap();
        let frames: Vec<i64> = (1..=40).collect();
        let err = render(
            &plan(&frames, &spec, tmp.path()),
            &AtomicBool::new(false),
            |f| {
                anyhow::ensure!(f != 17, "source frame {f}: truncated");
                Ok(picture(f))
            },
            grade,
            |_| Ok(()),
        )
        .err()
        .expect("frame 17 fails");
        assert!(err.to_string().contains("frame 17"), "{err:#}");
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.len() < 17,
            "the reader stopped at the bad frame: {names:?}"
        );
        for n in &names {
            assert!(
                n.starts_with("out.") && n.ends_with(".exr"),
                "temp file left: {n}"
            );
            decode(&tmp.path().join(n));
        }
        // A rerun with the frame repaired renders only what is missing.
        let again = render(
            &plan(&frames, &spec, tmp.path()),
            &AtomicBool::new(false),
            |f| Ok(picture(f)),
            grade,
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(again.skipped, names.len());
        assert_eq!(again.written.len() + again.skipped, frames.len());
    }

    #[test]
    fn a_cancel_stops_early_and_keeps_whole_frames() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = OutputSpec::from_config(&InferConfig::default()).unwrap();
        let frames: Vec<i64> = (1..=60).collect();
        let cancel = AtomicBool::new(false);
        let done = render(
            &plan(&frames, &spec, tmp.path()),
            &cancel,
            |f| Ok(picture(f)),
            grade,
            |p| {
                if p.rendered == 5 {
                    cancel.store(true, Ordering::Relaxed);
                }
                Ok(())
            },
        )
        .unwrap();
        assert!(done.cancelled);
        assert!(done.written.len() >= 5 && done.written.len() < frames.len());
        for p in &done.written {
            decode(p);
        }
    }
}
