//! Shared console fixtures (included by the tui_* tests with `#[path]`): a small SOP,
//! jobs in every state, metrics of a training run, journal entries, a telemetry history.
#![allow(dead_code)]

use tinct::telemetry::{GpuSample, Sample};
use tinct::tui::app::App;
use tinct::tui::data::*;
use tinct::tui::event::Event;
use tinct::tui::keymap::KeyMap;
use tinct::tui::theme::Theme;

/// 2026-11-26 12:00:00 UTC.
pub const NOW: u64 = 1_795_694_400_000;

fn step(
    id: &str,
    title: &str,
    kind: StepKind,
    status: StepStatus,
    stage: Option<&str>,
) -> StepView {
    StepView {
        id: id.into(),
        title: title.into(),
        kind,
        instructions: format!(
            "Instructions for {title}.\nLook at the head, middle and tail of the reel."
        ),
        status,
        stage: stage.map(str::to_string),
    }
}

pub fn stages() -> Vec<StageView> {
    vec![
        StageView {
            id: "dataset".into(),
            title: "1 · Dataset curation".into(),
            steps: vec![
                step(
                    "inspect-source",
                    "Look through the source scan",
                    StepKind::Check,
                    StepStatus::Done,
                    None,
                ),
                step(
                    "colorspaces",
                    "Decide the colourspaces",
                    StepKind::Decision,
                    StepStatus::Done,
                    None,
                ),
                step(
                    "sync",
                    "Find the frame offset",
                    StepKind::Action,
                    StepStatus::Ready,
                    Some("sync"),
                ),
                step(
                    "verify-sync",
                    "Verify the sync",
                    StepKind::Qc,
                    StepStatus::Blocked(vec!["sync".into()]),
                    None,
                ),
            ],
        },
        StageView {
            id: "training".into(),
            title: "3 · Training".into(),
            steps: vec![
                step(
                    "train",
                    "Train the chroma network",
                    StepKind::Action,
                    StepStatus::Blocked(vec!["verify-sync".into()]),
                    Some("train"),
                ),
                step(
                    "review-train",
                    "Review the contact sheets",
                    StepKind::Qc,
                    StepStatus::Blocked(vec!["train".into()]),
                    None,
                ),
            ],
        },
    ]
}

fn job(
    id: &str,
    stage: &str,
    state: JobState,
    started_min_ago: u64,
    progress: Option<f64>,
) -> JobView {
    JobView {
        id: id.into(),
        stage: stage.into(),
        state,
        pid: Some(4242),
        started: Some(NOW - started_min_ago * 60_000),
        ended: if !state.is_final() {
            None
        } else {
            Some(NOW - started_min_ago * 60_000 + 95_000)
        },
        exit_code: None,
        progress,
        eta_s: if state == JobState::Running {
            Some(754.0)
        } else {
            None
        },
        chunks: Vec::new(),
        step: (stage == "sync").then(|| "sync".to_string()),
        result: match state {
            JobState::Succeeded if stage == "sync" => {
                Some("offset 7 (confidence 0.922, margin 0.865 over offset -26)".into())
            }
            JobState::Failed => Some("error: frame 17: cannot write the render".into()),
            _ => None,
        },
    }
}

/// A farm render of 12 chunks: 7 done, 2 rendering, 1 failed, 2 queued.
fn farm_job() -> JobView {
    use tinct::farm::ChunkState::{Done, Failed, Queued, Running};
    let cells = [
        (Done, 1.0),
        (Done, 1.0),
        (Done, 1.0),
        (Failed, 0.4),
        (Done, 1.0),
        (Done, 1.0),
        (Done, 1.0),
        (Done, 1.0),
        (Running, 0.7),
        (Running, 0.2),
        (Queued, 0.0),
        (Queued, 0.0),
    ];
    let mut j = job("0008-farm", "farm infer", JobState::Running, 5, Some(0.68));
    j.pid = None;
    j.eta_s = None;
    j.chunks = cells
        .iter()
        .map(|&(state, done)| tinct::tui::data::ChunkCell { state, done })
        .collect();
    j
}

pub fn jobs() -> Vec<JobView> {
    vec![
        job("0007-train", "train", JobState::Running, 12, Some(0.42)),
        job("0006-train", "train", JobState::Failed, 90, Some(0.1)),
        job("0005-align", "align", JobState::Succeeded, 200, Some(1.0)),
        job("0004-sync", "sync", JobState::Lost, 300, None),
        farm_job(),
    ]
}

pub fn metrics() -> RunMetrics {
    let mut text = String::new();
    for i in 0..200 {
        let loss = 0.5 * (-(i as f64) / 60.0).exp() + 0.02 * ((i * 7919 % 13) as f64 / 13.0);
        text.push_str(&format!("{{\"t\":1,\"step\":{},\"steps\":500,\"loss\":{loss:.5},\"images_per_s\":38.5,\"eta_s\":754}}\n", i + 1));
        if (i + 1) % 50 == 0 {
            text.push_str(&format!(
                "{{\"t\":1,\"step\":{},\"val_de00_mean\":{:.3}}}\n",
                i + 1,
                6.0 - i as f64 / 60.0
            ));
        }
    }
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    parse_metrics(&lines, 0)
}

pub fn journal() -> Vec<JournalEntryView> {
    vec![
        JournalEntryView {
            when: "2026-11-26 10:02".into(),
            kind: "decision".into(),
            context: "dataset / colorspaces".into(),
            text: "Source is Cineon log, reference Rec.709 video.".into(),
        },
        JournalEntryView {
            when: "2026-11-26 11:40".into(),
            kind: "qc-fail".into(),
            context: "alignment / review-align".into(),
            text: "Frames 112-118 drift: gate weave.\nRe-run with affine.".into(),
        },
        JournalEntryView {
            when: "2026-11-26 11:58".into(),
            kind: "note".into(),
            context: "training".into(),
            text: "Started 0007 with lr 5e-4.".into(),
        },
    ]
}

pub fn telemetry_samples() -> Vec<Sample> {
    (0..60)
        .map(|i| Sample {
            t: NOW - (60 - i) * 1000,
            cpu_pct: Some(20.0 + (i % 10) as f32 * 5.0),
            cores_pct: vec![95.0, 12.0, 40.0, 3.0, 77.0, 20.0, 100.0, 0.0],
            jobs: Some(tinct::telemetry::JobsUsage {
                processes: 2,
                cpu_pct: 187.0,
                rss: 3 << 30,
                read_bps: 41.5e6,
                write_bps: 88.2e6,
            }),
            mem_used: Some((8 + i % 4) << 30),
            mem_total: Some(32 << 30),
            swap_used: Some(0),
            swap_total: Some(2 << 30),
            disk_free: Some(400 << 30),
            disk_total: Some(1000 << 30),
            gpus: vec![GpuSample {
                index: 0,
                name: Some("NVIDIA H100".into()),
                util_pct: Some(90 + (i % 10) as u32),
                mem_used: Some(30 << 30),
                mem_total: Some(80 << 30),
                temp_c: Some(70 + (i % 20) as u32),
                power_w: Some(300.0 + i as f32),
                processes: vec![tinct::telemetry::GpuProcess {
                    pid: 4242,
                    mem: Some(12 << 30),
                    ours: true,
                }],
            }],
        })
        .collect()
}

pub fn app(ascii: bool) -> App {
    let mut a = App::new(
        "reel-07".into(),
        KeyMap::defaults(),
        Theme::embedded("default").unwrap(),
        ascii,
    );
    a.now_ms = NOW;
    a.handle(Event::Checklist(stages()));
    a.handle(Event::JobUpdate(jobs()));
    a.handle(Event::Metrics("0007-train".into(), metrics()));
    a.handle(Event::Journal(journal()));
    for s in telemetry_samples() {
        a.handle(Event::Telemetry(s, None));
    }
    a
}
