"""In-place updates: `add_ sub_ mul_ div_ pow_ clamp_ zero_ fill_ copy_` and `+= -= *= /=`.

They write into the tensor's own array (the same object, the same ndarray) and bump its version, so
`with no_grad(): p -= lr * p.grad` updates a model. With grad mode on, a leaf that requires grad may
not be modified: its gradient would belong to a value that no longer exists (RuntimeError, as
PyTorch). Anything else that a graph can see is modified *and recorded*, as PyTorch does: the tensor
takes the new op as its grad_fn, and its previous value lives on as that op's input. Values that a
recorded op still needs and that were overwritten are caught at backward (`graph.check_unmodified`).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import graph as _graph
from ..autograd.function import primitive, zero_derivative
from ..autograd.mode import state as _mode
from ..tensor import Tensor, _wrap, written
from .elementwise import add, clip, div, mul, pow, sub


def _fill(x, value):
    return np.full_like(x, value)


def _copy_from(x, src):
    try:
        return np.broadcast_to(src, np.shape(x)).astype(np.result_type(x), copy=True)
    except ValueError:
        raise ValueError(f"copy_: source of shape {np.shape(src)} does not broadcast to the tensor's "
                         f"shape {np.shape(x)}") from None


# What a recorded in-place op computes from the previous value: filling forgets it (zero derivative),
# copying takes the source's values (the source's gradient is g, summed back to its shape).
fill = primitive("fill", _fill, zero_derivative)
copy_from = primitive("copy", _copy_from, zero_derivative, lambda g, y, x, src: g)


def _inplace(name: str, op: Callable, forgets: bool = False) -> Callable:
    """The in-place method `name` (e.g. add_) of the out-of-place op `op`; `forgets`: the result does not
    depend on the previous value (fill_, copy_), so the graph that made it is not kept."""
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        others = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
        if _mode.grad_enabled and (self.requires_grad or any(o.requires_grad for o in others)):
            return _recorded(self, name, op, args, kwargs, forgets)
        if not self._data.flags.writeable:
            raise ValueError(f"{name}: the tensor's data is read-only (a broadcast or shared view); "
                             "modify a copy (clone()) instead")
        plain = [a._data if isinstance(a, Tensor) else a for a in args]
        result = op(self._data, *plain, **{k: v._data if isinstance(v, Tensor) else v for k, v in kwargs.items()})
        _store(self, result, name)
        written(self)
        return self

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: self = {op.__name__}(self, ...); returns self (the same tensor)."
    return method


def _store(t: Tensor, result: Any, name: str) -> None:
    """Write `result` into `t`'s array: same shape, a dtype that casts safely."""
    result = np.asarray(result)
    if result.shape != t._data.shape:
        raise ValueError(f"{name}: the result has shape {result.shape}, but the tensor being modified in place has "
                         f"shape {t._data.shape} (in-place results cannot broadcast the tensor itself)")
    if not np.can_cast(result.dtype, t._data.dtype, casting="same_kind"):
        raise TypeError(f"{name}: the result's dtype {result.dtype} cannot be stored in the tensor's dtype "
                        f"{t._data.dtype} in place; convert first (e.g. t = t.float())")
    np.copyto(t._data, result, casting="same_kind")


def _recorded(t: Tensor, name: str, op: Callable, args: tuple, kwargs: dict, forgets: bool) -> Tensor:
    """An in-place op that a graph can see: compute it from a copy of the previous value (which takes
    over `t`'s place in the graph), write the result into `t`, and make `t` the output of the new op."""
    if t._op is None and t.requires_grad:
        raise RuntimeError(f"{name}: a leaf tensor that requires grad cannot be modified in place while grad mode "
                           "is on (its gradient would belong to a value that no longer exists); do the update "
                           "under `with minigrad.no_grad():`, or use the out-of-place op")
    previous = _wrap(t._data.copy())
    if t._op is not None and not forgets:  # `previous` becomes the node that made t: same op, same inputs
        previous.requires_grad = True
        _graph.move_node(previous, t)
    result = op(previous, *args, **kwargs)
    _store(t, result._data, name)
    written(t)
    if result._op is None:  # nothing recorded (the value no longer depends on the graph): t is a constant now
        t._op = None
        t.requires_grad = False
        return t
    t.requires_grad = True
    _graph.move_node(t, result)
    t._seq = next(_graph.clock)  # recorded now, after its own write
    return t


def _clamp(x: Any, min: Any = None, max: Any = None) -> Any:
    return clip(x, min, max)


def _fill_value(x: Any, value: Any) -> Any:
    return fill(x, value=value)


add_ = _inplace("add_", add)
sub_ = _inplace("sub_", sub)
mul_ = _inplace("mul_", mul)
div_ = _inplace("div_", div)
pow_ = _inplace("pow_", pow)
clamp_ = _inplace("clamp_", _clamp)
fill_ = _inplace("fill_", _fill_value, forgets=True)
copy_ = _inplace("copy_", copy_from, forgets=True)


def zero_(t: Tensor) -> Tensor:
    """In place: every element 0; returns self."""
    return fill_(t, 0)


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("add_", add_, "T"), ("sub_", sub_, "T"), ("mul_", mul_, "T"), ("div_", div_, "T"), ("pow_", pow_, "T"),
    ("clamp_", clamp_, "T"), ("clip_", clamp_, "T"), ("zero_", zero_, "T"), ("fill_", fill_, "T"),
    ("copy_", copy_, "T"), ("__iadd__", add_, "T"), ("__isub__", sub_, "T"), ("__imul__", mul_, "T"),
    ("__itruediv__", div_, "T"),
)
