"""TensorBoard's own event reader reads the event files `shardkit train --run-dir` writes: file name,
file version, scalar tags, steps and values (matching the progress lines), and input images."""
import glob
import io
import os
import re

import numpy as np
import pytest

DIGITS = os.path.join(os.path.dirname(__file__), "..", "..", "Fixtures", "digits")

# TensorBoard's own readers (scripts/requirements.txt installs the tensorboard package).
from tensorboard.backend.event_processing import event_accumulator, event_file_loader


@pytest.fixture(scope="module")
def run(shardkit, tmp_path_factory):
    work = tmp_path_factory.mktemp("tb")
    data, logs = work / "data", work / "run"
    shardkit("convert", "mnist", "--input", DIGITS, "--output", data, "--quiet")
    proc = shardkit("train", "--data", data, "--model", "mnist", "--steps", 4, "--batch", 16, "--log-every", 2,
                    "--lr", 0.002, "--decay-rate", 0.5, "--decay-steps", 2, "--run-dir", logs,
                    "--jobs", 2)
    return logs, proc.stdout


def test_file_name_and_version(run):
    logs, _ = run
    files = glob.glob(str(logs / "events.out.tfevents.*"))
    assert len(files) == 1
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\.[^/]+", os.path.basename(files[0]))
    events = list(event_file_loader.EventFileLoader(files[0]).Load())
    assert events[0].file_version == "brain.Event:2"
    assert events[0].wall_time > 1.6e9
    assert all(e.wall_time >= events[0].wall_time for e in events)


def test_scalars_and_images_read_by_tensorboard(run):
    logs, stdout = run
    acc = event_accumulator.EventAccumulator(str(logs), size_guidance={"images": 0, "scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    assert {"loss", "accuracy", "learning_rate", "validation/accuracy"} <= set(tags["scalars"])
    assert sorted(tags["images"]) == ["input/0", "input/1", "input/2", "input/3"]

    progress = re.findall(r"step (\d+)/4 epoch 1 loss ([0-9.]+) accuracy ([0-9.]+)% lr ([0-9.e-]+)", stdout)
    assert [int(p[0]) for p in progress] == [2, 4]
    loss = acc.Scalars("loss")
    accuracy = acc.Scalars("accuracy")
    rate = acc.Scalars("learning_rate")
    assert [e.step for e in loss] == [2, 4] == [e.step for e in accuracy] == [e.step for e in rate]
    for event, (_, l, a, _) in zip(loss, progress):
        assert event.value == pytest.approx(float(l), abs=1e-4)
    for event, (_, _, a, _) in zip(accuracy, progress):
        assert event.value == pytest.approx(float(a) / 100, abs=1e-3)
    # The rate used by the step's update: 0.002 · 0.5^(s/2) for 0-based update s = step − 1.
    for event in rate:
        assert event.value == pytest.approx(0.002 * 0.5 ** ((event.step - 1) / 2), rel=1e-5)
    validation = acc.Scalars("validation/accuracy")
    assert [e.step for e in validation] == [4]
    assert 0 <= validation[0].value <= 1
    assert f"accuracy {validation[0].value * 100:.2f}%" in stdout

    from PIL import Image
    for tag in tags["images"]:
        (image,) = acc.Images(tag)
        assert (image.step, image.width, image.height) == (0, 28, 28)
        decoded = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)))
        assert decoded.shape == (28, 28)
        assert decoded.min() == 0 and decoded.max() == 255  # stretched for display
