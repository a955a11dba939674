"""What flows into and out of a backward pass, around the engine's loop (autograd.engine).

In: the upstream gradient checked against its output (`upstream`). Along the way: broadcasting undone,
in this one place (`sum_to_shape`); the hooks and retained gradients of a tensor whose gradient is
complete (`tap`); a finiteness check under detect_anomaly (`check_finite`). Out: the leaves' `.grad`,
all written after the pass succeeded, under one lock (`deliver`, `accumulate`). And one node's VJP on
its own, outside any pass (`node_vjp`, behind `GradFn.vjp`).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import RETAIN, Tensor, _wrap, as_array
from .graph import RELEASED, inputs_of
from .mode import state as _mode

_ndarray = np.ndarray
leaf_lock = threading.Lock()  # serializes every write into a leaf's .grad


def sum_to_shape(g: Any, shape: tuple) -> Any:
    """Undo broadcasting: sum `g` (ndarray or Tensor) over the axes that broadcasting added or stretched."""
    gshape = tuple(g.shape)
    shape = tuple(shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:  # a smaller gradient (a custom Function's): it broadcasts up to the input
        return g.broadcast_to(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)
    total = np.add.reduce if type(g) is _ndarray else Tensor.sum
    if gshape[lead:] == shape:  # only new leading axes (a bias): one reduction, already the right shape
        return total(g, axis=0 if lead == 1 else tuple(range(lead)))
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    g = total(g, axis=tuple(range(lead)) + stretched, keepdims=True)
    g = g.reshape(tuple(g.shape[lead:])) if lead else g
    if tuple(g.shape) != shape:  # size 1 where the input is not: constant along that axis, broadcast up
        g = g.broadcast_to(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)
    return g


def check_finite(g: Any, op_name: str, i: int) -> None:
    arr = g._data if isinstance(g, Tensor) else np.asarray(g)
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise RuntimeError(f"detect_anomaly: the backward of '{op_name}' produced {bad} "
                           f"in the gradient of its input {i}")


def tap(t: Tensor, retained: dict, found: dict, targets: set, create_graph: bool) -> Callable[[Any], Any]:
    """What happens when `t`'s gradient is complete: its hooks run (each may replace it), and it is kept
    for retain_grad or as a grad() target."""
    def on_complete(g: Any) -> Any:
        for hook in t._hooks or ():
            if hook is RETAIN:
                if not targets:
                    retained[t] = g
            else:
                g = run_hook(hook, t, g, create_graph)
        if t in targets:
            found[t] = g
        return g
    return on_complete


def run_hook(hook: Callable, t: Tensor, g: Any, create_graph: bool) -> Any:
    r = hook(g if isinstance(g, Tensor) else _wrap(g))
    if r is None:
        return g
    if isinstance(r, Tensor):
        r = r if create_graph else r._data
    else:
        r = as_array(r, dtype=t.dtype, copy=False)
    if tuple(r.shape) != t.shape:
        raise RuntimeError(f"hook: returned a gradient of shape {tuple(r.shape)} for a tensor of shape {t.shape}")
    return r


def upstream(value: Any, like: Tensor, create_graph: bool, what: str) -> Any:
    """An upstream gradient for `like`: ndarray for plain backward, Tensor for create_graph."""
    if value is None:
        if like._data.size != 1:
            raise RuntimeError(f"{what}: grad can be omitted only for a one-element output, but the output "
                               f"has shape {like.shape}; pass a gradient of that shape")
        arr = np.ones(like.shape, dtype=like.dtype)
        return _wrap(arr) if create_graph else arr
    if create_graph and isinstance(value, Tensor):
        g = value
    else:
        g = as_array(value, dtype=like.dtype, copy=False)
    if tuple(g.shape) != like.shape:
        raise ValueError(f"{what}: gradient has shape {tuple(g.shape)}, but the output has shape {like.shape}")
    if create_graph and not isinstance(g, Tensor):
        g = _wrap(g)
    return g


def deliver(grads: dict, retained: dict, root_grads: Sequence[Any], create_graph: bool) -> None:
    """Add each leaf's gradient (and each retained one) into `.grad`, all under one lock.

    A leaf may keep its gradient array without a copy only if nobody else can see it: not the
    caller's root gradient, not another leaf's (rules that pass g through hand one array to several
    inputs), not a view. All these arrays are alive here, so comparing ids is sound.
    """
    owners: dict = {id(g): 2 for g in root_grads}
    for g in grads.values():
        owners[id(g)] = owners.get(id(g), 0) + 1
    if _mode.anomaly:  # check every sum first: nothing is delivered if one of them is not finite
        with np.errstate(over="ignore", invalid="ignore"):
            for leaf, g in grads.items():
                if leaf.requires_grad and leaf.grad is not None:
                    total = leaf.grad._data + (g._data if isinstance(g, Tensor) else g)
                    if not np.all(np.isfinite(total)):
                        raise RuntimeError(f"detect_anomaly: adding this backward's gradient to the .grad of a leaf "
                                           f"of shape {leaf.shape} produced {'NaN' if np.isnan(total).any() else 'inf'}")
    with leaf_lock:
        for leaf, g in grads.items():
            if leaf.requires_grad:
                accumulate(leaf, g, owners[id(g)] == 1 and type(g) is _ndarray and g.base is None)
        for t, g in retained.items():
            accumulate(t, g, False)  # g also flowed on to the inputs: the retained copy must be its own


def accumulate(t: Tensor, g: Any, owned: bool) -> None:
    """Add `g` into `t.grad`; `owned` says the array may be kept as it is (else it is copied)."""
    if isinstance(g, Tensor):
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        t.grad = _wrap(g if owned else np.array(g, dtype=t._data.dtype))
    else:
        t.grad = _wrap(np.asarray(t.grad._data + g))


def node_vjp(t: Tensor, grad: Any) -> tuple:
    """The gradients that the op which made `t` sends to each of its inputs, given `grad` for `t`:
    ndarrays summed to each input's shape, None for inputs that get no gradient. Nothing is recorded."""
    if t._op is None:
        return ()
    if t._saved is RELEASED:
        raise RuntimeError(f"vjp: the values '{t._op.name}' needs were released by a backward() without "
                           "retain_graph=True; call backward(retain_graph=True) to keep them")
    g = as_array(grad, dtype=t.dtype, copy=False)
    if g.shape != t.shape:
        raise ValueError(f"vjp: gradient has shape {g.shape}, but the output of '{t._op.name}' has shape {t.shape}")
    inputs = inputs_of(t)
    prev_mode, _mode.grad_enabled = _mode.grad_enabled, False
    try:
        with np.errstate(under="ignore"):
            grads = t._op.backward(t, g, inputs, None, False)
    finally:
        _mode.grad_enabled = prev_mode
    return tuple(None if pg is None else np.asarray(sum_to_shape(pg, p.shape), dtype=p.dtype)
                 for pg, p in zip(grads, inputs))
