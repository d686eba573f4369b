#!/usr/bin/env python3
"""Writes every fixture under Fixtures/ (except Fixtures/imaging/, which has its own owner).

Deterministic: every random choice comes from a seeded numpy Generator, gzip streams carry
mtime 0, HDF5 files are written without timestamps. Run through scripts/make-fixtures.sh.

Each fixture folder also gets an `expected.json` with what was written (labels, characters,
boxes, a few probe pixels) so the Swift tests check values, not just shapes.
"""
import gzip
import json
import math
import os
import shutil
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = os.path.dirname(os.path.abspath(__file__))


def path(*parts):
    p = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(rel, data):
    with open(path(*rel.split("/")), "wb") as f:
        f.write(data)


def write_json(rel, obj):
    with open(path(*rel.split("/")), "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


# ---------------------------------------------------------------------------------------------
# Digit glyphs: polylines in a unit box (x right, y down), drawn as thick strokes.
# ---------------------------------------------------------------------------------------------
GLYPHS = {
    0: [[(0.5, 0.0), (0.85, 0.15), (0.95, 0.5), (0.85, 0.85), (0.5, 1.0), (0.15, 0.85), (0.05, 0.5),
         (0.15, 0.15), (0.5, 0.0)]],
    1: [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)], [(0.3, 1.0), (0.8, 1.0)]],
    2: [[(0.1, 0.2), (0.3, 0.02), (0.7, 0.02), (0.9, 0.25), (0.8, 0.5), (0.1, 1.0), (0.95, 1.0)]],
    3: [[(0.1, 0.05), (0.9, 0.05), (0.45, 0.45), (0.85, 0.6), (0.85, 0.85), (0.55, 1.0), (0.1, 0.9)]],
    4: [[(0.7, 1.0), (0.7, 0.0), (0.05, 0.7), (0.95, 0.7)]],
    5: [[(0.9, 0.02), (0.2, 0.02), (0.15, 0.45), (0.6, 0.4), (0.9, 0.65), (0.75, 0.95), (0.1, 0.92)]],
    6: [[(0.8, 0.05), (0.35, 0.2), (0.12, 0.6), (0.3, 0.95), (0.7, 0.95), (0.85, 0.7), (0.6, 0.5),
         (0.25, 0.55)]],
    7: [[(0.05, 0.02), (0.95, 0.02), (0.4, 1.0)], [(0.35, 0.5), (0.8, 0.5)]],
    8: [[(0.5, 0.48), (0.2, 0.3), (0.3, 0.03), (0.7, 0.03), (0.8, 0.3), (0.5, 0.48), (0.15, 0.7),
         (0.3, 0.98), (0.7, 0.98), (0.85, 0.7), (0.5, 0.48)]],
    9: [[(0.8, 0.45), (0.4, 0.5), (0.15, 0.3), (0.35, 0.03), (0.75, 0.05), (0.85, 0.4), (0.7, 1.0)]],
}


def draw_digit_28(rng, digit):
    """One MNIST-like 28×28 uint8 image: white strokes on black, jittered, blurred, noisy."""
    scale = 4  # draw at 112×112, then downsample
    size = 28 * scale
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    angle = math.radians(rng.uniform(-14, 14))
    shear = rng.uniform(-0.25, 0.25)
    sx = rng.uniform(0.55, 0.72) * 28
    sy = rng.uniform(0.62, 0.78) * 28
    cx = 14 + rng.uniform(-2.0, 2.0)
    cy = 14 + rng.uniform(-2.0, 2.0)
    width = rng.uniform(1.8, 3.4) * scale
    ca, sa = math.cos(angle), math.sin(angle)

    def tx(p):
        x = (p[0] - 0.5) * sx
        y = (p[1] - 0.5) * sy
        x += shear * y
        x, y = ca * x - sa * y, sa * x + ca * y
        # per-point wobble, like a hand
        x += rng.normal(0, 0.35)
        y += rng.normal(0, 0.35)
        return ((cx + x) * scale, (cy + y) * scale)

    r = width / 2
    for line in GLYPHS[digit]:
        pts = [tx(p) for p in line]
        d.line(pts, fill=255, width=int(round(width)))
        for (x, y) in pts:
            d.ellipse([x - r, y - r, x + r, y + r], fill=255)
    img = img.resize((28, 28), Image.LANCZOS)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.6)))
    a = np.asarray(img, dtype=np.float64)
    a = a * rng.uniform(0.8, 1.0)
    a = a + np.where(a > 8, rng.normal(0, 8, a.shape), 0)  # noise on the strokes; background stays 0 like MNIST
    return np.clip(np.round(a), 0, 255).astype(np.uint8)


def idx_images(images):
    n = len(images)
    return struct.pack(">IIII", 2051, n, 28, 28) + b"".join(im.tobytes() for im in images)


def idx_labels(labels):
    return struct.pack(">II", 2049, len(labels)) + bytes(labels)


def probes(images, indices, rng, channels=1):
    out = []
    for i in indices:
        im = images[i]
        h, w = im.shape[0], im.shape[1]
        for _ in range(3):
            r, c = int(rng.integers(0, h)), int(rng.integers(0, w))
            ch = int(rng.integers(0, channels))
            v = int(im[r, c, ch]) if im.ndim == 3 else int(im[r, c])
            out.append({"index": int(i), "row": r, "col": c, "channel": ch, "value": v})
    return out


def make_digit_set(rng, n):
    labels = [int(x) for x in rng.integers(0, 10, n)]
    images = [draw_digit_28(rng, l) for l in labels]
    return images, labels


def digits_and_mnist():
    rng = np.random.default_rng(20261121)
    # Fixtures/digits: a learnable procedurally drawn set. Train stored as .gz only (size), test raw and .gz.
    tr_i, tr_l = make_digit_set(rng, 2000)
    te_i, te_l = make_digit_set(rng, 500)
    write("digits/train-images-idx3-ubyte.gz", gz(idx_images(tr_i)))
    write("digits/train-labels-idx1-ubyte.gz", gz(idx_labels(tr_l)))
    write("digits/t10k-images-idx3-ubyte", idx_images(te_i))
    write("digits/t10k-labels-idx1-ubyte", idx_labels(te_l))
    write("digits/t10k-images-idx3-ubyte.gz", gz(idx_images(te_i)))
    write("digits/t10k-labels-idx1-ubyte.gz", gz(idx_labels(te_l)))
    write_json("digits/expected.json", {
        "train": {"count": 2000, "labelCounts": [tr_l.count(k) for k in range(10)],
                  "firstLabels": tr_l[:20], "pixelSums": [int(im.sum()) for im in tr_i[:20]]},
        "t10k": {"count": 500, "labelCounts": [te_l.count(k) for k in range(10)],
                 "firstLabels": te_l[:20], "pixelSums": [int(im.sum()) for im in te_i[:20]]},
    })

    # Fixtures/mnist: a tiny set, raw and gzip, every value listed in expected.json.
    mi, ml = make_digit_set(rng, 20)
    ti, tl = make_digit_set(rng, 10)
    for name, data in [("train-images-idx3-ubyte", idx_images(mi)), ("train-labels-idx1-ubyte", idx_labels(ml)),
                       ("t10k-images-idx3-ubyte", idx_images(ti)), ("t10k-labels-idx1-ubyte", idx_labels(tl))]:
        write("mnist/" + name, data)
        write("mnist/" + name + ".gz", gz(data))
    write_json("mnist/expected.json", {
        "train": {"labels": ml, "pixelSums": [int(im.sum()) for im in mi], "probes": probes(mi, [0, 7, 19], rng)},
        "t10k": {"labels": tl, "pixelSums": [int(im.sum()) for im in ti], "probes": probes(ti, [0, 9], rng)},
    })

    # Fixtures/broken/mnist: one defect per file; the good partner comes from Fixtures/mnist.
    full = idx_images(mi)
    write("broken/mnist/truncated-images-idx3-ubyte", full[: 16 + 5 * 784 + 300])  # ends inside record 5
    write("broken/mnist/header-cut-images-idx3-ubyte", full[:10])  # ends inside the header
    write("broken/mnist/bad-magic-images-idx3-ubyte", struct.pack(">I", 2049) + full[4:])
    write("broken/mnist/bad-type-images-idx3-ubyte", full[:2] + b"\x0d" + full[3:])
    write("broken/mnist/bad-dims-images-idx3-ubyte", full[:3] + b"\x02" + full[4:])
    write("broken/mnist/count19-labels-idx1-ubyte", idx_labels(ml[:19]))
    # header says 20 images, payload holds 17 whole images
    write("broken/mnist/short-payload-images-idx3-ubyte", full[: 16 + 17 * 784])
    write("broken/mnist/trailing-images-idx3-ubyte", full + b"\x00" * 5)
    cut = gz(full)
    write("broken/mnist/cut-images-idx3-ubyte.gz", cut[: len(cut) // 2])
    corrupt = bytearray(gz(full))
    corrupt[-6] ^= 0xFF  # damage the CRC32 trailer
    write("broken/mnist/bad-crc-images-idx3-ubyte.gz", bytes(corrupt))


# ---------------------------------------------------------------------------------------------
# CIFAR
# ---------------------------------------------------------------------------------------------
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR100_COARSE = ["aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
                   "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
                   "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
                   "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
                   "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2"]
CIFAR100_FINE = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can "
    "castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin "
    "elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster "
    "man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck "
    "pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk "
    "skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger "
    "tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm").split()
assert len(CIFAR100_FINE) == 100 and len(CIFAR100_COARSE) == 20


def cifar_image(rng):
    """A 32×32×3 HWC image: a colour gradient plus a rectangle, so planes differ."""
    y, x = np.mgrid[0:32, 0:32]
    base = rng.integers(0, 256, 3)
    im = np.stack([(base[0] + 7 * x) % 256, (base[1] + 5 * y) % 256, (base[2] + 3 * (x + y)) % 256], axis=-1)
    r0, c0 = rng.integers(0, 24, 2)
    im[r0:r0 + 8, c0:c0 + 8] = rng.integers(0, 256, 3)
    return im.astype(np.uint8)


def cifar_record(labels, im):
    planar = np.transpose(im, (2, 0, 1))  # HWC → CHW: red plane, green plane, blue plane
    return bytes(labels) + planar.tobytes()


def cifar():
    rng = np.random.default_rng(32)
    expected = {}
    for fname, n in [("data_batch_1.bin", 12), ("test_batch.bin", 6)]:
        labels = [int(x) for x in rng.integers(0, 10, n)]
        ims = [cifar_image(rng) for _ in range(n)]
        write("cifar10/" + fname, b"".join(cifar_record([l], im) for l, im in zip(labels, ims)))
        expected[fname] = {"labels": labels, "pixelSums": [int(im.sum()) for im in ims],
                           "probes": probes(ims, [0, n - 1], rng, channels=3)}
        if fname == "data_batch_1.bin":
            good = b"".join(cifar_record([l], im) for l, im in zip(labels, ims))
    write("cifar10/batches.meta.txt", ("\n".join(CIFAR10_NAMES) + "\n\n").encode())
    expected["labelNames"] = CIFAR10_NAMES
    write_json("cifar10/expected.json", expected)

    write("broken/cifar10/short.bin", good[:-1])
    bad = bytearray(good)
    bad[3 * 3073] = 10  # record 3: label 10 on CIFAR-10
    write("broken/cifar10/bad-label.bin", bytes(bad))

    expected = {}
    for fname, n in [("train.bin", 10), ("test.bin", 5)]:
        coarse = [int(x) for x in rng.integers(0, 20, n)]
        fine = [int(x) for x in rng.integers(0, 100, n)]
        ims = [cifar_image(rng) for _ in range(n)]
        data = b"".join(cifar_record([c, f], im) for c, f, im in zip(coarse, fine, ims))
        write("cifar100/" + fname, data)
        expected[fname] = {"coarseLabels": coarse, "fineLabels": fine, "pixelSums": [int(im.sum()) for im in ims],
                           "probes": probes(ims, [0, n - 1], rng, channels=3)}
        if fname == "train.bin":
            bad = bytearray(data)
            bad[2 * 3074] = 20  # record 2: coarse label 20
            write("broken/cifar100/bad-coarse.bin", bytes(bad))
    write("cifar100/coarse_label_names.txt", ("\n".join(CIFAR100_COARSE) + "\n").encode())
    write("cifar100/fine_label_names.txt", ("\n".join(CIFAR100_FINE) + "\n").encode())
    expected["coarseNames"] = CIFAR100_COARSE
    expected["fineNames"] = CIFAR100_FINE
    write_json("cifar100/expected.json", expected)


# ---------------------------------------------------------------------------------------------
# HWDB .gnt
# ---------------------------------------------------------------------------------------------
def hwdb_image(rng, w, h):
    """Grayscale h×w, white background, a few dark strokes."""
    img = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 7))):
        p = [(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(2)]
        d.line(p, fill=int(rng.integers(0, 90)), width=int(rng.integers(2, 5)))
    return np.asarray(img, dtype=np.uint8)


def gnt_record(ch, im, size_override=None, w_override=None):
    tag = ch.encode("gb2312")
    assert len(tag) == 2
    h, w = im.shape
    if w_override is not None:
        w = w_override
    size = 10 + w * h if size_override is None else size_override
    return struct.pack("<I", size) + tag + struct.pack("<HH", w, h) + (im.tobytes() if w_override is None else b"")


def hwdb():
    rng = np.random.default_rng(1001)
    chars = ["中", "国", "人", "大", "一", "字", "。"]  # '。' (A1A3) is a symbol
    expected = {}
    files = [("train/1001-c.gnt", chars[:5] + ["。"]), ("train/1002-c.gnt", ["字", "中", "一", "人"]),
             ("test/1241-c.gnt", ["国", "字", "。"])]
    for rel, cs in files:
        recs, meta = [], []
        for ch in cs:
            w, h = int(rng.integers(20, 61)), int(rng.integers(20, 61))
            im = hwdb_image(rng, w, h)
            recs.append(gnt_record(ch, im))
            tag = ch.encode("gb2312")
            meta.append({"character": ch, "tagCode": tag[0] << 8 | tag[1], "width": w, "height": h,
                         "pixelSum": int(im.sum()), "firstRow": [int(v) for v in im[0, :8]]})
        write("hwdb/" + rel, b"".join(recs))
        expected[rel] = meta
        if rel == "train/1001-c.gnt":
            good = recs
    expected["dictionary"] = sorted({ch for rel, cs in files if rel.startswith("train/") for ch in cs})
    write_json("hwdb/expected.json", expected)

    # Broken: sample size wrong on record 2; zero width on record 1; file ending inside record 2.
    bad = list(good[:4])
    h, w = struct.unpack("<HH", bad[2][6:10])[::-1]
    bad[2] = struct.pack("<I", 10 + w * h + 3) + bad[2][4:]
    write("broken/hwdb/bad-size.gnt", b"".join(bad))
    zero = gnt_record("人", np.zeros((12, 0), dtype=np.uint8))
    write("broken/hwdb/zero-width.gnt", good[0] + zero + good[1])
    write("broken/hwdb/truncated.gnt", b"".join(good[:2]) + good[2][:len(good[2]) // 2])


# ---------------------------------------------------------------------------------------------
# SVHN format 1: PNGs + digitStruct.mat (MATLAB v7.3 = HDF5 with a 512-byte user block)
# ---------------------------------------------------------------------------------------------
def draw_digit_box(d, digit, box, color, width):
    left, top, bw, bh = box
    for line in GLYPHS[digit]:
        pts = [(left + 0.15 * bw + p[0] * 0.7 * bw, top + 0.1 * bh + p[1] * 0.8 * bh) for p in line]
        d.line(pts, fill=color, width=width)


def svhn_image(rng, w, h, digits, boxes):
    bg = tuple(int(v) for v in rng.integers(0, 120, 3))
    fg = tuple(int(v) for v in rng.integers(150, 256, 3))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    for dg, b in zip(digits, boxes):
        draw_digit_box(d, dg, b, fg, 2)
    return img


def write_mat(p, entries, with_digitstruct=True, huge_count=False):
    """entries: list of (name, [(label, left, top, width, height), ...]). huge_count: name and bbox
    declare 2^40 x 2^40 references instead (chunked, nothing stored; the count overflows 64 bits)."""
    import h5py
    with h5py.File(p, "w", userblock_size=512, libver="earliest", track_order=False) as f:
        if huge_count:
            ds = f.create_group("digitStruct")
            for name in ("name", "bbox"):
                ds.create_dataset(name, (2**40, 2**40), dtype=h5py.ref_dtype, chunks=(1, 1), track_times=False)
        elif with_digitstruct:
            refs = f.create_group("#refs#")
            counter = [0]

            def fresh():
                counter[0] += 1
                return "r%d" % counter[0]

            def dataset(parent, name, data, **kw):
                return parent.create_dataset(name, data=data, track_times=False, **kw)

            ds = f.create_group("digitStruct")
            ds.attrs["MATLAB_class"] = np.bytes_("struct")
            n = len(entries)
            name_ds = ds.create_dataset("name", (n, 1), dtype=h5py.ref_dtype, track_times=False)
            bbox_ds = ds.create_dataset("bbox", (n, 1), dtype=h5py.ref_dtype, track_times=False)
            for i, (name, boxes) in enumerate(entries):
                nd = dataset(refs, fresh(), np.array([ord(c) for c in name], dtype=np.uint16).reshape(-1, 1))
                nd.attrs["MATLAB_class"] = np.bytes_("char")
                nd.attrs["MATLAB_int_decode"] = np.int32(2)
                name_ds[i, 0] = nd.ref
                g = refs.create_group(fresh())
                g.attrs["MATLAB_class"] = np.bytes_("struct")
                for k, field in enumerate(["label", "left", "top", "width", "height"]):
                    if len(boxes) == 1:
                        fd = dataset(g, field, np.array([[float(boxes[0][k])]], dtype=np.float64))
                        fd.attrs["MATLAB_class"] = np.bytes_("double")
                    else:
                        fd = g.create_dataset(field, (len(boxes), 1), dtype=h5py.ref_dtype, track_times=False)
                        fd.attrs["MATLAB_class"] = np.bytes_("cell")
                        for j, b in enumerate(boxes):
                            v = dataset(refs, fresh(), np.array([[float(b[k])]], dtype=np.float64))
                            v.attrs["MATLAB_class"] = np.bytes_("double")
                            fd[j, 0] = v.ref
                bbox_ds[i, 0] = g.ref
        else:
            g = f.create_group("somethingElse")
            g.create_dataset("x", data=np.zeros((1, 1)), track_times=False)
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Sat Nov 21 00:00:00 2026 HDF5 schema 1.00 ."
    with open(p, "r+b") as f:
        block = header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
        f.write(block.ljust(512, b"\x00"))


def svhn():
    rng = np.random.default_rng(7)
    # (width, height, digits with boxes (digit, left, top, w, h)); label written as 10 for digit 0.
    splits = {
        "train": [
            (60, 40, [(1, 12, 6, 16, 28), (9, 30, 7, 17, 27)]),
            (34, 44, [(0, 9, 8, 16, 30)]),  # one digit, inline 1×1 values, label 10
            (120, 36, [(1, 3, 5, 15, 26), (2, 21, 6, 15, 26), (3, 39, 5, 15, 26), (4, 57, 6, 15, 26),
                       (5, 75, 5, 15, 26), (6, 93, 6, 15, 26)]),  # six digits: skipped by the pipeline
            (52, 48, [(7, -1, 9, 14, 30), (4, 14, 10, 15, 29), (0, 30, 9, 16, 30)]),  # left = -1
        ],
        "test": [
            (40, 30, [(3, 12, 4, 15, 22)]),
            (70, 50, [(5, 16, 10, 18, 30), (8, 36, 11, 18, 30)]),
        ],
    }
    expected = {}
    for split, items in splits.items():
        entries, meta = [], []
        for i, (w, h, ds) in enumerate(items):
            name = "%d.png" % (i + 1)
            boxes = [(10 if d == 0 else d, l, t, bw, bh) for d, l, t, bw, bh in ds]
            img = svhn_image(rng, w, h, [d for d, *_ in ds], [b[1:] for b in boxes])
            img.save(path("svhn", split, name), optimize=False, compress_level=9)
            entries.append((name, boxes))
            a = np.asarray(img)
            meta.append({"name": name, "width": w, "height": h,
                         "boxes": [{"label": b[0], "left": b[1], "top": b[2], "width": b[3], "height": b[4]}
                                   for b in boxes],
                         "probe": [int(v) for v in a[h // 2, w // 2]]})
        write_mat(path("svhn", split, "digitStruct.mat"), entries)
        expected[split] = meta
    write_json("svhn/expected.json", expected)

    # Broken: no /digitStruct; a digitStruct naming a PNG that is not there.
    write_mat(path("broken", "svhn", "no-digitstruct", "digitStruct.mat"), [], with_digitstruct=False)
    d = path("broken", "svhn", "missing-png", "1.png")
    shutil.copyfile(path("svhn", "test", "1.png"), d)
    write_mat(path("broken", "svhn", "missing-png", "digitStruct.mat"),
              [("1.png", [(3, 12, 4, 15, 22)]), ("7.png", [(5, 1, 1, 10, 20)]), ("1.png", [(3, 12, 4, 15, 22)])])
    write_mat(path("broken", "svhn", "huge-count", "digitStruct.mat"), [], huge_count=True)
    # Entry 3 (4.png) has a label of 11 in its first box: entries 0-2 read, then the error.
    write_mat(path("broken", "svhn", "bad-label", "digitStruct.mat"),
              [("1.png", [(3, 12, 4, 15, 22)]), ("2.png", [(5, 1, 1, 10, 20), (6, 12, 1, 10, 20)]),
               ("3.png", [(1, 1, 1, 10, 20)]), ("4.png", [(11, 1, 1, 10, 20), (2, 12, 1, 10, 20)]),
               ("5.png", [(4, 1, 1, 10, 20)])])


# ---------------------------------------------------------------------------------------------
# SVHN format 2 (cropped digits): MAT v5 files written byte by byte, stdlib only (struct, zlib)
# ---------------------------------------------------------------------------------------------
MI_INT8, MI_UINT8, MI_INT32, MI_UINT32, MI_DOUBLE, MI_MATRIX, MI_COMPRESSED = 1, 2, 5, 6, 9, 14, 15
MX_DOUBLE, MX_UINT8 = 6, 9


def mat_element(o, mtype, data, small=True):
    """One data element in byte order `o` ('<' or '>'): the small format (size and type as the
    16-bit halves of one word, then the 1–4 data bytes) when it fits, else a normal tag; data are
    padded to 8 bytes."""
    n = len(data)
    if small and 0 < n <= 4:
        return struct.pack(o + "I", (n << 16) | mtype) + data + b"\0" * (4 - n)
    return struct.pack(o + "II", mtype, n) + data + b"\0" * ((8 - n % 8) % 8)


def mat_array(o, name, cls, dims, dtype, data, flags_extra=0):
    """A miMATRIX element: array flags, dimensions, name, real part."""
    body = (mat_element(o, MI_UINT32, struct.pack(o + "II", cls | flags_extra, 0))
            + mat_element(o, MI_INT32, struct.pack(o + "%di" % len(dims), *dims))
            + mat_element(o, MI_INT8, name.encode())
            + mat_element(o, dtype, data))
    return struct.pack(o + "II", MI_MATRIX, len(body)) + body


def mat_compressed(o, element):
    z = zlib.compress(element, 9)
    return struct.pack(o + "II", MI_COMPRESSED, len(z)) + z


def mat_header(o):
    text = b"MATLAB 5.0 MAT-file, Platform: shardkit fixtures, Created on: Sat Nov 21 00:00:00 2026"
    return text.ljust(116, b" ") + b"\0" * 8 + struct.pack(o + "H", 0x0100) + (b"IM" if o == "<" else b"MI")


def cropped_image(n, seed):
    """32×32×3 as nested lists [row][col][channel]; rows, columns and channels all differ, so a
    transposed or planar mix-up changes the pixels."""
    return [[[(seed * 31 + n * 37 + r * 5 + c * 11 + ch * 71 + (r * c) % 13) % 256 for ch in range(3)]
             for c in range(32)] for r in range(32)]


def column_major(images):
    """X(row, col, channel, n) in MATLAB's column order: row fastest, then column, channel, image."""
    return bytes(im[r][c][ch] for im in images for ch in range(3) for c in range(32) for r in range(32))


def cropped_x(o, images, dims=None):
    return mat_array(o, "X", MX_UINT8, dims or [32, 32, 3, len(images)], MI_UINT8, column_major(images))


def cropped_y(o, labels, stored_as=MI_DOUBLE):
    """y as MATLAB class double, N×1; MATLAB itself stores small whole numbers as miUINT8."""
    data = struct.pack(o + "%dd" % len(labels), *labels) if stored_as == MI_DOUBLE else bytes(labels)
    return mat_array(o, "y", MX_DOUBLE, [len(labels), 1], stored_as, data)


def svhn_cropped():
    expected = {}
    files = {}
    # (file, count, seed, byte order, compressed, order of variables, how y's values are stored)
    for name, n, seed, o, compressed, order, stored in [
        ("train_32x32.mat", 40, 1, "<", True, "Xy", MI_UINT8),
        ("test_32x32.mat", 20, 2, "<", False, "ynX", MI_DOUBLE),
        ("extra_32x32.mat", 6, 3, ">", True, "Xy", MI_DOUBLE),
    ]:
        labels = [(seed + i * 7) % 10 + 1 for i in range(n)]  # 1…10, 10 for the digit 0
        images = [cropped_image(i, seed) for i in range(n)]
        parts = {"X": cropped_x(o, images), "y": cropped_y(o, labels, stored),
                 "n": mat_array(o, "note", MX_UINT8, [1, 3], MI_UINT8, b"abc")}  # small-format data
        data = mat_header(o) + b"".join(mat_compressed(o, parts[k]) if compressed else parts[k] for k in order)
        write("svhn-cropped/" + name, data)
        files[name] = (o, images, labels, parts)
        expected[name] = {
            "count": n, "storedLabels": labels, "digits": [l % 10 for l in labels],
            "pixelSums": [sum(v for row in im for px in row for v in px) for im in images],
            "probes": [{"index": i, "row": r, "col": c, "channel": ch, "value": images[i][r][c][ch]}
                       for i, r, c, ch in [(0, 0, 1, 0), (0, 1, 0, 0), (0, 5, 9, 2), (n - 1, 31, 30, 1)]],
        }
    write_json("svhn-cropped/expected.json", expected)

    # Broken: one defect each; byte offsets the tests expect are in expected.json.
    # Built from the first 8 test images (little-endian, uncompressed unless said otherwise).
    o, images, labels, _ = files["test_32x32.mat"]
    images, labels = images[:8], labels[:8]
    parts = {"X": cropped_x(o, images), "y": cropped_y(o, labels)}
    head = mat_header(o)
    broken = {}
    bad = bytearray(head + parts["y"] + parts["X"])
    bad[126:128] = b"XX"
    broken["bad-header.mat"] = (bytes(bad), {"offset": 126})
    whole = head + parts["y"] + parts["X"]
    x_at = len(head) + len(parts["y"])
    broken["truncated-x.mat"] = (whole[: x_at + 8 + 48 + 5 * 3072 + 100], {"offset": x_at})
    wrong = cropped_x(o, images, dims=[3, 32, 32, len(images)])
    broken["wrong-dims.mat"] = (head + parts["y"] + wrong, {"offset": len(head) + len(parts["y"]) + 24})
    out = list(labels)
    out[5] = 11
    y_pr = len(head) + 8 + 16 + 16 + 8 + 8  # y's miMATRIX tag, flags, dims, small name, data tag
    broken["y-out-of-range.mat"] = (head + cropped_y(o, out) + parts["X"], {"offset": y_pr + 5 * 8, "record": 5})
    broken["count-mismatch.mat"] = (head + cropped_y(o, labels[:-1]) + parts["X"],
                                    {"offset": len(head) + 8 + 16})
    broken["missing-y.mat"] = (head + parts["X"], {"offset": len(head) + len(parts["X"])})
    # Compressed X: damaged deflate data; a zlib stream cut in half (the element's byte count
    # says so, so only inflating finds it).
    z = bytearray(zlib.compress(parts["X"], 9))
    flip = len(z) // 2  # the first byte from the middle on whose damage zlib sees before the checksum
    while True:
        damaged = bytearray(z)
        damaged[flip] ^= 0x55
        try:
            zlib.decompress(bytes(damaged))
        except zlib.error as e:
            if "incorrect data check" not in str(e):
                break
        flip += 1
    z = damaged
    broken["bad-compressed.mat"] = (head + parts["y"] + struct.pack(o + "II", MI_COMPRESSED, len(z)) + bytes(z),
                                    {"offset": len(head) + len(parts["y"])})
    z = zlib.compress(parts["X"], 9)[:-200]
    broken["cut-compressed.mat"] = (head + parts["y"] + struct.pack(o + "II", MI_COMPRESSED, len(z)) + z,
                                    {"offset": len(head) + len(parts["y"])})
    for name, (data, where) in broken.items():
        write("broken/svhn-cropped/" + name, data)
    write_json("broken/svhn-cropped/expected.json", {name: where for name, (_, where) in broken.items()})


# ---------------------------------------------------------------------------------------------
# Image folders (convert folder): class folders inside train/ and test/, gray and RGB PNGs and
# JPEGs of varied sizes, a class named in Chinese; a broken folder with unreadable files.
# ---------------------------------------------------------------------------------------------
FOLDER_CLASSES = ["circle", "square", "三角"]  # bytewise order: c < s < E4 B8 89


def shape_image(rng, cls, w, h, mode):
    """A filled circle, square or triangle on a dark background, in `mode` (L or RGB)."""
    bg = tuple(int(v) for v in rng.integers(0, 70, 3))
    fg = tuple(int(v) for v in rng.integers(150, 256, 3))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    m = min(w, h)
    x0, y0 = (w - m) // 2 + m // 6, (h - m) // 2 + m // 6
    x1, y1 = x0 + m * 2 // 3, y0 + m * 2 // 3
    if cls == "circle":
        d.ellipse([x0, y0, x1, y1], fill=fg)
    elif cls == "square":
        d.rectangle([x0, y0, x1, y1], fill=fg)
    else:
        d.polygon([((x0 + x1) // 2, y0), (x1, y1), (x0, y1)], fill=fg)
    return img.convert(mode)


def encoded(img, ext):
    import io
    buf = io.BytesIO()
    if ext == "png":
        img.save(buf, format="PNG")
    else:
        img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def folder():
    rng = np.random.default_rng(20261214)
    kinds = [("L", "png"), ("RGB", "png"), ("RGB", "jpg"), ("L", "jpg")]
    files = []
    for split, per_class in [("train", 4), ("test", 2)]:
        for ci, cls in enumerate(FOLDER_CLASSES):
            for k in range(per_class):
                mode, ext = kinds[(k + ci) % len(kinds)]
                w, h = int(rng.integers(20, 41)), int(rng.integers(20, 41))
                rel = f"{split}/{cls}/{k:02d}-{mode.lower()}.{ext}"
                write("folder/" + rel, encoded(shape_image(rng, cls, w, h, mode), ext))
                files.append({"path": rel, "label": ci, "channels": 1 if mode == "L" else 3, "width": w,
                              "height": h, "format": "png" if ext == "png" else "jpeg"})
    # PNGs that decode to gray or RGB but are not stored as plain 8-bit gray/RGB: with alpha, with a palette.
    for rel, cls, mode, label in [("train/circle/04-rgba.png", "circle", "RGBA", 0),
                                  ("train/square/04-p.png", "square", "P", 1)]:
        w, h = int(rng.integers(20, 41)), int(rng.integers(20, 41))
        img = shape_image(rng, cls, w, h, "RGB")
        img = img.convert("RGBA") if mode == "RGBA" else img.convert("P", palette=Image.ADAPTIVE, colors=8)
        write("folder/" + rel, encoded(img, "png"))
        files.append({"path": rel, "label": label, "channels": 3, "width": w, "height": h, "format": "png"})
    # Not images: beside the split folders, and in a class folder under another name.
    write("folder/README.txt", "Shapes in class folders, for shardkit convert folder.\n".encode())
    write("folder/train/square/notes.txt", b"not an image\n")
    write_json("folder/expected.json", {
        "classes": FOLDER_CLASSES, "files": files,
        "ignored": {"README.txt": "not in a class folder", "train/square/notes.txt": "not named .png, .jpg or .jpeg"},
    })

    # broken/folder: class folders without split folders; one truncated PNG, one empty file.
    good = []
    for rel, cls, mode, ext in [("a/ok-0.png", "circle", "L", "png"), ("a/ok-1.png", "square", "L", "png"),
                                ("b/ok-2.jpg", "circle", "L", "jpg"), ("b/ok-3.png", "square", "L", "png")]:
        write("broken/folder/" + rel, encoded(shape_image(rng, cls, 28, 28, mode), ext))
        good.append(rel)
    whole = encoded(shape_image(rng, "circle", 28, 28, "L"), "png")
    write("broken/folder/a/cut.png", whole[: len(whole) // 2])  # ends inside the image data
    write("broken/folder/b/empty.png", b"")  # as some of notMNIST's are
    write_json("broken/folder/expected.json", {"readable": good, "unreadable": ["a/cut.png", "b/empty.png"]})


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST, KMNIST, EMNIST: idx files as their authors name them. EMNIST stores every image
# transposed; its fixture draws asymmetric letters upright and stores them transposed.
# ---------------------------------------------------------------------------------------------
LETTER_STROKES = {
    "F": [[(0.8, 0.05), (0.25, 0.05), (0.25, 0.95)], [(0.25, 0.5), (0.65, 0.5)]],
    "J": [[(0.75, 0.05), (0.75, 0.75), (0.55, 0.95), (0.3, 0.95), (0.2, 0.8)]],
    "L": [[(0.25, 0.05), (0.25, 0.95), (0.85, 0.95)]],
    "P": [[(0.25, 0.95), (0.25, 0.05), (0.7, 0.05), (0.8, 0.25), (0.7, 0.45), (0.25, 0.45)]],
    "R": [[(0.25, 0.95), (0.25, 0.05), (0.7, 0.05), (0.8, 0.25), (0.7, 0.45), (0.25, 0.45), (0.8, 0.95)]],
}


def draw_letter_28(letter):
    """An upright 28×28 letter: white strokes on black, as EMNIST's look once turned upright."""
    img = Image.new("L", (112, 112), 0)
    d = ImageDraw.Draw(img)
    for line in LETTER_STROKES[letter]:
        pts = [(12 + x * 88, 12 + y * 88) for x, y in line]
        d.line(pts, fill=255, width=12)
        for x, y in pts:
            d.ellipse([x - 6, y - 6, x + 6, y + 6], fill=255)
    return np.asarray(img.resize((28, 28), Image.LANCZOS), dtype=np.uint8)


def asymmetric_probes(upright, count=3):
    """Pixels (row, col) whose value differs most from (col, row): they tell upright from transposed."""
    diff = np.abs(upright.astype(int) - upright.T.astype(int))
    order = np.argsort(-diff, axis=None, kind="stable")[:count]
    return [{"row": int(i // 28), "col": int(i % 28), "value": int(upright[i // 28, i % 28])} for i in order]


def mnist_variants():
    rng = np.random.default_rng(20261215)
    for name in ["fashion-mnist", "kmnist"]:
        tr_i, tr_l = make_digit_set(rng, 12)
        te_i, te_l = make_digit_set(rng, 6)
        write(f"{name}/train-images-idx3-ubyte.gz", gz(idx_images(tr_i)))
        write(f"{name}/train-labels-idx1-ubyte.gz", gz(idx_labels(tr_l)))
        write(f"{name}/t10k-images-idx3-ubyte.gz", gz(idx_images(te_i)))
        write(f"{name}/t10k-labels-idx1-ubyte.gz", gz(idx_labels(te_l)))
        write_json(f"{name}/expected.json", {"train": {"labels": tr_l}, "t10k": {"labels": te_l}})

    expected = {}
    letters = sorted(LETTER_STROKES)
    for split, n in [("train", 10), ("test", 5)]:
        upright = [draw_letter_28(letters[i % len(letters)]) for i in range(n)]
        labels = [ord(letters[i % len(letters)]) - ord("A") + 1 for i in range(n)]  # letters are 1-26
        write(f"emnist/emnist-letters-{split}-images-idx3-ubyte.gz", gz(idx_images([u.T for u in upright])))
        write(f"emnist/emnist-letters-{split}-labels-idx1-ubyte.gz", gz(idx_labels(labels)))
        expected[f"letters/{split}"] = {
            "labels": labels, "probes": [dict(index=i, **p) for i in range(n) for p in asymmetric_probes(upright[i])]}
    for split, n in [("train", 8), ("test", 4)]:
        images, labels = make_digit_set(rng, n)
        write(f"emnist/emnist-digits-{split}-images-idx3-ubyte.gz", gz(idx_images([u.T for u in images])))
        write(f"emnist/emnist-digits-{split}-labels-idx1-ubyte.gz", gz(idx_labels(labels)))
        expected[f"digits/{split}"] = {"labels": labels}
    write_json("emnist/expected.json", expected)


# ---------------------------------------------------------------------------------------------
# Archives as the authors ship them, made of the fixtures above (run after them): tar.gz and zip
# written deterministically (mtime 0, owner 0, fixed zip dates), in an order that is not sorted,
# so the readers' reordering and reopening are exercised.
# ---------------------------------------------------------------------------------------------
def tar_gz(members):
    """members: list of (name, bytes or None for a folder), stored in this order."""
    import io
    import tarfile
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                t.addfile(info, io.BytesIO(data))
    return gz(out.getvalue())


def zip_bytes(members):
    """members: list of (name, bytes), deflated, in this order."""
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2011, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=9)
    return out.getvalue()


def fixture(rel):
    with open(path(*rel.split("/")), "rb") as f:
        return f.read()


def archives():
    # CIFAR: the folder inside as the authors ship it; test before train, so a conversion reads
    # the archive twice.
    c10 = "cifar-10-batches-bin/"
    write("archives/cifar-10-binary.tar.gz", tar_gz([
        (c10, None), (c10 + "batches.meta.txt", fixture("cifar10/batches.meta.txt")),
        (c10 + "test_batch.bin", fixture("cifar10/test_batch.bin")),
        (c10 + "data_batch_1.bin", fixture("cifar10/data_batch_1.bin")),
        (c10 + "readme.html", b"<html>CIFAR-10 fixture</html>\n")]))
    c100 = "cifar-100-binary/"
    write("archives/cifar-100-binary.tar.gz", tar_gz(
        [(c100, None)] + [(c100 + n, fixture("cifar100/" + n)) for n in
                          ["coarse_label_names.txt", "fine_label_names.txt", "train.bin", "test.bin"]]))
    # SVHN format 1: train's PNGs out of digitStruct's order with digitStruct.mat among them;
    # test in order, digitStruct.mat first.
    write("archives/svhn/train.tar.gz", tar_gz(
        [("train/", None)] + [("train/" + n, fixture("svhn/train/" + n)) for n in
                              ["3.png", "1.png", "digitStruct.mat", "4.png", "2.png"]]
        + [("train/see_bboxes.m", b"% fixture\n")]))
    write("archives/svhn/test.tar.gz", tar_gz(
        [("test/", None)] + [("test/" + n, fixture("svhn/test/" + n)) for n in ["digitStruct.mat", "1.png", "2.png"]]))
    # CASIA: zips of .gnt files at the top, as HWDB1.1tst_gnt.zip; train's files unsorted.
    write("archives/hwdb/HWDB1.0trn_gnt.zip", zip_bytes(
        [(n, fixture("hwdb/train/" + n)) for n in ["1002-c.gnt", "1001-c.gnt"]]))
    write("archives/hwdb/HWDB1.1tst_gnt.zip", zip_bytes([("1241-c.gnt", fixture("hwdb/test/1241-c.gnt"))]))
    # HWDB1.1trn_gnt.zip as shipped holds an ALZip archive; a stand-in with the name and magic.
    write("archives/alz/HWDB1.1trn_gnt.zip", zip_bytes(
        [("HWDB1.1trn_gnt.alz", b"ALZ\x01" + bytes(range(60)))]))
    # The same under another entry name: found by the magic number alone.
    write("archives/alz-renamed/HWDB1.1trn_gnt.zip", zip_bytes([("HWDB1.1trn_gnt.part", b"ALZ\x01" + bytes(range(60)))]))
    # EMNIST as NIST ships it: gzip.zip, a gzip/ folder of the sets' gzipped idx files and mapping
    # files (here letters and digits; images before labels, test before train, as in the real one).
    emnist = [f"emnist-{s}-{split}-{kind}-idx{1 if kind == 'labels' else 3}-ubyte.gz"
              for s in ["digits", "letters"] for split in ["test", "train"] for kind in ["images", "labels"]]
    write("archives/emnist/gzip.zip", zip_bytes(
        [("gzip/emnist-digits-mapping.txt", "".join(f"{d} {48 + d}\n" for d in range(10)).encode()),
         ("gzip/emnist-letters-mapping.txt",
          "".join(f"{i} {64 + i} {96 + i}\n" for i in range(1, 27)).encode())]
        + [("gzip/" + n, fixture("emnist/" + n)) for n in emnist]))
    # Broken: a tar.gz cut inside data_batch_1.bin, which here repeats one record 100 times: the
    # cut lies far enough into the entry that libarchive (which inflates 64 KiB ahead) notices it
    # there; a zip whose first entry's CRC is wrong.
    import zlib as _zlib
    batch = fixture("cifar10/data_batch_1.bin")[:3073] * 100
    whole = tar_gz([(c10, None), (c10 + "batches.meta.txt", fixture("cifar10/batches.meta.txt")),
                    (c10 + "test_batch.bin", fixture("cifar10/test_batch.bin")),
                    (c10 + "data_batch_1.bin", batch)])
    plain = _zlib.decompressobj(31).decompress(whole)
    at = plain.index(batch[:64]) + 90 * 3073 + 100  # inside record 90 of data_batch_1.bin
    cut = _zlib.compressobj(9, _zlib.DEFLATED, 31)
    write("archives/broken/cut-cifar-10-binary.tar.gz", cut.compress(plain[:at]) + cut.flush(_zlib.Z_SYNC_FLUSH))
    bad = bytearray(zip_bytes([("1001-c.gnt", fixture("hwdb/train/1001-c.gnt"))]))
    crc = bytes(bad[14:18])
    for start in range(len(bad) - 3):  # the CRC in the local header and in the central directory
        if bytes(bad[start:start + 4]) == crc:
            bad[start] ^= 0xFF
    write("archives/broken/bad-crc_gnt.zip", bytes(bad))
    # EMNIST's gzip.zip with the letters' image files and no label files.
    write("archives/broken/emnist-no-labels/gzip.zip", zip_bytes(
        [("gzip/" + n, fixture("emnist/" + n)) for n in emnist if "images" in n and "letters" in n]))


def main():
    which = set(sys.argv[1:]) or {"mnist", "cifar", "hwdb", "svhn", "svhn-cropped", "folder", "mnist-variants",
                                  "archives"}
    if "mnist" in which:
        digits_and_mnist()
    if "cifar" in which:
        cifar()
    if "hwdb" in which:
        hwdb()
    if "svhn" in which:
        svhn()
    if "svhn-cropped" in which:
        svhn_cropped()
    if "folder" in which:
        folder()
    if "mnist-variants" in which:
        mnist_variants()
    if "archives" in which:
        archives()


if __name__ == "__main__":
    main()
