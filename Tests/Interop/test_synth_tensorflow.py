"""TensorFlow 2.21 reads what `shardkit synth` writes from the procedurally drawn digit set in
Fixtures/digits: the SVHN record schema, consistent labels, images of the documented shape, and
the same bytes whatever --jobs (see formats/digit-strings.md)."""
import glob
import hashlib
import json
import os

import numpy as np
import pytest
import tensorflow as tf

DIGITS = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "digits")

SPEC = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "length": tf.io.FixedLenFeature([], tf.int64),
    "digits": tf.io.FixedLenFeature([5], tf.int64),
}


def shard_files(directory, split):
    # The everyday pattern: index files live in index/, so it matches shards only.
    return sorted(glob.glob(os.path.join(str(directory), f"synth-{split}.tfrecord*")))


def read(directory, split, encoding="raw", shape=(64, 64, 1)):
    """All records of a split through tf.data + parse_single_example, images decoded."""
    def parse(raw):
        got = tf.io.parse_single_example(raw, SPEC)
        if encoding == "png":
            image = tf.io.decode_png(got["image"], channels=shape[2])
        else:
            image = tf.reshape(tf.io.decode_raw(got["image"], tf.uint8), shape)
        return image, got["length"], got["digits"]

    ds = tf.data.TFRecordDataset(shard_files(directory, split)).map(parse)
    return [(i.numpy(), int(l.numpy()), d.numpy().tolist()) for i, l, d in ds]


def check_labels(records, max_length=5):
    for image, length, digits in records:
        assert 1 <= length <= max_length
        assert all(0 <= d <= 9 for d in digits[:length]), digits
        assert all(d == 10 for d in digits[length:]), digits
        assert image.max() > 0, "a string with no ink"


@pytest.mark.parametrize("encoding,channels", [("raw", 1), ("png", 1), ("raw", 3), ("png", 3)])
def test_free_layout_reads_in_tensorflow(shardkit, tmp_path, encoding, channels):
    out = tmp_path / "free"
    shardkit("synth", "--digits", DIGITS, "--output", out, "--count", 120, "--test-count", 40,
             "--shards", 3, "--image-encoding", encoding, "--seed", 4, "--channels", channels, "--quiet")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["splits"]["train"]["records"] == 120
    assert manifest["splits"]["test"]["records"] == 40
    assert manifest["image"] == {"key": "image", "shape": [64, 64, channels], "encoding": encoding}
    shape = (64, 64, channels)
    for split, n in [("train", 120), ("test", 40)]:
        records = read(out, split, encoding, shape)
        assert len(records) == n
        assert all(image.shape == shape for image, _, _ in records)
        # With three channels, the gray digits are replicated to RGB.
        assert all((image[..., 0] == image[..., -1]).all() and (image[..., 0] == image[..., 1 % channels]).all()
                   for image, _, _ in records)
        check_labels(records)
    lengths = [length for _, length, _ in read(out, "train", encoding, shape)]
    assert set(lengths) == {1, 2, 3, 4, 5}


def test_fixed_layout_slots(shardkit, tmp_path):
    out = tmp_path / "fixed"
    shardkit("synth", "--digits", DIGITS, "--output", out, "--count", 60, "--test-count", 0,
             "--layout", "fixed", "--max-length", 4, "--lengths", "1:1,4:3", "--quiet")
    records = read(out, "train", shape=(28, 112, 1))
    assert len(records) == 60
    check_labels(records, max_length=4)
    for image, length, digits in records:
        assert length in (1, 4)
        for slot in range(4):
            ink = image[:, slot * 28:(slot + 1) * 28].max()
            assert (ink > 0) == (slot < length), (slot, length)


def digest(directory):
    return {os.path.relpath(p, str(directory)): hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in sorted(glob.glob(os.path.join(str(directory), "**"), recursive=True)) if os.path.isfile(p)}


def test_same_bytes_whatever_jobs(shardkit, tmp_path):
    digests = []
    for jobs in (1, 2, 4):
        out = tmp_path / f"jobs{jobs}"
        shardkit("synth", "--digits", DIGITS, "--output", out, "--count", 600, "--test-count", 50,
                 "--jobs", jobs, "--seed", 21, "--quiet")
        digests.append(digest(out))
    assert len(digests[0]) == 19  # 4 + 4 shards, their index files (in index/), features.json, dataset_info.json, manifest.json
    assert digests[0] == digests[1] == digests[2]


def test_augmented_copies(shardkit, tmp_path):
    out = tmp_path / "aug"
    shardkit("synth", "--digits", DIGITS, "--output", out, "--count", 10, "--test-count", 0,
             "--augment", "crop=54,resize=64,flip=lr,brightness=0.2", "--copies", 2, "--quiet")
    records = read(out, "train")
    assert len(records) == 20
    for k in range(10):
        a, b = records[2 * k], records[2 * k + 1]
        assert a[1] == b[1] and a[2] == b[2]
    check_labels(records)


@pytest.mark.parametrize("encoding", ["raw", "png"])
def test_tfds_builder_from_directory_loads_synth(shardkit, tmp_path, encoding):
    import tensorflow_datasets as tfds

    out = tmp_path / "tfds"
    shardkit("synth", "--digits", DIGITS, "--output", out, "--count", 30, "--test-count", 10,
             "--shards", 2, "--image-encoding", encoding, "--quiet")
    builder = tfds.builder_from_directory(str(out))
    assert builder.info.splits["train"].num_examples == 30
    assert builder.info.splits["test"].num_examples == 10
    got = list(builder.as_dataset(split="train", shuffle_files=False).as_numpy_iterator())
    want = read(out, "train", encoding)
    assert len(got) == 30
    for ex, (image, length, digits) in zip(got, want):
        assert ex["image"].shape == (64, 64, 1)
        np.testing.assert_array_equal(ex["image"], image)
        assert ex["length"] == length
        assert ex["digits"].tolist() == digits
