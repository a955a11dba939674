#!/usr/bin/env python3
"""Time minigrad.func's transforms on a 2-16-16-1 tanh net beside PyTorch's torch.func; prints Markdown.

    python benchmarks/transforms.py [--quick] [--budget SECONDS] [--no-torch] [--profile CASE]

The net is y = tanh(tanh(x W1 + b1) W2 + b2) W3 + b3 in float64, weights N(0, 1/fan_in), seeded. Cases:
  vjp      J^T u for a batch of 64 points (x of shape (64, 2), u of shape (64, 1)), forward pass included
  jvp      J v for the same batch (v of shape (64, 2), output (64, 1)), forward pass included
  jacrev   the Jacobian dy/dx at one point (x of shape (2,), Jacobian (1, 2)), reverse mode
  jacfwd   the same Jacobian, forward mode
  jacrev16, jacfwd16  the full Jacobian of a batch of 16 points, (16, 1, 16, 2): torch.func batches the
           16 (or 32) passes with vmap; minigrad, which has no vmap, loops over them
  grad     the gradient of the batch's mean squared output w.r.t. W1 (64 points)
  hvp      the Hessian-vector product of that loss w.r.t. W1 (torch.func: jvp of grad, forward over reverse)
Every column runs with BLAS pinned to one thread (and torch.set_num_threads(1)), timed in turns of
~1/20 of the budget each (benchmarks/run.py's measure_interleaved), after a check that minigrad and
torch.func compute the same numbers (else the run exits with status 1).
"""
import os

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _THREAD_VARS:  # before numpy (or torch) is first imported
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
from typing import Any, Callable, Dict, List, Optional, Tuple  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad import func  # noqa: E402
from run import _blas, _cpu_model, _fmt_time, _git_commit, _load, measure_interleaved  # noqa: E402
from workloads import torch_available  # noqa: E402

SIZES = (2, 16, 16, 1)
BATCH, JAC_BATCH = 64, 16
CASES = ("vjp", "jvp", "jacrev", "jacfwd", "jacrev16", "jacfwd16", "grad", "hvp")
TARGET = 3.0  # minigrad median ≤ TARGET × torch.func median
TOL = 1e-10


def make_data(seed: int = 0) -> Dict[str, np.ndarray]:
    """Weights N(0, 1/fan_in), zero-mean biases, inputs, tangents and targets, all float64 and seeded."""
    rng = np.random.default_rng(seed)
    d: Dict[str, np.ndarray] = {}
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        d[f"W{i}"] = rng.standard_normal((a, b)) / np.sqrt(a)
        d[f"b{i}"] = 0.1 * rng.standard_normal(b)
    d["X"] = rng.standard_normal((BATCH, 2))
    d["V"] = rng.standard_normal((BATCH, 2))
    d["U"] = rng.standard_normal((BATCH, 1))
    d["x"] = rng.standard_normal(2)
    d["XJ"] = rng.standard_normal((JAC_BATCH, 2))
    d["T"] = rng.standard_normal((BATCH, 1))
    d["VW"] = rng.standard_normal((2, 16))
    return d


# ----------------------------------------------------------------------------------------- the columns

def minigrad_cases(d: Dict[str, np.ndarray]) -> Dict[str, Callable[[], Any]]:
    p = {k: mg.tensor(v) for k, v in d.items()}  # no tensor requires grad: nothing outer to record for

    def net(x: mg.Tensor, W1: mg.Tensor = p["W1"]) -> mg.Tensor:
        h = (x @ W1 + p["b1"]).tanh()
        h = (h @ p["W2"] + p["b2"]).tanh()
        return h @ p["W3"] + p["b3"]

    def loss(W1: mg.Tensor) -> mg.Tensor:
        return ((net(p["X"], W1) - p["T"]) ** 2).mean()

    return {
        "vjp": lambda: func.vjp(net, p["X"])[1](p["U"])[0],
        "jvp": lambda: func.jvp(net, (p["X"],), (p["V"],))[1],
        "jacrev": lambda: func.jacrev(net)(p["x"]),
        "jacfwd": lambda: func.jacfwd(net)(p["x"]),
        "jacrev16": lambda: func.jacrev(net)(p["XJ"]),
        "jacfwd16": lambda: func.jacfwd(net)(p["XJ"]),
        "grad": lambda: func.grad(loss)(p["W1"]),
        "hvp": lambda: func.hvp(loss, (p["W1"],), (p["VW"],))[1],
    }


def torch_cases(d: Dict[str, np.ndarray]) -> Dict[str, Callable[[], Any]]:
    import torch
    import torch.func as tf
    torch.set_num_threads(1)
    p = {k: torch.tensor(v) for k, v in d.items()}

    def net(x: Any, W1: Any = p["W1"]) -> Any:
        h = torch.tanh(x @ W1 + p["b1"])
        h = torch.tanh(h @ p["W2"] + p["b2"])
        return h @ p["W3"] + p["b3"]

    def loss(W1: Any) -> Any:
        return ((net(p["X"], W1) - p["T"]) ** 2).mean()

    return {
        "vjp": lambda: tf.vjp(net, p["X"])[1](p["U"])[0],
        "jvp": lambda: tf.jvp(net, (p["X"],), (p["V"],))[1],
        "jacrev": lambda: tf.jacrev(net)(p["x"]),
        "jacfwd": lambda: tf.jacfwd(net)(p["x"]),
        "jacrev16": lambda: tf.jacrev(net)(p["XJ"]),
        "jacfwd16": lambda: tf.jacfwd(net)(p["XJ"]),
        "grad": lambda: tf.grad(loss)(p["W1"]),
        "hvp": lambda: tf.jvp(tf.grad(loss), (p["W1"],), (p["VW"],))[1],
    }


def _numpy(value: Any) -> np.ndarray:
    return np.asarray(value.detach().numpy() if hasattr(value, "detach") and not isinstance(value, mg.Tensor)
                      else value.data, dtype=np.float64)


def check(columns: Dict[str, Dict[str, Callable[[], Any]]], d: Dict[str, np.ndarray]) -> Tuple[List[str], bool]:
    """Each minigrad result against torch.func's (without torch: jvp against central differences, and
    jacfwd against jacrev)."""
    rows, ok = [], True
    mine = {k: _numpy(step()) for k, step in columns["minigrad"].items()}
    if "torch" in columns:
        ref = {k: _numpy(step()) for k, step in columns["torch"].items()}
        against = "torch.func"
    else:
        eps, f = 1e-6, numpy_net(d)
        ref = {"jvp": (f(d["X"] + eps * d["V"]) - f(d["X"] - eps * d["V"])) / (2 * eps),
               "jacfwd": mine["jacrev"], "jacfwd16": mine["jacrev16"]}
        against = "central differences / jacrev"
    for k in mine:
        if k not in ref:
            continue
        a, b = mine[k], ref[k]
        err = float(np.max(np.abs(a - b))) / max(1.0, float(np.max(np.abs(b)))) if a.shape == b.shape else np.inf
        tol = TOL if against == "torch.func" else 1e-6
        good = err <= tol
        ok &= good
        rows.append(f"| {k} | {against} | {a.shape} | {err:.1e} | {tol:.0e} | {'ok' if good else '**MISMATCH**'} |")
    return rows, ok


def numpy_net(d: Dict[str, np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The net in plain numpy (for the check without torch)."""
    def f(X: np.ndarray) -> np.ndarray:
        h = np.tanh(X @ d["W1"] + d["b1"])
        h = np.tanh(h @ d["W2"] + d["b2"])
        return h @ d["W3"] + d["b3"]
    return f


# ----------------------------------------------------------------------------------------- report

def header(args: argparse.Namespace, torch_line: str) -> str:
    mode = "quick" if args.quick else "full"
    return "\n".join([
        "# minigrad.func transforms beside torch.func", "",
        f"- command: `{' '.join(['python benchmarks/transforms.py'] + sys.argv[1:])}`; mode: {mode} "
        f"(~{args.budget:g} s per column)",
        f"- machine: {platform.platform()}; CPU: {_cpu_model()}; {os.cpu_count()} logical cores; "
        f"load average at start: {_load()}",
        f"- Python {platform.python_version()}; numpy {np.__version__} (BLAS: {_blas()}); minigrad "
        f"{mg.__version__} (git {_git_commit()}); torch {torch_line}",
        "- threads: " + ", ".join(f"{v}={os.environ.get(v)}" for v in _THREAD_VARS),
        f"- net {'-'.join(map(str, SIZES))} tanh, float64; jvp, grad and hvp on a batch of {BATCH} points; "
        f"jacrev/jacfwd at one point, jacrev16/jacfwd16 on a batch of {JAC_BATCH} (full Jacobian)",
        "- times: median per call after warm-up, p10/p90 beside it; columns timed in turns",
    ])


def profile(case: str, steps: Dict[str, Callable[[], Any]], n: int = 300) -> str:
    """cProfile of `n` calls of one minigrad case: the 15 functions with the most own time."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        steps[case]()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short budget (a smoke run: numbers are noisy)")
    ap.add_argument("--budget", type=float, default=None, help="timed seconds per column (default 2, quick 0.05)")
    ap.add_argument("--no-torch", action="store_true", help="skip the torch.func column")
    ap.add_argument("--profile", choices=CASES, help="also print a cProfile of this minigrad case")
    args = ap.parse_args(argv)
    if args.budget is None:
        args.budget = 0.05 if args.quick else 2.0
    d = make_data()
    columns = {"minigrad": minigrad_cases(d)}
    if args.no_torch:
        torch_line = "skipped (--no-torch)"
    elif not torch_available():
        torch_line = "not installed: the torch.func column is skipped"
    else:
        import torch
        columns["torch"] = torch_cases(d)
        torch_line = f"{torch.__version__} (torch.get_num_threads() = {torch.get_num_threads()})"
    print(header(args, torch_line) + "\n")

    rows, ok = check(columns, d)
    print("## Agreement\n\n| case | against | shape | max error (relative above 1) | tolerance | |\n"
          "|---|---|---|---:|---:|---|")
    print("\n".join(rows) + "\n")
    if not ok:
        print("A transform disagrees with its reference: timings not run.")
        return 1

    steps = {(case, col): columns[col][case] for case in CASES for col in columns}
    errors: Dict[Any, str] = {}
    stats = measure_interleaved(steps, args.budget, errors)
    print("## Times\n\n| case | minigrad | p10 / p90 | torch.func | p10 / p90 | minigrad / torch.func | calls timed |\n"
          "|---|---:|---:|---:|---:|---:|---:|")
    ratios = {}
    for case in CASES:
        m, t = stats.get((case, "minigrad")), stats.get((case, "torch"))
        ratio = m.median / t.median if m and t else None
        ratios[case] = ratio
        cells = [f"{_fmt_time(s.median)} | {_fmt_time(s.p10)} / {_fmt_time(s.p90)}" if s else "– | –"
                 for s in (m, t)]
        n = " / ".join(str(s.n) for s in (m, t) if s)
        print(f"| {case} | {cells[0]} | {cells[1]} | {f'{ratio:.2f}×' if ratio else '–'} | {n} |")
    print()
    v, j = stats.get(("vjp", "minigrad")), stats.get(("jvp", "minigrad"))
    if v and j:
        print(f"JVP / VJP: minigrad {j.median / v.median:.2f}× (forward pass included in both).\n")
    g, h = stats.get(("grad", "minigrad")), stats.get(("hvp", "minigrad"))
    tg, th = stats.get(("grad", "torch")), stats.get(("hvp", "torch"))
    if g and h:
        line = f"HVP / gradient: minigrad {h.median / g.median:.2f}×"
        if tg and th:
            line += f", torch.func {th.median / tg.median:.2f}×"
        print(line + " (the same loss and weights).\n")
    if errors:
        print("Errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()) + "\n")
    if "torch" in columns:
        within = [c for c in CASES if ratios[c] is not None and ratios[c] <= TARGET]
        print(f"Target: minigrad within {TARGET:g}× of torch.func: {len(within)} of {len(CASES)} cases "
              f"({', '.join(c for c in CASES if c not in within) or 'none'} outside).")
    else:
        print("torch.func column skipped: no ratios.")
    if args.profile:
        report = profile(args.profile, columns["minigrad"])
        print(f"\n## Profile of minigrad's {args.profile} (own time)\n\n```\n{report}```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
