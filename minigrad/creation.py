"""Tensor constructors: from data, filled, ranges, identity and random.

Every argument is checked at the entry (`minigrad.arguments`): sizes are non-negative ints (2.7 is an
error, not 2), fill values and range bounds are real numbers, dtypes are numeric, and data holds
numbers only; each error names the constructor called.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from . import arguments as check
from .rng import generator
from .tensor import Tensor, _check_float, _wrap, as_array, get_default_dtype


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from a scalar, nested list, ndarray or tensor (always copied)."""
    return Tensor(data, dtype=dtype, requires_grad=check.flag(requires_grad, "tensor", "requires_grad"))


def _make(arr: np.ndarray, requires_grad: bool, op: str) -> Tensor:
    """Wrap a freshly made array (no copy)."""
    if check.flag(requires_grad, op, "requires_grad"):
        _check_float(arr.dtype, op)
    t = _wrap(arr)
    t.requires_grad = requires_grad
    return t


def _float(dtype: Any, op: str) -> np.dtype:
    return get_default_dtype() if dtype is None else check.dtype(dtype, op)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; shape as ints or one tuple."""
    return _make(np.zeros(check.shape(shape, "zeros"), dtype=_float(dtype, "zeros")), requires_grad, "zeros")


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; shape as ints or one tuple."""
    return _make(np.ones(check.shape(shape, "ones"), dtype=_float(dtype, "ones")), requires_grad, "ones")


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (contents arbitrary)."""
    return _make(np.empty(check.shape(shape, "empty"), dtype=_float(dtype, "empty")), requires_grad, "empty")


def _fill(value: Any, op: str) -> Any:
    """A fill value: a real number or a bool."""
    if not (check.is_real(value) or isinstance(value, (bool, np.bool_))):
        raise TypeError(f"{op}: fill_value must be a number, got {check._what(value)}")
    return value


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with `fill_value` (float fill -> default float dtype, int -> int64, bool -> bool)."""
    shape = check.shape((shape,), "full")
    fill_value = _fill(fill_value, "full")
    if dtype is None:
        dtype = np.asarray(fill_value).dtype
        dtype = get_default_dtype() if dtype == np.float64 and not isinstance(fill_value, np.generic) else dtype
    else:
        dtype = check.dtype(dtype, "full")
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad, "full")


def _like(t: Any, dtype: Any, op: str) -> tuple:
    """The shape and dtype (unless given) of `t`, a tensor or array-like of numbers."""
    arr = t._data if isinstance(t, Tensor) else as_array(t, copy=False, op=op)
    return arr.shape, arr.dtype if dtype is None else check.dtype(dtype, op)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `t`."""
    shape, dt = _like(t, dtype, "zeros_like")
    return _make(np.zeros(shape, dtype=dt), requires_grad, "zeros_like")


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `t`."""
    shape, dt = _like(t, dtype, "ones_like")
    return _make(np.ones(shape, dtype=dt), requires_grad, "ones_like")


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop); ints give int64, floats the default float dtype."""
    for name, v in (("start", start), ("stop", stop), ("step", step)):
        if v is not None or name != "stop":
            check.number(v, "arange", name)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    lo, hi = (0, start) if stop is None else (start, stop)
    if any(check.is_int(v) and not -2 ** 63 <= v < 2 ** 63 for v in (lo, hi, step)):
        raise ValueError(f"arange: start, stop and step must fit int64, got {lo}, {hi}, {step}")
    if not all(map(math.isfinite, (lo, hi, step))):
        raise ValueError(f"arange: start, stop and step must be finite, got {lo}, {hi}, {step}")
    if (hi - lo) / step > np.iinfo(np.int64).max:
        raise ValueError(f"arange: [{lo}, {hi}) in steps of {step} has too many elements")
    arr = np.arange(lo, hi, step)
    if dtype is not None:
        arr = arr.astype(check.dtype(dtype, "arange"))
    elif arr.dtype == np.float64:
        arr = arr.astype(get_default_dtype())
    return _make(arr, requires_grad, "arange")


def eye(n: int, m: Optional[int] = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n × m)."""
    n = check.size(n, "eye", "n")
    m = n if m is None else check.size(m, "eye", "m")
    return _make(np.eye(n, m, dtype=_float(dtype, "eye")), requires_grad, "eye")


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from minigrad's seeded generator."""
    shape, dtype = check.shape(shape, "rand"), _float(dtype, "rand")
    return _make(generator().random(shape).astype(dtype), requires_grad, "rand")


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's seeded generator."""
    shape, dtype = check.shape(shape, "randn"), _float(dtype, "randn")
    return _make(generator().standard_normal(shape).astype(dtype), requires_grad, "randn")


def from_dlpack(x: Any, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with `x`, any DLPack producer (a PyTorch or JAX array on the CPU, an ndarray)."""
    try:
        arr = np.from_dlpack(x)
    except (AttributeError, TypeError, ValueError, BufferError, RuntimeError) as e:
        raise TypeError(f"from_dlpack: cannot import a {type(x).__name__} through DLPack: {e}") from None
    return _make(arr, requires_grad, "from_dlpack")
