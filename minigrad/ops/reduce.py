"""Reductions over all axes, one axis, a tuple of axes or negative axes, with `keepdims`; cumulative sums
and products; any/all and argmax/argmin (not differentiable)."""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..autograd.function import unary
from ..tensor import Tensor
from .elementwise import exp, sqrt, where
from .shape import (broadcast_to, flip, getitem, index_add, normalize_axis, normalize_axis_tuple, pad, reshape,
                    transpose)


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


def _arg_extremum(name: str, np_fn: Any) -> Any:
    def forward(x, axis=None, keepdims=False):
        if axis is not None:
            normalize_axis(axis, np.ndim(x), name)
        if np.size(x) == 0 or (axis is not None and np.shape(x)[axis] == 0):
            raise ValueError(f"{name}: cannot take the {name} of zero elements (shape {np.shape(x)}, axis {axis})")
        return np_fn(x, axis=axis, keepdims=keepdims)
    forward.__name__ = f"_{name}"
    return forward


argmax = unary("argmax", _arg_extremum("argmax", np.argmax), None)
argmin = unary("argmin", _arg_extremum("argmin", np.argmin), None)
argmax.__doc__ = "The index of the largest element along `axis` (None: of the flattened tensor); int64, not differentiable."
argmin.__doc__ = "The index of the smallest element along `axis` (None: of the flattened tensor); int64, not differentiable."


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


# ==============================================================================================
# More reductions (issue 15): prod, cumsum, cumprod, any, all. Gradients at zeros never divide by x:
#   prod:    ∂/∂x_i = the product of the others = (product before i)·(product after i), from two
#            exclusive cumulative products, so one zero gives the others' product and two give 0;
#   cumprod: Σ_{k>=i} g_k·y_k / x_i on slices without zeros; on slices holding a zero, the division-free
#            sum Σ_{k>=i} g_k·Π_{j<=k, j≠i} x_j, O(n²) per such slice (see `_cumprod_grad_with_zeros`).
# Both are exact polynomials in x written with differentiable ops, so their derivatives are exact too.
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


def _data(v: Any) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else v


def _cumprod_grad_with_zeros(g: Any, x: Any) -> Any:
    """For rows x (m, n) holding zeros: ∂/∂x_i = Σ_{k>=i} g_k·C[i, k] with C[i, k] = Π_{j<=k, j≠i} x_j, the
    cumulative product of x with x_i replaced by 1. No division, so zeros are exact; O(n²) per row."""
    n = x.shape[-1]
    others = where(np.eye(n, dtype=bool), 1, getitem(x, index=(slice(None), None, slice(None))))  # (m, i, j)
    c = cumprod(others, axis=-1)  # (m, i, k)
    later = np.triu(np.ones((n, n), dtype=bool))  # k >= i
    return sum(where(later, getitem(g, index=(slice(None), None, slice(None))) * c, 0), axis=-1)


def _cumprod_grad(g, y, x, axis=None):
    """∂/∂x_i = Σ_{k>=i} g_k·y_k / x_i where a slice has no zero; `_cumprod_grad_with_zeros` on the others."""
    if axis is None or x.ndim == 0:  # over the flattened x (numpy flattens a 0-d x even for axis 0)
        return reshape(_cumprod_grad(g, y, reshape(x, shape=(-1,)), axis=0), shape=x.shape)
    zero = _data(x) == 0
    if not zero.any():
        return _reverse_cumsum(g * y, axis) / x
    axis = axis % x.ndim
    perm, inverse = _moved_last(x.shape, (axis,))
    moved = tuple(x.shape[a] for a in perm)
    gr, yr, xr = (reshape(transpose(v, axes=perm), shape=(-1, x.shape[axis])) for v in (g, y, x))
    holds = np.transpose(zero, perm).reshape(-1, x.shape[axis]).any(axis=-1)  # rows with a zero
    rows = np.flatnonzero(holds)
    safe = where(holds[:, None], 1, xr)  # rows without zeros divide by x; the others are replaced below
    plain = _reverse_cumsum(gr * yr, 1) / safe
    exact = index_add(_cumprod_grad_with_zeros(getitem(gr, index=rows), getitem(xr, index=rows)),
                      index=rows, shape=xr.shape)
    return transpose(reshape(where(holds[:, None], exact, plain), shape=moved), axes=inverse)


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
    ("argmax", argmax, "T M"), ("argmin", argmin, "T M"),
    ("prod", prod, "T M"), ("cumsum", cumsum, "T M"), ("cumprod", cumprod, "T M"), ("any", any, "T M"),
    ("all", all, "T M"),
)
