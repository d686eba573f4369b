"""What the peak-memory scripts share (scripts/svhn-cropped-memory.py, scripts/archive-memory.py):
their command line, a scratch folder removed afterwards, and one `shardkit` run under
/usr/bin/time -v, timed, with its peak RSS. Standard library only."""
import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time


def arguments(sizes_flag, default_sizes, sizes_help):
    """--binary (the release binary), --jobs, and the list of sizes to measure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/shardkit")
    parser.add_argument(sizes_flag, type=int, nargs="+", default=default_sizes, help=sizes_help)
    parser.add_argument("--jobs", type=int, default=2)
    return parser.parse_args()


@contextlib.contextmanager
def scratch(prefix):
    """A temporary folder, removed with everything in it when the block ends."""
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measured(command):
    """Runs `command` under /usr/bin/time -v; (seconds, peak RSS in MiB). Exits on failure."""
    started = time.time()
    proc = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True)
    seconds = time.time() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed ({proc.returncode}):\n{proc.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return seconds, rss / 1024
