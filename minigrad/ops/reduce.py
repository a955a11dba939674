"""Reductions over all axes, one axis, a tuple of axes or negative axes, with `keepdims`."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..autograd.function import unary
from .elementwise import exp, sqrt
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
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_reduced(g: Any, x_shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Give a reduced gradient back its reduced axes (as size 1) so it broadcasts against the input."""
    return g if keepdims else reshape(g, shape=keepdims_shape(x_shape, axis))


def _count(shape: tuple, axis: Any, op: str = "reduce") -> int:
    return int(np.prod([shape[a] for a in normalize_axes(axis, len(shape), op)], dtype=np.int64))


def _sum(x, axis=None, keepdims=False):
    if axis is not None:
        normalize_axes(axis, np.ndim(x), "sum")  # numpy's AxisError would not name the op
    return np.sum(x, axis=axis, keepdims=keepdims)


def _mean(x, axis=None, keepdims=False):
    if _count(np.shape(x), axis, "mean") == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {np.shape(x)}, axis {axis})")
    return np.mean(x, axis=axis, keepdims=keepdims)


def _max(x, axis=None, keepdims=False):
    if _count(np.shape(x), axis, "max") == 0:
        raise ValueError(f"max: cannot reduce over zero elements (shape {np.shape(x)}, axis {axis})")
    return np.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    if _count(np.shape(x), axis, "min") == 0:
        raise ValueError(f"min: cannot reduce over zero elements (shape {np.shape(x)}, axis {axis})")
    return np.min(x, axis=axis, keepdims=keepdims)


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


argmax = unary("argmax", _argmax, None, differentiable=False)
argmin = unary("argmin", _argmin, None, differentiable=False)


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
