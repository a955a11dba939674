"""Tensor: an ndarray, its gradient, and the op that made it. Operators call the ops in `minigrad.ops`."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import numpy as np

from . import arguments as _arguments
from . import interop as _interop
from .autograd import graph as _graph
from .autograd import mode as _mode
from .autograd.graph import NodeSlots, grad_fn as _grad_fn

_FLOAT_KINDS = "f"
_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype of tensors made from Python floats and of new parameters."""
    global _default_dtype
    dt = np.dtype(dtype)
    if dt.kind not in _FLOAT_KINDS:
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """The float dtype of tensors made from Python floats (float32 unless set)."""
    return _default_dtype


def as_array(data: Any, dtype: Any = None, copy: bool = True, op: Optional[str] = None) -> np.ndarray:
    """Convert user data to an ndarray with minigrad's dtype rules (Python floats -> default dtype).

    Only numbers make a tensor: strings, None, objects, complex numbers and ragged lists raise (a
    TypeError or ValueError naming `op`), and the data is checked before any cast, so
    `tensor([None, 1.0], dtype="float32")` is an error, not a NaN. A list holding tensors that require
    grad raises too: converting it would drop their graph (`stack` keeps it). An ndarray's dtype is
    checked when `op` is given: "" checks without naming (an operand's error is named by its op's
    recording); None leaves it to the caller (the data loader words its own errors)."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None and not (isinstance(dtype, np.dtype) and dtype.kind in _arguments.NUMERIC_KINDS):
        dtype = _arguments.dtype(dtype, op or "tensor")
    if isinstance(data, (np.ndarray, np.generic)):
        if op is not None and data.dtype.kind not in _arguments.NUMERIC_KINDS:
            raise TypeError(_not_numbers(data, op))
        # copy=False means "share when possible": asarray still casts (numpy 2's copy=False would refuse)
        return np.array(data, dtype=dtype) if copy else np.asarray(data, dtype=dtype)
    if isinstance(data, (list, tuple)) and _holds_graph_tensor(data):
        raise TypeError(f"{op + ': ' if op else ''}the list holds tensors that require grad, and making one tensor of "
                        "them would cut them from the graph; use minigrad.stack(tensors) (or concatenate) instead")
    try:
        arr = np.array(data)  # no dtype yet: see what the data holds before anything is cast
    except ValueError:
        raise ValueError(f"{op + ': ' if op else ''}nested sequences of different lengths (a ragged list) "
                         "cannot make one tensor") from None
    if arr.dtype.kind not in _arguments.NUMERIC_KINDS:
        raise TypeError(_not_numbers(data, op))
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    return arr.astype(_default_dtype) if arr.dtype == np.float64 else arr


def _not_numbers(data: Any, op: Optional[str]) -> str:
    if isinstance(data, (np.ndarray, np.generic)):
        what = f"an array of dtype {data.dtype}"
    elif isinstance(data, (list, tuple)):
        what = f"a {type(data).__name__} holding {_kinds(data)}"
    else:
        what = _arguments._what(data)
    return f"{op + ': ' if op else ''}expected numbers (bool, int or float), got {what}"


def _kinds(data: Any) -> str:
    """The types of the leaves of a nested list, for an error message."""
    seen, stack = [], [data]
    while stack and len(seen) < 4:
        for e in stack.pop():
            if isinstance(e, (list, tuple)):
                stack.append(e)
            elif type(e).__name__ not in seen:
                seen.append(type(e).__name__)
    return ", ".join(seen)


_PLAIN = {int, float, bool}


def _holds_graph_tensor(seq: Any) -> bool:
    """Whether a (nested) list or tuple holds a Tensor that requires grad."""
    if set(map(type, seq)) <= _PLAIN:  # the common case, one pass in C
        return False
    for e in seq:
        if isinstance(e, Tensor):
            if e.requires_grad:
                return True
        elif isinstance(e, (list, tuple)) and _holds_graph_tensor(e):
            return True
    return False


def _check_float(dtype: np.dtype, where: str = "requires_grad") -> None:
    if dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"{where}: only float tensors can require grad, got dtype {dtype}")


class Tensor(NodeSlots):
    """An n-d array that records the operations applied to it so that gradients can flow back.

    `data` is the ndarray; `grad` the accumulated gradient (a Tensor) after `backward()`; `_version`
    counts in-place writes. A tensor made by a recorded op also fills the node slots it inherits from
    `autograd.graph.NodeSlots` (the op, its inputs and arguments); a leaf leaves them empty.
    """

    __slots__ = ("_data", "grad", "requires_grad", "name", "_version", "_hooks")

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 name: Optional[str] = None) -> None:
        arr = as_array(data, dtype, op="tensor")
        if requires_grad:
            _check_float(arr.dtype, "tensor")
        self._data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._version = 0
        self._hooks = None
        self._op = None

    # ----------------------------------------------------------------- attributes
    @property
    def data(self) -> np.ndarray:
        """The values, an ndarray (shared, not copied). Assigning a new array counts as an in-place write."""
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        arr = value._data if isinstance(value, Tensor) else value
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"data: expected an ndarray, got {type(value).__name__}")
        self._data = arr
        written(self)

    @property
    def version(self) -> int:
        """How many in-place writes this tensor has had (PyTorch's `_version`)."""
        return self._version

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> "SizeInt":
        """The number of elements (numpy's `size`); also callable as PyTorch's `size(dim=None)`."""
        return SizeInt(self._data.size, self._data.shape)

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def dim(self) -> int:
        """The number of dimensions (PyTorch's name for ndim)."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created, or made under no_grad)."""
        return self._op is None

    @property
    def grad_fn(self) -> Optional[_graph.GradFn]:
        """The recorded op that made this tensor (a read-only view), or None for leaves."""
        return _grad_fn(self)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    # ----------------------------------------------------------------- autograd
    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) * grad into `.grad` of every leaf that requires grad."""
        _engine.backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        return _wrap(self._data)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set requires_grad in place (leaves only) and return self."""
        if requires_grad:
            _check_float(self._data.dtype, "requires_grad_")
        elif self._op is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self._op is not None and RETAIN not in (self._hooks or ()):
            self._hooks = (self._hooks or []) + [RETAIN]

    def register_hook(self, fn: Callable[["Tensor"], Optional["Tensor"]]) -> "HookHandle":
        """Call fn(grad) when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        if not callable(fn):
            raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__}")
        self._hooks = (self._hooks or []) + [fn]
        return HookHandle(self, fn)

    # ----------------------------------------------------------------- conversion
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python scalar, "
                             f"got shape {self._data.shape} ({self._data.size} elements)")
        return self._data.item()

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __dlpack__(self, **kwargs: Any) -> Any:
        """DLPack export of the data, zero-copy (`torch.from_dlpack(t)`, `np.from_dlpack(t)`)."""
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple:
        return self._data.__dlpack_device__()

    # ----------------------------------------------------------------- numpy's functions on tensors
    # np.exp(t), np.sum(t, axis=0), np.concatenate([a, t]) and ndarray ⊕ t run minigrad's op of the same
    # meaning (recorded, a Tensor out); any other numpy function raises TypeError (see minigrad/interop.py).
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        return _interop.array_function(func, args, kwargs)
    # ----------------------------------------------------------------- (end of numpy's functions on tensors)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self) -> Iterator["Tensor"]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __setitem__(self, index: Any, value: Any) -> None:
        """Assign into `data` in place, where no graph can see it: on tensors that do not require grad,
        or on leaves under `no_grad()` (initialisation, manual updates)."""
        if self._op is not None or (self.requires_grad and _mode.state.grad_enabled):
            raise RuntimeError("setitem: in-place assignment to a tensor that requires grad (or was made by a "
                               "recorded op) would corrupt its gradients; assign under minigrad.no_grad() to a "
                               "leaf, or build a new tensor with where() or concatenate()")
        self._data[_ops.normalize_index(index)] = value._data if isinstance(value, Tensor) else value
        written(self)

    def __format__(self, spec: str) -> str:
        """`f"{t:.3f}"` formats a one-element tensor's value; an empty spec gives repr()."""
        if not spec:
            return repr(self)
        if self._data.size != 1:
            raise TypeError(f"format: only a one-element tensor can be formatted with {spec!r}, got shape "
                            f"{self._data.shape}; format t.item() or t.tolist()")
        return format(self._data.item(), spec)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self._data.shape} is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self._data.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", threshold=200)
        extras = []
        if self._data.dtype != _default_dtype and self._data.dtype.kind == "f" or self._data.size == 0:
            extras.append(f"dtype={self._data.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn=<{self._op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # Operators and op methods (exp, sum, reshape, ...) are bound from the ops' public tables at the
    # bottom of this file: each is exactly one op, defined once in minigrad.ops.


class SizeInt(int):
    """An element count that is also callable as PyTorch's `size()`: `t.size` == 6, `t.size()` == (2, 3),
    `t.size(1)` == 3."""

    def __new__(cls, n: int, shape: tuple) -> "SizeInt":
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    def __call__(self, dim: Optional[int] = None) -> Any:
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(f"size: dim {dim} is out of range for a tensor with {len(self.shape)} dimensions")
        return self.shape[dim]


def written(*tensors: Tensor) -> None:
    """After in-place writes into these tensors' arrays (in-place ops, optimizer steps, setitem, `.data`):
    each version counter is bumped (PyTorch's `_version`) and the buffers are stamped with one tick, so a
    graph that read the old values raises at backward (autograd.graph)."""
    for t in tensors:
        t._version += 1
    _graph.note_writes([t._data for t in tensors])


RETAIN = _graph._Marker("RETAIN")  # in `_hooks`: keep this non-leaf's gradient in `.grad` (retain_grad)


class HookHandle:
    """Returned by register_hook; `remove()` unregisters the hook."""

    __slots__ = ("_tensor", "_fn")

    def __init__(self, tensor: Tensor, fn: Callable) -> None:
        self._tensor, self._fn = tensor, fn

    def remove(self) -> None:
        hooks = self._tensor._hooks
        if hooks and self._fn in hooks:
            hooks = [h for h in hooks if h is not self._fn]
            self._tensor._hooks = hooks or None


def _shape_arg(shape: tuple) -> tuple:
    """Accept shape as f(2, 3) or f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


_new = object.__new__
_tick = _graph.clock.__next__  # a recorded node's place on the one clock (see autograd.graph)


def _wrap(data: np.ndarray) -> Tensor:
    """Fast constructor for a leaf that does not require grad (no conversion, no copy)."""
    t = _new(Tensor)
    t._data = data
    t.grad = None
    t.requires_grad = False
    t.name = None
    t._version = 0
    t._hooks = None
    t._op = None
    return t


def _record(data: np.ndarray, op: Any, in0: Any, in1: Any, attrs: Optional[dict], saved: Any = None) -> Tensor:
    """Fast constructor for the output of a recorded op (inputs encoded as `graph.NodeSlots` describes)."""
    t = _new(Tensor)
    t._data = data
    t.grad = None
    t.requires_grad = True
    t.name = None
    t._version = 0
    t._hooks = None
    t._op = op
    t._in0 = in0
    t._in1 = in1
    t._attrs = attrs
    t._saved = saved
    t._seq = _tick()
    return t


from . import ops as _ops  # noqa: E402  (ops need the Tensor class defined above)

_ops.bind_tensor_methods(Tensor)

from .autograd import engine as _engine  # noqa: E402  (the engine, too, builds on Tensor)
