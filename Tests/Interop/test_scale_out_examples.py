"""The scale-out examples users copy: examples/kubernetes/convert-mnist.yaml (no cluster here, so
its fields are checked, then its container commands run here as the Indexed Job would run them),
examples/slurm/ (submitted to a real one-node cluster by scripts/test-slurm.sh; here only checked
to be what the README shows), and the README's claims about how training jobs on many hosts split
a committed dataset: tf.data `shard()` per file, TFDS per-process splits and input contexts, and
the `tfrecord` package's index-based shards."""
import filecmp
import json
import os
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST = os.path.join(ROOT, "examples", "kubernetes", "convert-mnist.yaml")
MNIST = os.path.join(ROOT, "Fixtures", "mnist")


def load_manifest():
    with open(MANIFEST) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        assert {"apiVersion", "kind", "metadata", "spec"} <= d.keys(), d
        by_kind.setdefault(d["kind"], []).append(d)
    assert sorted(by_kind) == ["Job", "PersistentVolumeClaim"]
    jobs = by_kind["Job"]
    workers = [j for j in jobs if j["spec"].get("completionMode") == "Indexed"]
    others = [j for j in jobs if j["spec"].get("completionMode") != "Indexed"]
    assert len(workers) == 1 and len(others) == 1, "one Indexed Job of workers and one commit Job"
    return by_kind["PersistentVolumeClaim"], workers[0], others[0]


def options(command):
    """`--name value` and `--name=value` as a dict, and the words before the first option."""
    words, opts, i = [], {}, 0
    while i < len(command):
        word = str(command[i])
        if word.startswith("--"):
            if "=" in word:
                name, value = word[2:].split("=", 1)
            else:
                name, value = word[2:], str(command[i + 1])
                i += 1
            assert name not in opts, f"--{name} given twice"
            opts[name] = value
        else:
            assert not opts, f"positional {word!r} after options"
            words.append(word)
        i += 1
    return words, opts


def pod(job):
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in ("Never", "OnFailure"), "a Job's pods may not restart Always"
    (container,) = spec["containers"]
    return spec, container


def shared_mount(job):
    """(claim name, mount path) of the one persistent volume the job's container mounts."""
    spec, container = pod(job)
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"] if "persistentVolumeClaim" in v}
    (mount,) = [m for m in container["volumeMounts"] if m["name"] in claims]
    assert not mount.get("readOnly"), "the output volume must be writable"
    return claims[mount["name"]], mount["mountPath"]


def test_kubernetes_manifest_fields():
    claims, workers, commit = load_manifest()
    spec = workers["spec"]
    completions, parallelism = spec["completions"], spec.get("parallelism", 1)
    assert isinstance(completions, int) and completions >= 1
    assert isinstance(parallelism, int) and 1 <= parallelism <= completions

    _, container = pod(workers)
    words, opts = options(container["command"])
    assert words == ["shardkit", "convert", "mnist"]
    assert "worker" not in opts, "the index must come from JOB_COMPLETION_INDEX, not --worker"
    assert int(opts["workers"]) == completions, "--workers must equal the Indexed Job's completions"
    assert int(opts["shards"]) >= 1, "workers need --shards"
    assert {"input", "output"} <= opts.keys()

    # The commit Job runs `shardkit commit` on the folder the workers wrote, through the same claim.
    assert commit["spec"].get("suspend") is True, "the commit Job waits, suspended, for the workers"
    assert commit["spec"].get("completionMode", "NonIndexed") == "NonIndexed"
    assert commit["spec"].get("completions", 1) == 1 and commit["spec"].get("parallelism", 1) == 1
    _, commit_container = pod(commit)
    assert [str(w) for w in commit_container["command"]] == ["shardkit", "commit", opts["output"]]
    claim, mount_path = shared_mount(workers)
    assert shared_mount(commit) == (claim, mount_path)
    (pvc,) = [c for c in claims if c["metadata"]["name"] == claim]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"], "pods on several nodes write the same volume"
    for path in (opts["input"], opts["output"]):
        assert path.startswith(mount_path.rstrip("/") + "/"), f"{path} is not on the shared volume"


def test_kubernetes_manifest_commands_run_here(shardkit, tmp_path):
    """Each index's container command, run here with JOB_COMPLETION_INDEX as Kubernetes sets it
    (`parallelism` at a time, on a folder standing in for the volume), then the commit Job's:
    the result is byte for byte a one-process conversion."""
    _, workers, commit = load_manifest()
    _, mount_path = shared_mount(workers)
    volume = tmp_path / "volume"
    words, opts = options(pod(workers)[1]["command"])
    shutil.copytree(MNIST, str(volume) + opts["input"][len(mount_path):])

    def local(command):
        args = [str(w).replace(mount_path, str(volume)) for w in command]
        assert args[0] == "shardkit"
        return [os.environ["SHARDKIT_BIN"], *args[1:]]

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_") and k != "JOB_COMPLETION_INDEX"}
    spec = workers["spec"]
    indices = list(range(spec["completions"]))
    for start in range(0, len(indices), spec["parallelism"]):
        running = [
            subprocess.Popen(local(pod(workers)[1]["command"]), env={**env, "JOB_COMPLETION_INDEX": str(i)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for i in indices[start:start + spec["parallelism"]]
        ]
        for i, proc in zip(indices[start:], running):
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, f"index {i} exited {proc.returncode}: {err}"
            assert f"JOB_COMPLETION_INDEX={i} with --workers {spec['completions']}" in err + out
    done = subprocess.run(local(pod(commit)[1]["command"]), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    reference = tmp_path / "reference"
    shardkit("convert", "mnist", "--input", MNIST, "--output", reference, "--shards", opts["shards"], "--quiet")
    output = str(volume) + opts["output"][len(mount_path):]
    def files(top):  # relative paths of every file, index/ included
        return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, names in os.walk(top) for f in names)

    assert files(output) == files(reference)
    match, mismatch, errors = filecmp.cmpfiles(reference, output, files(reference), shallow=False)
    assert not mismatch and not errors and match


def test_readme_shows_the_example_files():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    for path in ("examples/slurm/convert-mnist.sbatch", "examples/kubernetes/convert-mnist.yaml"):
        with open(os.path.join(ROOT, path)) as f:
            assert f.read() in readme, f"README.md no longer shows {path} as it is"


# ---- the consuming side: how hosts split a committed dataset --------------------------------------

SPEC = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}


@pytest.fixture(scope="module")
def committed(tmp_path_factory):
    """MNIST in 4 shards a split, written by 3 workers and committed."""
    out = tmp_path_factory.mktemp("split") / "mnist"
    binary = os.environ["SHARDKIT_BIN"]
    for i in range(3):
        subprocess.run([binary, "convert", "mnist", "--input", MNIST, "--output", out, "--shards", "4",
                        "--worker", f"{i}/3", "--quiet"], check=True, capture_output=True)
    subprocess.run([binary, "commit", out], check=True, capture_output=True)
    return out


def train_files(out):
    return sorted(str(p) for p in out.glob("mnist-train.tfrecord-*-of-*") if p.suffix != ".index")


def assert_partition(parts, everything):
    """Every record once, over all hosts; no host empty."""
    assert all(parts), "a host got nothing"
    assert sorted(r for part in parts for r in part) == sorted(everything)


def test_tf_data_shards_files_across_hosts(committed):
    everything = [r.numpy() for r in tf.data.TFRecordDataset(train_files(committed))]
    pattern = str(committed / "mnist-train.tfrecord-*-of-*[0-9]")  # the shards (index files are in index/)
    hosts = 2
    parts = []
    for index in range(hosts):
        files = tf.data.Dataset.list_files(pattern, shuffle=False).shard(hosts, index)
        parts.append([r.numpy() for r in files.interleave(tf.data.TFRecordDataset)])
    assert_partition(parts, everything)


def test_tfds_per_process_splits(committed):
    import tensorflow_datasets as tfds
    builder = tfds.builder_from_directory(str(committed))

    def labels_and_images(ds):
        return [(int(e["label"]), e["image"].numpy().tobytes()) for e in ds]

    everything = labels_and_images(builder.as_dataset(split="train", shuffle_files=False))
    # Records: each process reads an even slice of the split (jax.process_index() by default).
    parts = [labels_and_images(builder.as_dataset(
        split=tfds.split_for_jax_process("train", process_index=i, process_count=2), shuffle_files=False))
        for i in range(2)]
    assert [len(p) for p in parts] == [len(everything) // 2] * 2
    assert_partition(parts, everything)
    # Files: each input pipeline reads whole shards (tf.distribute's InputContext).
    parts = [labels_and_images(builder.as_dataset(split="train", shuffle_files=False, read_config=tfds.ReadConfig(
        input_context=tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=i))))
        for i in range(2)]
    assert_partition(parts, everything)


def test_tfrecord_package_splits_each_file_by_its_index(committed):
    """Each host reads its part of every shard through the shard's index (`shard=(i, n)`). In a
    child process: the package and TensorFlow register the same protobuf names."""
    script = (
        "import os, sys, json\n"
        "from tfrecord.reader import tfrecord_loader\n"
        "def read(path, shard):\n"
        "    index = os.path.join(os.path.dirname(path), 'index', os.path.basename(path) + '.index')\n"
        "    return [[int(r['label'][0]), bytes(r['image']).hex()] for r in\n"
        "            tfrecord_loader(path, index, {'label': 'int', 'image': 'byte'}, shard=shard)]\n"
        "print(json.dumps({p: [read(p, None), read(p, (0, 2)), read(p, (1, 2))] for p in sys.argv[1:]}))\n")
    out = subprocess.run([sys.executable, "-c", script, *train_files(committed)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for path, (everything, *parts) in json.loads(out.stdout).items():
        assert len(everything) >= 2, path
        assert_partition([[tuple(r) for r in p] for p in parts], [tuple(r) for r in everything])
