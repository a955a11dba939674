"""save under SIGKILL: a process saves in a loop and is killed at random (seeded) moments.

After every kill the target must load whole, as one generation no older than the last one known to be
saved; a kill may leave the temporary it was writing, but the next successful save removes it, so
temporaries never accumulate. A child Python (`sys.executable`) imports minigrad once and, for each
round, forks the process that saves; the test kills that process with SIGKILL by its pid, and the child
reaps it and reports how it ended. Forking makes a round cost milliseconds instead of an interpreter start.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

ROOT = Path(__file__).resolve().parents[1]
KILLS = 36
SIZE = 1 << 17  # float64 elements: a 1 MB array, a few milliseconds per save
CHILD = r"""
import os, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import minigrad as mg
target, size = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    gen = int(line)
    pid = os.fork()
    if pid == 0:  # the saver: saves until it is killed
        try:
            while True:
                mg.save({"gen": gen, "w": np.full(size, float(gen)), "tag": "g%d" % gen}, target)
                gen += 1
        finally:
            os._exit(1)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9 else "ended %d" % status, flush=True)
"""

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"),
                                reason="needs fork and SIGKILL")


def state(gen: int) -> dict:
    return {"gen": gen, "w": np.full(SIZE, float(gen)), "tag": f"g{gen}"}


def whole_generation(path) -> int:
    """The generation stored at path, after checking that every part of it belongs to that generation."""
    back = mg.load(path)
    gen = back["gen"]
    assert set(back) == {"gen", "w", "tag"} and back["tag"] == f"g{gen}"
    assert back["w"].dtype == np.float64 and back["w"].shape == (SIZE,) and (back["w"] == gen).all()
    return gen


def temporaries(folder: Path, target: str):
    pattern = re.compile(re.escape("." + target) + r"\.minigrad-save\.[0-9a-f]{16}\.tmp\Z")
    return sorted(name for name in os.listdir(folder) if pattern.match(name))


def test_killed_saves_leave_old_or_new_state_and_no_debris(tmp_path):
    rng = random.Random(2024)
    target = tmp_path / "ckpt.npz"
    mg.save(state(0), target)
    known = 0  # the newest generation known to be on disk
    loaded, debris_after_kill = [], 0  # loaded: per kill, whether the saver's new state was on disk
    # files that look alike but are not ours must survive every cleanup
    lookalikes = [".ckpt.npz.abc.tmp", ".ckpt.npz.minigrad-save.0123456789ABCDEF.tmp",
                  ".other.npz.minigrad-save.0123456789abcdef.tmp", "ckpt.npz.minigrad-save.0123456789abcdef.tmp"]
    for name in lookalikes:
        (tmp_path / name).write_bytes(b"not minigrad's")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), str(target), str(SIZE)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    saver = None
    try:
        assert child.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        for kill in range(KILLS):
            child.stdin.write(f"{known + 1}\n")
            child.stdin.flush()
            saver = int(child.stdout.readline())
            time.sleep(rng.uniform(0.0, 0.03))
            os.kill(saver, signal.SIGKILL)  # still unreaped until the child waits for it: the pid is its own
            assert child.stdout.readline().strip() == "killed"  # not ended by an error of its own
            saver = None
            gen = whole_generation(target)  # whole: the old state or one of the saver's new ones
            assert gen >= known
            loaded.append(gen > known)
            left = temporaries(tmp_path, "ckpt.npz")
            assert len(left) <= 1, left  # at most the one the kill interrupted
            debris_after_kill += len(left)
            known = gen + 1
            mg.save(state(known), target)  # the next successful save removes the dead saver's temporary
            assert temporaries(tmp_path, "ckpt.npz") == []
            assert whole_generation(target) == known
        elapsed = time.perf_counter() - started
    finally:
        if saver is not None:
            os.kill(saver, signal.SIGKILL)
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()
    assert sorted(os.listdir(tmp_path)) == sorted(lookalikes + ["ckpt.npz"])
    newer = sum(loaded)
    print(f"\ncrash test: {KILLS} SIGKILLs in {elapsed:.1f} s; every load whole: {newer} showed a generation "
          f"the killed process wrote, {KILLS - newer} the one before it; {debris_after_kill} kills left a "
          f"temporary, each removed by the next save; temporaries at the end: 0")
    assert debris_after_kill > 0, "no kill landed inside a save: the test did not test anything"
    assert newer > 0, "no saver ever completed a save before its kill"
