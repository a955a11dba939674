"""Tensor: an ndarray, its gradient, and the op that made it. Operators call the ops in `minigrad.ops`."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import numpy as np

from .autograd import mode as _mode

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


def as_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Convert user data to an ndarray with minigrad's dtype rules (Python floats -> default dtype)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        # copy=False means "share when possible": asarray still casts (numpy 2's copy=False would refuse)
        return np.array(data, dtype=dtype) if copy else np.asarray(data, dtype=dtype)
    arr = np.array(data, dtype=dtype)
    if dtype is None and arr.dtype == np.float64:
        arr = arr.astype(_default_dtype)
    elif dtype is None and arr.dtype.kind == "O":
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} holding objects")
    return arr


def _check_float(dtype: np.dtype, where: str = "requires_grad") -> None:
    if dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"{where}: only float tensors can require grad, got dtype {dtype}")


class Tensor:
    """An n-d array that records the operations applied to it so that gradients can flow back.

    `data` is the ndarray; `grad` the accumulated gradient (a Tensor) after `backward()`.
    A tensor made by a recorded op keeps the op (`_op`), its inputs and the op's non-tensor arguments
    (`_attrs`); the graph is those links, with no back-references, so reference counting alone frees
    it. The inputs sit in two slots, not a tuple (`_in0`, and `_in1` or NO_INPUT; `_in0` holds a
    tuple and `_in1` MANY_INPUTS only past two inputs): one object per op for the cyclic garbage
    collector to walk instead of two, which keeps its cost per op flat as graphs grow. During a backward, a recorded tensor's `_pending` counts the
    consumers whose gradients it still awaits and `_upstream` sums them (None outside a backward).
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_op", "_in0", "_in1", "_attrs", "_saved",
                 "_hooks", "_retain", "_pending", "_upstream")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Tensor -> Tensor

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 name: Optional[str] = None) -> None:
        arr = as_array(data, dtype)
        if requires_grad:
            _check_float(arr.dtype, "tensor")
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op = None
        self._attrs = None
        self._saved = None
        self._hooks = None
        self._retain = False
        self._pending = None
        self._upstream = None

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created, or made under no_grad)."""
        return self._op is None

    @property
    def grad_fn(self) -> Optional["Node"]:
        """The recorded op that made this tensor (a `Node` view), or None for leaves."""
        return None if self._op is None else Node(self)

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    # ----------------------------------------------------------------- autograd
    def backward(self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) * grad into `.grad` of every leaf that requires grad."""
        _engine.backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        return _wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set requires_grad in place (leaves only) and return self."""
        if requires_grad:
            _check_float(self.data.dtype, "requires_grad_")
        elif self._op is not None:
            raise RuntimeError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        self._retain = True

    def register_hook(self, fn: Callable[["Tensor"], Optional["Tensor"]]) -> "HookHandle":
        """Call fn(grad) when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return HookHandle(self._hooks, fn)

    # ----------------------------------------------------------------- conversion
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python scalar, "
                             f"got shape {self.data.shape} ({self.data.size} elements)")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator["Tensor"]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __setitem__(self, index: Any, value: Any) -> None:
        """Assign into `data` in place, where no graph can see it: on tensors that do not require grad,
        or on leaves under `no_grad()` (initialisation, manual updates)."""
        if self._op is not None or (self.requires_grad and _mode.state.grad_enabled):
            raise RuntimeError("setitem: in-place assignment to a tensor that requires grad (or was made by a "
                               "recorded op) would corrupt its gradients; assign under minigrad.no_grad() to a "
                               "leaf, or build a new tensor with where() or concatenate()")
        self.data[_ops.normalize_index(index)] = value.data if isinstance(value, Tensor) else value

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.data.shape} is ambiguous")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got dtype {self.data.dtype}")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", threshold=200)
        extras = []
        if self.data.dtype != _default_dtype and self.data.dtype.kind == "f" or self.data.size == 0:
            extras.append(f"dtype={self.data.dtype}")
        if self._op is not None:
            extras.append(f"grad_fn=<{self._op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ----------------------------------------------------------------- methods defined in ops
    # (bound at the bottom of this file: every operator is one op call)

    def astype(self, dtype: Any) -> "Tensor":
        """Cast to `dtype`; differentiable between float dtypes."""
        return _ops.astype(self, dtype=np.dtype(dtype))

    def float(self) -> "Tensor":
        return self.astype(_default_dtype)

    def double(self) -> "Tensor":
        return self.astype(np.float64)

    def reshape(self, *shape: Any) -> "Tensor":
        return _ops.reshape(self, shape=_shape_arg(shape))

    def view(self, *shape: Any) -> "Tensor":
        return _ops.reshape(self, shape=_shape_arg(shape))

    def transpose(self, *axes: Any) -> "Tensor":
        return _ops.transpose(self, axes=_shape_arg(axes) if axes else None)

    def permute(self, *axes: Any) -> "Tensor":
        return _ops.transpose(self, axes=_shape_arg(axes))

    def swapaxes(self, axis1: int, axis2: int) -> "Tensor":
        return _ops.swapaxes(self, axis1, axis2)

    def broadcast_to(self, *shape: Any) -> "Tensor":
        return _ops.broadcast_to(self, shape=_shape_arg(shape))

    def expand(self, *shape: Any) -> "Tensor":
        return _ops.broadcast_to(self, shape=_shape_arg(shape))

    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.min(self, axis=axis, keepdims=keepdims)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _ops.logsumexp(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> "Tensor":
        return _ops.var(self, axis, keepdims, ddof)

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> "Tensor":
        return _ops.std(self, axis, keepdims, ddof)

    def argmax(self, axis: Optional[int] = None) -> "Tensor":
        return _ops.argmax(self, axis=axis)

    def argmin(self, axis: Optional[int] = None) -> "Tensor":
        return _ops.argmin(self, axis=axis)

    def flatten(self) -> "Tensor":
        return _ops.reshape(self, shape=(-1,))

    def squeeze(self, axis: Any = None) -> "Tensor":
        return _ops.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> "Tensor":
        return _ops.unsqueeze(self, axis)

    def clip(self, min: Any = None, max: Any = None) -> "Tensor":
        return _ops.clip(self, min=min, max=max)

    clamp = clip


class HookHandle:
    """Returned by register_hook; `remove()` unregisters the hook."""

    __slots__ = ("_hooks", "_fn")

    def __init__(self, hooks: list, fn: Callable) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Node:
    """A read-only view of the op that made a tensor: `name`, `inputs` (tensors or constants), `attrs`."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self._tensor = tensor

    @property
    def name(self) -> str:
        return self._tensor._op.name

    @property
    def inputs(self) -> tuple:
        """The op's positional inputs: Tensors, or constants (numbers, arrays) that get no gradient."""
        return inputs_of(self._tensor)

    @property
    def attrs(self) -> dict:
        """The op's non-tensor arguments (axis, keepdims, slope, ...)."""
        attrs = self._tensor._attrs
        return dict(attrs) if attrs else {}

    @property
    def output(self) -> Tensor:
        return self._tensor

    def vjp(self, grad: Any) -> tuple:
        """Run this node's derivative rules once on `grad` (the gradient of its output): one gradient
        per input, summed to that input's shape (an ndarray), or None where the input gets none."""
        return _engine.node_vjp(self._tensor, grad)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other._tensor is self._tensor

    def __hash__(self) -> int:
        return id(self._tensor)

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _shape_arg(shape: tuple) -> tuple:
    """Accept shape as f(2, 3) or f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


_new = object.__new__


def _wrap(data: np.ndarray) -> Tensor:
    """Fast constructor for a leaf that does not require grad (no conversion, no copy)."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = False
    t.name = None
    t._op = None
    t._attrs = None
    t._saved = None
    t._hooks = None
    t._retain = False
    t._pending = None
    t._upstream = None
    return t


def _record(data: np.ndarray, op: Any, in0: Any, in1: Any, attrs: Optional[dict], saved: Any = None) -> Tensor:
    """Fast constructor for the output of a recorded op with inputs `in0` and `in1` (see `inputs_of`)."""
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = True
    t.name = None
    t._op = op
    t._in0 = in0
    t._in1 = in1
    t._attrs = attrs
    t._saved = saved
    t._hooks = None
    t._retain = False
    t._pending = None
    t._upstream = None
    return t


class _Marker:
    """A named sentinel (not gc-tracked, like every object without references)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NO_INPUT = _Marker("NO_INPUT")  # _in1 of a one-input op
MANY_INPUTS = _Marker("MANY_INPUTS")  # _in1 of an op whose _in0 is the tuple of its 3+ inputs


def record_inputs(data: np.ndarray, op: Any, inputs: tuple, attrs: Optional[dict], saved: Any = None) -> Tensor:
    """`_record` for any number of inputs."""
    if len(inputs) == 1:
        return _record(data, op, inputs[0], NO_INPUT, attrs, saved)
    if len(inputs) == 2:
        return _record(data, op, inputs[0], inputs[1], attrs, saved)
    return _record(data, op, tuple(inputs), MANY_INPUTS, attrs, saved)


def inputs_of(t: Tensor) -> tuple:
    """The positional inputs of the op that made `t` (Tensors or constants); () for leaves."""
    if t._op is None:
        return ()
    b = t._in1
    if b is NO_INPUT:
        return (t._in0,)
    return t._in0 if b is MANY_INPUTS else (t._in0, b)


from . import ops as _ops  # noqa: E402  (ops need the Tensor class defined above)

_ops.bind_tensor_methods(Tensor)

from .autograd import engine as _engine  # noqa: E402  (the engine, too, builds on Tensor)
