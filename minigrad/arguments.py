"""Checks of the arguments users pass to public functions: axes, sizes and shapes, numbers, flags, dtypes.

Each check returns the argument in its normal form or raises the error the contract asks for, naming
the op the user called: `IndexError` for an axis out of range, `TypeError` for a wrong type, `ValueError`
for a value outside its domain. One place for these rules, so every op words them alike.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

_INTS = (int, np.integer)
_BOOLS = (bool, np.bool_)
_PLAIN_REALS = (int, float)
NUMERIC_KINDS = "biuf"  # bool, int, unsigned, float: the dtypes a tensor may have


class AxisError(IndexError, ValueError):
    """An axis out of range: an IndexError (the contract's word for axes), and a ValueError as well, like
    numpy's AxisError, so code written against numpy catches it too."""


def is_int(v: Any) -> bool:
    """A Python or numpy integer, not a bool."""
    return type(v) is int or isinstance(v, _INTS) and not isinstance(v, _BOOLS)


def is_real(v: Any) -> bool:
    """A real number (Python or numpy int or float), not a bool, a complex number or an array."""
    if type(v) in _PLAIN_REALS:  # the common case, without the ABC check (~2 µs)
        return True
    return isinstance(v, numbers.Real) and not isinstance(v, _BOOLS) and np.ndim(v) == 0


def _what(v: Any) -> str:
    text = repr(v)
    return f"{type(v).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def axis(value: Any, ndim: int, op: str, name: str = "axis", zero_d: bool = True, of: str = "a tensor") -> int:
    """One axis of `of` (a tensor, a result) with `ndim` dimensions, as a non-negative int. `zero_d`: a
    0-d tensor takes axis 0 and -1 (PyTorch's rule; returns 0)."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {_what(value)}")
    span = max(ndim, 1) if zero_d else ndim
    if not -span <= value < span:
        raise AxisError(f"{op}: {name} {value} is out of range for {of} with {ndim} "
                        f"dimension{'' if ndim == 1 else 's'}")
    return int(value) % span


def axes(value: Any, ndim: int, op: str, name: str = "axis") -> tuple:
    """`value` (None: all axes; an int; or a tuple or list of ints, possibly negative) as a sorted tuple of
    distinct non-negative axes. A 0-d tensor takes axis 0 and -1 and has no axes to reduce: ()."""
    if value is None:
        return tuple(range(ndim))
    if type(value) is int and -ndim <= value < ndim:  # the common case, at once
        return (value % ndim,)
    if is_int(value):
        items = (value,)
    elif isinstance(value, (tuple, list)):
        items = tuple(value)
    else:
        raise TypeError(f"{op}: {name} must be None, an int or a tuple of ints, got {_what(value)}")
    out = sorted(axis(a, ndim, op, name) for a in items)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {name}={value!r}")
    return tuple(out) if ndim else ()


def flag(value: Any, op: str, name: str) -> bool:
    """A bool argument (keepdims, training): True or False, not a string or a number."""
    if not isinstance(value, _BOOLS):
        raise TypeError(f"{op}: {name} must be True or False, got {_what(value)}")
    return bool(value)


def size(value: Any, op: str, name: str = "size") -> int:
    """A non-negative integer size."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be a non-negative int, got {_what(value)}")
    if value < 0:
        raise ValueError(f"{op}: {name} must be non-negative, got {value}")
    if value > np.iinfo(np.int64).max:
        raise ValueError(f"{op}: {name} {value} is too large")
    return int(value)


def shape(args: tuple, op: str) -> tuple:
    """A shape given as ints (`zeros(2, 3)`) or as one tuple or list (`zeros((2, 3))`), each a size."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(size(n, op, "each size in the shape") for n in args)


def new_shape(args: tuple, op: str) -> tuple:
    """A target shape for reshape/view: ints or one tuple, each non-negative except one -1 (inferred)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:  # the common case in one pass: plain ints, at most one -1
        if type(n) is not int or n < -1:
            break
    else:
        if args.count(-1) <= 1:
            return args
    for n in args:
        if not is_int(n):
            raise TypeError(f"{op}: each size in the shape must be an int, got {_what(n)}")
        if n < -1:
            raise ValueError(f"{op}: sizes must be non-negative (or -1, inferred once), got {n} in {args}")
    if sum(1 for n in args if n == -1) > 1:
        raise ValueError(f"{op}: only one size can be -1 (inferred), got {args}")
    return tuple(int(n) for n in args)


def number(value: Any, op: str, name: str) -> Any:
    """A real number argument (alpha, slope, beta, ...): int or float, never a string, None, complex or an
    array. A numpy scalar comes back as the Python number, which keeps the tensor's dtype (numpy's own
    float64(3) would turn a float32 result into float64)."""
    if not is_real(value):
        raise TypeError(f"{op}: {name} must be a real number, got {_what(value)}")
    return value.item() if isinstance(value, np.generic) else value


def optional_number(value: Any, op: str, name: str) -> Any:
    return None if value is None else number(value, op, name)


def dtype(value: Any, op: str) -> Optional[np.dtype]:
    """A numeric dtype (bool, int, unsigned or float; a numpy dtype or its name), or None."""
    if value is None:
        return None
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"{op}: dtype must be a numpy dtype or its name, got {_what(value)}") from None
    if dt.kind not in NUMERIC_KINDS:
        raise TypeError(f"{op}: dtype must be bool, an integer or a float dtype, got {dt}")
    return dt
