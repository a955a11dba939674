"""check_grads: forward and reverse mode against central differences along random directions, to any
order (as JAX's `check_grads`).

A check moves one input along a random direction v and costs two evaluations of the function,
whatever the input's size: forward mode must give (f(x + eps v) - f(x - eps v)) / 2eps, and reverse
mode <J^T u, v> = <u, that difference> for a random cotangent u. Inputs are moved one at a time (not
all together, as JAX does), so that other inputs' terms cannot drown an error in a sum, and so that
a failure names its input. Order 2 runs the same checks
on the derivative functions themselves (the JVP function (primals, tangents) -> (f, J tangents), and
the VJP function x -> J^T f(x)), order 3 on theirs, and so on.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, List, Sequence, Tuple

import numpy as np

from ..autograd.mode import no_grad
from ..func import jvp, vjp
from ..tensor import Tensor
from .gradcheck import GradcheckError, _float64_inputs

_MODES = ("fwd", "rev")


def check_grads(fn: Callable, args: Sequence[Any], order: int = 2, modes: Sequence[str] = ("fwd", "rev"),
                eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, *, seed: int = 0) -> bool:
    """Check fn's forward mode (JVP) and/or reverse mode (VJP) against central differences along random
    directions, up to `order`, in float64. Float arguments are checked, others passed through unchanged.
    Returns True, or raises GradcheckError naming mode, order, input and both values."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be an int >= 1, got {order!r}")
    if isinstance(modes, str):
        modes = (modes,)
    unknown = [m for m in modes if m not in _MODES]
    if unknown or not modes:
        raise ValueError(f"check_grads: modes must name 'fwd' and/or 'rev', got {tuple(modes)!r}")
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"check_grads: args must be a tuple or list of arguments, got {type(args).__name__}")
    full = _float64_inputs(args)
    positions = [i for i, x in enumerate(full) if isinstance(x, Tensor) and x.dtype.kind == "f"]
    if not positions:
        raise TypeError("check_grads: no float argument to check")

    def f(*xs: Tensor) -> Any:
        call = list(full)
        for p, x in zip(positions, xs):
            call[p] = x
        return fn(*call)

    xs = [full[p].detach() for p in positions]
    _Checker(np.random.default_rng(seed), modes, eps, atol, rtol).run(f, xs, [f"input {p}" for p in positions],
                                                                     order, 1, "")
    return True


def _arrays(out: Any) -> List[np.ndarray]:
    """A function's output (a Tensor or a tuple of them) as float64 arrays."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [np.asarray(o.data if isinstance(o, Tensor) else o, dtype=np.float64) for o in outs]


def _tensors(arrays: Sequence[np.ndarray]) -> List[Tensor]:
    return [Tensor(a) for a in arrays]


class _Checker:
    """The settings of one check_grads call and its random stream; `run` recurses over orders."""

    def __init__(self, rng: np.random.Generator, modes: Sequence[str], eps: float, atol: float,
                 rtol: float) -> None:
        self.rng, self.modes, self.eps, self.atol, self.rtol = rng, tuple(modes), eps, atol, rtol

    def run(self, f: Callable, xs: List[Tensor], names: List[str], order: int, level: int, of: str) -> None:
        if "fwd" in self.modes:
            label = f"JVP of {of}" if of else "JVP"
            self.check_jvp(f, xs, names, level, label)
            if order > 1:
                tangents = _tensors([self.rng.standard_normal(x.shape) for x in xs])
                n = len(xs)

                def f_jvp(*primals_and_tangents: Tensor) -> tuple:
                    out, tan = jvp(f, primals_and_tangents[:n], primals_and_tangents[n:])
                    return tuple(_as_list(out) + _as_list(tan))

                self.run(f_jvp, xs + tangents, names + [f"tangent of {m}" for m in names], order - 1, level + 1,
                         label)
        if "rev" in self.modes:
            label = f"VJP of {of}" if of else "VJP"
            self.check_vjp(f, xs, names, level, label)
            if order > 1:
                def f_vjp(*primals: Tensor) -> tuple:
                    out, pullback = vjp(f, *primals)
                    return pullback(out)  # the output itself as cotangent, so the result is nonlinear in x

                self.run(f_vjp, xs, names, order - 1, level + 1, label)

    # ------------------------------------------------------------------ one order

    def central(self, f: Callable, xs: List[Tensor], vs: List[np.ndarray]) -> List[np.ndarray]:
        """(f(x + eps v) - f(x - eps v)) / 2eps: two evaluations."""
        with no_grad():
            plus = _arrays(f(*[Tensor(x.data + self.eps * v) for x, v in zip(xs, vs)]))
            minus = _arrays(f(*[Tensor(x.data - self.eps * v) for x, v in zip(xs, vs)]))
        return [(p - m) / (2 * self.eps) for p, m in zip(plus, minus)]

    def directions(self, xs: List[Tensor]) -> Iterator[Tuple[int, List[np.ndarray]]]:
        """For each input i, a random direction that moves input i only (zeros elsewhere)."""
        for i, x in enumerate(xs):
            yield i, [self.rng.standard_normal(y.shape) if j == i else np.zeros(y.shape) for j, y in enumerate(xs)]

    def check_jvp(self, f: Callable, xs: List[Tensor], names: List[str], level: int, label: str) -> None:
        for i, vs in self.directions(xs):
            _, tan = jvp(f, xs, _tensors(vs))
            msg = self.mismatch(_arrays(tan), self.central(f, xs, vs), "forward mode")
            if msg:
                raise GradcheckError(f"check_grads: mode 'fwd', order {level} ({label}), {names[i]}: {msg}")

    def check_vjp(self, f: Callable, xs: List[Tensor], names: List[str], level: int, label: str) -> None:
        out, pullback = vjp(f, *xs)
        us = [self.rng.standard_normal(o.shape) for o in _arrays(out)]
        cts = _arrays(pullback(tuple(_tensors(us)) if isinstance(out, tuple) else _tensors(us)[0]))
        for i, vs in self.directions(xs):
            analytic = float(np.sum(cts[i] * vs[i]))
            numeric = sum(float(np.sum(u * d)) for u, d in zip(us, self.central(f, xs, vs)))
            msg = self.mismatch([np.asarray(analytic)], [np.asarray(numeric)], "reverse mode <J^T u, v>", "<u, J v>")
            if msg:
                raise GradcheckError(f"check_grads: mode 'rev', order {level} ({label}), {names[i]}: {msg}")

    def mismatch(self, analytic: List[np.ndarray], numeric: List[np.ndarray], mode: str,
                 numeric_name: str = "") -> str:
        """'' when every element agrees within atol + rtol·|numeric|, else a description of the worst one."""
        for k, (a, n) in enumerate(zip(analytic, numeric)):
            if a.shape != n.shape:
                return f"output {k}: {mode} gives shape {a.shape}, central differences give {n.shape}"
            excess = np.abs(a - n) - (self.atol + self.rtol * np.abs(n))
            bad = ~np.isfinite(a) & np.isfinite(n)
            if not (np.any(excess > 0) or np.any(bad)):
                continue
            worst = np.unravel_index(int(np.argmax(np.where(bad, np.inf, excess))), a.shape) if a.ndim else ()
            where = (f"output {k} at element {tuple(int(j) for j in worst)}: " if len(analytic) > 1 or a.ndim
                     else "")
            num = f" {numeric_name}" if numeric_name else ""
            return (f"{where}{mode} gives {float(a[worst]):.10g}, central differences{num} give "
                    f"{float(n[worst]):.10g} (abs error {abs(float(a[worst] - n[worst])):.3g}, "
                    f"atol={self.atol}, rtol={self.rtol})")
        return ""


def _as_list(out: Any) -> list:
    return list(out) if isinstance(out, tuple) else [out]
