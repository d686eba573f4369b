"""Puts ShardKit's benchmark figures beside the anchors' (TensorFlow, Pillow, the tfrecord
package) from one run's RESULT lines, and prints each issue target with its measured ratio.

    python Benchmarks/compare.py results.raw
    python Benchmarks/compare.py --ab results.raw

--ab reads a side-by-side run (`make bench BASE=REV`: lines tagged side=base, side=head or
side=anchor) and first prints, per figure, the base's and the head's medians, head/base oriented
so that > 1 is better (time and memory inverted), and a verdict; then the targets as above, from
the head's and the anchors' lines.
"""
import collections
import math
import statistics
import sys

# (ours, theirs or None, target ratio or absolute floor, what the target says)
TARGETS = [
    ("shardkit_crc32c_bulk", "crc32c_bulk", 1.0, "CRC32C, 256 MiB buffer, vs the crc32c package"),
    ("shardkit_crc32c_bulk_avx512", "crc32c_bulk", 1.0, "... the avx512 kernel (VPCLMULQDQ folding)"),
    ("shardkit_crc32c_bulk_avx2", "crc32c_bulk", 1.0, "... the avx2 kernel (PCLMULQDQ + crc32 hybrid), as on AVX2-only CPUs"),
    ("shardkit_crc32c_bulk_portable", "crc32c_bulk", None, "... the portable kernel (slicing-by-8), for reference"),
    ("shardkit_crc32c_records", "crc32c_records", 1.0, "CRC32C over 3980-byte records, vs the crc32c package"),
    ("shardkit_crc32c_records_avx2", "crc32c_records", 1.0, "... the avx2 kernel"),
    ("shardkit_write_examples", "tf_write_example", 5.0, "build+encode+write Examples vs tf.io.TFRecordWriter"),
    ("shardkit_write_examples", "tfrecord_write_io_floor", 0.8, "... or vs the file system's write floor"),
    ("shardkit_read_verify_gbps", None, 1.5, "read with checksum verification, GB/s (absolute)"),
    ("shardkit_read_decode", "tf_read_parse_batched", 2.0, "read+decode Examples vs tf.data parse_example"),
    ("shardkit_augment_1core", "pil_augment", 2.0, "augmentation chain, 1 core, vs Pillow"),
    ("shardkit_augment_2core", "tf_augment_map_par", 2.0, "augmentation chain, 2 cores, vs tf.data map_par"),
    ("shardkit_png_decode", "pil_png_decode", 1.0, "PNG decode 64x64 RGB vs Pillow"),
    ("shardkit_png_encode", "pil_png_encode", 1.0, "PNG encode 64x64 RGB vs Pillow"),
    ("shardkit_png_encode_digit", "pil_png_encode_digit", 1.0, "PNG encode 28x28 gray digits vs Pillow (what convert mnist writes)"),
    ("shardkit_synth", "shardkit_augment_2core", 1.0, "synth 100k five-digit strings (64x64x1), 2 cores, vs our augmentation chain"),
    ("shardkit_synth_rgb", "shardkit_augment_2core", 1.0, "... the same strings as RGB (--channels 3), for reference"),
    ("shardkit_synth_fixed", "shardkit_synth", None, "... fixed layout (28x140, nothing drawn; same bytes as before issue 13) vs the free layout"),
    ("shardkit_convert_mnist_jobs1", "py_convert_mnist", 10.0, "convert 60k MNIST to PNG Examples, 1 job, vs numpy+Pillow+TF"),
    ("shardkit_convert_mnist_jobs2", "py_convert_mnist", 10.0, "... 2 jobs"),
    ("shardkit_scaleout_2workers", "shardkit_scaleout_1worker", 1 / 0.6, "600k MNIST: 2 local workers + commit vs 1 worker (wall <= 0.6x)"),
    ("shardkit_commit_1024_shards", "shardkit_commit_64_shards", None, "commit time, 1,024 vs 64 shards (O(shards): <= 16)"),
    ("shardkit_commit_64_shards_x10_records", "shardkit_commit_64_shards", None, "commit time, 64 shards, 600k vs 60k records (O(shards): ~1)"),
    ("shardkit_svhn_fullsize", "py_convert_svhn_fullsize", 10.0, "SVHN train at full size (33,402 entries) vs h5py+Pillow+TF, 1 process"),
    ("shardkit_svhn_fullsize_per_cpu_second", "py_convert_svhn_fullsize_per_cpu_second", None, "... per CPU-second, user+system (load-independent; x cores used = idle-machine wall ratio)"),
    ("shardkit_svhn_fullsize_peak_rss", "shardkit_svhn_tenth_peak_rss", None, "... our peak RSS, all vs a tenth of the entries (flat: ~1)"),
    ("shardkit_hwdb_fullsize", "py_convert_hwdb_fullsize", 10.0, "HWDB1.1 train at full size (897,758 samples) vs numpy+Pillow+TF, 1 process"),
    ("shardkit_hwdb_fullsize_per_cpu_second", "py_convert_hwdb_fullsize_per_cpu_second", None, "... per CPU-second, user+system (load-independent; x cores used = idle-machine wall ratio)"),
    ("shardkit_hwdb_fullsize_peak_rss", "shardkit_hwdb_tenth_peak_rss", None, "... our peak RSS, 240 vs 24 files (flat: ~1)"),
    ("shardkit_svhn_fullsize_peak_rss", "py_convert_svhn_fullsize_peak_rss", None, "... our peak RSS vs the Python method's (MiB)"),
    ("shardkit_hwdb_fullsize_given_dictionary", "shardkit_hwdb_fullsize", None, "HWDB: with --dictionary given vs built (what the dictionary scan costs: ~1)"),
    ("shardkit_hwdb_fullsize_peak_rss", "py_convert_hwdb_fullsize_peak_rss", None, "... our peak RSS vs the Python method's (MiB)"),
    ("shardkit_mnist_scale_600000", "shardkit_mnist_scale_60000", None, "convert MNIST x10 vs x1, records/s (time linear: ~1)"),
    ("shardkit_mnist_scale_6000000", "shardkit_mnist_scale_60000", None, "convert MNIST x100 vs x1, records/s (time linear: ~1)"),
    ("shardkit_mnist_scale_600000_peak_rss", "shardkit_mnist_scale_60000_peak_rss", None, "convert MNIST x10 vs x1, peak RSS (flat: ~1)"),
    ("shardkit_mnist_scale_6000000_peak_rss", "shardkit_mnist_scale_60000_peak_rss", None, "convert MNIST x100 vs x1, peak RSS (flat: ~1)"),
    ("shardkit_train_mnist", "tf_train_mnist_tape", 1.0, "train mnist net, batch 128, vs TensorFlow"),
    ("shardkit_train_digits", "tf_train_svhn_tape", 1.0, "train digits net, batch 32, vs TensorFlow"),
    ("shardkit_train_mnist_peak_fraction", None, 0.70, "train mnist: step FLOPs/time as a fraction of FP32 FMA peak"),
    ("shardkit_train_digits_peak_fraction", None, 0.70, "train digits: step FLOPs/time as a fraction of FP32 FMA peak"),
    ("shardkit_train_mnist_avx2", "tf_train_mnist_tape", 1.0, "train mnist capped at avx2, vs TensorFlow (this CPU)"),
    ("shardkit_train_digits_avx2", "tf_train_svhn_tape", 1.0, "train digits capped at avx2, vs TensorFlow (this CPU)"),
    ("shardkit_train_mnist_avx2_peak_fraction", None, 0.70, "train mnist capped at avx2: fraction of AVX2 FMA peak"),
    ("shardkit_train_digits_avx2_peak_fraction", None, 0.70, "train digits capped at avx2: fraction of AVX2 FMA peak"),
]


def load(path, sides=None):
    """Every figure's values by name; with `sides`, only lines whose side= is one of them."""
    runs = collections.OrderedDict()
    for line in open(path):
        if not line.startswith("RESULT "):
            continue
        kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
        if sides is not None and kv.get("side") not in sides:
            continue
        name = kv["name"]
        runs.setdefault(name, {"unit": kv.get("unit", ""), "v": [], "extra": kv})
        runs[name]["v"].append(float(kv["value"]))
    return runs


def report(runs):
    """Each figure's spread, then each issue target with its ratio, then peak memory."""
    print(f"{'benchmark':40s} {'unit':12s} {'median':>12s} {'min':>12s} {'max':>12s} {'n':>3s}")
    for name, r in runs.items():
        v = r["v"]
        print(f"{name:40s} {r['unit']:12s} {statistics.median(v):12.4g} {min(v):12.4g} {max(v):12.4g} {len(v):3d}")
    print()
    print(f"{'target':70s} {'ours':>10s} {'theirs':>10s} {'ratio':>7s} {'goal':>6s}  verdict")
    for ours, theirs, goal, what in TARGETS:
        if ours not in runs:
            continue
        o = statistics.median(runs[ours]["v"])
        if goal is None:
            t = statistics.median(runs[theirs]["v"]) if theirs in runs else float("nan")
            print(f"{what:70s} {o:10.4g} {t:10.4g} {o / t if t else 0:7.2f} {'':>6s}  (reference)")
            continue
        if theirs is None:
            print(f"{what:70s} {o:10.4g} {'':>10s} {'':>7s} {goal:6.2f}  {'met' if o >= goal else 'NOT met'}")
            continue
        if theirs not in runs:
            print(f"{what:70s} {o:10.4g} {'(none)':>10s}")
            continue
        t = statistics.median(runs[theirs]["v"])
        ratio = o / t if t else float("inf")
        print(f"{what:70s} {o:10.4g} {t:10.4g} {ratio:7.2f} {goal:6.2f}  {'met' if ratio >= goal else 'NOT met'}")
    mem = [(n, r) for n, r in runs.items() if "peak_rss" in n]
    if mem:
        print()
        print("peak memory (MiB, median):")
        for n, r in mem:
            print(f"  {n:50s} {statistics.median(r['v']):8.1f}  {' '.join(f'{k}={v}' for k, v in r['extra'].items() if k not in ('name', 'value', 'unit', 'rep', 'side'))}")


# Units where less is better; every other unit is a rate or a fraction, where more is.
LOWER_IS_BETTER = {"s", "ms", "us", "ns", "MiB", "KiB", "GiB", "MB", "GB", "bytes"}
# Fields that tell apart two figures one program prints under one name (bench-trainer's GEMM rates
# per kernel, bench_convert's peak RSS per --jobs).
DISTINGUISHING = ("kernel", "jobs", "tier", "args")
# Figures a section runs on both sides that do not measure ShardKit's code: the Python converters
# inside the section scripts and the CPU's FMA peak probe. Their head/base shows how much the
# machine drifted between the two sides, and gets no verdict.
CONTROLS = ("py_", "fma_peak_")
# Figures whose output differs between the base and head on purpose, so head/base compares
# different work: issue 13 changed what synth's free layout draws (tent filter, height fill, the
# fit). They are shown with their ratio and counted apart; `shardkit_synth_fixed` (the fixed
# layout, byte-identical on both sides) is the same-work figure for synth's engine and writing.
OTHER_OUTPUT = {
    "shardkit_synth": "other output: issue 13's free-layout drawing",
    "shardkit_synth_rgb": "other output: issue 13's free-layout drawing",
}
# How much worse than the base a figure may be: issue 10 allows 5%.
TOLERANCE = 0.05


def load_sides(path):
    """(figures, notes, rounds): figures[key][side] = values over the rounds, key = (name,
    qualifier, unit); notes = the run's FAILED and SKIPPED lines; rounds[key][side][rep] = value. A name printed more than once in one round by
    one side gets the DISTINGUISHING fields as its qualifier."""
    lines, notes = [], []
    for line in open(path):
        if line.startswith(("FAILED", "SKIPPED")):
            notes.append(line.rstrip("\n"))
        if not line.startswith("RESULT "):
            continue
        lines.append(dict(t.split("=", 1) for t in line.split()[1:] if "=" in t))
    seen = collections.Counter((kv["name"], kv.get("side"), kv.get("rep")) for kv in lines)
    repeated = {name for (name, _, _), count in seen.items() if count > 1}
    figures = collections.OrderedDict()
    rounds = {}
    for kv in lines:
        qualifier = ""
        if kv["name"] in repeated:
            qualifier = " ".join(f"{k}={kv[k]}" for k in DISTINGUISHING if k in kv)
        key = (kv["name"], qualifier, kv.get("unit", ""))
        figures.setdefault(key, collections.defaultdict(list))[kv.get("side", "anchor")].append(float(kv["value"]))
        rounds.setdefault(key, collections.defaultdict(dict))[kv.get("side", "anchor")][kv.get("rep")] = float(kv["value"])
    return figures, notes, rounds


def paired_ratios(by_rep, lower):
    """head/base (> 1 better) of each round both sides ran, in round order."""
    base, head = by_rep.get("base", {}), by_rep.get("head", {})
    out = []
    for rep in sorted(set(base) & set(head), key=lambda r: int(r or 0)):
        b, h = base[rep], head[rep]
        out.append((b / h if h else math.inf) if lower else (h / b if b else math.inf))
    return out


def figure(x):
    """A median in 11 columns, whole numbers from 10,000 up rather than in e-notation."""
    return f"{x:11.0f}" if abs(x) >= 1e4 else f"{x:11.4g}"


def side_by_side(figures, notes, rounds):
    """The base/head table: medians, head/base with > 1 better, and the verdict. A figure is
    worse when the head's median is more than TOLERANCE below the base's and the head lost by
    more than TOLERANCE in every round's pair (the two sides run back to back); when the medians
    say worse but some round's pair does not, the gap is within what the machine's own swings
    make, and the verdict says so with the rounds' ratios."""
    print("side by side (medians over the rounds; head/base > 1 is better, time and memory inverted):")
    print(f"{'figure':58s} {'unit':12s} {'base':>11s} {'head':>11s} {'head/base':>9s} {'n':>5s}  verdict")
    worse, other, noisy = [], [], []
    for (name, qualifier, unit), by_side in figures.items():
        base, head = by_side.get("base"), by_side.get("head")
        if base is None and head is None:
            continue  # an anchor
        label = f"{name} [{qualifier}]" if qualifier else name
        lower = unit in LOWER_IS_BETTER or name.endswith("peak_rss")
        n = f"{len(base or [])}/{len(head or [])}"
        if not base or not head:
            shown = [figure(statistics.median(v)) if v else f"{'-':>11s}" for v in (base, head)]
            verdict = "head only" if head else "base only"
            print(f"{label:58s} {unit:12s} {shown[0]} {shown[1]} {'':>9s} {n:>5s}  {verdict}")
            continue
        b, h = statistics.median(base), statistics.median(head)
        if lower:
            ratio = b / h if h else math.inf
            is_worse = h > b * (1 + TOLERANCE)
        else:
            ratio = h / b if b else math.inf
            is_worse = h < b * (1 - TOLERANCE)
        pairs = paired_ratios(rounds[(name, qualifier, unit)], lower)
        if name.startswith(CONTROLS):
            verdict = "control (same work both sides)"
        elif name in OTHER_OUTPUT:
            verdict = OTHER_OUTPUT[name]
            other.append(label)
        elif is_worse and pairs and any(p >= 1 - TOLERANCE for p in pairs):
            verdict = "noise: rounds' head/base " + " ".join(f"{p:.2f}" for p in pairs)
            noisy.append(label)
        elif is_worse:
            verdict = f"worse by more than {TOLERANCE:.0%}" + (
                " in every round: " + " ".join(f"{p:.2f}" for p in pairs) if pairs else "")
            worse.append(label)
        else:
            verdict = "ok"
        print(f"{label:58s} {unit:12s} {figure(b)} {figure(h)} {ratio:9.3f} {n:>5s}  {verdict}")
    print()
    if worse:
        print(f"{len(worse)} figure(s) worse by more than {TOLERANCE:.0%}: {', '.join(worse)}")
    else:
        print(f"no figure worse by more than {TOLERANCE:.0%}")
    if noisy:
        print(f"worse in the medians but not in every round (the machine's swings): {', '.join(noisy)}")
    if other:
        print(f"not comparable (the two sides write other output): {', '.join(other)}")
    for note in notes:
        print(f"  not measured: {note}")


def main():
    if sys.argv[1] == "--ab":
        path = sys.argv[2]
        side_by_side(*load_sides(path))
        print()
        report(load(path, sides={"head", "anchor"}))
    else:
        report(load(sys.argv[1]))


if __name__ == "__main__":
    main()
