#!/usr/bin/env python3
"""Benchmark minigrad against a hand-written numpy floor and PyTorch (CPU); prints Markdown tables.

    python benchmarks/run.py [--quick] [--workload W1 W3 ...] [--check] [--no-torch] [--profile]

Every column runs with BLAS pinned to one thread. Each table gives the median time per step after
warm-up (p10/p90 beside it) and the ratios to the floor and to PyTorch, with the workload's target
and PASS/FAIL. Before timing, one step of every column from the same init is checked against the
floor (loss, gradients, updated parameters); a mismatch makes the run exit with status 1.
"""
import os

# BLAS threads are pinned before numpy (or torch) is first imported, here and in every child process.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _THREAD_VARS:
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from typing import Any, Callable, Dict, List, Optional  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
_BASELINE_ENV = "MINIGRAD_BASELINE_DIR"  # where --baseline unpacked the older minigrad (children inherit it)
if os.environ.get(_BASELINE_ENV):
    sys.path.insert(0, os.environ[_BASELINE_ENV])

import numpy as np  # noqa: E402

import workloads as wl  # noqa: E402

TARGETS = {"W1": 1.10, "W2": 1.05, "W5": 2.5}  # minigrad median ≤ target × floor median
W3_TARGET_US = 3.0  # µs per op
W4_TARGET_US, W4_TARGET_KB, W4_LINEAR = 4.0, 0.8, 1.5  # µs/op, KB/op, max/min of µs/op over N
W6_TARGET = 4.0  # HVP time / gradient time
W4_SIZES = {"quick": [10**3, 10**4], "full": [10**3, 10**4, 10**5, 10**6]}
LABELS = {"floor": "floor (numpy, manual backward)", "minigrad": "minigrad", "torch": "PyTorch (CPU)"}
LABELS["compiled"] = "minigrad.compile (traced once, replayed)"
COMPILED_TARGETS = {"W1": 1.0, "W5": 1.3}  # compiled median ≤ target × floor median


# ----------------------------------------------------------------------------------------- timing

class Stats:
    """Per-step times (seconds) of one measurement: median, p10, p90."""

    def __init__(self, times_ns: List[int]) -> None:
        t = np.asarray(times_ns, dtype=np.float64) * 1e-9
        self.n = len(t)
        self.median, self.p10, self.p90 = (float(v) for v in np.percentile(t, [50, 10, 90]))

    def scaled(self, factor: float) -> "Stats":
        s = Stats.__new__(Stats)
        s.n, s.median, s.p10, s.p90 = self.n, self.median * factor, self.p10 * factor, self.p90 * factor
        return s


def measure(step: Callable[[], Any], budget: float, min_repeats: int = 5, warmup: int = 2,
            warmup_share: float = 0.1) -> Stats:
    """Warm up (≥ `warmup` calls and `warmup_share` of the budget), then time calls until `budget`
    seconds have passed and at least `min_repeats` calls are in; gc stays on, as users run it."""
    clock = time.perf_counter_ns
    end = clock() + int(warmup_share * budget * 1e9)
    done = 0
    while done < warmup or clock() < end:
        step()
        done += 1
    gc.collect()
    times: List[int] = []
    end = clock() + int(budget * 1e9)
    while len(times) < min_repeats or clock() < end:
        t0 = clock()
        step()
        times.append(clock() - t0)
    return Stats(times)


def measure_interleaved(steps: Dict[Any, Callable[[], Any]], budget: float, errors: Dict[Any, str],
                        min_repeats: int = 5, warmup: int = 2) -> Dict[Any, Stats]:
    """Time several step functions in turns of ~budget/20 seconds each (rotating who goes first) until
    each has `budget` seconds of timed steps: load from other processes that comes and goes then hits
    every column alike, so their ratios stay meaningful on a shared machine. A step that raises drops
    its runner (the error is stored in `errors` under its column name)."""
    clock = time.perf_counter_ns
    live = dict(steps)
    times: Dict[Any, List[int]] = {k: [] for k in live}
    spent = {k: 0 for k in live}

    def run(k, until_ns, at_least, record):
        try:
            n = 0
            while n < at_least or clock() < until_ns:
                t0 = clock()
                live[k]()
                dt = clock() - t0
                if record:
                    times[k].append(dt)
                    spent[k] += dt
                n += 1
        except Exception as e:
            errors[k[-1] if isinstance(k, tuple) else k] = f"{type(e).__name__}: {e}"
            traceback.print_exc()
            del live[k]

    for k in list(live):
        run(k, clock() + int(0.1 * budget * 1e9), warmup, False)
    gc.collect()
    block = int(budget / 20 * 1e9)
    turn = 0
    while True:
        todo = [k for k in live if spent[k] < budget * 1e9 or len(times[k]) < min_repeats]
        if not todo:
            break
        todo = todo[turn % len(todo):] + todo[:turn % len(todo)]
        for k in todo:
            if k in live:
                run(k, clock() + block, 1, True)
        turn += 1
    return {k: Stats(times[k]) for k in live}


# ----------------------------------------------------------------------------------------- header

def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas() -> str:
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode; not worth parsing the printout
        return "unknown"


def _threadpools() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    pools = [f"{p.get('internal_api')}={p.get('num_threads')}" for p in threadpool_info()]
    return ", ".join(pools) or "no BLAS/OpenMP pools loaded"


def _load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "unavailable"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--", "../minigrad"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (out.stdout.strip() or "?") + (" + uncommitted changes in minigrad/" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "?"


def header(args: argparse.Namespace, torch_on: bool) -> str:
    paths = wl.minigrad_paths()
    if torch_on:
        torch = wl._torch()
        torch_line = f"{torch.__version__} (torch.get_num_threads() = {torch.get_num_threads()})"
    elif args.no_torch:
        torch_line = "skipped (--no-torch)"
    else:
        torch_line = "not installed: the PyTorch column is skipped (`pip install torch` to fill it)"
    mode = "quick (~0.2 s per column)" if args.quick else f"full (~{args.budget:g} s per column)"
    lines = [
        "# minigrad benchmarks", "",
        f"- command: `{' '.join(['python benchmarks/run.py'] + sys.argv[1:])}`",
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; mode: {mode}",
        f"- machine: {platform.platform()}; CPU: {_cpu_model()}; {os.cpu_count()} logical cores",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); numpy {np.__version__} "
        f"(BLAS: {_blas()}); minigrad {paths['version']} (git {_git_commit()}); torch {torch_line}",
        "- threads: " + ", ".join(f"{v}={os.environ.get(v)}" for v in _THREAD_VARS) + f"; live pools: {_threadpools()}",
        f"- minigrad models use: cross-entropy = `{paths['cross_entropy']}`; update = `{paths['update']}`",
        "- times: median per step after warm-up; p10/p90 of the same repeats; gc on; `perf_counter_ns`; the columns "
        "of a table take turns of ~1/20 of the budget, so passing load hits them alike",
        f"- load average at start: {_load()} (on {os.cpu_count()} cores; much above 1 means other processes "
        "compete with the benchmark and the numbers are unreliable)",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- checks

CHECK_TOL = {"W1": 1e-10, "W2": 2e-4, "W3": 1e-10, "W4": 1e-10, "W5": 1e-10, "W6": 1e-9}


def _discrepancy(a: Dict[str, np.ndarray], b: Dict[str, np.ndarray]) -> tuple:
    """Worst max|a − b| / max(1, max|b|) over the keys (absolute below 1, relative above: a relative error
    alone is meaningless for sums that cancel to ~0, such as W5's bias gradient), and its key."""
    if set(a) != set(b):
        return float("inf"), f"keys differ: {sorted(set(a) ^ set(b))}"
    worst, where = 0.0, ""
    for k in sorted(a):
        if a[k].shape != b[k].shape:
            return float("inf"), f"{k}: shapes {a[k].shape} and {b[k].shape}"
        scale = max(1.0, float(np.max(np.abs(b[k]), initial=0.0)))
        err = float(np.max(np.abs(a[k] - b[k]), initial=0.0)) / scale
        if not np.isfinite(err) or err > worst:
            worst, where = err, k
    return worst, where


def check_agreement(keys: List[str], columns: List[str]) -> tuple:
    """One step of each column from the same init, compared with the floor. Returns (markdown, ok)."""
    rows, ok = [], True
    for key in keys:
        # W4 and W3 are checked on short chains: after 1000 tanh steps the gradient has underflowed to 0.
        variants = {"W6": [{"variant": "grad"}, {"variant": "hvp"}], "W4": [{"n": 50}], "W3": [{"steps": 20}]}.get(key, [{}])
        for opts in variants:
            ref = wl.build(key, "floor", **opts)
            ref.step()
            expected = ref.snapshot()
            what = " ".join([key] + [f"{k}={v}" for k, v in opts.items()])
            for col in columns_for(key, columns)[1:]:
                try:
                    r = wl.build(key, col, **opts)
                    r.step()
                    err, where = _discrepancy(r.snapshot(), expected)
                except Exception as e:  # reported, and the run fails
                    err, where = float("inf"), f"{type(e).__name__}: {e}"
                good = err <= CHECK_TOL[key]
                ok &= good
                rows.append(f"| {what} | {col} | {err:.1e} | {where} | {CHECK_TOL[key]:.0e} | "
                            f"{'ok' if good else '**MISMATCH**'} |")
    table = ["## Agreement with the floor (one step from the same init)", "",
             "Worst max|x − floor| / max(1, max|floor|) over the loss, every gradient and every updated parameter "
             "(W3, W4: the output and the input's gradient; W6: the gradient or HVP).", "",
             "| workload | column | worst error | where | tolerance | |", "|---|---|---:|---|---:|---|"]
    return "\n".join(table + rows), ok


# ----------------------------------------------------------------------------------------- formatting

def _fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def _ratio(a: Optional[float], b: Optional[float]) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def _title(key: str) -> List[str]:
    w = wl.WORKLOADS[key]
    return [f"## {key} {w.title}", "", w.definition, ""]


def _errors_note(errors: Dict[str, str]) -> List[str]:
    return [f"- {LABELS[c]} failed: `{e}`" for c, e in errors.items()]


def _skipped_note(columns: List[str], torch_reason: str) -> List[str]:
    return [] if "torch" in columns else ["", f"PyTorch column skipped: {torch_reason}."]


# ----------------------------------------------------------------------------------------- workloads

def _run_columns(key: str, columns: List[str], budget: float, variants: List[dict] = ({},)) -> tuple:
    """Build every (variant, column) runner, then time them interleaved; returns ({(i, col): Stats}, errors)."""
    runners, errors = {}, {}
    for i, opts in enumerate(variants):
        for col in columns:
            try:
                runners[(i, col)] = wl.build(key, col, **opts).step
            except Exception as e:
                errors[col] = f"{type(e).__name__}: {e}"
                traceback.print_exc()
    print(f"  {key}: timing {len(runners)} runners interleaved ...", file=sys.stderr, flush=True)
    return measure_interleaved(runners, budget, errors), errors


def table_step(key: str, columns: List[str], budget: float, torch_reason: str, per_op: int = 0) -> tuple:
    """A workload timed per step; `per_op` > 0 also reports the time divided by that many ops."""
    timed, errors = _run_columns(key, columns, budget)
    res = {col: st for (_, col), st in timed.items()}
    floor_m = res["floor"].median if "floor" in res else None
    torch_m = res["torch"].median if "torch" in res else None
    lines = _title(key)
    if per_op:
        lines += ["| column | µs/op (median) | p10 | p90 | per step | × floor | × PyTorch | steps timed |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
    else:
        lines += ["| column | median per step | p10 | p90 | × floor | × PyTorch | steps timed |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
    for col in columns:
        s = res.get(col)
        if s is None:
            lines.append(f"| {LABELS[col]} | error | | | | | |")
            continue
        ratios = f"{_ratio(s.median, floor_m)} | {_ratio(s.median, torch_m)}"
        if per_op:
            u = s.scaled(1e6 / per_op)
            lines.append(f"| {LABELS[col]} | {u.median:.3g} | {u.p10:.3g} | {u.p90:.3g} | {_fmt_time(s.median)} | "
                         f"{ratios} | {s.n} |")
        else:
            lines.append(f"| {LABELS[col]} | {_fmt_time(s.median)} | {_fmt_time(s.p10)} | {_fmt_time(s.p90)} | "
                         f"{ratios} | {s.n} |")
    lines.append("")
    if "baseline" in res and "minigrad" in res:
        lines += [f"Before/after: minigrad ÷ {LABELS['baseline']} = {res['minigrad'].median / res['baseline'].median:.3f} "
                  f"(× floor: {_ratio(res['baseline'].median, floor_m)} → {_ratio(res['minigrad'].median, floor_m)})", ""]
    mg = res.get("minigrad")
    if mg is None:
        lines.append("Target: not evaluated (the minigrad column failed).")
    elif per_op:
        us = mg.median * 1e6 / per_op
        lines.append(f"Target: minigrad ≤ {W3_TARGET_US:g} µs per op (forward + backward): "
                     f"{_verdict(us <= W3_TARGET_US)} ({us:.3g} µs/op)")
    elif floor_m:
        r = mg.median / floor_m
        lines.append(f"Target: minigrad ≤ {TARGETS[key]:.2f}× floor: {_verdict(r <= TARGETS[key])} ({r:.2f}×)")
    lines += _compiled_notes(key, res, floor_m)
    lines += _skipped_note(columns, torch_reason) + _errors_note(errors)
    return "\n".join(lines), not errors


def columns_for(key: str, columns: List[str]) -> List[str]:
    """The columns of workload `key`: the `compiled` one (after minigrad) where the workload has it, and
    without a column whose minigrad lacks what the workload needs (an older --baseline)."""
    columns = [c for c in columns if not wl.missing(key, c)]
    if key not in wl.COMPILED_WORKLOADS or "minigrad" not in columns:
        return columns
    i = columns.index("minigrad") + 1
    return columns[:i] + ["compiled"] + columns[i:]


def _absent_note(key: str, columns: List[str]) -> str:
    """Say which columns were left out of workload `key` because their minigrad lacks a name it needs."""
    gone = [(c, wl.missing(key, c)) for c in columns]
    return "".join(f"\n\n{LABELS[c]} column skipped: it has no `{name}`." for c, name in gone if name)


def _compiled_notes(key: str, res: Dict[str, Stats], floor_m: Optional[float]) -> List[str]:
    """The compiled column's target (W1, W5) and how long compiling took."""
    c = res.get("compiled")
    if c is None:
        return []
    lines = []
    if key in COMPILED_TARGETS and floor_m:
        r = c.median / floor_m
        lines.append(f"Target: compiled ≤ {COMPILED_TARGETS[key]:.2f}× floor: "
                     f"{_verdict(r <= COMPILED_TARGETS[key])} ({r:.2f}×)")
    if key in wl.COMPILE_SECONDS:
        lines.append(f"Compile time (trace + generate + exec, one step included): "
                     f"{_fmt_time(wl.COMPILE_SECONDS[key])}")
    return lines


def table_w6(columns: List[str], budget: float, torch_reason: str) -> tuple:
    timed, errors = _run_columns("W6", columns, budget, [{"variant": "grad"}, {"variant": "hvp"}])
    grads = {col: st for (i, col), st in timed.items() if i == 0}
    hvps = {col: st for (i, col), st in timed.items() if i == 1}
    floor_h = hvps["floor"].median if "floor" in hvps else None
    torch_h = hvps["torch"].median if "torch" in hvps else None
    lines = _title("W6") + [
        "| column | gradient: median (p10–p90) | HVP: median (p10–p90) | HVP / gradient | HVP × floor | HVP × PyTorch |",
        "|---|---:|---:|---:|---:|---:|"]
    for col in columns:
        g, h = grads.get(col), hvps.get(col)
        if g is None or h is None:
            lines.append(f"| {LABELS[col]} | error | | | | |")
            continue
        lines.append(f"| {LABELS[col]} | {_fmt_time(g.median)} ({_fmt_time(g.p10)}–{_fmt_time(g.p90)}) | "
                     f"{_fmt_time(h.median)} ({_fmt_time(h.p10)}–{_fmt_time(h.p90)}) | {h.median / g.median:.2f}× | "
                     f"{_ratio(h.median, floor_h)} | {_ratio(h.median, torch_h)} |")
    if all(c in d for c in ("baseline", "minigrad") for d in (grads, hvps)):
        lines += ["", f"Before/after: minigrad ÷ {LABELS['baseline']}: gradient "
                  f"{grads['minigrad'].median / grads['baseline'].median:.3f}, HVP {hvps['minigrad'].median / hvps['baseline'].median:.3f}"]
    lines += ["", "The floor's HVP is Pearlmutter's R-operator written by hand (floor.two_layer_hvp_W1); its "
              "gradient is the textbook forward + backward.", ""]
    if "minigrad" in grads and "minigrad" in hvps:
        r = hvps["minigrad"].median / grads["minigrad"].median
        lines.append(f"Target: minigrad HVP ≤ {W6_TARGET:g}× one minigrad gradient: {_verdict(r <= W6_TARGET)} ({r:.2f}×)")
    else:
        lines.append("Target: not evaluated (the minigrad column failed).")
    lines += _skipped_note(columns, torch_reason) + _errors_note(errors)
    return "\n".join(lines), not errors


def _child(args: List[str], timeout: float, fresh_rss: bool = False) -> dict:
    """Run this script in a fresh interpreter (same thread settings) and parse its one JSON line.

    `fresh_rss`: Linux carries the spawning process's peak RSS over exec into the child's ru_maxrss,
    so a child started from this (large) process would report our peak, not its own. Started from a
    shell that forks it, the child gets a fresh rusage record and a small address space to copy.
    """
    cmd = [sys.executable, os.path.abspath(__file__)] + args
    if fresh_rss and os.path.exists("/bin/sh"):
        cmd = ["/bin/sh", "-c", '"$0" "$@"; exit $?'] + cmd  # not the last command: sh must fork, not exec
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"child {' '.join(args)} exited with {proc.returncode}: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table_w4(columns: List[str], sizes: List[int], budget: float, torch_reason: str) -> tuple:
    notes, errors, per_op, kb_op = [], {}, {c: {} for c in columns}, {c: {} for c in columns}
    lines = _title("W4") + [
        "Time is forward + backward + freeing the graph, per op (2 ops per line) and per line. Memory is the "
        "growth of peak RSS (ru_maxrss) during the first run at that N, over the baseline after imports and a "
        "warm-up on a 100-line chain. Below ~10^5 lines it is dominated by allocator granularity.", "",
        "| N (lines) | ops | column | median per run | µs/op | µs/line | p10–p90 µs/op | runs | peak RSS growth | KB/op | KB/line |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        for col in columns:
            if col in errors:
                continue
            print(f"  W4 n={n} {col} ...", file=sys.stderr, flush=True)
            try:
                r = _child(["--child-w4", col, str(n), str(budget)], timeout=1800, fresh_rss=True)
            except Exception as e:
                errors[col] = f"{type(e).__name__}: {e}"
                continue
            ops = 2 * n
            med, p10, p90 = (r[k] * 1e6 / ops for k in ("median", "p10", "p90"))
            kb, hwm = r["rss_growth_kb"], r.get("hwm_growth_kb")
            if hwm is not None and abs(hwm - kb) > 0.2 * max(hwm, kb, 1024):
                notes.append(f"- N = {n:,}, {LABELS[col]}: ru_maxrss growth {kb} KB disagrees with "
                             f"/proc VmHWM growth {hwm} KB (an inherited rusage record?)")
            per_op[col][n], kb_op[col][n] = med, kb / ops
            lines.append(f"| {n:,} | {ops:,} | {LABELS[col]} | {_fmt_time(r['median'])} | {med:.3g} | {2 * med:.3g} | "
                         f"{p10:.3g}–{p90:.3g} | {r['runs']} | {kb / 1024:.1f} MB | {kb / ops:.3g} | {2 * kb / ops:.3g} |")
    lines += [""] + notes
    for col in columns:
        t = per_op[col]
        if len(t) >= 2:
            lines.append(f"- {LABELS[col]}: µs/op from N = {min(t):,} to {max(t):,}: "
                         + " → ".join(f"{v:.3g}" for v in t.values())
                         + f" (largest/smallest = {max(t.values()) / min(t.values()):.2f})")
    mg, mk = per_op.get("minigrad", {}), kb_op.get("minigrad", {})
    base = per_op.get("baseline", {})
    if mg and base:
        lines.append(f"- before/after: minigrad ÷ {LABELS['baseline']} in µs/op: "
                     + ", ".join(f"N = {n:,}: {mg[n] / base[n]:.3f}" for n in mg if n in base)
                     + "; KB/op: " + ", ".join(f"{mk[n]:.3g} vs {kb_op['baseline'][n]:.3g}" for n in mk if n in base))
    if mg:
        big = max(mg)
        spread = max(mg.values()) / min(mg.values())
        time_ok = max(mg.values()) <= W4_TARGET_US
        mem_ok = mk[big] <= W4_TARGET_KB
        lines += ["", f"Target: minigrad linear to N = 10^6 (µs/op varies ≤ {W4_LINEAR}× over N), ≤ {W4_TARGET_US:g} µs/op "
                  f"and ≤ {W4_TARGET_KB} KB/op peak memory at the largest N: "
                  f"{_verdict(time_ok and mem_ok and spread <= W4_LINEAR and big >= 10**6)} "
                  f"(largest N {big:,}; spread {spread:.2f}×; worst {max(mg.values()):.3g} µs/op; {mk[big]:.3g} KB/op)"]
        if big < 10**6:
            lines.append("(this run stops below N = 10^6, so the target cannot pass here: run without --quick)")
    lines += _skipped_note(columns, torch_reason) + _errors_note(errors)
    return "\n".join(lines), not errors


def memory_w2(columns: List[str], key: str = "W2") -> str:
    lines = ["", f"Peak traced memory of one {key} step (tracemalloc in a fresh subprocess, after two warm-up steps; "
             "numpy's buffers are traced, PyTorch's allocator is not):", ""]
    for col in columns:
        if col == "torch":
            lines.append(f"- {LABELS[col]}: not measured (tracemalloc does not see its allocations)")
            continue
        try:
            r = _child(["--child-mem", col, key], timeout=600)
            lines.append(f"- {LABELS[col]}: {r['peak_kb'] / 1024:.1f} MB")
        except Exception as e:
            lines.append(f"- {LABELS[col]}: failed (`{e}`)")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- W7 (SimpleConvNet)

TARGETS["W7"] = 1.15
CHECK_TOL["W7"] = 1e-4  # float32, and Adam's first step divides each gradient by its own magnitude
W7_VARIANT_TOL = 1e-6


def table_w7(columns: List[str], budget: float, torch_reason: str) -> tuple:
    """W7's table (the book's im2col floor), its peak memory, and a second floor whose max pooling takes the
    per-offset strided views as minigrad's max_pool2d does: what the ratio is without the book's pooling."""
    text, good = table_step("W7", columns, budget, torch_reason)
    text += "\n" + memory_w2(columns, "W7")
    try:
        book, offsets = wl.build("W7", "floor"), wl.build("W7", "floor", pooling="offsets")
        book.step()
        offsets.step()
        err, where = _discrepancy(offsets.snapshot(), book.snapshot())
        if err > W7_VARIANT_TOL:
            raise RuntimeError(f"it disagrees with the book's floor by {err:.1e} at {where}")
        runners = {"offsets": wl.build("W7", "floor", pooling="offsets").step, "minigrad": wl.build("W7", "minigrad").step}
        errors: Dict[str, str] = {}
        timed = measure_interleaved(runners, budget, errors)
        r = timed["minigrad"].median / timed["offsets"].median
        text += (f"\n\nWithout the book's pooling: a floor whose max pooling takes the four strided views of each "
                 f"2×2 window (floor.OffsetPooling, agreeing with the book's floor to {err:.1e}) runs a step in "
                 f"{_fmt_time(timed['offsets'].median)}; minigrad takes {r:.2f}× that (timed in turns with it).")
    except Exception as e:
        text += f"\n\nThe per-offset pooling floor failed: `{type(e).__name__}: {e}`"
        good = False
    return text, good


# ----------------------------------------------------------------------------------------- children

def _vm_hwm_kb() -> Optional[int]:
    """Peak RSS of this process image from /proc (Linux), to cross-check ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def child_w4(column: str, n: int, budget: float) -> dict:
    """In a fresh process: warm up on 100 lines, record the peak-RSS baseline, run N lines once for
    the peak, then time repeats (at least one more) within the budget."""
    small = wl.build("W4", column, n=100)
    for _ in range(3):
        small.step()
    del small
    gc.collect()
    base, base_hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _vm_hwm_kb()
    runner = wl.build("W4", column, n=n)
    runner.step()
    peak, peak_hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _vm_hwm_kb()
    if sys.platform == "darwin":  # ru_maxrss is in bytes there, KB on Linux
        base, peak = base // 1024, peak // 1024
    grad = float(runner.snapshot()["grad_x"][0])
    if not np.isclose(grad, 1.0001 ** n, rtol=1e-9):
        raise RuntimeError(f"W4 {column}: gradient {grad!r} != 1.0001**{n} = {1.0001 ** n!r}")
    s = measure(runner.step, budget, min_repeats=1, warmup=0, warmup_share=0)  # the run above warmed up
    return {"median": s.median, "p10": s.p10, "p90": s.p90, "runs": s.n, "rss_growth_kb": max(0, peak - base),
            "hwm_growth_kb": None if base_hwm is None else max(0, peak_hwm - base_hwm)}


def child_mem(column: str, key: str) -> dict:
    import tracemalloc
    runner = wl.build(key, column)
    runner.step()
    runner.step()
    gc.collect()
    tracemalloc.start()
    runner.step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"peak_kb": peak / 1024}


def profile_minigrad(key: str, budget: float, top: int = 15) -> str:
    """cProfile of the minigrad column's steps (after warm-up) for about `budget` seconds: top functions by tottime."""
    import cProfile
    import io
    import pstats
    opts = {"variant": "hvp"} if key == "W6" else {"n": 10**4} if key == "W4" else {}
    runner = wl.build(key, "minigrad", **opts)
    runner.step()
    runner.step()
    prof = cProfile.Profile()
    steps, end = 0, time.perf_counter() + budget
    prof.enable()
    while steps < 3 or time.perf_counter() < end:
        runner.step()
        steps += 1
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
    body = buf.getvalue().strip().splitlines()
    start = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
    total = next((line.strip() for line in body if "function calls" in line), "")
    what = {"W4": " (N = 10^4)", "W6": " (HVP)"}.get(key, "")
    return "\n".join([f"## Profile: minigrad {key}{what}, {steps} steps", "", f"{total}", "", "```"]
                     + body[start:] + ["```"])


# ----------------------------------------------------------------------------------------- main

def unpack_baseline(ref: str) -> str:
    """Unpack minigrad/ as of git `ref` into a temporary folder as the package `minigrad_base` (minigrad's
    imports are all relative, so the copy imports beside the current one) and return the folder."""
    import tempfile
    root = subprocess.run(["git", "-C", HERE, "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                          check=True).stdout.strip()
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", ref], capture_output=True, text=True,
                            check=True).stdout.strip()
    folder = tempfile.mkdtemp(prefix="minigrad_baseline_")
    archive = subprocess.run(["git", "-C", root, "archive", commit, "minigrad"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    os.rename(os.path.join(folder, "minigrad"), os.path.join(folder, wl.BASELINE))
    LABELS["baseline"] = f"minigrad @ {ref} ({commit})"
    return folder


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="every workload briefly (~0.2 s per column; W4 up to 10^4)")
    p.add_argument("--workload", nargs="+", metavar="NAME", help=f"only these workloads ({' '.join(wl.WORKLOADS)})")
    p.add_argument("--check", action="store_true", help="only check that every column computes the floor's numbers")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch column even when torch is installed")
    p.add_argument("--profile", action="store_true",
                   help="instead of timing, print a cProfile summary (top 15 by tottime) of minigrad's steps")
    p.add_argument("--baseline", metavar="GIT_REF",
                   help="add a column: minigrad as of that commit, timed in turns with today's (before/after)")
    p.add_argument("--budget", type=float, default=None, help="seconds of timed repeats per column (default 3; quick 0.2)")
    p.add_argument("--child-w4", nargs=3, metavar=("COLUMN", "N", "BUDGET"), help=argparse.SUPPRESS)
    p.add_argument("--child-mem", nargs=2, metavar=("COLUMN", "WORKLOAD"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.budget is None:
        args.budget = 0.2 if args.quick else 3.0
    if args.workload:
        chosen = []
        for name in args.workload:
            key = name.upper()
            if key not in wl.WORKLOADS:
                p.error(f"unknown workload {name!r}; choose from {', '.join(wl.WORKLOADS)}")
            if key not in chosen:
                chosen.append(key)
        args.workload = chosen
    else:
        args.workload = list(wl.WORKLOADS)
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.child_w4:
        col, n, budget = args.child_w4
        print(json.dumps(child_w4(col, int(n), float(budget))))
        return 0
    if args.child_mem:
        print(json.dumps(child_mem(*args.child_mem)))
        return 0

    torch_on = wl.torch_available() and not args.no_torch
    torch_reason = "--no-torch was given" if args.no_torch else "torch is not installed"
    columns = [c for c in wl.COLUMNS if c != "torch" or torch_on]
    if args.baseline:
        os.environ[_BASELINE_ENV] = unpack_baseline(args.baseline)
        sys.path.insert(0, os.environ[_BASELINE_ENV])
        columns.insert(columns.index("minigrad") + 1, "baseline")
    print(header(args, torch_on), flush=True)
    if args.profile:
        for key in args.workload:
            print("\n" + profile_minigrad(key, args.budget), flush=True)
        return 0
    agreement, ok = check_agreement(args.workload, columns)
    print("\n" + agreement, flush=True)
    if args.check:
        return 0 if ok else 1

    for key in args.workload:
        cols = columns_for(key, columns)
        if key == "W3":
            text, good = table_step(key, cols, args.budget, torch_reason, per_op=wl.W3_OPS)
        elif key == "W4":
            text, good = table_w4(cols, W4_SIZES["quick" if args.quick else "full"], args.budget, torch_reason)
        elif key == "W6":
            text, good = table_w6(cols, args.budget, torch_reason)
        elif key == "W7":
            text, good = table_w7(cols, args.budget, torch_reason)
        else:
            text, good = table_step(key, cols, args.budget, torch_reason)
            if key == "W2":
                text += "\n" + memory_w2(cols)
        text += _absent_note(key, columns)
        ok &= good
        print("\n" + text, flush=True)
    if not ok:
        print("\nSome columns failed or disagree with the floor (see above).", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
