"""Shared set-up for the interoperability tests: the shardkit binary under test (SHARDKIT_BIN,
set by scripts/test.sh) and a quiet TensorFlow."""
import os
import subprocess

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def shardkit():
    path = os.environ.get("SHARDKIT_BIN")
    assert path and os.access(path, os.X_OK), "set SHARDKIT_BIN to the shardkit binary (scripts/test.sh does)"

    def run(*args, check=True):
        proc = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"shardkit {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run
