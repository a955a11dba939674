"""Reductions over all axes, one axis, a tuple of axes or negative axes, with `keepdims`."""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..autograd.function import unary
from .elementwise import abs, exp, sqrt, where
from .shape import broadcast_to, reshape


def normalize_axes(axis: Any, ndim: int, op: str = "reduce") -> tuple:
    """`axis` (None, int or tuple, possibly negative) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    span = builtins.max(ndim, 1)  # a 0-d tensor accepts axis 0 / -1, as numpy does
    for a in axes:
        if not -span <= a < span:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % span)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out)) if ndim else ()


def keepdims_shape(shape: tuple, axis: Any) -> tuple:
    """The shape of a reduction over `axis` with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_reduced(g: Any, x_shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Give a reduced gradient back its reduced axes (as size 1) so it broadcasts against the input
    (a full reduction's 0-d result already broadcasts)."""
    return g if keepdims or axis is None else reshape(g, shape=keepdims_shape(x_shape, axis))


def _count(shape: tuple, axis: Any, op: str = "reduce") -> int:
    """How many elements each reduced value summarises."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in normalize_axes(axis, len(shape), op))


def _reducer(name: str, ufunc: np.ufunc) -> Any:
    """A numpy reduction that names the op when the axis is bad or there is nothing to reduce."""
    def reduce(x, axis=None, keepdims=False):
        try:
            return ufunc.reduce(x, axis=axis, keepdims=keepdims)
        except ValueError:  # numpy's AxisError is a ValueError too
            normalize_axes(axis, np.ndim(x), name)
            raise ValueError(f"{name}: cannot reduce over zero elements (shape {np.shape(x)}, axis {axis})") from None
    reduce.__name__ = f"_{name}"
    return reduce


_sum = _reducer("sum", np.add)
_max = _reducer("max", np.maximum)
_min = _reducer("min", np.minimum)


def _mean(x, axis=None, keepdims=False):
    n = _count(np.shape(x), axis, "mean")
    if n == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {np.shape(x)}, axis {axis})")
    total = np.add.reduce(x, axis=axis, keepdims=keepdims)
    return total / n if np.result_type(x).kind == "f" else total / np.float64(n)


def _extremum_grad(g, y, x, axis=None, keepdims=False):
    """The gradient goes to the elements equal to the extremum, split evenly among ties."""
    hit = x == expand_reduced(y, x.shape, axis, keepdims)
    share = hit / hit.sum(axis=axis, keepdims=True)
    return expand_reduced(g, x.shape, axis, keepdims) * share


def _logsumexp(x, axis=None, keepdims=False):
    if _count(np.shape(x), axis, "logsumexp") == 0:
        raise ValueError(f"logsumexp: cannot reduce over zero elements (shape {np.shape(x)}, axis {axis})")
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(under="ignore", divide="ignore"):
        s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=normalize_axes(axis, np.ndim(x)))


sum = unary("sum", _sum, lambda g, y, x, axis=None, keepdims=False:
            broadcast_to(expand_reduced(g, x.shape, axis, keepdims), shape=x.shape))
mean = unary("mean", _mean, lambda g, y, x, axis=None, keepdims=False:
             broadcast_to(expand_reduced(g, x.shape, axis, keepdims) / _count(x.shape, axis), shape=x.shape))
max = unary("max", _max, _extremum_grad)
min = unary("min", _min, _extremum_grad)
# d logsumexp / dx = softmax(x) = exp(x - logsumexp(x))
logsumexp = unary("logsumexp", _logsumexp, lambda g, y, x, axis=None, keepdims=False:
                  expand_reduced(g, x.shape, axis, keepdims) * exp(x - expand_reduced(y, x.shape, axis, keepdims)))


def _argmax(x, axis=None):
    return np.argmax(x, axis=axis)


def _argmin(x, axis=None):
    return np.argmin(x, axis=axis)


argmax = unary("argmax", _argmax, None)
argmin = unary("argmin", _argmin, None)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Variance: sum((x − mean)²) / (N − ddof), composed from recorded ops (so twice differentiable)."""
    n = _count(x.shape, axis, "var")
    if n - ddof <= 0:
        raise ValueError(f"var: {n} elements leave no degrees of freedom with ddof={ddof} (shape {x.shape}, axis {axis})")
    d = x - mean(x, axis=axis, keepdims=True)
    return sum(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Standard deviation: sqrt(var(x))."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def _norm2(x, axis=None, keepdims=False):
    return np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=keepdims))


def _norm2_grad(g, y, x, axis=None, keepdims=False):
    """d‖x‖/dx = x/‖x‖, taken as 0 where the norm is 0 (the subgradient PyTorch uses)."""
    yk = expand_reduced(y, x.shape, axis, keepdims)
    zero = yk == 0
    return expand_reduced(g, x.shape, axis, keepdims) * where(zero, 0.0, x / where(zero, 1.0, yk))


_norm2_op = unary("norm", _norm2, _norm2_grad)


def norm(x: Any, p: Any = 2, axis: Any = None, keepdims: bool = False) -> Any:
    """The p-norm over `axis` (all axes when None): (Σ|x|^p)^(1/p); p = inf, -inf: max, min of |x|."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"norm: p must be a number (2, 1, inf, ...), got {p!r}")
    if p == 2:
        return _norm2_op(x, axis=axis, keepdims=keepdims)
    if p == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if p == math.inf:
        return max(abs(x), axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return min(abs(x), axis=axis, keepdims=keepdims)
    if p <= 0:
        raise ValueError(f"norm: p must be positive or ±inf, got {p}")
    return sum(abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("sum", sum, "T M"), ("mean", mean, "T M"), ("max", max, "T M"), ("min", min, "T M"),
    ("logsumexp", logsumexp, "T M"), ("var", var, "T M"), ("std", std, "T M"),
    ("argmax", argmax, "T M"), ("argmin", argmin, "T M"), ("norm", norm, "T"),
)
