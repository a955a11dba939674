"""Reverse-mode differentiation: `backward()` and `grad()` over an iterative topological order.

One loop serves both: visit every recorded tensor after all of its consumers, call its op's rules
once, sum the results back to each input's shape, and accumulate. Plain backward runs the rules on
ndarrays; `create_graph=True` runs them on Tensors with recording on, so gradients are
differentiable again.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor, _wrap, as_array
from .mode import state as _mode

_ndarray = np.ndarray
_RELEASED = object()  # marks a tensor whose op has run its backward without retain_graph


def sum_to_shape(g: Any, shape: tuple) -> Any:
    """Undo broadcasting: sum `g` (ndarray or Tensor) over the axes that broadcasting added or stretched."""
    shape = tuple(shape)
    gshape = tuple(g.shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:  # a rule returned a smaller gradient: it broadcasts up to the input
        return g.broadcast_to(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if not stretched:  # only new leading axes (a bias): one reduction, already the right shape
        return g.sum(axis=tuple(range(lead)))
    g = g.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return g.reshape(shape) if lead else g


def consumer_counts(roots: Sequence[Tensor]) -> dict:
    """For every recorded tensor reachable from `roots`: how many recorded tensors consume it.

    Backward visits a tensor once all its consumers are done (Kahn's algorithm), so this count is
    the whole topological sort: one iterative pass, no recursion, linear in the graph's size.
    Roots are seeded first (count 0), so a root that another root consumes is expanded only once.
    """
    counts: dict = {}
    stack = []
    for r in roots:
        if r._op is not None and id(r) not in counts:
            counts[id(r)] = 0
            stack.append(r)
    while stack:
        for p in stack.pop()._parents:
            if isinstance(p, Tensor) and p._op is not None:
                k = id(p)
                if k in counts:
                    counts[k] += 1
                else:
                    counts[k] = 1
                    stack.append(p)
    return counts


def _ready_roots(roots: Sequence[Tensor], counts: dict) -> list:
    """The distinct recorded roots that no other root consumes: where the walk starts."""
    return list({id(r): r for r in roots if r._op is not None and counts[id(r)] == 0}.values())


def topological_order(roots: Sequence[Tensor]) -> list:
    """Recorded tensors reachable from `roots`, each before the tensors it was computed from."""
    counts = consumer_counts(roots)
    ready = _ready_roots(roots, counts)
    order = []
    while ready:
        t = ready.pop()
        order.append(t)
        for p in t._parents:
            if isinstance(p, Tensor) and p._op is not None:
                k = id(p)
                counts[k] -= 1
                if not counts[k]:
                    ready.append(p)
    return order


def _as_grad(value: Any, like: Tensor, create_graph: bool, what: str) -> Any:
    """An upstream gradient for `like`: ndarray for plain backward, Tensor for create_graph."""
    if value is None:
        if like.data.size != 1:
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


def _run_hooks(t: Tensor, g: Any, create_graph: bool) -> Any:
    for hook in t._hooks:
        r = hook(g if isinstance(g, Tensor) else _wrap(g))
        if r is not None:
            if isinstance(r, Tensor):
                r = r if create_graph else r.data
            else:
                r = as_array(r, dtype=t.dtype, copy=False)
            if tuple(r.shape) != t.shape:
                raise RuntimeError(f"hook: returned a gradient of shape {tuple(r.shape)} for a tensor of shape {t.shape}")
            g = r
    return g


def _check_finite(g: Any, op_name: str, i: int) -> None:
    arr = g.data if isinstance(g, Tensor) else np.asarray(g)
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise RuntimeError(f"detect_anomaly: the backward of '{op_name}' produced {bad} "
                           f"in the gradient of its input {i}")


def _fresh(g: Any, shared: set) -> bool:
    """True when `g` is an array no one else can see, so a leaf may keep it without a copy."""
    return type(g) is _ndarray and g.base is None and g.flags.writeable and id(g) not in shared


def _execute(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool, create_graph: bool,
             targets: Optional[dict] = None) -> dict:
    """Run reverse mode from `roots`. Without `targets`, accumulate into leaves' `.grad` (and retained
    non-leaves'); with `targets` (id -> tensor), return {id: gradient} for those tensors instead."""
    grads: dict = {}
    shared: set = set()  # ids of arrays that are also visible elsewhere (root grads, pass-through rules)
    leaves: dict = {}
    for r, g in zip(roots, root_grads):
        k = id(r)
        if r._op is None:
            leaves[k] = (r, g if k not in leaves else leaves[k][1] + g)
        else:
            grads[k] = g if k not in grads else grads[k] + g
        shared.add(id(g))
    found: dict = {}
    anomaly = _mode.anomaly
    prev_mode = _mode.grad_enabled
    _mode.grad_enabled = create_graph
    # Gradients that underflow to subnormals or 0 are harmless, so the rules run with underflow ignored
    # (once per backward, instead of an errstate in every rule); under detect_anomaly the finiteness
    # check names the op, so numpy's warnings, which would pre-empt it, are silenced too.
    prev_err = (np.seterr(under="ignore", divide="ignore", over="ignore", invalid="ignore") if anomaly
                else np.seterr(under="ignore"))
    counts = consumer_counts(roots)
    ready = _ready_roots(roots, counts)
    try:
        while ready:
            t = ready.pop()
            parents = t._parents
            g = grads.pop(id(t), None)
            if g is not None:  # run this tensor's rules (when no gradient reached it, only count down)
                if t._hooks or t._retain or targets is not None:
                    g = _visit(t, g, create_graph, targets, found, shared)
                if t._saved is _RELEASED:
                    raise RuntimeError(f"backward: trying to backward through the graph a second time (at "
                                       f"'{t._op.name}'); its saved values were released by the first backward. "
                                       "Pass retain_graph=True to the first backward() if you need to do this.")
                op = t._op
                vjps = op.vjps
                attrs = t._attrs
                if create_graph:
                    y, args = t, parents
                else:
                    y, args = t.data, [p.data if isinstance(p, Tensor) else p for p in parents]
                all_grads = None if vjps is not None else op.input_grads(g, y, parents, args, attrs)
                if not retain_graph:
                    t._saved = _RELEASED
                    if op.releases:
                        op.release(t)
            for i, p in enumerate(parents):
                if not isinstance(p, Tensor):
                    continue
                recorded = p._op is not None
                if recorded:
                    pk = id(p)
                    left = counts[pk] - 1
                    counts[pk] = left
                    if not left:
                        ready.append(p)
                if g is None or not p.requires_grad:
                    continue
                if all_grads is None:
                    vjp = vjps[i]
                    if vjp is None:
                        continue
                    pg = vjp(g, y, *args, **attrs) if attrs else vjp(g, y, *args)
                else:
                    pg = all_grads[i]
                    if pg is None:
                        continue
                if pg is g:
                    shared.add(id(pg))
                data = p.data
                if pg.shape != data.shape:
                    pg = sum_to_shape(pg, data.shape)
                if pg.dtype != data.dtype:
                    pg = pg.astype(data.dtype)
                if anomaly:
                    _check_finite(pg, op.name, i)
                if recorded:
                    prev = grads.get(pk)
                    grads[pk] = pg if prev is None else prev + pg
                else:
                    pk = id(p)
                    prev = leaves.get(pk)
                    leaves[pk] = (p, pg if prev is None else prev[1] + pg)
        for k, (leaf, g) in leaves.items():
            if leaf._hooks:
                g = _run_hooks(leaf, g, create_graph)
            if targets is not None:
                if k in targets:
                    found[k] = g
            elif leaf.requires_grad:
                _accumulate(leaf, g, shared)
    finally:
        _mode.grad_enabled = prev_mode
        np.seterr(**prev_err)
    return found


def _visit(t: Tensor, g: Any, create_graph: bool, targets: Optional[dict], found: dict, shared: set) -> Any:
    """A recorded tensor's gradient is complete: run its hooks, keep it if retained or requested."""
    if t._hooks:
        g = _run_hooks(t, g, create_graph)
    if targets is not None:
        if id(t) in targets:
            found[id(t)] = g
    elif t._retain:
        _accumulate(t, g, shared)
    return g


def _accumulate(t: Tensor, g: Any, shared: set) -> None:
    """Add `g` into `t.grad`, never aliasing an array that someone else holds."""
    if isinstance(g, Tensor):
        t.grad = g if t.grad is None else t.grad + g
        return
    if t.grad is None:
        arr = g if _fresh(g, shared) else np.array(g, dtype=t.data.dtype)
        if type(arr) is not _ndarray:
            arr = np.asarray(arr)
        t.grad = _wrap(arr)
        shared.add(id(arr))
    else:
        t.grad = _wrap(np.asarray(t.grad.data + g))


def backward(tensor: Tensor, grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """Tensor.backward: accumulate gradients of `tensor` into every leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError("backward: the tensor does not require grad and has no grad_fn "
                           "(no input of its computation had requires_grad=True, or it was made under no_grad)")
    g = _as_grad(grad, tensor, create_graph, "backward")
    _execute([tensor], [g], retain_graph or create_graph, create_graph)


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
    targets = {id(t): t for t in ins}
    found = _execute(outs, root_grads, retain_graph, create_graph, targets)
    result = []
    for i, t in enumerate(ins):
        g = found.get(id(t))
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
