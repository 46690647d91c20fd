#!/usr/bin/env python3
"""Make the demo project's embedded panoramas from the CC0 originals (run once, by hand).

    $TINCT_PYTHON src/demo/footage/convert.py ../shared/footage/blender-cc0 src/demo/footage

The originals are 1024x512 RGB float32 OpenEXR with DWAB compression, which the Rust `exr`
crate cannot decode. tinct embeds them in its binary (`include_bytes!`), so they are re-encoded
to something `exr` reads and kept small (< 6 MB for all eight):

* resized to 768x384 with a triangle filter: a non-negative filter, so the sun (up to ~34000)
  does not ring into negative or haloed pixels the way Lanczos would;
* negative values (DWAB noise around zero, down to -0.004) clamped to 0: light is never negative;
* half float with the mantissa rounded to 7 of its 10 bits (relative error <= 0.4%, finer than
  an 8-bit sRGB step, far below the film grain the demo adds), which lets ZIP squeeze ~30% more;
* ZIP compression (16 scanlines per block), scene-linear Rec.709 values unchanged otherwise.
"""
import os
import sys

import numpy as np
import OpenImageIO as oiio

NAMES = ["city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset"]
WIDTH, HEIGHT = 768, 384
KEEP_MANTISSA_BITS = 7


def round_mantissa(a: np.ndarray, keep: int) -> np.ndarray:
    """Round half floats to `keep` mantissa bits (round half up on the bit pattern)."""
    drop = 10 - keep
    u = a.astype(np.float16).view(np.uint16).astype(np.uint32)
    u = ((u + (1 << (drop - 1))) >> drop) << drop
    return np.minimum(u, 0x7BFF).astype(np.uint16).view(np.float16)  # never round up to inf


def convert(src_dir: str, out_dir: str, name: str) -> None:
    src = oiio.ImageBuf(os.path.join(src_dir, name + ".exr"))
    if src.has_error or src.spec().nchannels < 3:
        sys.exit(f"{name}.exr: cannot read RGB: {src.geterror()}")
    rgb = oiio.ImageBufAlgo.channels(src, (0, 1, 2))
    small = oiio.ImageBufAlgo.resize(rgb, filtername="triangle", roi=oiio.ROI(0, WIDTH, 0, HEIGHT, 0, 1, 0, 3))
    px = np.clip(small.get_pixels(oiio.FLOAT), 0.0, None)
    half = round_mantissa(px, KEEP_MANTISSA_BITS)
    out = oiio.ImageBuf(oiio.ImageSpec(WIDTH, HEIGHT, 3, oiio.HALF))
    out.set_pixels(oiio.ROI(), half)
    out.specmod().attribute("compression", "zip")
    path = os.path.join(out_dir, name + ".exr")
    if not out.write(path):
        sys.exit(f"{path}: {out.geterror()}")
    print(f"{path}: {os.path.getsize(path) // 1024} KiB, max {float(half.max()):.1f}")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for name in NAMES:
        convert(sys.argv[1], sys.argv[2], name)


if __name__ == "__main__":
    main()
