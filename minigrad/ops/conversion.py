"""Copies and dtype conversions, with PyTorch's spellings: clone, to, float, double, long, int, bool."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import unary
from ..tensor import Tensor, get_default_dtype
from .elementwise import astype

def _copy(x):
    """A copy of x with its own memory."""
    return np.array(x, copy=True)


clone = unary("clone", _copy, lambda g, y, x: g)  # a copy, recorded: the gradient passes through


def to(x: Tensor, *args: Any, dtype: Any = None, copy: bool = False) -> Tensor:
    """x as `dtype` (a numpy dtype, its name, or PyTorch-style "float32"); a device "cpu" is accepted and
    changes nothing (minigrad computes on the CPU). Returns x itself when nothing changes, unless `copy`."""
    for a in args:
        if isinstance(a, str) and a.split(":")[0] == "cpu":
            continue
        if dtype is not None:
            raise TypeError(f"to: got two dtypes, {dtype!r} and {a!r}")
        dtype = a
    if isinstance(dtype, str) and dtype.startswith("torch."):
        dtype = dtype[len("torch."):]
    if dtype is None:
        return clone(x) if copy else x
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to: expected a dtype (such as 'float64') or 'cpu', got {dtype!r}") from None
    if dt == x.dtype:
        return clone(x) if copy else x
    return astype(x, dt)


def _as(dtype_of: Any, name: str) -> Any:
    def convert(x: Tensor) -> Tensor:
        dt = dtype_of()
        return x if x.dtype == dt else astype(x, dt)
    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = f"x converted to {name} (x itself when it already is)."
    return convert


float_ = _as(get_default_dtype, "float")
double = _as(lambda: np.dtype(np.float64), "double")
long = _as(lambda: np.dtype(np.int64), "long")
int_ = _as(lambda: np.dtype(np.int32), "int")
bool_ = _as(lambda: np.dtype(np.bool_), "bool")


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("clone", clone, "T"), ("to", to, "T"), ("float", float_, "T"), ("double", double, "T"), ("long", long, "T"),
    ("int", int_, "T"), ("bool", bool_, "T"),
)
