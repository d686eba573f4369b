"""The baseline for `shardkit convert svhn`: SVHN format 1 to TFRecord the way the widely copied
notebooks do it, in one process. Per entry of digitStruct.mat, through h5py:

    item = f['digitStruct']['bbox'][i].item()
    for key in label, left, top, width, height:
        attr = f[item][key]
        several boxes: [f[attr[()][j].item()][()][0][0] for j in range(len(attr))]
        one box:       [attr[()][0][0]]
    name: the characters of the uint16 array its reference points to

then Pillow: open the PNG, crop to the union of the boxes expanded by 15 % on each side (clamped
to the image), resize to 64×64, `tobytes()`, and one Example (image, length, digits) written with
tf.io.TFRecordWriter into one file. Numbers longer than 5 digits are left out, as the notebooks
(and ShardKit) do. A plain port of that method, not a tuned rewrite.

    python py_convert_svhn.py --input DIR/train --output FILE [--limit N]
Last line: RESULT name=py_convert_svhn_fullsize value=<images/s> unit=images/s seconds=… n=…
(seconds from after the imports to the closed file).
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import h5py  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--input", required=True, help="folder with digitStruct.mat and the PNGs")
ap.add_argument("--output", required=True, help="the TFRecord file to write")
ap.add_argument("--limit", type=int, default=None, help="only the first N entries (a stated fraction)")
a = ap.parse_args()

t0 = time.perf_counter()
written = entries = 0
f = h5py.File(os.path.join(a.input, "digitStruct.mat"), "r")
total = len(f["digitStruct"]["bbox"])
count = total if a.limit is None else min(a.limit, total)
with tf.io.TFRecordWriter(a.output) as writer:
    for i in range(count):
        entries += 1
        item = f["digitStruct"]["bbox"][i].item()
        box = {}
        for key in ["label", "left", "top", "width", "height"]:
            attr = f[item][key]
            if len(attr) > 1:
                box[key] = [f[attr[()][j].item()][()][0][0] for j in range(len(attr))]
            else:
                box[key] = [attr[()][0][0]]
        name = "".join(chr(c[0]) for c in f[f["digitStruct"]["name"][i].item()][()])
        if len(box["label"]) > 5:
            continue

        img = Image.open(os.path.join(a.input, name))
        x0 = min(box["left"])
        y0 = min(box["top"])
        x1 = max(l + w for l, w in zip(box["left"], box["width"]))
        y1 = max(t + h for t, h in zip(box["top"], box["height"]))
        dx, dy = 0.15 * (x1 - x0), 0.15 * (y1 - y0)
        crop = img.crop((int(max(0, x0 - dx)), int(max(0, y0 - dy)),
                         int(min(img.width, x1 + dx)), int(min(img.height, y1 + dy))))
        pixels = crop.resize((64, 64)).tobytes()

        digits = [int(l) % 10 for l in box["label"]]
        digits += [10] * (5 - len(digits))
        example = tf.train.Example(features=tf.train.Features(feature={
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[pixels])),
            "length": tf.train.Feature(int64_list=tf.train.Int64List(value=[len(box["label"])])),
            "digits": tf.train.Feature(int64_list=tf.train.Int64List(value=digits)),
        }))
        writer.write(example.SerializeToString())
        written += 1
f.close()
dt = time.perf_counter() - t0
print(f"RESULT name=py_convert_svhn_fullsize value={entries / dt:.6g} unit=images/s seconds={dt:.4g} "
      f"n={entries} written={written} of={total}")
