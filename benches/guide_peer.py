#!/usr/bin/env python3
"""OpenCV peer of `tinct bench guide` (crates/core/src/bench/guide.rs).

The reference guide's filters (He et al.'s guided filter, `stages::guide`) on one frame, written
with cv2.boxFilter (float32, replicated edges, as tinct's box blur clamps them): the two colour
corrections and the tone correction, each normalised by the reference's support.

Reads the planes tinct wrote to --dir as raw little-endian float32, row-major, --width x
--height: `luma` (the render's Y'), `cb`, `cr` (its chroma), `ref_cb`, `ref_cr`, `ref_luma` (the
placed reference's), `covered`, `tone_usable`. Writes `peer_colour0`, `peer_colour1`,
`peer_tone` (the corrections of the last timed run). Timings are taken inside this process, so
interpreter and module start-up are excluded; the conversion to and from Y'CbCr (which tinct's
figure includes) is not done here.

Prints one JSON object: {"peer", "threads", "median_s", "runs"}.
"""
import argparse
import json
import os
import statistics
import time

import cv2
import numpy as np

EPS = 1e-3  # stages::guide::EPS
FILL_SUPPORT = 0.5  # stages::guide::FILL_SUPPORT


def box(p, r):
    return cv2.boxFilter(p, -1, (2 * r + 1, 2 * r + 1), normalize=True,
                         borderType=cv2.BORDER_REPLICATE)


def guided(guide, p, r, mean_i, var_i):
    mean_p = box(p, r)
    cov = box(guide * p, r)
    a = (cov - mean_i * mean_p) / (var_i + EPS)
    b = mean_p - a * mean_i
    return box(a, r) * guide + box(b, r)


def guide_stats(guide, r):
    mean_i = box(guide, r)
    var_i = np.maximum(box(guide * guide, r) - mean_i * mean_i, 0.0)
    return mean_i, var_i


def correct(p, r, tone_factor):
    luma, covered = p["luma"], p["covered"]
    weight = box(covered, r)
    mean_i, var_i = guide_stats(luma, r)
    colour = []
    for ref, own in (("ref_cb", "cb"), ("ref_cr", "cr")):
        d = covered * (p[ref] - p[own])
        colour.append(guided(luma, d, r, mean_i, var_i) / np.maximum(weight, FILL_SUPPORT))
    rt = tone_factor * r
    coarse = box(luma, 1)
    d = p["tone_usable"] * (p["ref_luma"] - coarse)
    mean_t, var_t = guide_stats(luma, rt)
    usable = box(p["tone_usable"], rt)
    tone = guided(luma, d, rt, mean_t, var_t) / np.maximum(usable, FILL_SUPPORT)
    return colour[0], colour[1], tone


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--width", type=int, required=True)
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--radius", type=int, required=True)
    ap.add_argument("--tone-factor", type=int, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="0 = OpenCV's default")
    a = ap.parse_args()
    if a.threads > 0:
        cv2.setNumThreads(a.threads)
    names = ["luma", "cb", "cr", "ref_cb", "ref_cr", "ref_luma", "covered", "tone_usable"]
    planes = {
        n: np.fromfile(os.path.join(a.dir, n), dtype="<f4").reshape(a.height, a.width)
        for n in names
    }
    correct(planes, a.radius, a.tone_factor)  # warm-up
    times, out = [], None
    for _ in range(a.runs):
        t = time.perf_counter()
        out = correct(planes, a.radius, a.tone_factor)
        times.append(time.perf_counter() - t)
    for name, plane in zip(("peer_colour0", "peer_colour1", "peer_tone"), out):
        plane.astype("<f4").tofile(os.path.join(a.dir, name))
    print(json.dumps({
        "peer": f"OpenCV {cv2.__version__} cv2.boxFilter",
        "threads": cv2.getNumThreads(),
        "median_s": statistics.median(times),
        "runs": a.runs,
    }))


if __name__ == "__main__":
    main()
