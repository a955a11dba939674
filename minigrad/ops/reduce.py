"""Reductions over all axes, one axis, a tuple of axes or negative axes, with `keepdims`."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import arguments as check
from ..autograd.function import unary
from ..autograd.function import as_float
from .elementwise import exp, where
from .shape import broadcast_to, reshape


def normalize_axes(axis: Any, ndim: int, op: str = "reduce") -> tuple:
    """`axis` (None, int or tuple, possibly negative) as a sorted tuple of non-negative axes; a wrong type
    is a TypeError, an axis out of range an IndexError, naming `op` (`minigrad.arguments.axes`)."""
    return check.axes(axis, ndim, op)


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
    """A numpy reduction over checked axes (so a 0-d tensor's axis 0 works, as in PyTorch) that names the
    op when there is nothing to reduce (max of an empty axis)."""
    def reduce(x, axis=None, keepdims=False):
        # None and ints go to numpy as they are (it takes 0 and -1 on a 0-d array too), the rest is checked
        # first: the common call stays one numpy call (a check of every axis doubled sum(axis=1)'s 1.6 µs)
        axes = axis if axis is None or type(axis) is int else normalize_axes(axis, np.ndim(x), name)
        if keepdims is not False and keepdims is not True:
            check.flag(keepdims, name, "keepdims")
        try:
            return ufunc.reduce(x, axis=axes, keepdims=keepdims)
        except ValueError:  # numpy's AxisError (an int out of range), or an empty part without identity
            normalize_axes(axis, np.ndim(x), name)
            raise ValueError(f"{name}: cannot reduce over zero elements (shape {np.shape(x)}, axis {axis})") from None
    reduce.__name__ = f"_{name}"
    return reduce


_sum = _reducer("sum", np.add)
_max = _reducer("max", np.maximum)
_min = _reducer("min", np.minimum)


def _mean(x, axis=None, keepdims=False):
    if keepdims is not False and keepdims is not True:
        check.flag(keepdims, "mean", "keepdims")
    if axis is None:
        axes, n = None, x.size if type(x) is np.ndarray else np.size(x)
    else:
        axes = normalize_axes(axis, np.ndim(x), "mean")
        n = math.prod(np.shape(x)[a] for a in axes)
    if n == 0:
        raise ValueError(f"mean: cannot average over zero elements (shape {np.shape(x)}, axis {axis})")
    return np.add.reduce(x, axis=axes, keepdims=keepdims) / n


def _extremum_grad(g, y, x, axis=None, keepdims=False):
    """The gradient goes to the elements equal to the extremum, split evenly among ties; a NaN is the
    extremum of its slice (numpy's max propagates it), so the NaNs share the gradient, as PyTorch's."""
    hit = (x == expand_reduced(y, x.shape, axis, keepdims)) | (x != x)
    share = hit / hit.sum(axis=None if axis is None else normalize_axes(axis, x.ndim), keepdims=True)
    return expand_reduced(g, x.shape, axis, keepdims) * share


def _logsumexp(x, axis=None, keepdims=False):
    axes = normalize_axes(axis, np.ndim(x), "logsumexp")
    check.flag(keepdims, "logsumexp", "keepdims")
    if _count(np.shape(x), axis, "logsumexp") == 0:
        raise ValueError(f"logsumexp: cannot reduce over zero elements (shape {np.shape(x)}, axis {axis})")
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(under="ignore", divide="ignore"):
        s = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axes)


sum = unary("sum", _sum, lambda g, y, x, axis=None, keepdims=False:
            broadcast_to(expand_reduced(g, x.shape, axis, keepdims), shape=x.shape))
mean = unary("mean", _mean, lambda g, y, x, axis=None, keepdims=False:
             broadcast_to(expand_reduced(g, x.shape, axis, keepdims) / _count(x.shape, axis), shape=x.shape),
             float_result=True)
max = unary("max", _max, _extremum_grad)
min = unary("min", _min, _extremum_grad)
# d logsumexp / dx = softmax(x) = exp(x - logsumexp(x))
logsumexp = unary("logsumexp", _logsumexp, lambda g, y, x, axis=None, keepdims=False:
                  expand_reduced(g, x.shape, axis, keepdims) * exp(x - expand_reduced(y, x.shape, axis, keepdims)),
                  float_result=True)


def _arg_reducer(name: str, fn: Any) -> Any:
    """np.argmax or np.argmin over a checked axis, naming the op when there is nothing to choose from."""
    def reduce(x, axis=None):
        ax = None if axis is None else check.axis(axis, np.ndim(x), name, zero_d=False)
        try:
            return fn(x, axis=ax)
        except ValueError:  # the axis is valid: it is empty
            raise ValueError(f"{name}: no elements to choose from (shape {np.shape(x)}, axis {axis})") from None
    reduce.__name__ = f"_{name}"
    return reduce


_argmax = _arg_reducer("argmax", np.argmax)
_argmin = _arg_reducer("argmin", np.argmin)


argmax = unary("argmax", _argmax, None)
argmin = unary("argmin", _argmin, None)


def _variance_args(x: Any, axis: Any, keepdims: Any, ddof: Any, op: str) -> tuple:
    """var/std's input as a float tensor (integers promote to the default float dtype, as in every
    float-valued op) and the checked element count and ddof."""
    if not check.is_int(ddof):
        raise TypeError(f"{op}: ddof must be an int, got {check._what(ddof)}")
    check.flag(keepdims, op, "keepdims")
    x = as_float(x)
    n = _count(x.shape, axis, op)
    if n - ddof <= 0:
        raise ValueError(f"{op}: {n} elements leave no degrees of freedom with ddof={ddof} (shape {x.shape}, axis {axis})")
    return x, n


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Variance: sum((x − mean)²) / (N − ddof), composed from recorded ops (so twice differentiable)."""
    x, n = _variance_args(x, axis, keepdims, ddof, "var")
    d = x - mean(x, axis=axis, keepdims=True)
    return sum(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


def _std_rule(g, y, v):
    """sqrt'(v) = 1/(2·sqrt(v)), taken as 0 where v = 0 (PyTorch's std gives 0 there too: no variance,
    no direction to move in), so std over one element or over no axes has gradient 0, not NaN."""
    return where(y > 0, g / (2 * where(y > 0, y, 1)), 0 * g)


_std_sqrt = unary("std", np.sqrt, _std_rule)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Standard deviation: sqrt(var(x)); its gradient at zero variance is 0 (as PyTorch), not NaN."""
    x, _ = _variance_args(x, axis, keepdims, ddof, "std")
    return _std_sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("sum", sum, "T M"), ("mean", mean, "T M"), ("max", max, "T M"), ("min", min, "T M"),
    ("logsumexp", logsumexp, "T M"), ("var", var, "T M"), ("std", std, "T M"),
    ("argmax", argmax, "T M"), ("argmin", argmin, "T M"),
)
