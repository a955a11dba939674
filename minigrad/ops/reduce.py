"""Reductions over all axes, one axis, a tuple of axes or negative axes, with `keepdims`; cumulative sums
and products; any/all and argmax/argmin (not differentiable)."""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .. import arguments as check
from ..autograd.function import as_float, unary
from .elementwise import abs, exp, sqrt, where
from .shape import (broadcast_to, flip, getitem, normalize_axis, normalize_axis_tuple, pad, reshape,
                    transpose)


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


def _arg_extremum(name: str, np_fn: Any) -> Any:
    def forward(x, axis=None, keepdims=False):
        if axis is not None:
            axis = check.axis(axis, np.ndim(x), name, zero_d=False)
        if np.size(x) == 0 or (axis is not None and np.shape(x)[axis] == 0):
            raise ValueError(f"{name}: cannot take the {name} of zero elements (shape {np.shape(x)}, axis {axis})")
        return np_fn(x, axis=axis, keepdims=keepdims)
    forward.__name__ = f"_{name}"
    return forward


argmax = unary("argmax", _arg_extremum("argmax", np.argmax), None)
argmin = unary("argmin", _arg_extremum("argmin", np.argmin), None)
argmax.__doc__ = "The index of the largest element along `axis` (None: of the flattened tensor); int64, not differentiable."
argmin.__doc__ = "The index of the smallest element along `axis` (None: of the flattened tensor); int64, not differentiable."


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


# ==============================================================================================
# More reductions (issue 15): prod, cumsum, cumprod, any, all. Gradients at zeros never divide by x:
#   prod:    ∂/∂x_i = the product of the others = (product before i)·(product after i), from two
#            exclusive cumulative products, so one zero gives the others' product and two give 0;
#   cumprod: Σ_{k>=i} g_k·Π_{j<=k, j≠i} x_j = (product before i)·S_i, with S_i = Σ_{k>=i} g_k·Π_{i<j<=k} x_j
#            from a doubling scan (log₂ n vector steps), not Σ_{k>=i} g_k·y_k / x_i: that quotient is 0/0 at
#            zeros, and its own derivative cancels huge terms when some |x_i| is tiny.
# Both are polynomials in x written with differentiable ops, so their derivatives are exact too.
# ==============================================================================================

def _reduction_axis(x: Any, axis: Any, name: str) -> Any:
    """`axis` checked for x; None for a 0-d x, whose only axis (0 or -1, as numpy allows) is itself."""
    if axis is not None:
        normalize_axis_tuple(axis, builtins.max(np.ndim(x), 1), name)
    return None if np.ndim(x) == 0 else axis


def _prod(x, axis=None, keepdims=False):
    return np.multiply.reduce(x, axis=_reduction_axis(x, axis, "prod"), keepdims=keepdims)


def _exclusive_cumprod(v: Any) -> Any:
    """Along the last axis: the product of the elements before each one (1 for the first)."""
    widths = ((0, 0),) * (v.ndim - 1) + ((1, 0),)
    return cumprod(pad(getitem(v, index=(Ellipsis, slice(None, -1))), pad_width=widths, value=1), axis=-1)


def _product_of_others(v: Any) -> Any:
    """Along the last axis: the product of all the other elements, (product before)·(product after)."""
    return _exclusive_cumprod(v) * flip(_exclusive_cumprod(flip(v, axis=-1)), axis=-1)


def _moved_last(shape: tuple, axes: tuple) -> tuple:
    """The permutation that moves `axes` to the end, and its inverse."""
    perm = tuple(a for a in range(len(shape)) if a not in axes) + tuple(axes)
    return perm, tuple(np.argsort(perm))


def _prod_grad(g, y, x, axis=None, keepdims=False):
    """g times the product of the other elements of each reduced slice, computed without dividing by x."""
    axes = normalize_axes(axis, x.ndim)
    if x.size == 0:
        return broadcast_to(expand_reduced(g, x.shape, axis, keepdims), shape=x.shape)  # empty: nothing to multiply
    perm, inverse = _moved_last(x.shape, axes)
    kept = tuple(x.shape[a] for a in perm[:x.ndim - len(axes)])
    rows = reshape(transpose(x, axes=perm), shape=kept + (math.prod(x.shape[a] for a in axes),))
    others = transpose(reshape(_product_of_others(rows), shape=tuple(x.shape[a] for a in perm)), axes=inverse)
    return expand_reduced(g, x.shape, axis, keepdims) * others


prod = unary("prod", _prod, _prod_grad)
prod.__doc__ = "Π x over `axis` (None: every element); the gradient at zeros is the product of the others, never x/0."


def _cumulative_axis(x: Any, axis: Any, name: str) -> None:
    if axis is not None:
        normalize_axis(axis, builtins.max(np.ndim(x), 1), name)


def _cumsum(x, axis=None):
    _cumulative_axis(x, axis, "cumsum")
    return np.cumsum(x, axis=axis)


def _reverse_cumsum(v: Any, axis: int) -> Any:
    """Σ_{k>=i} v_k along `axis`."""
    return flip(cumsum(flip(v, axis=axis), axis=axis), axis=axis)


def _cumsum_grad(g, y, x, axis=None):
    """∂/∂x_i = Σ_{k>=i} g_k: the reversed cumulative sum of g (reshaped back when axis is None)."""
    if axis is None:
        return reshape(_reverse_cumsum(g, 0), shape=x.shape)
    return _reverse_cumsum(g, axis)


cumsum = unary("cumsum", _cumsum, _cumsum_grad)
cumsum.__doc__ = "y_i = Σ_{k<=i} x_k along `axis` (None: over the flattened tensor, as numpy)."


def _cumprod(x, axis=None):
    _cumulative_axis(x, axis, "cumprod")
    return np.cumprod(x, axis=axis)


def _later(v: Any, axis: int, d: int, fill: float) -> Any:
    """v_{i+d} at position i along `axis` (d > 0: the elements d places later), `fill` past the end."""
    n = v.shape[axis]
    widths = [(0, 0)] * v.ndim
    widths[axis] = (0, builtins.min(d, n))
    return pad(getitem(v, index=(slice(None),) * axis + (slice(d, None),)), pad_width=tuple(widths), value=fill)


def _weighted_suffix_sums(g: Any, x: Any, axis: int) -> Any:
    """S_i = Σ_{k>=i} g_k·Π_{i<j<=k} x_j along `axis`, by doubling: S_i = B_i + A_i·S_{i+d} holds with B = g,
    A_i = x_{i+1} for d = 1, and each step doubles d (B_i += A_i·B_{i+d}, A_i *= A_{i+d}); once d >= n, S = B.
    log₂ n steps of O(n) products and sums: no division, so zeros and tiny values are exact."""
    n = x.shape[axis]
    b, a, d = g, _later(x, axis, 1, 0), 1
    while d < n:
        b = b + a * _later(b, axis, d, 0)
        if 2 * d < n:
            a = a * _later(a, axis, d, 0)
        d *= 2
    return b


def _cumprod_grad(g, y, x, axis=None):
    """∂/∂x_i = Σ_{k>=i} g_k·Π_{j<=k, j≠i} x_j = (Π_{j<i} x_j)·S_i, S from `_weighted_suffix_sums`."""
    if axis is None or x.ndim == 0:  # over the flattened x (numpy flattens a 0-d x even for axis 0)
        return reshape(_cumprod_grad(reshape(g, shape=(-1,)), None, reshape(x, shape=(-1,)), axis=0), shape=x.shape)
    axis = axis % x.ndim
    if x.shape[axis] == 0:
        return g
    before = pad(getitem(x, index=(slice(None),) * axis + (slice(None, -1),)),
                 pad_width=tuple((1, 0) if a == axis else (0, 0) for a in range(x.ndim)), value=1)
    return cumprod(before, axis=axis) * _weighted_suffix_sums(g, x, axis)  # (Π_{j<i} x_j)·S_i


cumprod = unary("cumprod", _cumprod, _cumprod_grad)
cumprod.__doc__ = ("y_i = Π_{k<=i} x_k along `axis` (None: over the flattened tensor, as numpy); "
                   "exact gradients at zeros.")


def _logical_reduction(name: str, np_fn: Any) -> Any:
    def forward(x, axis=None, keepdims=False):
        return np_fn(x, axis=_reduction_axis(x, axis, name), keepdims=keepdims)
    forward.__name__ = f"_{name}"
    return forward


any = unary("any", _logical_reduction("any", np.any), None)  # bool results: never recorded
all = unary("all", _logical_reduction("all", np.all), None)
any.__doc__ = "Whether any element along `axis` is nonzero (True); a bool tensor, not differentiable."
all.__doc__ = "Whether every element along `axis` is nonzero (True); a bool tensor, not differentiable."


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("sum", sum, "T M"), ("mean", mean, "T M"), ("max", max, "T M"), ("min", min, "T M"),
    ("logsumexp", logsumexp, "T M"), ("var", var, "T M"), ("std", std, "T M"),
    ("argmax", argmax, "T M"), ("argmin", argmin, "T M"), ("norm", norm, "T"),
    ("prod", prod, "T M"), ("cumsum", cumsum, "T M"), ("cumprod", cumprod, "T M"), ("any", any, "T M"),
    ("all", all, "T M"),
)
