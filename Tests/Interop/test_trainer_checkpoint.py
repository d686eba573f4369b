"""The `safetensors` package loads the checkpoints `shardkit train` writes: tensor names, shapes,
dtype and metadata (model name, input shape, step), and the optimizer state beside the weights."""
import os

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

DIGITS = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "digits")

MNIST_SHAPES = {
    "conv1/kernel": (5, 5, 1, 32), "conv1/bias": (32,),
    "conv2/kernel": (5, 5, 32, 64), "conv2/bias": (64,),
    "fc1/kernel": (3136, 1024), "fc1/bias": (1024,),
    "logits/kernel": (1024, 10), "logits/bias": (10,),
}


@pytest.fixture(scope="module")
def checkpoint(shardkit, tmp_path_factory):
    work = tmp_path_factory.mktemp("ckpt")
    shardkit("convert", "mnist", "--input", DIGITS, "--output", work / "data", "--quiet")
    shardkit("train", "--data", work / "data", "--model", "mnist", "--steps", 3, "--batch", 16,
             "--run-dir", work / "run", "--jobs", 2, "--quiet")
    return str(work / "run" / "latest.safetensors")


def test_weights_load_with_numpy(checkpoint):
    tensors = load_file(checkpoint)
    weights = {k: v for k, v in tensors.items() if not k.startswith("optimizer/")}
    assert {k: v.shape for k, v in weights.items() if not k.startswith("rng")} == MNIST_SHAPES
    for name, value in tensors.items():
        assert value.dtype == np.float32, name
        assert np.all(np.isfinite(value)), name
    # Adam's two moments for every trainable tensor, flattened.
    for name, shape in MNIST_SHAPES.items():
        assert tensors[f"optimizer/m/{name}"].shape == (int(np.prod(shape)),)
        assert tensors[f"optimizer/v/{name}"].shape == (int(np.prod(shape)),)
        assert np.any(tensors[f"optimizer/v/{name}"] > 0)


def test_metadata(checkpoint):
    with safe_open(checkpoint, framework="np") as f:
        meta = f.metadata()
        assert meta["model"] == "mnist"
        assert meta["input_shape"] == "28,28,1"
        assert meta["step"] == "3"
        assert meta["optimizer"] == "adam"
        assert meta["batch_size"] == "16"
        assert meta["normalization"] == "scale"
        assert f.get_tensor("conv1/kernel").shape == (5, 5, 1, 32)
