//! `tinct bench jobs`: how fast a line appended to a job's `metrics.jsonl` reaches a subscriber.
//!
//! Ours: `jobs::follow::Follower` (notify events). Peer: a reader polling the file every 50 ms,
//! the usual fallback. Both follow the same file at the same time while a writer appends
//! records at irregular intervals (so polling phase cannot line up with the writes).
//! Target: median under 200 ms.

use super::BenchOpts;
use crate::jobs::follow::{Follower, Start};
use rand::Rng;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const POLL_PERIOD: Duration = Duration::from_millis(50);
const TARGET: Duration = Duration::from_millis(200);

/// The peer: read new bytes every `POLL_PERIOD`, report each complete line's arrival.
fn polling_reader(path: &Path, lines: usize, tx: mpsc::Sender<(usize, Instant)>) {
    let (mut offset, mut seen, mut partial) = (0u64, 0usize, Vec::new());
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen < lines && Instant::now() < deadline {
        std::thread::sleep(POLL_PERIOD);
        let Ok(mut f) = std::fs::File::open(path) else {
            continue;
        };
        if f.seek(SeekFrom::Start(offset)).is_err() {
            continue;
        }
        let mut bytes = Vec::new();
        offset += f.read_to_end(&mut bytes).unwrap_or(0) as u64;
        partial.extend_from_slice(&bytes);
        let now = Instant::now();
        while let Some(pos) = partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = partial.drain(..=pos).collect();
            if let Some(i) = index_of(&String::from_utf8_lossy(&line)) {
                let _ = tx.send((i, now));
            }
            seen += 1;
        }
    }
}

fn index_of(line: &str) -> Option<usize> {
    serde_json::from_str::<serde_json::Value>(line).ok()?["i"]
        .as_u64()
        .map(|i| i as usize)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn collect(
    rx: &mpsc::Receiver<(usize, Instant)>,
    written: &[Instant],
    who: &str,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = vec![None; written.len()];
    let deadline = Instant::now() + Duration::from_secs(10);
    while latencies.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        let (i, at) = rx
            .recv_timeout(left)
            .map_err(|_| anyhow::anyhow!("{who}: lines never arrived"))?;
        if let Some(slot) = latencies.get_mut(i) {
            *slot = Some(at.saturating_duration_since(written[i]));
        }
    }
    let mut all: Vec<Duration> = latencies.into_iter().flatten().collect();
    all.sort();
    Ok(all)
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let lines = if opts.quick { 30 } else { 100 };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("metrics.jsonl");
    crate::fsx::append(&path, b"")?;

    let (notify_tx, notify_rx) = mpsc::channel();
    let _follower = Follower::spawn(
        std::slice::from_ref(&path),
        Start::Beginning,
        move |event| {
            if let Some(i) = index_of(&event.line) {
                let _ = notify_tx.send((i, Instant::now()));
            }
            true
        },
    )?;
    let (poll_tx, poll_rx) = mpsc::channel();
    let poll_path = path.clone();
    let poller = std::thread::spawn(move || polling_reader(&poll_path, lines, poll_tx));
    std::thread::sleep(Duration::from_millis(200)); // both subscribers settled

    let mut rng = rand::rng();
    let mut written = Vec::with_capacity(lines);
    for i in 0..lines {
        std::thread::sleep(Duration::from_millis(rng.random_range(5..35)));
        let line = format!(
            "{{\"i\":{i},\"loss\":{:.4},\"t\":{}}}\n",
            1.0 / (i + 1) as f64,
            chrono::Utc::now().timestamp_millis()
        );
        written.push(Instant::now());
        crate::fsx::append(&path, line.as_bytes())?;
    }
    let ours = collect(&notify_rx, &written, "notify follower")?;
    let peer = collect(&poll_rx, &written, "50 ms poller")?;
    let _ = poller.join();

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "metrics latency: a line appended to metrics.jsonl until a subscriber has it ({lines} lines)"
    );
    println!(
        "  {:<26} {:>10} {:>10} {:>10}",
        "subscriber", "median ms", "p95 ms", "max ms"
    );
    for (name, l) in [
        ("tinct follow (notify)", &ours),
        ("peer: 50 ms polling", &peer),
    ] {
        println!(
            "  {name:<26} {:>10.2} {:>10.2} {:>10.2}",
            ms(percentile(l, 0.5)),
            ms(percentile(l, 0.95)),
            ms(l[l.len() - 1])
        );
    }
    let (median, peer_median) = (percentile(&ours, 0.5), percentile(&peer, 0.5));
    println!(
        "  ratio peer/ours (median): {:.1}x faster",
        ms(peer_median) / ms(median).max(1e-3)
    );
    let verdict = if median < TARGET { "met" } else { "NOT met" };
    println!("  target median < {} ms: {verdict}", TARGET.as_millis());
    Ok(())
}
