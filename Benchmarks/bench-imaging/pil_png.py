"""Pillow's PNG encode and decode speed on 64x64 RGB images from common.svhn_like, the
baseline for bench-imaging's shardkit_png_* figures.

    ~/.cache/shardkit-anchors/bin/python Benchmarks/bench-imaging/pil_png.py --n 5000 \
        --out /tmp/pil_png.bin
    .build/release/bench-imaging --png-file /tmp/pil_png.bin

--out writes the PNGs Pillow made ([4-byte little-endian length][bytes] each) so that
bench-imaging can decode the very same bytes.
"""
import argparse
import io
import os
import struct
import sys

sys.path.insert(0, "/work/shared/anchors")
import common  # noqa: E402
from PIL import Image  # noqa: E402
import PIL  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=5000)
ap.add_argument("--size", type=int, default=64)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--out", default="")
a = ap.parse_args()

imgs = common.svhn_like(a.n, a.seed, a.size)
pngs = [None] * a.n


def encode_pass():
    for i in range(a.n):
        buf = io.BytesIO()
        Image.fromarray(imgs[i]).save(buf, "PNG")
        pngs[i] = buf.getvalue()


def decode_pass():
    for i in range(a.n):
        im = Image.open(io.BytesIO(pngs[i]))
        im.load()


def timed(f):
    times = []
    for _ in range(a.repeats):
        t0 = common.now()
        f()
        times.append(common.now() - t0)
    return common.med(times)


enc = timed(encode_pass)
dec = timed(decode_pass)
mean_bytes = sum(len(p) for p in pngs) / a.n
common.result("pil_png_encode", a.n / enc, "images/s", n=a.n, bytes=mean_bytes, pil=PIL.__version__)
common.result("pil_png_decode", a.n / dec, "images/s", n=a.n)
if a.out:
    with open(a.out, "wb") as f:
        for p in pngs:
            f.write(struct.pack("<I", len(p)) + p)
