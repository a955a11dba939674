"""Numerical gradients by central differences in float64, and checkers that compare autodiff against them.

Checks contract the output with a random upstream gradient rather than summing it: a plain sum
weights every output equally and can hide a rule that is wrong only in some directions.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..autograd.engine import grad as _grad
from ..autograd.mode import no_grad
from ..tensor import Tensor, _wrap


class GradcheckError(AssertionError):
    """Autodiff and numerical gradients disagree; the message names the input and the worst element."""


def _outputs(out: Any) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _float64_inputs(inputs: Sequence[Any]) -> list:
    """Float inputs become float64 leaves (keeping requires_grad); others pass through unchanged."""
    result = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else x
        if isinstance(data, (np.ndarray, np.generic, float)) and np.asarray(data).dtype.kind == "f":
            t = _wrap(np.array(data, dtype=np.float64))
            t.requires_grad = x.requires_grad if isinstance(x, Tensor) else True
            result.append(t)
        else:
            result.append(x)
    return result


def _checked(inputs: Sequence[Any]) -> list:
    """Indices of the inputs to differentiate: float tensors that require grad (all float tensors if none do)."""
    floats = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.dtype.kind == "f"]
    wanted = [i for i in floats if inputs[i].requires_grad]
    return wanted or floats


def _value(fn: Callable, inputs: Sequence[Any], grad_outputs: Sequence[np.ndarray]) -> float:
    outs = _outputs(fn(*inputs))  # grad mode stays on: fn may itself differentiate (gradgradcheck)
    return float(sum(np.sum(np.asarray(o.data if isinstance(o, Tensor) else o, dtype=np.float64) * go)
                     for o, go in zip(outs, grad_outputs)))


def _random_grad_outputs(fn: Callable, inputs: Sequence[Any], seed: int = 0) -> list:
    with no_grad():
        outs = _outputs(fn(*inputs))
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=np.shape(o)) if np.asarray(getattr(o, "data", o)).dtype.kind == "f"
            else np.zeros(np.shape(o)) for o in outs]


def numerical_grad(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6,
                   grad_output: Any = None) -> list:
    """Central differences of sum(fn(*inputs) * grad_output) in float64, one ndarray per input
    (None for inputs that are not float). `grad_output` defaults to ones (one per output for tuples)."""
    xs = _float64_inputs(inputs)
    if grad_output is None:
        with no_grad():
            outs = _outputs(fn(*xs))
        gouts = [np.ones(np.shape(o)) for o in outs]
    else:
        gouts = [np.asarray(getattr(g, "data", g), dtype=np.float64)
                 for g in (grad_output if isinstance(grad_output, (tuple, list)) else (grad_output,))]
    result = []
    for x in xs:
        if not (isinstance(x, Tensor) and x.dtype.kind == "f"):
            result.append(None)
            continue
        flat = x.data.reshape(-1)  # a view: perturbing it perturbs the input
        g = np.zeros(x.data.size)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = _value(fn, xs, gouts)
            flat[j] = orig - eps
            minus = _value(fn, xs, gouts)
            flat[j] = orig
            g[j] = (plus - minus) / (2 * eps)
        result.append(g.reshape(x.shape))
    return result


def _analytic(fn: Callable, xs: list, idx: list, gouts: list) -> list:
    outs = _outputs(fn(*xs))
    pairs = [(o, g) for o, g in zip(outs, gouts) if isinstance(o, Tensor) and o.requires_grad]
    if not pairs:
        return [np.zeros(xs[i].shape) for i in idx]
    grads = _grad([o for o, _ in pairs], [xs[i] for i in idx], grad_outputs=[g for _, g in pairs],
                  allow_unused=True)
    return [np.zeros(xs[i].shape) if g is None else np.asarray(g.data, dtype=np.float64)
            for i, g in zip(idx, grads)]


def _compare(analytic: list, numeric: list, idx: list, atol: float, rtol: float, what: str,
             raise_exception: bool) -> bool:
    for i, a, n in zip(idx, analytic, numeric):
        if a.shape != n.shape:
            msg = f"{what}: input {i}: analytic gradient has shape {a.shape}, expected {n.shape}"
        else:
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            bad = ~np.isfinite(a) & np.isfinite(n)
            if not (np.any(excess > 0) or np.any(bad)):
                continue
            worst = np.unravel_index(int(np.argmax(np.where(bad, np.inf, excess))), a.shape) if a.ndim else ()
            msg = (f"{what}: input {i} disagrees at element {tuple(int(k) for k in worst)}: "
                   f"analytic {float(a[worst]):.10g}, numeric {float(n[worst]):.10g} "
                   f"(abs error {abs(a[worst] - n[worst]):.3g}, atol={atol}, rtol={rtol})")
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True


def gradcheck(fn: Callable, inputs: Sequence[Any], *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare autodiff gradients of `fn` with central differences, in float64, along a random
    upstream gradient. Returns True, or raises GradcheckError naming input, element and both values."""
    xs = _float64_inputs(inputs)
    idx = _checked(xs)
    gouts = _random_grad_outputs(fn, xs)
    analytic = _analytic(fn, xs, idx, gouts)
    numeric = numerical_grad(fn, xs, eps=eps, grad_output=gouts)
    return _compare(analytic, [numeric[i] for i in idx], idx, atol, rtol, "gradcheck", raise_exception)


def gradgradcheck(fn: Callable, inputs: Sequence[Any], *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of x -> d/dx sum(fn(x) * v) for a fixed random v."""
    xs = _float64_inputs(inputs)
    idx = _checked(xs)
    gouts = _random_grad_outputs(fn, xs, seed=1)

    def first_derivative(*args: Any) -> tuple:
        outs = _outputs(fn(*args))
        pairs = [(o, g) for o, g in zip(outs, gouts) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            return tuple(_wrap(np.zeros(args[i].shape)) for i in idx)
        grads = _grad([o for o, _ in pairs], [args[i] for i in idx], grad_outputs=[g for _, g in pairs],
                      create_graph=True, allow_unused=True)
        return tuple(_wrap(np.zeros(args[i].shape)) if g is None else g for i, g in zip(idx, grads))

    try:
        return gradcheck(first_derivative, xs, eps=eps, atol=atol, rtol=rtol, raise_exception=True)
    except GradcheckError as e:
        if raise_exception:
            raise GradcheckError(str(e).replace("gradcheck:", "gradgradcheck (second derivative):", 1)) from None
        return False
