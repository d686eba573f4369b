"""Pillow's PNG encode and decode speed on 64x64 RGB images from common.svhn_like, the
baseline for bench-imaging's shardkit_png_* figures.

    ~/.cache/shardkit-anchors/bin/python Benchmarks/bench-imaging/pil_png.py --n 5000 \
        --out /tmp/pil_png.bin
    .build/release/bench-imaging --png-file /tmp/pil_png.bin

--out writes the PNGs Pillow made ([4-byte little-endian length][bytes] each) so that
bench-imaging can decode the very same bytes.

--digits encodes 28x28 gray digits instead (Fixtures/digits/t10k-images-idx3-ubyte, the 500
fixture test digits cycled to --n), the baseline for bench-imaging's shardkit_png_encode_digit:

    ~/.cache/shardkit-anchors/bin/python Benchmarks/bench-imaging/pil_cpu.py \
        Benchmarks/bench-imaging/pil_png.py --digits --n 20000
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
ap.add_argument("--digits", action="store_true")
a = ap.parse_args()

if a.digits:
    import numpy as np

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, "Fixtures", "digits", "t10k-images-idx3-ubyte"), "rb") as f:
        digits = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    imgs = [digits[i % len(digits)] for i in range(a.n)]
else:
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
mean_bytes = sum(len(p) for p in pngs) / a.n
if a.digits:
    common.result("pil_png_encode_digit", a.n / enc, "images/s", n=a.n, us_per_image=round(enc / a.n * 1e6, 2),
                  bytes=mean_bytes, pil=PIL.__version__)
    sys.exit(0)
dec = timed(decode_pass)
common.result("pil_png_encode", a.n / enc, "images/s", n=a.n, bytes=mean_bytes, pil=PIL.__version__)
common.result("pil_png_decode", a.n / dec, "images/s", n=a.n)
if a.out:
    with open(a.out, "wb") as f:
        for p in pngs:
            f.write(struct.pack("<I", len(p)) + p)
