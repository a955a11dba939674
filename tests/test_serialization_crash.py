"""save under SIGKILL: child processes save in a loop and are killed at random (seeded) moments.

After every kill the target must load whole, as one generation no older than the last one known to be
saved; a kill may leave the temporary it was writing, but the next successful save removes it, so
temporaries never accumulate. The children are started ahead of time (importing numpy takes most of a
child's life) and each only starts saving when told, so the kills land in saves, not in imports.
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
KILLS = 24
SIZE = 1 << 17  # float64 elements: a 1 MB array, a few milliseconds per save
CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import minigrad as mg
target, size = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
gen = int(sys.stdin.readline())
while True:
    mg.save({"gen": gen, "w": np.full(size, float(gen)), "tag": "g%d" % gen}, target)
    gen += 1
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


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


def spawn(target: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT), str(target), str(SIZE)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_killed_saves_leave_old_or_new_state_and_no_debris(tmp_path, capsys):
    rng = random.Random(2024)
    target = tmp_path / "ckpt.npz"
    mg.save(state(0), target)
    known = 0  # the newest generation known to be on disk
    loaded, debris_after_kill, others = [], 0, []
    # files that look alike but are not ours must survive every cleanup
    lookalikes = [".ckpt.npz.abc.tmp", ".ckpt.npz.minigrad-save.0123456789ABCDEF.tmp",
                  ".other.npz.minigrad-save.0123456789abcdef.tmp", "ckpt.npz.minigrad-save.0123456789abcdef.tmp"]
    for name in lookalikes:
        (tmp_path / name).write_bytes(b"not minigrad's")
    queue = [spawn(target) for _ in range(3)]
    started = time.perf_counter()
    try:
        for kill in range(KILLS):
            child = queue.pop(0)
            queue.append(spawn(target))
            assert child.stdout.readline().strip() == "ready"
            child.stdin.write(f"{known + 1}\n")
            child.stdin.flush()
            time.sleep(rng.uniform(0.0, 0.04))
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdin.close()
            child.stdout.close()
            gen = whole_generation(target)  # whole: the old state or one of the child's new ones
            assert gen >= known
            loaded.append(gen)
            left = temporaries(tmp_path, "ckpt.npz")
            assert len(left) <= 1, left  # at most the one the kill interrupted
            debris_after_kill += len(left)
            known = gen + 1 if gen > known else known + 1
            mg.save(state(known), target)  # the next successful save removes the dead child's temporary
            assert temporaries(tmp_path, "ckpt.npz") == []
            assert whole_generation(target) == known
    finally:
        for child in queue:
            child.kill()
            child.wait()
            child.stdin.close()
            child.stdout.close()
    elapsed = time.perf_counter() - started
    assert sorted(os.listdir(tmp_path)) == sorted(lookalikes + ["ckpt.npz"])
    new_states = sum(1 for a, b in zip([0] + loaded, loaded) if b > a)
    with capsys.disabled():
        print(f"\ncrash test: {KILLS} SIGKILLs in {elapsed:.1f} s; every load whole ({new_states} showed a newer "
              f"generation than the last known, {KILLS - new_states} the last known one); {debris_after_kill} kills "
              f"left a temporary, each removed by the next save; temporaries at the end: 0")
    assert debris_after_kill > 0, "no kill landed inside a save: the test did not test anything"
    assert new_states > 0, "no child ever completed a save before its kill"
