"""Makes a full-size CASIA HWDB1.1-like train folder for the benchmark: 240 `.gnt` files
(`train/1001-c.gnt` … `train/1240-c.gnt`, one per writer as in HWDB1.1trn) holding 897,758
samples of the 3,755 GB2312 level-1 characters, about 5.7 GB.

- Each writer writes about 3,740 of the 3,755 characters once, in a random order (every class
  occurs; the generator checks).
- Images vary in size: width and height each about N(80, 16²), clipped to 24…160 (mean ≈ 80×80).
- Pixels as in the real files: background exactly 255, anti-aliased dark strokes. Each character
  is drawn once with a CJK font (the one Sources/Glyphs/CJKFont.swift finds first), then per sample
  sheared, scaled into the box at a random place and inked at a random gray.
- Records in the `.gnt` layout the fixture generator writes (`gnt_record` from Fixtures/generate.py).

    python make_hwdb_input.py --output DIR [--files 240] [--samples 897758] [--seed 14]
Writes DIR/train/*.gnt, and DIR/train/.complete last (an interrupted run is redone).
"""
import argparse
import os
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Fixtures"))
from generate import gnt_record  # noqa: E402  (the fixture writer's record layout, reused)

FONTS = ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"]
GLYPH = 96  # side of the pre-drawn glyph masks


def level1_characters():
    """GB2312 level 1: rows 0xB0…0xD7, columns 0xA1…0xFE, minus the five empty cells D7FA…D7FE."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            if hi == 0xD7 and lo > 0xF9:
                continue
            chars.append(bytes([hi, lo]).decode("gb2312"))
    assert len(chars) == 3755
    return chars


def glyph_masks(chars):
    font_path = next((p for p in FONTS if os.path.exists(p)), None)
    if font_path is None:
        raise SystemExit("make_hwdb_input: no CJK font (apt-get install fonts-wqy-microhei)")
    font = ImageFont.truetype(font_path, int(GLYPH * 0.9))
    masks = []
    for ch in chars:
        img = Image.new("L", (GLYPH, GLYPH), 0)
        ImageDraw.Draw(img).text((GLYPH // 2, GLYPH // 2), ch, fill=255, font=font, anchor="mm")
        masks.append(img)
    return masks


def sample_image(rng, mask, width, height):
    """height×width uint8: white, with the glyph sheared, scaled into the box and inked."""
    shear = rng.uniform(-0.25, 0.25)
    sheared = mask.transform(mask.size, Image.AFFINE, (1, shear, -shear * GLYPH / 2, 0, 1, 0),
                             resample=Image.BILINEAR)
    gw = max(8, int(width * rng.uniform(0.75, 1.0)))
    gh = max(8, int(height * rng.uniform(0.75, 1.0)))
    glyph = np.asarray(sheared.resize((gw, gh), Image.BILINEAR), dtype=np.uint16)
    ink = int(rng.integers(0, 80))
    out = np.full((height, width), 255, dtype=np.uint8)
    x = int(rng.integers(0, width - gw + 1)) if width > gw else 0
    y = int(rng.integers(0, height - gh + 1)) if height > gh else 0
    gw, gh = min(gw, width), min(gh, height)
    region = 255 - (glyph[:gh, :gw] * (255 - ink) + 127) // 255
    out[y:y + gh, x:x + gw] = region.astype(np.uint8)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--output", required=True)
    ap.add_argument("--files", type=int, default=240)
    ap.add_argument("--samples", type=int, default=897758)
    ap.add_argument("--seed", type=int, default=14)
    a = ap.parse_args()
    folder = os.path.join(a.output, "train")
    done = os.path.join(folder, ".complete")
    if os.path.exists(done):
        return
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    chars = level1_characters()
    masks = glyph_masks(chars)
    per_file = [a.samples // a.files + (1 if k < a.samples % a.files else 0) for k in range(a.files)]
    seen = np.zeros(len(chars), dtype=bool)
    t0, total_bytes, areas = time.time(), 0, []
    for k, n in enumerate(per_file):
        # About n of the 3,755 characters, each once; if n exceeds 3,755, some twice.
        picks = rng.permutation(len(chars))[: min(n, len(chars))]
        if n > len(chars):
            picks = np.concatenate([picks, rng.integers(0, len(chars), n - len(chars))])
        seen[picks] = True
        widths = np.clip(rng.normal(80, 16, n), 24, 160).astype(int)
        heights = np.clip(rng.normal(80, 16, n), 24, 160).astype(int)
        areas.append(int((widths * heights).sum()))
        p = os.path.join(folder, f"{1001 + k}-c.gnt")
        with open(p + ".part", "wb") as f:
            for c, w, h in zip(picks, widths, heights):
                f.write(gnt_record(chars[c], sample_image(rng, masks[c], int(w), int(h))))
        os.replace(p + ".part", p)
        total_bytes += os.path.getsize(p)
        if (k + 1) % 10 == 0:
            print(f"  {k + 1}/{a.files} files, {total_bytes / 1e9:.2f} GB, {time.time() - t0:.0f} s", file=sys.stderr)
    if a.samples >= len(chars) * 2 and not seen.all():
        raise SystemExit(f"make_hwdb_input: {int((~seen).sum())} characters never drawn")
    print(f"hwdb input: {a.files} files, {a.samples} samples, {int(seen.sum())} classes, mean area "
          f"{sum(areas) / a.samples:.0f} px, {total_bytes / 1e9:.2f} GB, {time.time() - t0:.0f} s", file=sys.stderr)
    open(done, "w").close()


if __name__ == "__main__":
    main()
