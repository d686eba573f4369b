"""Runs an anchor script with its clock replaced by the thread's CPU time, so that its
images/s figure measures CPU cost and not the share of a busy machine it got.

    ~/.cache/shardkit-anchors/bin/python Benchmarks/bench-imaging/pil_cpu.py \
        /work/shared/anchors/pil_augment.py --n 10000
    ~/.cache/shardkit-anchors/bin/python Benchmarks/bench-imaging/pil_cpu.py \
        Benchmarks/bench-imaging/pil_png.py --n 5000

Compare with bench-imaging's cpu_us_per_image fields. Only for single-threaded scripts.
"""
import os
import runpy
import sys
import time

sys.path.insert(0, "/work/shared/anchors")
import common  # noqa: E402

common.now = time.thread_time
script = os.path.abspath(sys.argv[1])
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(script))
runpy.run_path(script, run_name="__main__")
