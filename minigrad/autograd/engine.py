"""Reverse mode: the gradient as a function of the graph, computed by `backward()` and `grad()`.

`backward_order` sorts the recorded tensors so that each comes after all of its consumers; `_reverse`
walks that order once, running each op's rules on the tensor's now complete gradient and adding the
results into its inputs' gradients. All bookkeeping (the order, the partial sums) lives in that one
call: nothing is left on tensors, so concurrent backward calls over shared parameters cannot disturb
each other, and a backward that raises changes nothing. Hooks, retained gradients and grad()'s targets
are "taps" prepared before the loop; leaves receive their `.grad` after it, all at once, under a lock.
Plain backward runs the rules on ndarrays; `create_graph=True` runs them on Tensors with recording on,
so the gradients are differentiable again.
"""
from __future__ import annotations

import threading
from heapq import heapify, heappop, heappush
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from ..tensor import RETAIN, Tensor, _wrap, as_array
from . import graph as _graph
from .graph import RELEASED, check_unmodified, inputs_of
from .mode import state as _mode

_ndarray = np.ndarray
_leaf_lock = threading.Lock()  # serializes every write into a leaf's .grad


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


def backward_order(*roots: Tensor) -> list:
    """The recorded tensors reachable from `roots`, each after all of its consumers: the order in which
    backward runs their rules. Every consumer was recorded after its inputs (a later `_seq`), so taking
    the tensor with the latest `_seq` from a heap each time is a topological order. A tensor is pushed
    once per consumer, all before it is popped (its consumers come first), so its copies pop one after
    another and the repeats are skipped; the heap holds only the frontier, so memory stays flat."""
    order: list = []
    heap = [(-r._seq, r) for r in roots if r._op is not None]  # seqs are unique: tensors are never compared
    heapify(heap)
    last = None
    while heap:
        key, t = heappop(heap)
        if key == last:
            continue  # another consumer's push of the tensor just taken
        last = key
        order.append(t)
        for p in inputs_of(t):
            if isinstance(p, Tensor) and p._op is not None:
                heappush(heap, (-p._seq, p))
    return order


def _reverse(order: list, grads: dict, needed: Optional[set], taps: dict, create_graph: bool) -> None:
    """The reverse pass. `grads` maps tensors to their gradient sums so far (the roots' to start with) and
    ends holding the leaves'. `needed`: only tensors in it get gradients (grad()'s pruning; None: all)."""
    anomaly = _mode.anomaly
    for t in order:
        g = grads.pop(t, None)
        if g is None:
            continue  # no gradient reached it
        if taps and t in taps:
            g = taps[t](g)
        if t._seq < _graph.last_write:
            check_unmodified(t)
        if t._saved is RELEASED:
            raise RuntimeError(f"backward: trying to backward through the graph a second time (at '{t._op.name}'); "
                               "its saved values were released by the first backward. Pass retain_graph=True to "
                               "the first backward() if you need to do this.")
        inputs = inputs_of(t)
        for p, pg in zip(inputs, t._op.backward(t, g, inputs, needed, create_graph)):
            if pg is None:
                continue
            data = p._data
            if pg.shape != data.shape:
                pg = sum_to_shape(pg, data.shape)
            if pg.dtype != data.dtype:
                pg = pg.astype(data.dtype)
            prev = grads.get(p)
            grads[p] = pg if prev is None else prev + pg
            if anomaly:
                _check_finite(grads[p], t._op.name, inputs.index(p))


def _check_finite(g: Any, op_name: str, i: int) -> None:
    arr = g._data if isinstance(g, Tensor) else np.asarray(g)
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise RuntimeError(f"detect_anomaly: the backward of '{op_name}' produced {bad} "
                           f"in the gradient of its input {i}")


def _tap(t: Tensor, retained: dict, found: dict, targets: set, create_graph: bool) -> Callable[[Any], Any]:
    """What happens when `t`'s gradient is complete: its hooks run (each may replace it), and it is kept
    for retain_grad or as a grad() target."""
    def tap(g: Any) -> Any:
        for hook in t._hooks or ():
            if hook is RETAIN:
                if not targets:
                    retained[t] = g
            else:
                g = _run_hook(hook, t, g, create_graph)
        if t in targets:
            found[t] = g
        return g
    return tap


def _run_hook(hook: Callable, t: Tensor, g: Any, create_graph: bool) -> Any:
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


_NO_TARGETS: frozenset = frozenset()


def _compute(roots: Sequence[Tensor], root_grads: Sequence[Any], create_graph: bool,
             wanted: frozenset = _NO_TARGETS) -> tuple:
    """Run reverse mode from `roots` and return (order, leaf gradients, retained gradients, found): dicts from
    tensors to gradients; `found` holds the gradients of the tensors in `wanted` (grad()). Changes no tensor."""
    order = backward_order(*roots)
    needed = None
    retained: dict = {}
    found: dict = {}
    taps = {t: _tap(t, retained, found, wanted, create_graph) for t in order if t._hooks}
    if wanted:  # grad(): only tensors from which some target is reachable need a gradient
        needed = set(wanted)
        for t in reversed(order):
            if any(p in needed for p in inputs_of(t) if isinstance(p, Tensor)):
                needed.add(t)
        taps.update((t, _tap(t, retained, found, wanted, create_graph)) for t in wanted if t._op is not None)
    grads = dict(zip(roots, root_grads))
    if len(grads) < len(roots):  # a root given twice: its gradients add up
        grads = {}
        for r, g in zip(roots, root_grads):
            grads[r] = g if r not in grads else grads[r] + g
    prev_mode = _mode.grad_enabled
    _mode.grad_enabled = create_graph
    # Gradients that underflow to subnormals or 0 are harmless, so the rules run with underflow ignored
    # (numpy's default; set once per backward, not in every rule); under detect_anomaly the finiteness
    # check names the op, so numpy's warnings, which would pre-empt it, are silenced too.
    prev_err = None
    if _mode.anomaly:
        prev_err = np.seterr(under="ignore", divide="ignore", over="ignore", invalid="ignore")
    elif np.geterr()["under"] != "ignore":
        prev_err = np.seterr(under="ignore")
    try:
        _reverse(order, grads, needed, taps, create_graph)
        for leaf, g in grads.items():  # leaves' hooks, before any .grad changes (one may raise)
            if leaf._hooks:
                grads[leaf] = _tap(leaf, retained, found, wanted, create_graph)(g)
            elif leaf in wanted:
                found[leaf] = g
    finally:
        _mode.grad_enabled = prev_mode
        if prev_err is not None:
            np.seterr(**prev_err)
    return order, grads, retained, found


def _deliver(grads: dict, retained: dict, root_grads: Sequence[Any], create_graph: bool) -> None:
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
    with _leaf_lock:
        for leaf, g in grads.items():
            if leaf.requires_grad:
                _accumulate(leaf, g, owners[id(g)] == 1 and type(g) is _ndarray and g.base is None)
        for t, g in retained.items():
            _accumulate(t, g, False)  # g also flowed on to the inputs: the retained copy must be its own


def _accumulate(t: Tensor, g: Any, owned: bool) -> None:
    """Add `g` into `t.grad`; `owned` says the array may be kept as it is (else it is copied)."""
    if isinstance(g, Tensor):
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        t.grad = _wrap(g if owned else np.array(g, dtype=t._data.dtype))
    else:
        t.grad = _wrap(np.asarray(t.grad._data + g))


def _release(order: list) -> None:
    """After a backward without retain_graph: every node drops what its rules needed (its saved values;
    a custom Function's saved tensors live there too), and a second backward through it will say so."""
    for t in order:
        t._saved = RELEASED


def _as_grad(value: Any, like: Tensor, create_graph: bool, what: str) -> Any:
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


def backward(tensor: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Tensor.backward: accumulate gradients of `tensor` into every leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError("backward: the tensor does not require grad and has no grad_fn "
                           "(no input of its computation had requires_grad=True, or it was made under no_grad)")
    g = _as_grad(grad, tensor, create_graph, "backward")
    order, grads, retained, _ = _compute([tensor], [g], create_graph)
    _deliver(grads, retained, [g], create_graph)
    if not (retain_graph or create_graph):
        _release(order)


def grad(outputs: Union[Tensor, Sequence[Tensor]], inputs: Union[Tensor, Sequence[Tensor]],
         grad_outputs: Any = None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple; `.grad` is left untouched."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, _ndarray)):
        gouts = [grad_outputs] * len(outs) if len(outs) == 1 or grad_outputs is None else None
        if gouts is None:
            raise ValueError("grad: give one grad_output per output")
    else:
        gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: got {len(gouts)} grad_outputs for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor) or not o.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and has no grad_fn")
    root_grads = [_as_grad(g, o, create_graph, "grad") for g, o in zip(gouts, outs)]
    if retain_graph is None:
        retain_graph = create_graph
    order, _, _, found = _compute(outs, root_grads, create_graph, frozenset(ins))
    if not retain_graph:
        _release(order)
    result = []
    for i, t in enumerate(ins):
        g = found.get(t)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} was not used to compute the outputs; "
                                   "pass allow_unused=True to get None for it")
            result.append(None)
            continue
        if not isinstance(g, Tensor):
            g = _wrap(np.array(g, dtype=t.dtype))  # a copy: never alias the caller's arrays
        result.append(g)
    return tuple(result)


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
