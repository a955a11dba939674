"""Reverse mode: the gradient as a function of the graph, computed by `backward()` and `grad()`.

`backward_order` sorts the recorded tensors so that each comes after all of its consumers; `_reverse`
walks that order once, running each op's rules on the tensor's now complete gradient and adding the
results into its inputs' gradients. All bookkeeping (the order, the partial sums) lives in that one
call: nothing is left on tensors, so concurrent backward calls over shared parameters cannot disturb
each other, and a backward that raises changes nothing. Hooks, retained gradients and grad()'s targets
are "taps" prepared before the loop; leaves receive their `.grad` after it, all at once, under a lock.
Plain backward runs the rules on ndarrays; `create_graph=True` runs them on Tensors with recording on,
so the gradients are differentiable again. What flows in and out around the loop (the upstream
gradient, broadcasting undone, hooks, delivery into `.grad`) is in autograd.gradients.
"""
from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Any, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor, _wrap
from . import graph as _graph
from .gradients import check_finite, deliver, sum_to_shape, tap, upstream
from .graph import RELEASED, check_unmodified, inputs_of
from .mode import state as _mode


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
                check_finite(grads[p], t._op.name, inputs.index(p))


_NO_TARGETS: frozenset = frozenset()


def _compute(roots: Sequence[Tensor], root_grads: Sequence[Any], create_graph: bool,
             wanted: frozenset = _NO_TARGETS) -> tuple:
    """Run reverse mode from `roots` and return (order, leaf gradients, retained gradients, found): dicts from
    tensors to gradients; `found` holds the gradients of the tensors in `wanted` (grad()). Changes no tensor."""
    order = backward_order(*roots)
    needed = None
    retained: dict = {}
    found: dict = {}
    taps = {t: tap(t, retained, found, wanted, create_graph) for t in order if t._hooks}
    if wanted:  # grad(): only tensors from which some target is reachable need a gradient
        needed = set(wanted)
        for t in reversed(order):
            if any(p in needed for p in inputs_of(t) if isinstance(p, Tensor)):
                needed.add(t)
        taps.update((t, tap(t, retained, found, wanted, create_graph)) for t in wanted if t._op is not None)
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
                grads[leaf] = tap(leaf, retained, found, wanted, create_graph)(g)
            elif leaf in wanted:
                found[leaf] = g
    finally:
        _mode.grad_enabled = prev_mode
        if prev_err is not None:
            np.seterr(**prev_err)
    return order, grads, retained, found


def _release(order: list) -> None:
    """After a backward without retain_graph: every node drops what its rules needed (its saved values;
    a custom Function's saved tensors live there too), and a second backward through it will say so."""
    for t in order:
        t._saved = RELEASED


def backward(tensor: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Tensor.backward: accumulate gradients of `tensor` into every leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError("backward: the tensor does not require grad and has no grad_fn "
                           "(no input of its computation had requires_grad=True, or it was made under no_grad)")
    g = upstream(grad, tensor, create_graph, "backward")
    order, grads, retained, _ = _compute([tensor], [g], create_graph)
    deliver(grads, retained, [g], create_graph)
    if not (retain_graph or create_graph):
        _release(order)


def grad(outputs: Union[Tensor, Sequence[Tensor]], inputs: Union[Tensor, Sequence[Tensor]],
         grad_outputs: Any = None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple; `.grad` is left untouched."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
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
    root_grads = [upstream(g, o, create_graph, "grad") for g, o in zip(gouts, outs)]
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
