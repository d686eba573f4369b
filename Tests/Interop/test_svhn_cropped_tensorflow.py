"""SVHN format 2: the fixture .mat files are valid MATLAB files (scipy.io.loadmat reads them and
finds what the generator says it wrote), and what `shardkit convert svhn-cropped` makes of them is
read by tf.data and by tfds.builder_from_directory with every image equal to loadmat's X
(transposed from MATLAB's 32×32×3×N to N×32×32×3) and every label equal to y with 10 read as 0."""
import glob
import json
import os

import numpy as np
import pytest
import scipy.io
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures", "svhn-cropped")
SPLITS = ["train", "test", "extra"]
SPEC = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}


def loadmat(split):
    m = scipy.io.loadmat(os.path.join(FIXTURES, f"{split}_32x32.mat"))
    images = np.transpose(m["X"], (3, 0, 1, 2))  # X(row, col, channel, n) → (n, row, col, channel)
    labels = m["y"][:, 0].astype(np.int64) % 10
    return images, labels


@pytest.mark.parametrize("split", SPLITS)
def test_fixtures_are_matlab_files_scipy_reads(split):
    with open(os.path.join(FIXTURES, "expected.json")) as f:
        want = json.load(f)[f"{split}_32x32.mat"]
    m = scipy.io.loadmat(os.path.join(FIXTURES, f"{split}_32x32.mat"))
    assert m["__header__"].startswith(b"MATLAB 5.0 MAT-file")
    assert m["X"].dtype == np.uint8 and m["X"].shape == (32, 32, 3, want["count"])
    assert m["y"].shape == (want["count"], 1)
    assert m["y"][:, 0].tolist() == want["storedLabels"]
    assert [int(m["X"][..., i].sum(dtype=np.int64)) for i in range(want["count"])] == want["pixelSums"]
    for p in want["probes"]:
        assert m["X"][p["row"], p["col"], p["channel"], p["index"]] == p["value"]


@pytest.fixture(scope="module")
def converted(shardkit, tmp_path_factory):
    out = tmp_path_factory.mktemp("svhn-cropped") / "svhn_cropped"
    shardkit("convert", "svhn-cropped", "--input", FIXTURES, "--output", out, "--name", "svhn_cropped",
             "--shards", 2, "--quiet")
    return out


@pytest.mark.parametrize("split", SPLITS)
def test_tf_data_reads_every_image_and_label(converted, split):
    files = sorted(f for f in glob.glob(str(converted / f"svhn_cropped-{split}.tfrecord-*-of-*"))
                   if not f.endswith(".index"))
    assert len(files) == 2
    records = [tf.io.parse_single_example(r, SPEC) for r in tf.data.TFRecordDataset(files)]
    images, labels = loadmat(split)
    assert len(records) == len(labels)
    for record, image, label in zip(records, images, labels):
        assert int(record["label"]) == label
        np.testing.assert_array_equal(tf.io.decode_png(record["image"]).numpy(), image)


def test_tfds_builder_from_directory(converted):
    import tensorflow_datasets as tfds
    builder = tfds.builder_from_directory(str(converted))
    assert builder.info.features["image"].shape == (32, 32, 3)
    assert builder.info.features["label"].num_classes == 10
    assert builder.info.features["label"].names == [str(d) for d in range(10)]
    assert builder.info.supervised_keys is not None
    for split in SPLITS:
        images, labels = loadmat(split)
        assert builder.info.splits[split].num_examples == len(labels)
        # One shard after the other (TFDS interleaves shards in blocks of 16 otherwise).
        read_config = tfds.ReadConfig(interleave_cycle_length=1)
        got = list(builder.as_dataset(split=split, shuffle_files=False, read_config=read_config).as_numpy_iterator())
        assert [int(ex["label"]) for ex in got] == labels.tolist()
        for ex, image in zip(got, images):
            np.testing.assert_array_equal(ex["image"], image)
    image, label = next(iter(builder.as_dataset(split="test", as_supervised=True)))
    assert image.shape == (32, 32, 3) and label.dtype == tf.int64
