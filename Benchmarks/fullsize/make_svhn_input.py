"""Makes a full-size SVHN format-1 train folder for the benchmark: `train/digitStruct.mat` with
33,402 entries (the real train count) and `train/1.png` … `train/33402.png`.

- Digit counts as in the real train set: 5,137 one-digit, 18,130 two-digit, 8,691 three-digit,
  1,434 four-digit, 9 five-digit and 1 six-digit entries (73,257 digits), in a seeded random order.
- digitStruct.mat in MATLAB v7.3's layout, written by the fixture generator's `write_mat`
  (Fixtures/generate.py): a one-digit entry stores its bbox fields inline (1×1 float64), a
  several-digit entry stores n×1 arrays of references into `/#refs#`, names are uint16 arrays.
- PNGs 30–400 px wide (log-normal around 110, as street-view crops), RGB, with a gradient
  background, sensor-like noise and the digits drawn as thick strokes inside their boxes, so
  decoding costs what a photograph's PNG costs. Some first boxes start at left = −1, as in the
  real file.

    python make_svhn_input.py --output DIR [--seed 14] [--entries N]
Writes DIR/train/… and DIR/train/.complete last (an interrupted run is redone).
"""
import argparse
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate import draw_digit_box, write_mat  # noqa: E402  (the fixture writer, reused)

# Entries per digit count (1…6) in SVHN's train split.
TRAIN_LENGTHS = {1: 5137, 2: 18130, 3: 8691, 4: 1434, 5: 9, 6: 1}


def layout(rng, n):
    """Image size and n boxes (left, top, width, height), whole pixels, left to right."""
    height = int(np.clip(rng.lognormal(np.log(58), 0.45), 16, 300))
    box_h = height * rng.uniform(0.55, 0.85)
    box_w = box_h * rng.uniform(0.4, 0.65)
    gap = box_w * rng.uniform(0.0, 0.12)
    span = n * box_w + (n - 1) * gap
    width = int(np.clip(span / rng.uniform(0.25, 0.75), 30, 400))
    if span > 0.95 * width:  # clipped at 400 px: shrink the digits to fit
        scale = 0.95 * width / span
        box_w, gap, span = box_w * scale, gap * scale, span * scale
    left0 = rng.uniform(0, width - span)
    top = int(rng.uniform(0, height - box_h))
    boxes = []
    for k in range(n):
        left = int(round(left0 + k * (box_w + gap) + rng.uniform(-1, 1)))
        boxes.append((max(left, 0), max(top + int(rng.integers(-1, 2)), 0), max(int(box_w), 3), max(int(box_h), 5)))
    if rng.random() < 0.01:
        boxes[0] = (-1,) + boxes[0][1:]
    return width, height, boxes


def photo(rng, width, height, digits, boxes):
    """A noisy RGB picture with the digits drawn in their boxes."""
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    base = a[None, None, :] * (1 - t) + b[None, None, :] * t
    base = np.broadcast_to(base, (height, width, 3))
    img = Image.fromarray(base.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    ink = tuple(int(v) for v in (255 - (a + b) // 2))
    stroke = max(1, boxes[0][3] // 8)
    for digit, box in zip(digits, boxes):
        draw_digit_box(d, digit, box, ink, stroke)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    noisy = np.asarray(img, dtype=np.int16) + rng.normal(0, 6, (height, width, 3)).astype(np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--output", required=True)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--entries", type=int, default=None, help="only the first N entries (smoke tests)")
    a = ap.parse_args()
    folder = os.path.join(a.output, "train")
    done = os.path.join(folder, ".complete")
    if os.path.exists(done):
        return
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    lengths = np.concatenate([np.full(c, n) for n, c in TRAIN_LENGTHS.items()])
    rng.shuffle(lengths)
    lengths = lengths[: a.entries]
    t0 = time.time()
    entries, png_bytes, widths = [], 0, []
    for i, n in enumerate(lengths):
        digits = [int(d) for d in rng.integers(0, 10, int(n))]
        width, height, boxes = layout(rng, int(n))
        name = f"{i + 1}.png"
        p = os.path.join(folder, name)
        photo(rng, width, height, digits, boxes).save(p)
        png_bytes += os.path.getsize(p)
        widths.append(width)
        entries.append((name, [(10 if d == 0 else d, *box) for d, box in zip(digits, boxes)]))
        if (i + 1) % 5000 == 0:
            print(f"  {i + 1} PNGs, {time.time() - t0:.0f} s", file=sys.stderr)
    print(f"  writing digitStruct.mat ({len(entries)} entries)", file=sys.stderr)
    write_mat(os.path.join(folder, "digitStruct.mat"), entries)
    mat = os.path.getsize(os.path.join(folder, "digitStruct.mat"))
    w = np.array(widths)
    print(f"svhn input: {len(entries)} entries, {int(lengths.sum())} digits, widths {w.min()}–{w.max()} "
          f"(mean {w.mean():.0f}), PNGs {png_bytes / 2**20:.0f} MiB (mean {png_bytes / len(entries) / 1024:.1f} KiB), "
          f"digitStruct.mat {mat / 2**20:.1f} MiB, {time.time() - t0:.0f} s", file=sys.stderr)
    open(done, "w").close()


if __name__ == "__main__":
    main()
