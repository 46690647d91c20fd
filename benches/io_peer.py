#!/usr/bin/env python3
"""OpenImageIO peer of `tinct bench io` (crates/core/src/bench/io.rs).

Reads the files tinct wrote (`frame-{pixel}-{compression}.{ext}` in --dir) into float32 RGB, and
writes the same picture (taken from the lossless float ZIP `source.exr`) back out as
`oiio-{pixel}-{compression}.{ext}` in the same format:
- exr:half|float:zip|piz: that pixel type and compression;
- dpx:uint10:filled-a: 10-bit, filled method A, big-endian (what tinct's `infer.format = "dpx"`
  writes);
- tiff:uint16:none: 16-bit, uncompressed (OpenImageIO's own default would be zip).
Timings are taken inside this process, so interpreter and module start-up are excluded. Every
write ends with an fsync, because tinct's writer syncs its temp file before renaming it (both pay
for durability).

Prints one JSON object: {"peer", "threads", "exr_threads", "cases": [{format, pixel, compression,
read_s, write_s, means, written_bytes}]}, where read_s / write_s are medians in seconds per frame
and means are the channel means of the decoded read (so tinct can check both decoded the same).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import OpenImageIO as oiio

EXTENSIONS = {"exr": "exr", "dpx": "dpx", "tiff": "tif"}


def read_rgb(path):
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise RuntimeError(f"OpenImageIO cannot open {path}: {oiio.geterror()}")
    pixels = inp.read_image(0, 0, 0, 3, "float")
    inp.close()
    if pixels is None:
        raise RuntimeError(f"OpenImageIO cannot read {path}: {oiio.geterror()}")
    return pixels


def output_spec(w, h, fmt, pixel, compression):
    if fmt == "exr":
        spec = oiio.ImageSpec(w, h, 3, oiio.HALF if pixel == "half" else oiio.FLOAT)
        spec.attribute("compression", compression)
    elif fmt == "dpx" and pixel == "uint10" and compression == "filled-a":
        spec = oiio.ImageSpec(w, h, 3, oiio.UINT16)
        spec.attribute("oiio:BitsPerSample", 10)
        spec.attribute("dpx:Packing", "Filled, method A")
        spec.attribute("oiio:Endian", "big")
    elif fmt == "tiff" and pixel == "uint16" and compression == "none":
        spec = oiio.ImageSpec(w, h, 3, oiio.UINT16)
        spec.attribute("compression", "none")
    else:
        raise ValueError(f"unknown case {fmt}:{pixel}:{compression}")
    return spec


def write_rgb(path, pixels, spec):
    out = oiio.ImageOutput.create(path)
    if out is None or not out.open(path, spec):
        raise RuntimeError(f"OpenImageIO cannot create {path}: {oiio.geterror()}")
    if not out.write_image(pixels):
        raise RuntimeError(f"OpenImageIO cannot write {path}: {out.geterror()}")
    out.close()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def median_seconds(fn, repeats):
    fn()  # warm-up: page cache, codec tables, thread pool start
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cases", required=True, help="comma list of format:pixel:compression")
    ap.add_argument("--reads", type=int, default=5)
    ap.add_argument("--writes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="0 = OpenImageIO's default")
    args = ap.parse_args()

    if args.threads > 0:
        oiio.attribute("threads", args.threads)
        oiio.attribute("exr_threads", args.threads)

    source = read_rgb(os.path.join(args.dir, "source.exr"))
    source = np.ascontiguousarray(source, dtype=np.float32)
    h, w, _ = source.shape

    cases = []
    for case in args.cases.split(","):
        fmt, pixel, compression = case.split(":")
        spec = output_spec(w, h, fmt, pixel, compression)
        name = f"{pixel}-{compression}.{EXTENSIONS[fmt]}"
        src_path = os.path.join(args.dir, "frame-" + name)
        decoded = read_rgb(src_path)
        read_s = median_seconds(lambda: read_rgb(src_path), args.reads)
        out_path = os.path.join(args.dir, "oiio-" + name)
        write_s = median_seconds(lambda: write_rgb(out_path, source, spec), args.writes)
        cases.append(
            {
                "format": fmt,
                "pixel": pixel,
                "compression": compression,
                "read_s": read_s,
                "write_s": write_s,
                "means": [float(m) for m in decoded.astype(np.float64).mean(axis=(0, 1))],
                "shape": list(decoded.shape),
                "written_bytes": os.path.getsize(out_path),
            }
        )

    print(
        json.dumps(
            {
                "peer": "OpenImageIO " + oiio.VERSION_STRING,
                "threads": oiio.get_int_attribute("threads"),
                "exr_threads": oiio.get_int_attribute("exr_threads"),
                "cases": cases,
            }
        )
    )


if __name__ == "__main__":
    main()
