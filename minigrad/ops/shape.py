"""Shape primitives: reshape, transpose, broadcast_to, indexing, concatenate and stack."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import arguments as check
from ..autograd.function import primitive, unary
from ..tensor import Tensor, _wrap, as_array


def _reshape(x, shape):
    try:
        return x.reshape(shape) if isinstance(x, np.ndarray) else np.reshape(x, shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {np.shape(x)} ({np.size(x)} elements) "
                         f"into shape {tuple(shape)}") from None


def _transpose(x, axes=None):
    if axes is None:
        return np.asarray(x).transpose()
    nd = np.ndim(x)
    if not isinstance(axes, (tuple, list)):
        raise TypeError(f"transpose: axes must be a tuple of ints, got {check._what(axes)}")
    norm = [check.axis(a, nd, "transpose", zero_d=False) for a in axes]
    if sorted(norm) != list(range(nd)):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {nd} axes of shape {np.shape(x)}")
    return np.asarray(x).transpose(norm)


def _inverse_axes(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


def _broadcast_to(x, shape):
    """A broadcast copy for small results (numpy's view costs ~5 µs of Python), a read-only view for large."""
    x = np.asarray(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    try:
        if x.ndim <= len(shape) and x.size and math.prod(shape) <= 4096:
            out = np.empty(shape, dtype=x.dtype)
            out[...] = x
            return out
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {np.shape(x)} to {tuple(shape)}") from None


reshape = unary("reshape", _reshape, lambda g, y, x, shape: reshape(g, x.shape))
transpose = unary("transpose", _transpose, lambda g, y, x, axes=None: transpose(g, axes=_inverse_axes(axes, x.ndim)))
# broadcast_to's derivative is the engine's sum back to the input shape, applied to g as it is
broadcast_to = unary("broadcast_to", _broadcast_to, lambda g, y, x, shape: g)


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes (a transpose)."""
    nd = x.ndim
    a = check.axis(axis1, nd, "swapaxes", "axis1", zero_d=False)
    b = check.axis(axis2, nd, "swapaxes", "axis2", zero_d=False)
    axes = list(range(nd))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes=tuple(axes))


def squeeze(x: Any, axis: Any = None) -> Any:
    """Remove axes of size 1 (all of them, or those in `axis`; a 0-d tensor's axis 0 leaves it as it is,
    as numpy)."""
    shape = x.shape
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = check.axes(axis, len(shape), "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {shape} does not have size 1")
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(x, new)


def unsqueeze(x: Any, axis: int) -> Any:
    """Insert an axis of size 1 at `axis` (negative counts from the end of the result)."""
    shape = list(x.shape)
    shape.insert(check.axis(axis, len(shape) + 1, "unsqueeze", zero_d=False, of="a result"), 1)
    return reshape(x, tuple(shape))


# --- indexing ---------------------------------------------------------------------------------

def normalize_index(index: Any) -> Any:
    """Tensors in an index become ndarrays; lists become arrays (numpy's fancy indexing; an empty list
    selects nothing: `t[[]]` has shape (0,) + the rest, as numpy and PyTorch)."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index) if index else np.zeros(0, dtype=np.intp)
    return index


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, ...) never selects an element twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def _getitem(x, index):
    try:
        return x[index]
    except IndexError as e:
        raise IndexError(f"getitem: index {index!r} is invalid for shape {np.shape(x)}: {e}") from None


def _index_add(g, index, shape):
    """Scatter `g` into zeros of `shape` at `index`; repeated indices accumulate."""
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


getitem = unary("getitem", _getitem, lambda g, y, x, index: index_add(g, index=index, shape=x.shape))
index_add = unary("index_add", _index_add, lambda g, y, x, index, shape: getitem(g, index=index))


# --- joining ----------------------------------------------------------------------------------

def _concatenate(*xs, axis=0):
    try:
        return np.concatenate(xs, axis=axis)
    except ValueError:
        raise ValueError(f"concatenate: shapes {[np.shape(x) for x in xs]} cannot be joined on axis {axis}") from None


def _concat_grad(i, g, y, *xs, axis=0):
    ax = axis % y.ndim
    start = int(np.sum([x.shape[ax] for x in xs[:i]], dtype=np.int64))
    sl = (slice(None),) * ax + (slice(start, start + xs[i].shape[ax]),)
    return getitem(g, index=sl)


def _stack(*xs, axis=0):
    try:
        return np.stack(xs, axis=axis)
    except ValueError:
        raise ValueError(f"stack: all shapes must be equal, got {[np.shape(x) for x in xs]}") from None


def _stack_grad(i, g, y, *xs, axis=0):
    ax = axis % y.ndim
    return getitem(g, index=(slice(None),) * ax + (i,))


_concat = primitive("concatenate", _concatenate, _concat_grad, variadic=True)
_stacked = primitive("stack", _stack, _stack_grad, variadic=True)


def _joined(tensors: Sequence[Any], name: str) -> list:
    """The tensors to join: a list or tuple of tensors or array-likes of numbers (made constants)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: expected a non-empty sequence of tensors, got an empty one")
    return [t if isinstance(t, Tensor) else _wrap(as_array(t, copy=False, op=name)) for t in tensors]


def concatenate(tensors: Sequence[Any], axis: Any = 0) -> Any:
    """Join tensors along an existing axis; axis=None joins them flattened, as numpy."""
    ts = _joined(tensors, "concatenate")
    if axis is None:
        return _concat(*[reshape(t, (-1,)) for t in ts], axis=0)
    if ts[0].ndim == 0:
        raise ValueError(f"concatenate: 0-d tensors have no axis to join on (shapes {[t.shape for t in ts]}); "
                         "use stack, or axis=None")
    return _concat(*ts, axis=check.axis(axis, ts[0].ndim, "concatenate", zero_d=False))


def stack(tensors: Sequence[Any], axis: int = 0) -> Any:
    """Join same-shape tensors along a new axis."""
    ts = _joined(tensors, "stack")
    return _stacked(*ts, axis=check.axis(axis, ts[0].ndim + 1, "stack", zero_d=False, of="the result"))


concatenate.sequence_input = stack.sequence_input = True  # the public forms must not make the list a tensor


# --- public forms that take a shape or axes as several ints or one tuple -----------------------

def _ints(args: tuple) -> tuple:
    """Axes given as ints or as one tuple or list."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def reshape_to(x: Any, *shape: Any) -> Any:
    """The same values in a new shape, given as ints or one tuple (one -1 is inferred)."""
    return reshape(x, check.new_shape(shape, "reshape"))


def permute(x: Any, *axes: Any) -> Any:
    """Permute the axes (as ints or one tuple); transpose() with no axes reverses them."""
    return transpose(x, _ints(axes) if axes else None)


def broadcast_shape(x: Any, *shape: Any) -> Any:
    """Broadcast to `shape` (ints or one tuple), as numpy; the gradient sums back over the new axes."""
    return broadcast_to(x, check.shape(shape, "broadcast_to"))


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge axes start_dim … end_dim into one (all of them by default)."""
    shape = x.shape
    lo = check.axis(start_dim, len(shape), "flatten", "start_dim")
    hi = check.axis(end_dim, len(shape), "flatten", "end_dim")
    if lo > hi:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} in a tensor with "
                         f"{len(shape)} dimensions")
    if not shape:
        return reshape(x, (1,))
    return reshape(x, shape[:lo] + (math.prod(shape[lo:hi + 1]),) + shape[hi + 1:])


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("reshape", reshape_to, "T M"), ("view", reshape_to, "T"), ("transpose", permute, "T M"),
    ("permute", permute, "T"), ("swapaxes", swapaxes, "T"), ("broadcast_to", broadcast_shape, "T"),
    ("expand", broadcast_shape, "T"), ("flatten", flatten, "T"), ("squeeze", squeeze, "T"),
    ("unsqueeze", unsqueeze, "T"), ("concatenate", concatenate, "M"), ("cat", concatenate, "M"),
    ("stack", stack, "M"),
)
