"""TensorFlow reads what `shardkit convert` writes, and every image and label equals the source
files, parsed here independently with numpy / h5py / Pillow (not through ShardKit's readers).
For MNIST and CIFAR-10 (and CIFAR-100) the output directory also loads with
tfds.builder_from_directory."""
import glob
import json
import os
import struct

import h5py
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures")


def convert(shardkit, tmp_path, fmt, *extra, input_dir=None):
    out = tmp_path / fmt
    shardkit("convert", fmt, "--input", input_dir or os.path.join(FIXTURES, fmt), "--output", out,
             "--shards", 2, "--quiet", *extra)
    return out


def records(out, name, split, spec):
    # The everyday pattern: index files live in index/, so it matches shards only.
    files = sorted(glob.glob(str(out / f"{name}-{split}.tfrecord*")))
    assert files, f"no shards for {split}"
    return [tf.io.parse_single_example(r, spec) for r in tf.data.TFRecordDataset(files)]


# ---- MNIST -------------------------------------------------------------------------------------

def idx(path):
    with open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 8
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


MNIST_SPEC = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}


def test_mnist_with_tf_data_and_tfds(shardkit, tmp_path):
    out = convert(shardkit, tmp_path, "mnist")
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        images = idx(os.path.join(FIXTURES, "mnist", f"{prefix}-images-idx3-ubyte"))
        labels = idx(os.path.join(FIXTURES, "mnist", f"{prefix}-labels-idx1-ubyte"))
        got = records(out, "mnist", split, MNIST_SPEC)
        assert len(got) == len(labels)
        for rec, image, label in zip(got, images, labels):
            assert int(rec["label"]) == label
            np.testing.assert_array_equal(tf.io.decode_png(rec["image"]).numpy(), image[:, :, None])

    import tensorflow_datasets as tfds
    builder = tfds.builder_from_directory(str(out))
    assert builder.info.splits["train"].num_examples == 20
    assert builder.info.features["image"].shape == (28, 28, 1)
    assert builder.info.features["label"].num_classes == 10
    images = idx(os.path.join(FIXTURES, "mnist", "train-images-idx3-ubyte"))
    labels = idx(os.path.join(FIXTURES, "mnist", "train-labels-idx1-ubyte"))
    got = list(builder.as_dataset(split="train", shuffle_files=False).as_numpy_iterator())
    assert len(got) == 20
    for ex, image, label in zip(got, images, labels):
        assert ex["label"] == label
        np.testing.assert_array_equal(ex["image"], image[:, :, None])
    sup = next(iter(builder.as_dataset(split="test", as_supervised=True)))
    assert sup[0].shape == (28, 28, 1)


def test_a_cropping_augmentation_loads_in_tfds_with_each_splits_shape(shardkit, tmp_path):
    """`--augment crop=24` crops train only: features.json leaves the size unknown (-1) and TFDS
    gives train 24x24 and test 28x28 images, the test ones equal to the source digits."""
    out = convert(shardkit, tmp_path, "mnist", "--augment", "crop=24")
    manifest = json.load(open(out / "manifest.json"))
    assert manifest["image"]["shape"] == [28, 28, 1]
    assert manifest["splits"]["train"]["image"]["shape"] == [24, 24, 1]
    assert "image" not in manifest["splits"]["test"]
    import tensorflow_datasets as tfds
    builder = tfds.builder_from_directory(str(out))
    assert builder.info.features["image"].shape == (None, None, 1)
    train = list(builder.as_dataset(split="train", shuffle_files=False).as_numpy_iterator())
    assert len(train) == 20 and {ex["image"].shape for ex in train} == {(24, 24, 1)}
    images = idx(os.path.join(FIXTURES, "mnist", "t10k-images-idx3-ubyte"))
    test = list(builder.as_dataset(split="test", shuffle_files=False).as_numpy_iterator())
    assert len(test) == len(images)
    for ex, image in zip(test, images):
        np.testing.assert_array_equal(ex["image"], image[:, :, None])


def test_mnist_jpeg_decodes_close_to_the_source(shardkit, tmp_path):
    out = convert(shardkit, tmp_path, "mnist", "--image-encoding", "jpeg")
    images = idx(os.path.join(FIXTURES, "mnist", "t10k-images-idx3-ubyte"))
    got = records(out, "mnist", "test", MNIST_SPEC)
    for rec, image in zip(got, images):
        decoded = tf.io.decode_jpeg(rec["image"]).numpy()[:, :, 0].astype(int)
        assert np.abs(decoded - image.astype(int)).mean() < 8


# ---- CIFAR -------------------------------------------------------------------------------------

def cifar(path, label_bytes):
    raw = np.fromfile(path, np.uint8).reshape(-1, label_bytes + 3072)
    images = raw[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return raw[:, :label_bytes], images


CIFAR_SPEC = {
    "id": tf.io.FixedLenFeature([], tf.string),
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


@pytest.mark.parametrize("fmt", ["cifar10", "cifar100"])
def test_cifar_with_tf_data_and_tfds(shardkit, tmp_path, fmt):
    out = convert(shardkit, tmp_path, fmt)
    label_bytes = 1 if fmt == "cifar10" else 2
    files = {"train": "data_batch_1.bin", "test": "test_batch.bin"} if fmt == "cifar10" else \
        {"train": "train.bin", "test": "test.bin"}
    spec = dict(CIFAR_SPEC)
    if fmt == "cifar100":
        spec["coarse_label"] = tf.io.FixedLenFeature([], tf.int64)
    for split, name in files.items():
        labels, images = cifar(os.path.join(FIXTURES, fmt, name), label_bytes)
        got = records(out, fmt, split, spec)
        assert len(got) == len(images)
        for i, (rec, image, label) in enumerate(zip(got, images, labels)):
            assert rec["id"].numpy().decode() == f"{split}_{i:05d}"
            assert int(rec["label"]) == label[-1]
            if fmt == "cifar100":
                assert int(rec["coarse_label"]) == label[0]
            np.testing.assert_array_equal(tf.io.decode_png(rec["image"]).numpy(), image)

    import tensorflow_datasets as tfds
    builder = tfds.builder_from_directory(str(out))
    names_file = "batches.meta.txt" if fmt == "cifar10" else "fine_label_names.txt"
    with open(os.path.join(FIXTURES, fmt, names_file)) as f:
        names = [line.strip() for line in f if line.strip()]
    assert builder.info.features["label"].names == names
    labels, images = cifar(os.path.join(FIXTURES, fmt, files["test"]), label_bytes)
    got = list(builder.as_dataset(split="test", shuffle_files=False).as_numpy_iterator())
    assert [ex["label"] for ex in got] == list(labels[:, -1])
    for ex, image in zip(got, images):
        np.testing.assert_array_equal(ex["image"], image)


# ---- SVHN --------------------------------------------------------------------------------------

def digit_struct(path):
    """[(name, [(label, left, top, width, height)])] from a MATLAB v7.3 digitStruct.mat."""
    entries = []
    with h5py.File(path, "r") as f:
        names, bboxes = f["digitStruct/name"], f["digitStruct/bbox"]
        for i in range(names.shape[0]):
            name = "".join(chr(c) for c in f[names[i][0]][()].flatten())
            group = f[bboxes[i][0]]

            def values(key):
                ds = group[key]
                if ds.shape[0] == 1 and ds.dtype != h5py.ref_dtype:
                    return [float(ds[()].flatten()[0])]
                return [float(f[ref][()].flatten()[0]) for ref in ds[()].flatten()]

            fields = [values(k) for k in ("label", "left", "top", "width", "height")]
            entries.append((name, list(zip(*fields))))
    return entries


def reference_crop(png, boxes, size=64):
    """Union of boxes, square about its centre, +30 %, clamped, cropped, TF bilinear resize."""
    image = np.asarray(Image.open(png).convert("RGB"))
    h, w = image.shape[:2]
    x0 = min(b[1] for b in boxes); y0 = min(b[2] for b in boxes)
    x1 = max(b[1] + b[3] for b in boxes); y1 = max(b[2] + b[4] for b in boxes)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(x1 - x0, y1 - y0) * 1.3 / 2
    left, top = max(0, int(np.floor(cx - half))), max(0, int(np.floor(cy - half)))
    right, bottom = min(w, int(np.ceil(cx + half))), min(h, int(np.ceil(cy + half)))
    crop = image[top:bottom, left:right].astype(np.float32)
    resized = tf.image.resize(crop, [size, size], method="bilinear", antialias=False).numpy()
    return np.floor(resized + 0.5).astype(int)


SVHN_SPEC = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "length": tf.io.FixedLenFeature([], tf.int64),
    "digits": tf.io.FixedLenFeature([5], tf.int64),
    "bbox/label": tf.io.VarLenFeature(tf.int64),
    "bbox/left": tf.io.VarLenFeature(tf.int64),
    "filename": tf.io.FixedLenFeature([], tf.string),
}


def test_svhn_labels_digits_and_pixels(shardkit, tmp_path):
    out = convert(shardkit, tmp_path, "svhn", "--validation-fraction", "0.5", "--seed", "3")
    got = {}
    for split in ["train", "validation", "test"]:
        for rec in records(out, "svhn", split, SVHN_SPEC):
            got[rec["filename"].numpy().decode()] = (split, rec)
    expected_count = 0
    for folder in ["train", "test"]:
        for name, boxes in digit_struct(os.path.join(FIXTURES, "svhn", folder, "digitStruct.mat")):
            key = f"{folder}/{name}"
            if len(boxes) > 5:
                assert key not in got
                continue
            expected_count += 1
            split, rec = got[key]
            assert (split == "test") == (folder == "test")
            digits = [0 if b[0] == 10 else int(b[0]) for b in boxes]
            assert int(rec["length"]) == len(boxes)
            assert list(rec["digits"].numpy()) == digits + [10] * (5 - len(digits))
            assert list(tf.sparse.to_dense(rec["bbox/label"]).numpy()) == digits
            assert list(tf.sparse.to_dense(rec["bbox/left"]).numpy()) == [int(b[1]) for b in boxes]
            pixels = np.frombuffer(rec["image"].numpy(), np.uint8).reshape(64, 64, 3).astype(int)
            reference = reference_crop(os.path.join(FIXTURES, "svhn", folder, name), boxes)
            assert np.abs(pixels - reference).max() <= 2, key
    assert len(got) == expected_count


# ---- HWDB --------------------------------------------------------------------------------------

def gnt(path):
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        size, tag, width, height = struct.unpack("<I2sHH", data[offset:offset + 10])
        assert size == 10 + width * height
        pixels = np.frombuffer(data, np.uint8, width * height, offset + 10).reshape(height, width)
        yield tag.decode("gb2312"), pixels
        offset += size


HWDB_SPEC = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
    "character": tf.io.FixedLenFeature([], tf.string),
    "writer": tf.io.FixedLenFeature([], tf.string),
}


def test_hwdb_labels_characters_and_images(shardkit, tmp_path):
    out = convert(shardkit, tmp_path, "hwdb")
    source = {}
    for split in ["train", "test"]:
        source[split] = [(char, pixels, os.path.basename(path)[:-4])
                         for path in sorted(glob.glob(os.path.join(FIXTURES, "hwdb", split, "*.gnt")))
                         for char, pixels in gnt(path)]
    characters = sorted({char for char, _, _ in source["train"]})
    with open(out / "characters.json", encoding="utf-8") as f:
        assert json.load(f) == {c: i for i, c in enumerate(characters)}
    for split in ["train", "test"]:
        got = records(out, "hwdb", split, HWDB_SPEC)
        assert len(got) == len(source[split])
        for rec, (char, pixels, writer) in zip(got, source[split]):
            assert rec["character"].numpy().decode() == char
            assert int(rec["label"]) == characters.index(char)
            assert rec["writer"].numpy().decode() == writer
            image = tf.io.decode_png(rec["image"]).numpy().astype(int)
            reference = tf.image.resize(pixels[:, :, None].astype(np.float32), [64, 64], method="bilinear").numpy()
            assert np.abs(image - np.floor(reference + 0.5)).max() <= 2


@pytest.mark.parametrize("compression", ["gzip", "zlib"])
def test_compressed_shards_read_with_compression_type(shardkit, tmp_path, compression):
    out = convert(shardkit, tmp_path, "cifar10", "--compression", compression)
    assert not (out / "dataset_info.json").exists()  # TFDS reads uncompressed shards only
    labels, images = cifar(os.path.join(FIXTURES, "cifar10", "data_batch_1.bin"), 1)
    files = sorted(glob.glob(str(out / "cifar10-train.tfrecord-*-of-*")))
    ds = tf.data.TFRecordDataset(files, compression_type=compression.upper())
    got = [tf.io.parse_single_example(r, CIFAR_SPEC) for r in ds]
    assert [int(r["label"]) for r in got] == list(labels[:, 0])
    for rec, image in zip(got, images):
        np.testing.assert_array_equal(tf.io.decode_png(rec["image"]).numpy(), image)
