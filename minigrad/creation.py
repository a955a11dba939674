"""Tensor constructors: from data, filled, ranges, identity and random."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .rng import generator
from .tensor import Tensor, _check_float, _shape_arg, _wrap, get_default_dtype


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from a scalar, nested list, ndarray or tensor (always copied)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def _make(arr: np.ndarray, requires_grad: bool) -> Tensor:
    """Wrap a freshly made array (no copy)."""
    if requires_grad:
        _check_float(arr.dtype, "tensor")
    t = _wrap(arr)
    t.requires_grad = requires_grad
    return t


def _float(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; shape as ints or one tuple."""
    return _make(np.zeros(_shape_arg(shape), dtype=_float(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones; shape as ints or one tuple."""
    return _make(np.ones(_shape_arg(shape), dtype=_float(dtype)), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (contents arbitrary)."""
    return _make(np.empty(_shape_arg(shape), dtype=_float(dtype)), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with `fill_value` (float fill -> default float dtype, int -> int64, bool -> bool)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if dtype is None:
        dtype = np.asarray(fill_value).dtype
        dtype = get_default_dtype() if dtype == np.float64 and not isinstance(fill_value, np.generic) else dtype
    return _make(np.full(shape, fill_value, dtype=dtype), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of `t`."""
    return _make(np.zeros(np.shape(t), dtype=dtype or _dtype_of(t)), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of `t`."""
    return _make(np.ones(np.shape(t), dtype=dtype or _dtype_of(t)), requires_grad)


def _dtype_of(t: Any) -> np.dtype:
    return t.dtype if isinstance(t, (Tensor, np.ndarray)) else np.asarray(t).dtype


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop); ints give int64, floats the default float dtype."""
    arr = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(get_default_dtype())
    return _make(arr, requires_grad)


def eye(n: int, m: Optional[int] = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix (n × m)."""
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from minigrad's seeded generator."""
    return _make(generator().random(_shape_arg(shape)).astype(_float(dtype)), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's seeded generator."""
    return _make(generator().standard_normal(_shape_arg(shape)).astype(_float(dtype)), requires_grad)


def from_dlpack(x: Any, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with `x`, any DLPack producer (a PyTorch or JAX array on the CPU, an ndarray)."""
    try:
        arr = np.from_dlpack(x)
    except (AttributeError, TypeError, ValueError, BufferError, RuntimeError) as e:
        raise TypeError(f"from_dlpack: cannot import a {type(x).__name__} through DLPack: {e}") from None
    return _make(arr, requires_grad)
