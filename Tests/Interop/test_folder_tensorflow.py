"""`shardkit convert folder` and the idx variants, read by TensorFlow: tfds.builder_from_directory
shows the class names from the folder names (Chinese included) and an image shape of
(None, None, C); every image equals what TensorFlow decodes from the source file (gray sources
as they are, colour sources through tf.image.rgb_to_grayscale, JPEGs decoded with the accurate
integer IDCT), pixel for pixel. Fashion-MNIST, KMNIST and EMNIST letters show their class
names, and EMNIST's images come out upright: the transpose of what the idx file stores."""
import gzip
import json
import os

import numpy as np
import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Fixtures")


def as_gray(path):
    """The source file decoded by TensorFlow and made gray as shardkit does (TF's weights).
    JPEGs with libjpeg's accurate integer IDCT, as shardkit decodes them (TF's default is the
    fast one)."""
    data = tf.io.read_file(path)
    if path.endswith(".jpg"):
        image = tf.io.decode_jpeg(data, dct_method="INTEGER_ACCURATE")
    else:
        image = tf.io.decode_image(data, expand_animations=False)
    if image.shape[-1] == 4:
        image = image[..., :3]  # alpha dropped, not composited
    if image.shape[-1] == 3:
        image = tf.image.rgb_to_grayscale(image)
    return image.numpy()


@pytest.fixture(scope="module")
def folder(shardkit, tmp_path_factory):
    out = tmp_path_factory.mktemp("folder") / "shapes"
    shardkit("convert", "folder", "--input", os.path.join(FIXTURES, "folder"), "--output", out, "--name", "shapes",
             "--shards", 2, "--quiet")
    return out


def test_tfds_shows_class_names_and_an_open_shape(folder):
    import tensorflow_datasets as tfds
    builder = tfds.builder_from_directory(str(folder))
    assert builder.info.features["label"].names == ["circle", "square", "三角"]
    assert builder.info.features["image"].shape == (None, None, 1)
    assert builder.info.supervised_keys is not None
    with open(os.path.join(FIXTURES, "folder", "expected.json"), encoding="utf-8") as f:
        expected = {e["path"]: e for e in json.load(f)["files"]}
    read_config = tfds.ReadConfig(interleave_cycle_length=1)
    for split in ["train", "test"]:
        got = list(builder.as_dataset(split=split, shuffle_files=False, read_config=read_config).as_numpy_iterator())
        want = sorted((p for p in expected if p.startswith(split + "/")), key=lambda p: p.encode())
        assert [ex["filename"].decode() for ex in got] == want
        assert builder.info.splits[split].num_examples == len(want)
        for ex in got:
            path = ex["filename"].decode()
            entry = expected[path]
            assert int(ex["label"]) == entry["label"]
            assert builder.info.features["label"].int2str(int(ex["label"])) == path.split("/")[1]
            source = as_gray(os.path.join(FIXTURES, "folder", path))
            assert ex["image"].shape == (entry["height"], entry["width"], 1) == source.shape
            np.testing.assert_array_equal(ex["image"], source, err_msg=path)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[2:4] == b"\x08\x03":
        n = int.from_bytes(data[4:8], "big")
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)


def test_emnist_letters_upright_with_names(shardkit, tmp_path):
    import tensorflow_datasets as tfds
    out = tmp_path / "letters"
    shardkit("convert", "emnist", "--input", os.path.join(FIXTURES, "emnist"), "--output", out, "--subset", "letters",
             "--quiet")
    builder = tfds.builder_from_directory(str(out))
    names = builder.info.features["label"].names
    assert len(names) == 26 and names[0] == "A/a" and names[25] == "Z/z"
    stored = read_idx(os.path.join(FIXTURES, "emnist", "emnist-letters-train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(FIXTURES, "emnist", "emnist-letters-train-labels-idx1-ubyte.gz"))
    got = list(builder.as_dataset(split="train", shuffle_files=False).as_numpy_iterator())
    assert [int(ex["label"]) for ex in got] == (labels - 1).tolist()
    for ex, image in zip(got, stored):
        np.testing.assert_array_equal(ex["image"][..., 0], image.T)
        assert not np.array_equal(ex["image"][..., 0], image)


@pytest.mark.parametrize("fmt,first,last", [("fashion-mnist", "T-shirt/top", "Ankle boot"),
                                            ("kmnist", "お (o)", "を (wo)")])
def test_fashion_and_kmnist_names(shardkit, tmp_path, fmt, first, last):
    import tensorflow_datasets as tfds
    out = tmp_path / fmt
    shardkit("convert", fmt, "--input", os.path.join(FIXTURES, fmt), "--output", out, "--quiet")
    builder = tfds.builder_from_directory(str(out))
    names = builder.info.features["label"].names
    assert len(names) == 10 and names[0] == first and names[-1] == last
    labels = read_idx(os.path.join(FIXTURES, fmt, "t10k-labels-idx1-ubyte.gz"))
    got = list(builder.as_dataset(split="test", shuffle_files=False).as_numpy_iterator())
    assert [int(ex["label"]) for ex in got] == labels.tolist()
    assert all(ex["image"].shape == (28, 28, 1) for ex in got)
