"""The benchmark harness: `run.py --quick` runs every workload and prints its table; the floor (the
hand-written numpy reference) is right by finite differences and matches minigrad to 1e-10.

No timing is asserted anywhere: only that the harness runs, reports, and compares the same math.
"""
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
RUN = os.path.join(BENCH, "run.py")
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7"]


def _have_torch() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


HAVE_TORCH = _have_torch()


def _run(*args, timeout=240):
    return subprocess.run([sys.executable, RUN, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _section(out: str, key: str) -> str:
    """The text from the heading `## key ...` to the next `## ` heading."""
    m = re.search(rf"^## {key} .*?(?=^## |\Z)", out, flags=re.S | re.M)
    assert m, f"no section for {key} in the output:\n{out[:3000]}"
    return m.group(0)


@pytest.fixture(scope="module")
def quick():
    proc = _run("--quick")
    assert proc.returncode == 0, f"run.py --quick exited with {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_header_names_versions_and_pinned_threads(quick):
    head = quick.split("## ", 1)[0]
    for needle in ("numpy", "Python", "minigrad", "torch", "CPU:",
                   "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1"):
        assert needle in head, f"header lacks {needle!r}:\n{head}"


@pytest.mark.parametrize("key", WORKLOADS)
def test_quick_prints_a_table_with_a_target_for_every_workload(quick, key):
    sec = _section(quick, key)
    rows = [line for line in sec.splitlines() if line.startswith("| ")]
    assert len(rows) >= 3, f"{key}: expected a header and rows, got:\n{sec}"
    assert any(r.startswith("| floor") or "floor (numpy" in r for r in rows), sec
    assert any("minigrad" in r for r in rows), sec
    assert not any("| error |" in r for r in rows), sec
    assert re.search(r"Target: .*\*\*(PASS|FAIL)\*\*", sec), f"{key}: no PASS/FAIL target line:\n{sec}"
    if HAVE_TORCH:
        assert any("PyTorch" in r for r in rows[2:]), sec
    else:
        assert "PyTorch column skipped" in sec, sec


def test_quick_agreement_section_has_no_mismatch(quick):
    sec = re.search(r"^## Agreement.*?(?=^## )", quick, flags=re.S | re.M).group(0)
    assert "MISMATCH" not in sec
    for key in WORKLOADS:
        assert re.search(rf"^\| {key}\b.*\| minigrad \|.*\| ok \|$", sec, flags=re.M), f"{key} not checked:\n{sec}"


def test_w4_reports_time_and_memory_per_op_and_per_line(quick):
    sec = _section(quick, "W4")
    assert "µs/op" in sec and "µs/line" in sec and "KB/op" in sec and "KB/line" in sec
    minigrad_rows = [r for r in sec.splitlines() if r.startswith("| 1") and "| minigrad |" in r]
    assert [r.split("|")[1].strip() for r in minigrad_rows] == ["1,000", "10,000"]


def test_workload_selection_and_unknown_names():
    proc = _run("--check", "--workload", "w1", "W5", "--no-torch", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "| W1 | minigrad |" in proc.stdout and "| W5 | minigrad |" in proc.stdout
    assert "| W3" not in proc.stdout and "torch |" not in proc.stdout
    bad = _run("--workload", "W9", timeout=60)
    assert bad.returncode == 2 and "unknown workload 'W9'" in bad.stderr


# ------------------------------------------------------------------------------- the floor itself

@pytest.fixture(scope="module")
def bench_modules():
    sys.path.insert(0, BENCH)
    try:
        import floor
        import workloads
        yield floor, workloads
    finally:
        sys.path.remove(BENCH)


def _numeric_grad(f, p, eps=1e-6):
    g = np.zeros_like(p)
    it = np.nditer(p, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = p[i]
        p[i] = old + eps
        hi = f()
        p[i] = old - eps
        lo = f()
        p[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


@pytest.mark.parametrize("kind", ["sigmoid-softmax", "relu-hinge-l2"])
def test_floor_backward_matches_finite_differences(bench_modules, kind):
    floor, _ = bench_modules
    rng = np.random.default_rng(3)
    if kind == "sigmoid-softmax":
        sizes, act, loss, l2 = [5, 4, 3], floor.Sigmoid, floor.SoftmaxWithLoss, 0.0
        x, t = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    else:
        sizes, act, loss, l2 = [2, 4, 4, 1], floor.Relu, floor.HingeLoss, 1e-2
        x, t = rng.standard_normal((7, 2)), rng.choice([-1.0, 1.0], size=(7, 1))
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"], params[f"b{i}"] = rng.standard_normal((a, b)), 0.1 * rng.standard_normal(b)
    net = floor.MLP(params, act, loss, l2=l2)
    net.gradient(x, t)
    for k, p in params.items():
        num = _numeric_grad(lambda: net.loss(x, t), p)
        np.testing.assert_allclose(net.grads[k], num, rtol=1e-5, atol=1e-7, err_msg=f"{kind}: d loss / d {k}")


def test_floor_hvp_matches_finite_differences_of_the_gradient(bench_modules):
    floor, _ = bench_modules
    rng = np.random.default_rng(4)
    params = {"W1": rng.standard_normal((5, 4)), "b1": rng.standard_normal(4),
              "W2": rng.standard_normal((4, 3)), "b2": rng.standard_normal(3)}
    x, t, V = rng.standard_normal((6, 5)), rng.integers(0, 3, 6), rng.standard_normal((5, 4))
    hv = floor.two_layer_hvp_W1(params, x, t, V)

    def grad_W1(W1):
        net = floor.MLP(dict(params, W1=W1), floor.Sigmoid, floor.SoftmaxWithLoss)
        net.gradient(x, t)
        return net.grads["W1"]
    eps = 1e-5
    num = (grad_W1(params["W1"] + eps * V) - grad_W1(params["W1"] - eps * V)) / (2 * eps)
    np.testing.assert_allclose(hv, num, rtol=1e-6, atol=1e-8)


def test_w1_floor_and_minigrad_agree_to_1e_10_after_one_step(bench_modules):
    _, wl = bench_modules
    ref, mg = wl.build("W1", "floor"), wl.build("W1", "minigrad")
    ref.step()
    mg.step()
    a, b = ref.snapshot(), mg.snapshot()
    assert set(a) == set(b) and {"loss", "grad_W1", "grad_b2", "param_W1"} <= set(a)
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-10, err_msg=k)
    assert not np.allclose(a["param_W1"], wl._spec("W1")["params"]["W1"]), "the step did not update W1"
