"""Reverse-mode differentiation: `backward()` and `grad()` over an iterative topological order.

One loop serves both: visit every recorded tensor after all of its consumers, call its op's rules
once, sum the results back to each input's shape, and accumulate. Plain backward runs the rules on
ndarrays; `create_graph=True` runs them on Tensors with recording on, so gradients are
differentiable again.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ..tensor import MANY_INPUTS, NO_INPUT, Tensor, _wrap, as_array, inputs_of
from .mode import state as _mode

_ndarray = np.ndarray
_RELEASED = object()  # marks a tensor whose op has run its backward without retain_graph


def sum_to_shape(g: Any, shape: tuple) -> Any:
    """Undo broadcasting: sum `g` (ndarray or Tensor) over the axes that broadcasting added or stretched."""
    gshape = tuple(g.shape)
    shape = tuple(shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0:  # a rule returned a smaller gradient: it broadcasts up to the input
        return g.broadcast_to(shape) if isinstance(g, Tensor) else np.broadcast_to(g, shape)
    total = np.add.reduce if type(g) is _ndarray else Tensor.sum
    if gshape[lead:] == shape:  # only new leading axes (a bias): one reduction, already the right shape
        return total(g, axis=0 if lead == 1 else tuple(range(lead)))
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    g = total(g, axis=tuple(range(lead)) + stretched, keepdims=True)
    return g.reshape(shape) if lead else g


def count_consumers(roots: Sequence[Tensor]) -> list:
    """Set `_pending` on every recorded tensor reachable from `roots` to how many recorded tensors
    consume it, and return the distinct roots that no other root consumes (where the walk starts).

    Backward visits a tensor once all its consumers are done (Kahn's algorithm), so this count is
    the whole topological sort: one iterative pass, no recursion, linear in the graph's size.
    Roots are seeded first (count 0), so a root that another root consumes is expanded only once.
    """
    seeds = []
    for r in roots:
        if r._op is not None and r._pending is None:
            r._pending = 0
            seeds.append(r)
    stack = list(seeds)
    while stack:
        t = stack.pop()
        b = t._in1  # inputs_of(t), inlined: this loop and the backward loop are the engine's hot paths
        for p in ((t._in0,) if b is NO_INPUT else (t._in0, b) if b is not MANY_INPUTS else t._in0):
            if isinstance(p, Tensor) and p._op is not None:
                if p._pending is None:
                    p._pending = 1
                    stack.append(p)
                else:
                    p._pending += 1
    return [r for r in seeds if r._pending == 0]


def _reaching(roots: Sequence[Tensor], targets: dict) -> set:
    """Ids of the tensors from which some target can be reached (targets included): grad() runs only
    the rules on those paths. An iterative post-order walk, so deep graphs are fine."""
    reach: set = set(targets)
    done: set = set()
    stack = [(r, False) for r in roots]
    while stack:
        t, expanded = stack.pop()
        k = id(t)
        if expanded:
            if any(id(p) in reach for p in inputs_of(t) if isinstance(p, Tensor)):
                reach.add(k)
            continue
        if k in done:
            continue
        done.add(k)
        stack.append((t, True))
        stack.extend((p, False) for p in inputs_of(t)
                     if isinstance(p, Tensor) and p._op is not None and id(p) not in done)
    return reach


def _reset(roots: Sequence[Tensor]) -> None:
    """Clear the backward scratch (`_pending`, `_upstream`) left behind by a backward that failed."""
    stack = [r for r in roots if r._op is not None]
    while stack:
        t = stack.pop()
        if t._pending is None and t._upstream is None:
            continue
        t._pending = t._upstream = None
        stack.extend(p for p in inputs_of(t) if isinstance(p, Tensor) and p._op is not None)


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


def _private(g: Any) -> bool:
    """True when `g` owns its memory (not a view: read-only broadcasts are views too)."""
    return type(g) is _ndarray and g.base is None


def _execute(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool, create_graph: bool,
             targets: Optional[dict] = None) -> dict:
    """Run reverse mode from `roots`. Without `targets`, accumulate into leaves' `.grad` (and retained
    non-leaves'); with `targets` (id -> tensor), return {id: gradient} for those tensors instead."""
    leaves: list = []  # the leaves reached, each holding its gradient sum in `_upstream`
    for r, g in zip(roots, root_grads):
        if r._op is None:
            if r._upstream is None:
                leaves.append(r)
            r._upstream = g if r._upstream is None else r._upstream + g
    found: dict = {}
    anomaly = _mode.anomaly
    prev_mode = _mode.grad_enabled
    _mode.grad_enabled = create_graph
    # Gradients that underflow to subnormals or 0 are harmless, so the rules run with underflow ignored
    # (numpy's default; set once per backward, not in every rule); under detect_anomaly the finiteness
    # check names the op, so numpy's warnings, which would pre-empt it, are silenced too.
    prev_err = None
    if anomaly:
        prev_err = np.seterr(under="ignore", divide="ignore", over="ignore", invalid="ignore")
    elif np.geterr()["under"] != "ignore":
        prev_err = np.seterr(under="ignore")
    needed = None if targets is None else _reaching(roots, targets)
    ready = count_consumers(roots)
    for r, g in zip(roots, root_grads):
        if r._op is not None:
            r._upstream = g if r._upstream is None else r._upstream + g
    try:
        while ready:
            t = ready.pop()
            t._pending = None
            b = t._in1  # inputs_of(t), inlined (a call per node costs ~5% of a small op)
            parents = (t._in0,) if b is NO_INPUT else (t._in0, b) if b is not MANY_INPUTS else t._in0
            g = t._upstream
            if g is not None:  # run this tensor's rules (when no gradient reached it, only count down)
                t._upstream = None
                if t._hooks or t._retain or targets is not None:
                    g = _visit(t, g, create_graph, targets, found)
                if t._saved is _RELEASED:
                    raise RuntimeError(f"backward: trying to backward through the graph a second time (at "
                                       f"'{t._op.name}'); its saved values were released by the first backward. "
                                       "Pass retain_graph=True to the first backward() if you need to do this.")
                op = t._op
                vjps = op.vjps
                attrs = t._attrs
                if op.saves:
                    attrs = dict(attrs or (), saved=t._saved)
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
                    p._pending -= 1
                    if not p._pending:
                        ready.append(p)
                if g is None or not p.requires_grad or (needed is not None and id(p) not in needed):
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
                data = p.data
                if pg.shape != data.shape:
                    pg = sum_to_shape(pg, data.shape)
                if pg.dtype != data.dtype:
                    pg = pg.astype(data.dtype)
                if anomaly:
                    _check_finite(pg, op.name, i)
                prev = p._upstream
                if prev is None:
                    p._upstream = pg
                    if not recorded:
                        leaves.append(p)
                else:
                    p._upstream = prev + pg
        _deliver_to_leaves(leaves, root_grads, create_graph, targets, found)
    except BaseException:
        _reset(roots)
        for leaf in leaves:
            leaf._upstream = None
        raise
    finally:
        _mode.grad_enabled = prev_mode
        if prev_err is not None:
            np.seterr(**prev_err)
    return found


def _deliver_to_leaves(leaves: list, root_grads: Sequence[Any], create_graph: bool, targets: Optional[dict],
                       found: dict) -> None:
    """Hand each leaf its total gradient: through its hooks, then into `.grad` (or `found`, for grad()).

    A leaf may keep its gradient array without a copy only if nobody else can see it: not the
    caller's root gradient, not another leaf's (rules that pass g through hand one array to several
    inputs), not a view. All these arrays are alive here, so comparing ids is sound.
    """
    owners: dict = {id(g): 2 for g in root_grads}
    for leaf in leaves:
        k = id(leaf._upstream)
        owners[k] = owners.get(k, 0) + 1
    for leaf in leaves:
        g, leaf._upstream = leaf._upstream, None
        shared = owners[id(g)] > 1
        if leaf._hooks:
            replaced = _run_hooks(leaf, g, create_graph)
            shared = shared or replaced is not g  # a hook's result may be held by the user
            g = replaced
        if targets is not None:
            if id(leaf) in targets:
                found[id(leaf)] = g
        elif leaf.requires_grad:
            _accumulate(leaf, g, not shared and _private(g))


def _visit(t: Tensor, g: Any, create_graph: bool, targets: Optional[dict], found: dict) -> Any:
    """A recorded tensor's gradient is complete: run its hooks, keep it if retained or requested."""
    if t._hooks:
        g = _run_hooks(t, g, create_graph)
    if targets is not None:
        if id(t) in targets:
            found[id(t)] = g
    elif t._retain:
        _accumulate(t, g, False)  # g flows on to the inputs: the retained copy must be its own
    return g


def _accumulate(t: Tensor, g: Any, owned: bool) -> None:
    """Add `g` into `t.grad`; `owned` says the array may be kept as it is (else it is copied)."""
    if isinstance(g, Tensor):
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        t.grad = _wrap(g if owned else np.array(g, dtype=t.data.dtype))
    else:
        t.grad = _wrap(np.asarray(t.grad.data + g))


def backward_order(*roots: Tensor) -> list:
    """The recorded tensors reachable from `roots`, in the order in which backward runs their rules
    (each after all of its consumers). Viewers (minigrad.viz.explore) replay the pass in this order."""
    ready = count_consumers(list(roots))
    order = []
    try:
        while ready:
            t = ready.pop()
            t._pending = None
            order.append(t)
            for p in inputs_of(t):
                if isinstance(p, Tensor) and p._op is not None:
                    p._pending -= 1
                    if not p._pending:
                        ready.append(p)
    finally:
        _reset(list(roots))
    return order


def node_vjp(t: Tensor, grad: Any) -> tuple:
    """The gradients that the op which made `t` sends to each of its inputs, given `grad` for `t`:
    ndarrays summed to each input's shape, None for inputs that get no gradient. Nothing is recorded."""
    if t._op is None:
        return ()
    g = as_array(grad, dtype=t.dtype, copy=False)
    parents = inputs_of(t)
    op, attrs = t._op, t._attrs
    if op.saves:
        attrs = dict(attrs or (), saved=t._saved)
    args = [p.data if isinstance(p, Tensor) else p for p in parents]
    prev_mode, _mode.grad_enabled = _mode.grad_enabled, False
    try:
        with np.errstate(under="ignore"):
            if op.vjps is None:
                grads = op.input_grads(g, t.data, parents, args, attrs)
            else:
                grads = [None if vjp is None or not (isinstance(p, Tensor) and p.requires_grad)
                         else vjp(g, t.data, *args, **(attrs or {})) for vjp, p in zip(op.vjps, parents)]
    finally:
        _mode.grad_enabled = prev_mode
    return tuple(None if pg is None else np.asarray(sum_to_shape(pg, p.shape), dtype=p.dtype)
                 for pg, p in zip(grads, parents))


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
