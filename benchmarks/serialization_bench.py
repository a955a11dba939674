#!/usr/bin/env python3
"""Time `minigrad.save` and `minigrad.load` of a ~50 MB state dict (prints the timings; not a unit test).

    python benchmarks/serialization_bench.py [--mb 50] [--repeat 7] [--dir DIR]

The state is ten float32 layers of (1280, 1024) weights with their biases (52.5 MB in all), the shape of a
checkpoint. Each repeat saves to a fresh name in DIR (default: a temporary folder) and loads it back from
the page cache; the output gives the median and the best of the repeats, and the throughput. Which
minigrad is measured is printed (its file and git commit): run it with PYTHONPATH pointing at another
checkout to compare versions, e.g. the branch point before load verified its input.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import minigrad


def make_state(mb: float) -> dict:
    """Float32 layers of (1280, 1024) weights plus biases, about `mb` megabytes (10**6 bytes) in all."""
    rng = np.random.default_rng(0)
    per_layer = 1280 * 1024 * 4 + 1024 * 4
    layers = max(1, round(mb * 1e6 / per_layer))
    return {f"layer{i}": {"weight": rng.standard_normal((1280, 1024), dtype=np.float32),
                          "bias": rng.standard_normal(1024, dtype=np.float32)} for i in range(layers)}


def nbytes(state: dict) -> int:
    return sum(a.nbytes for layer in state.values() for a in layer.values())


def commit_of(path: str) -> str:
    try:
        out = subprocess.run(["git", "-C", os.path.dirname(path), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "(not a git checkout)"
    except (OSError, subprocess.SubprocessError):
        return "(git unavailable)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the state dict in MB (10**6 bytes)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dir", default=None, help="folder to write in (default: a temporary folder)")
    args = parser.parse_args()

    state = make_state(args.mb)
    size = nbytes(state)
    print(f"minigrad from {minigrad.__file__} (commit {commit_of(minigrad.__file__)})")
    print(f"state: {len(state)} layers, {2 * len(state)} arrays, {size / 1e6:.1f} MB; {args.repeat} repeats")
    saves, loads = [], []
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for i in range(args.repeat):
            path = os.path.join(folder, f"ckpt{i}.npz")
            t0 = time.perf_counter()
            minigrad.save(state, path)
            t1 = time.perf_counter()
            back = minigrad.load(path)
            t2 = time.perf_counter()
            saves.append(t1 - t0)
            loads.append(t2 - t1)
            for name, layer in state.items():  # outside the timing: the round trip must be exact
                for key, arr in layer.items():
                    assert back[name][key].tobytes() == arr.tobytes(), (name, key)
            os.unlink(path)
    for label, times in (("save", saves), ("load", loads)):
        med, best = statistics.median(times), min(times)
        print(f"{label}: median {med * 1e3:7.1f} ms, best {best * 1e3:7.1f} ms  ({size / med / 1e6:6.0f} MB/s)")


if __name__ == "__main__":
    main()
