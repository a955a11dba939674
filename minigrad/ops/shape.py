"""Shape primitives: reshape, transpose, broadcast_to, indexing, concatenate and stack; pad, flip, roll,
repeat, tile, tril/triu, split and take_along_axis."""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence, Union

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

def _axes_arg(args: tuple) -> tuple:
    """Axes given as ints or as one tuple or list."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def reshape_to(x: Any, *shape: Any) -> Any:
    """The same values in a new shape, given as ints or one tuple (one -1 is inferred)."""
    return reshape(x, check.new_shape(shape, "reshape"))


def permute(x: Any, *axes: Any) -> Any:
    """Permute the axes (as ints or one tuple); transpose() with no axes reverses them."""
    return transpose(x, _axes_arg(axes) if axes else None)


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


# ==============================================================================================
# More shape functions (issue 15): pad, flip, roll, tril/triu are primitives whose rule is the same
# kind of op on g; repeat, tile, split and take_along_axis are compositions of reshape, broadcast_to
# and getitem, whose rules already sum copies and accumulate repeated indices.
# ==============================================================================================

Axis = Union[None, int, Sequence[int]]


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def normalize_axis(axis: Any, ndim: int, op: str) -> int:
    """One axis (possibly negative) as a non-negative int: TypeError for a non-integer, and numpy's AxisError
    (both an IndexError and a ValueError) naming `op` when it is out of range."""
    if not _is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % ndim


def normalize_axis_tuple(axis: Axis, ndim: int, op: str) -> tuple:
    """None (every axis), an int or a sequence of ints as a tuple of distinct non-negative axes, in the order given."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if _is_int(axis) else axis
    if not isinstance(axes, (tuple, list)):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {type(axis).__name__} {axis!r}")
    out = tuple(normalize_axis(a, ndim, op) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {tuple(axes)}")
    return out


def _ints(values: Any, op: str, what: str) -> tuple:
    """An int or a sequence of ints as a tuple; TypeError naming `op` and `what` for anything else."""
    seq = (values,) if _is_int(values) else values
    if isinstance(seq, np.ndarray):
        seq = seq.tolist() if seq.ndim == 1 and seq.dtype.kind in "iu" else None
    if not isinstance(seq, (tuple, list)) or not all(_is_int(v) for v in seq):
        raise TypeError(f"{op}: {what} must be an int or a sequence of ints, got {values!r}")
    return tuple(int(v) for v in seq)


# --- pad: constant mode, numpy's pad_width forms -------------------------------------------------

def _pad_pairs(pad_width: Any, ndim: int) -> tuple:
    """numpy's pad_width forms (n, (n,), (before, after), ((before, after),), one pair per axis) as one
    (before, after) pair per axis."""
    arr = np.asarray(pad_width.data if isinstance(pad_width, Tensor) else pad_width)
    if arr.size == 0 and ndim == 0:
        return ()  # a 0-d tensor has no axis to pad: only the empty form fits it exactly
    if arr.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
    try:
        pairs = np.broadcast_to(arr.astype(np.int64), (ndim, 2)) if arr.ndim <= 2 else None
    except ValueError:
        pairs = None
    if pairs is None:
        raise ValueError(f"pad: pad_width {pad_width!r} is not n, (before, after) or one (before, after) pair "
                         f"for each of the {ndim} axes")
    if (pairs < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return tuple((int(b), int(a)) for b, a in pairs)


def _pad(x, pad_width, value=0.0):
    if np.ndim(x) == 0:
        return np.array(x, copy=True)  # nothing to pad (np.pad refuses 0-d input)
    return np.pad(x, pad_width, mode="constant", constant_values=value)


# pad's derivative: the gradient of the original elements is the middle of g
_pad_op = unary("pad", _pad, lambda g, y, x, pad_width, value=0.0:
                getitem(g, index=tuple(slice(b, b + n) for (b, _), n in zip(pad_width, x.shape))))


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Any:
    """x surrounded by `value` (numpy's constant mode): pad_width is n, (before, after) or one pair per axis."""
    if not isinstance(value, (int, float, np.number)) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"pad: value must be a number, got {type(value).__name__}")
    dtype = x.dtype if isinstance(x, (Tensor, np.ndarray)) else np.asarray(x).dtype
    if dtype.kind != "f" and not (np.isfinite(value) and np.asarray(value).astype(dtype) == value):
        raise TypeError(f"pad: value {value!r} cannot be stored in a {dtype} tensor without changing it")
    return _pad_op(x, pad_width=_pad_pairs(pad_width, np.ndim(x)), value=value)


# --- flip, roll, tril, triu: each its own derivative's shape --------------------------------------

def _flip(x, axis=None):
    return np.flip(x, normalize_axis_tuple(axis, np.ndim(x), "flip"))


flip = unary("flip", _flip, lambda g, y, x, axis=None: flip(g, axis=axis))  # flipping back
flip.__doc__ = "x with the order of its elements reversed along `axis` (None: every axis)."


def _roll(x, shift, axis=None):
    shifts = _ints(shift, "roll", "shift")
    if axis is not None:
        axes = normalize_axis_tuple(axis, np.ndim(x), "roll")
        if len(shifts) != 1 and len(axes) != 1 and len(shifts) != len(axes):
            raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    elif len(shifts) != 1:
        raise ValueError(f"roll: a tuple of shifts {shift!r} needs a tuple of axes")
    return np.roll(x, shift, axis)


def _negated(shift: Any) -> Any:
    return -shift if _is_int(shift) else tuple(-s for s in shift)


roll = unary("roll", _roll, lambda g, y, x, shift, axis=None: roll(g, shift=_negated(shift), axis=axis))
roll.__doc__ = ("x shifted cyclically by `shift` along `axis` (None: over the flattened tensor); "
                "derivative: the opposite shift.")


def _triangle(name: str, np_fn: Any) -> Any:
    def forward(x, k=0):
        if np.ndim(x) < 2:
            raise ValueError(f"{name}: expected a tensor with at least 2 dimensions, got shape {np.shape(x)}")
        if not _is_int(k):
            raise TypeError(f"{name}: k must be an int, got {type(k).__name__} {k!r}")
        return np_fn(x, k)
    return forward


tril = unary("tril", _triangle("tril", np.tril), lambda g, y, x, k=0: tril(g, k=k))
triu = unary("triu", _triangle("triu", np.triu), lambda g, y, x, k=0: triu(g, k=k))
tril.__doc__ = "x with the elements above the k-th diagonal of its last two axes set to 0 (j > i + k)."
triu.__doc__ = "x with the elements below the k-th diagonal of its last two axes set to 0 (j < i + k)."


# --- repeat, tile, split, take_along_axis: compositions --------------------------------------------

def repeat(x: Any, repeats: Any, axis: Optional[int] = None) -> Any:
    """Each element repeated `repeats` times along `axis` (None: the flattened tensor), as np.repeat;
    `repeats` is an int or one count per element. The gradient sums the copies."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    shape = np.shape(x)
    axis = normalize_axis(axis, len(shape), "repeat")
    n = shape[axis]
    if _is_int(repeats):
        if repeats < 0:
            raise ValueError(f"repeat: repeats must be non-negative, got {repeats}")
        spread = shape[:axis + 1] + (1,) + shape[axis + 1:]  # a new axis after `axis`, stretched to `repeats`
        copies = broadcast_to(reshape(x, spread), shape[:axis + 1] + (int(repeats),) + shape[axis + 1:])
        return reshape(copies, shape[:axis] + (n * int(repeats),) + shape[axis + 1:])
    counts = _ints(repeats, "repeat", "repeats")
    if len(counts) not in (1, n):
        raise ValueError(f"repeat: {len(counts)} repeat counts for {n} elements along axis {axis}")
    if any(c < 0 for c in counts):
        raise ValueError(f"repeat: repeats must be non-negative, got {repeats!r}")
    picks = np.repeat(np.arange(n), counts)
    return getitem(x, index=(slice(None),) * axis + (picks,))


def tile(x: Any, reps: Any) -> Any:
    """x repeated as a block `reps` times along each axis, as np.tile (reps an int or one count per axis)."""
    reps = _ints(reps, "tile", "reps")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    shape = np.shape(x)
    d = max(len(reps), len(shape))
    shape = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + reps
    blocks = broadcast_to(reshape(x, tuple(v for n in shape for v in (1, n))),
                          tuple(v for r, n in zip(reps, shape) for v in (r, n)))
    return reshape(blocks, tuple(r * n for r, n in zip(reps, shape)))


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> List[Any]:
    """x cut along `axis` into a list of tensors, as np.split: an int N gives N equal parts, a sequence of
    indices gives the parts between them. Each part is a slice of x, so gradients flow back to x."""
    shape = np.shape(x)
    axis = normalize_axis(axis, len(shape), "split")
    n = shape[axis]
    if _is_int(indices_or_sections):
        parts = int(indices_or_sections)
        if parts <= 0:
            raise ValueError(f"split: the number of sections must be positive, got {parts}")
        if n % parts:
            raise ValueError(f"split: axis {axis} of size {n} does not divide into {parts} equal sections")
        bounds = [i * (n // parts) for i in range(parts + 1)]
    else:
        bounds = [0, *_ints(indices_or_sections, "split", "indices_or_sections"), n]
    lead = (slice(None),) * axis
    return [getitem(x, index=lead + (slice(lo, hi),)) for lo, hi in zip(bounds, bounds[1:])]


def take_along_axis(x: Any, indices: Any, axis: Optional[int]) -> Any:
    """out[..., i, ...] = x[..., indices[..., i, ...], ...] along `axis`, as np.take_along_axis (axis None:
    the flattened x with 1-d indices). Repeated indices accumulate their gradients."""
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take_along_axis: indices must be integers, got dtype {idx.dtype}")
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis: with axis=None the indices must be 1-d, got shape {idx.shape}")
        x, axis = reshape(x, (-1,)), 0
    shape = np.shape(x)
    axis = normalize_axis(axis, len(shape), "take_along_axis")
    if idx.ndim != len(shape):
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} need as many dimensions as x {shape}")
    others = [(a, b) for i, (a, b) in enumerate(zip(shape, idx.shape)) if i != axis]
    if any(a != b and 1 not in (a, b) for a, b in others):
        raise ValueError(f"take_along_axis: shapes {shape} and indices {idx.shape} do not broadcast "
                         f"outside axis {axis}")
    n = shape[axis]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.min() if idx.min() < -n else idx.max()
        raise IndexError(f"take_along_axis: index {bad} is out of range for axis {axis} of size {n}")
    index = tuple(idx if i == axis else np.arange(m).reshape((-1,) + (1,) * (len(shape) - 1 - i))
                  for i, m in enumerate(shape))
    return getitem(x, index=index)


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("reshape", reshape_to, "T M"), ("view", reshape_to, "T"), ("transpose", permute, "T M"),
    ("permute", permute, "T"), ("swapaxes", swapaxes, "T"), ("broadcast_to", broadcast_shape, "T"),
    ("expand", broadcast_shape, "T"), ("flatten", flatten, "T"), ("squeeze", squeeze, "T"),
    ("unsqueeze", unsqueeze, "T"), ("concatenate", concatenate, "M"), ("cat", concatenate, "M"),
    ("stack", stack, "M"),
    ("pad", pad, "M"), ("flip", flip, "T M"), ("roll", roll, "T M"), ("repeat", repeat, "M"), ("tile", tile, "T M"),
    ("tril", tril, "T M"), ("triu", triu, "T M"), ("split", split, "M"), ("take_along_axis", take_along_axis, "M"),
)
