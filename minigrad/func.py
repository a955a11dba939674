"""Transforms on functions of tensors, as JAX's and torch.func's: grad, value_and_grad, vjp, jvp,
jacrev, jacfwd, hessian, hvp.

Everything here is built on one public primitive, reverse mode (`minigrad.grad`). Forward mode needs
no second rule table: with `u` a dummy cotangent that requires grad, `g(u) = J^T u` is linear in `u`,
so `J v = d<g(u), v>/du` (the "double-VJP" trick). It costs a forward pass, one recorded backward and
one backward of that: about 2-3 backward passes.

Composition. Each call differentiates fresh copies of its arguments, so nested transforms never
confuse their variables. When the caller's inputs belong to an outer recorded graph (grad mode on and
an argument, or a tensor that `f` closes over, requires grad) the results are recorded too
(`create_graph=True`), so `grad(grad(f))`, `jacfwd(jacrev(f))` and a later `backward()` see through
them; otherwise they are plain tensors and no second graph is paid for. Inputs' `.grad` is never touched.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import Tensor, enable_grad, get_default_dtype, is_grad_enabled, stack, zeros_like
from . import grad as _reverse

Argnums = Union[int, Tuple[int, ...]]


# ------------------------------------------------------------------------------------ arguments

def _check_argnums(name: str, argnums: Any) -> None:
    """argnums is an int or a non-empty tuple of distinct ints (checked when the transform is made)."""
    items = argnums if isinstance(argnums, tuple) else (argnums,)
    if not items:
        raise ValueError(f"{name}: argnums is an empty tuple; name at least one argument to differentiate")
    for a in items:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: argnums must be an int or a tuple of ints, got {argnums!r} "
                            f"({type(a).__name__})")
    if len(set(int(a) for a in items)) != len(items):
        raise ValueError(f"{name}: argnums {argnums!r} names an argument twice")


def _positions(name: str, argnums: Argnums, nargs: int) -> Tuple[int, ...]:
    """argnums as non-negative positions among `nargs` positional arguments (negative counts from the end)."""
    items = argnums if isinstance(argnums, tuple) else (argnums,)
    out = []
    for a in items:
        if not -nargs <= a < nargs:
            raise IndexError(f"{name}: argnums {a} is out of range for a function called with {nargs} "
                             f"positional argument{'s' if nargs != 1 else ''}")
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: argnums {argnums!r} names an argument twice")
    return tuple(out)


def _as_float_tensor(name: str, value: Any, what: str) -> Tensor:
    """A differentiated argument as a float Tensor: Python numbers and lists take the default float
    dtype; float ndarrays and tensors keep theirs; other dtypes are refused rather than cast."""
    if isinstance(value, Tensor):
        arr = value.data
    elif isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)
    elif isinstance(value, (bool, int, float, list, tuple)):
        try:
            return Tensor(np.asarray(value, dtype=get_default_dtype()))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: {what} must be a tensor, an ndarray or numbers, "
                            f"got {type(value).__name__} that is not numeric ({e})") from None
    else:
        raise TypeError(f"{name}: {what} must be a tensor, an ndarray or a number, got {type(value).__name__}")
    if arr.dtype.kind != "f":
        raise TypeError(f"{name}: {what} has dtype {arr.dtype}; only float inputs can be differentiated "
                        "(convert it with .astype(float) or pass Python numbers)")
    return value if isinstance(value, Tensor) else Tensor(arr)


def _like(name: str, value: Any, like: Tensor, what: str, of: str = "its primal") -> Tensor:
    """A tangent (or cotangent) for `like`, a primal (or output): the same shape and float dtype
    (Python numbers and lists take `like`'s dtype)."""
    t = _as_float_tensor(name, value, what)
    if not isinstance(value, (Tensor, np.ndarray, np.generic)):
        t = Tensor(t.data.astype(like.dtype, copy=False))
    elif t.dtype != like.dtype:
        raise TypeError(f"{name}: {what} has dtype {t.dtype}, but {of} has dtype {like.dtype}")
    if t.shape != like.shape:
        raise ValueError(f"{name}: {what} has shape {t.shape}, but {of} has shape {like.shape}")
    return t


def _fresh(t: Tensor, grad_on: bool) -> Tensor:
    """The variable a transform differentiates: a new identity node when `t` belongs to an outer
    graph (results stay differentiable w.r.t. `t`), else a new leaf sharing `t`'s data."""
    if grad_on and t.requires_grad:
        return t + 0.0
    leaf = t.detach()
    leaf.requires_grad = True
    return leaf


def _reaches_outer(outs: Sequence[Tensor], mine: Sequence[Tensor]) -> bool:
    """True when `outs` were computed from a tensor that requires grad other than `mine` (a parameter,
    or a closure over an outer transform's variable): then results must stay differentiable.
    A walk over the recorded graph: about 1 µs per op (measured: 5% of a jvp, 10% of a jacrev of
    benchmarks/transforms.py's net), the price of not recording a second graph when none is needed."""
    seen = {id(t) for t in mine}  # the walk stops at our own variables
    todo = [o for o in outs if o.requires_grad]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        node = t.grad_fn
        if node is None:
            return True  # a leaf that requires grad and is not one of ours
        todo.extend(p for p in node.inputs if isinstance(p, Tensor) and p.requires_grad)
    return False


def _detached(value: Any) -> Any:
    """Tensors inside `value` (nested tuples, lists, dicts) cut from the graph."""
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------------ one traced call

class _Trace:
    """One call of `f` with the arguments at `positions` replaced by fresh variables.

    `inputs` are those variables, `outs` the output tensors (a list; `single` when f returned one
    Tensor), `outer` whether the results must be recorded for an outer graph.
    """

    def __init__(self, name: str, f: Callable, args: Sequence[Any], positions: Sequence[int],
                 has_aux: bool = False, also: Sequence[Tensor] = ()) -> None:
        self.name = name
        grad_on = is_grad_enabled()
        primals = [_as_float_tensor(name, args[i], f"argument {i}") for i in positions]
        self.outer = grad_on and (any(isinstance(a, Tensor) and a.requires_grad for a in args)
                                  or any(t.requires_grad for t in also))
        call = list(args)
        with enable_grad():  # a transform works under no_grad too: its result does not depend on the mode
            self.inputs = [_fresh(t, grad_on) for t in primals]
            for i, t in zip(positions, self.inputs):
                call[i] = t
            result = f(*call)
        self.aux = None
        if has_aux:
            if not (isinstance(result, (tuple, list)) and len(result) == 2):
                got = f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) \
                    else type(result).__name__
                raise TypeError(f"{name}: with has_aux=True, f must return a pair (output, aux), got {got}")
            result, self.aux = result
        self.single = isinstance(result, Tensor)
        self.outs: List[Tensor] = [result] if self.single else self._outputs(result)
        for i, o in enumerate(self.outs):
            if o.dtype.kind != "f":
                where = "" if self.single else f" (output {i})"
                raise TypeError(f"{name}: f returned a tensor of dtype {o.dtype}{where}; "
                                "only float outputs can be differentiated")
        if grad_on and not self.outer:
            self.outer = _reaches_outer(self.outs, self.inputs)
        if not self.outer and self.aux is not None:
            self.aux = _detached(self.aux)

    def _outputs(self, result: Any) -> List[Tensor]:
        if isinstance(result, (tuple, list)) and result:
            for i, o in enumerate(result):
                if not isinstance(o, Tensor):
                    raise TypeError(f"{self.name}: f must return a Tensor or a tuple of Tensors, but output {i} "
                                    f"is a {type(o).__name__}")
            return list(result)
        raise TypeError(f"{self.name}: f must return a Tensor, got {type(result).__name__}"
                        + (" (an empty sequence)" if isinstance(result, (tuple, list)) else ""))

    def scalar(self) -> Tensor:
        """The one-element output that grad-like transforms differentiate."""
        if not self.single:
            raise TypeError(f"{self.name}: f must return one Tensor, got a {len(self.outs)}-element sequence")
        out = self.outs[0]
        if out.size != 1:
            raise ValueError(f"{self.name}: f must return a one-element tensor, but its output has shape "
                             f"{out.shape}; use jacrev, jacfwd or vjp for non-scalar outputs")
        return out

    def value(self, t: Tensor) -> Tensor:
        """A result handed back to the caller: recorded for an outer graph, else cut from ours."""
        return t if self.outer else t.detach()

    def pack(self, per_output: list) -> Any:
        """One result per output: a bare one for a single-Tensor f, else a tuple."""
        return per_output[0] if self.single else tuple(per_output)


def _gradients(outs: Sequence[Tensor], inputs: Sequence[Tensor], grad_outputs: Any, *,
               create_graph: bool, retain_graph: Optional[bool] = None) -> List[Tensor]:
    """d(sum_i <outs_i, grad_outputs_i>)/d(inputs), with zeros for inputs the outputs do not use."""
    used = [(o, g) for o, g in zip(outs, grad_outputs) if o.requires_grad]
    if not used:
        return [zeros_like(x) for x in inputs]
    grads = _reverse([o for o, _ in used], list(inputs), grad_outputs=[g for _, g in used],
                     retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
    return [zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]


def _basis(shape: tuple, dtype: np.dtype) -> Any:
    """The one-hot arrays e_0, e_1, ... of `shape`, in C order."""
    size = int(np.prod(shape))
    for j in range(size):
        e = np.zeros(size, dtype=dtype)
        e[j] = 1
        yield e.reshape(shape)


def _assemble(rows: List[Tensor], shape: tuple, outer: bool) -> Tensor:
    """Stack equal-shaped pieces and reshape to `shape` (recorded only for an outer graph)."""
    if outer:
        return stack(rows).reshape(shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(shape))


def _pullback_of_dummy(trace: _Trace) -> Tuple[List[Tensor], List[Optional[Tensor]]]:
    """The double-VJP set-up: dummy cotangents u (zeros that require grad) and g(u) = J^T u,
    recorded, per input (None where an input does not reach the outputs through u)."""
    us = [zeros_like(o, requires_grad=True) for o in trace.outs]
    with enable_grad():
        gs = _gradients(trace.outs, trace.inputs, us, create_graph=True)
    return us, [g if g.requires_grad else None for g in gs]


def _result_argnums(argnums: Argnums, items: Sequence[Any]) -> Any:
    return items[0] if not isinstance(argnums, tuple) else tuple(items)


# ------------------------------------------------------------------------------------ transforms

def value_and_grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """x -> (f(x), df/dx) for a one-element output; ((f(x), aux), df/dx) with has_aux=True."""
    _check_argnums("value_and_grad", argnums)
    return _value_and_grad(f, argnums, has_aux, "value_and_grad")


def _value_and_grad(f: Callable, argnums: Argnums, has_aux: bool, name: str) -> Callable:
    @functools.wraps(f)
    def transformed(*args: Any, **kwargs: Any) -> Any:
        fk = functools.partial(f, **kwargs) if kwargs else f
        trace = _Trace(name, fk, args, _positions(name, argnums, len(args)), has_aux=has_aux)
        out = trace.scalar()
        with enable_grad():
            grads = _gradients([out], trace.inputs, [None], create_graph=trace.outer)
        value = trace.value(out)
        return (value, trace.aux) if has_aux else value, _result_argnums(argnums, grads)

    return transformed


def grad(f: Callable, argnums: Argnums = 0, has_aux: bool = False) -> Callable:
    """x -> df/dx for f with a one-element output (a tuple of gradients for tuple argnums);
    (df/dx, aux) with has_aux=True."""
    _check_argnums("grad", argnums)
    vg = _value_and_grad(f, argnums, has_aux, "grad")

    @functools.wraps(f)
    def transformed(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return transformed


def vjp(f: Callable, *primals: Any) -> Tuple[Any, Callable]:
    """(f(primals), vjp_fn) with vjp_fn(cotangent) = J^T cotangent, a tuple with one entry per primal.
    vjp_fn may be called any number of times; for a tuple-valued f it takes a tuple of cotangents."""
    if not primals:
        raise TypeError("vjp: give at least one primal: vjp(f, x, ...)")
    trace = _Trace("vjp", f, primals, range(len(primals)))

    def vjp_fn(cotangent: Any) -> Tuple[Tensor, ...]:
        cts = [cotangent] if trace.single else _sequence("vjp", cotangent, "cotangents", len(trace.outs), "outputs")
        cts = [_like("vjp", c, o, "cotangent" + ("" if trace.single else f" {i}"),
                     "the output" if trace.single else f"output {i}") for i, (c, o) in enumerate(zip(cts, trace.outs))]
        create = trace.outer or (is_grad_enabled() and any(c.requires_grad for c in cts))
        with enable_grad():
            return tuple(_gradients(trace.outs, trace.inputs, cts, create_graph=create, retain_graph=True))

    return trace.pack([trace.value(o) for o in trace.outs]), vjp_fn


def _sequence(name: str, value: Any, what: str, n: Optional[int] = None, of: str = "primals") -> list:
    """`value` as a list: it must be a tuple or list (of `n` items, one per entry of `of`, when n is given)."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name}: {what} must be a tuple, got {type(value).__name__}")
    if n is not None and len(value) != n:
        raise ValueError(f"{name}: got {len(value)} {what} for {n} {of}")
    return list(value)


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> Tuple[Any, Any]:
    """(f(primals), J tangents): forward mode, by differentiating a VJP with respect to its cotangent."""
    primals = _sequence("jvp", primals, "primals")
    tangents = _sequence("jvp", tangents, "tangents", len(primals))
    pts = [_as_float_tensor("jvp", p, f"primal {i}") for i, p in enumerate(primals)]
    vs = [_like("jvp", v, p, f"tangent {i}") for i, (v, p) in enumerate(zip(tangents, pts))]
    trace = _Trace("jvp", f, pts, range(len(pts)), also=vs)
    us, gs = _pullback_of_dummy(trace)
    pairs = [(g, v) for g, v in zip(gs, vs) if g is not None]
    with enable_grad():
        if pairs:
            jv = _gradients([g for g, _ in pairs], us, [v for _, v in pairs], create_graph=trace.outer)
        else:
            jv = [zeros_like(o) for o in trace.outs]
    return trace.pack([trace.value(o) for o in trace.outs]), trace.pack(jv)


def jacrev(f: Callable, argnums: Argnums = 0) -> Callable:
    """x -> the Jacobian df/dx of shape f(x).shape + x.shape, one reverse pass per output element."""
    _check_argnums("jacrev", argnums)

    @functools.wraps(f)
    def transformed(*args: Any, **kwargs: Any) -> Any:
        fk = functools.partial(f, **kwargs) if kwargs else f
        trace = _Trace("jacrev", fk, args, _positions("jacrev", argnums, len(args)))
        per_output = []
        for o in trace.outs:
            rows: List[List[Tensor]] = [[] for _ in trace.inputs]
            with enable_grad():
                for e in _basis(o.shape, o.dtype):
                    for k, g in enumerate(_gradients([o], trace.inputs, [e], create_graph=trace.outer,
                                                     retain_graph=True)):
                        rows[k].append(g)
            per_output.append(_result_argnums(argnums, [
                _assemble(r, o.shape + x.shape, trace.outer) for r, x in zip(rows, trace.inputs)]))
        return trace.pack(per_output)

    return transformed


def jacfwd(f: Callable, argnums: Argnums = 0) -> Callable:
    """x -> the Jacobian df/dx of shape f(x).shape + x.shape, one forward-mode column per input element.

    The recorded pullback g(u) = J^T u is built once; each column J e_j = d g_j(u)/du is then one
    reverse pass over it (not a whole jvp per column)."""
    _check_argnums("jacfwd", argnums)

    @functools.wraps(f)
    def transformed(*args: Any, **kwargs: Any) -> Any:
        fk = functools.partial(f, **kwargs) if kwargs else f
        trace = _Trace("jacfwd", fk, args, _positions("jacfwd", argnums, len(args)))
        us, gs = _pullback_of_dummy(trace)
        cols: List[List[List[Tensor]]] = [[[] for _ in trace.inputs] for _ in trace.outs]
        with enable_grad():
            for k, (g, x) in enumerate(zip(gs, trace.inputs)):
                for e in _basis(x.shape, x.dtype):
                    if g is None:
                        col = [zeros_like(o) for o in trace.outs]
                    else:
                        col = _gradients([g], us, [e], create_graph=trace.outer, retain_graph=True)
                    for i, c in enumerate(col):
                        cols[i][k].append(c)
        per_output = []
        for o, per_input in zip(trace.outs, cols):
            jacs = []
            for c, x in zip(per_input, trace.inputs):
                j = _assemble(c, x.shape + o.shape, trace.outer)  # columns first: move them last
                axes = tuple(range(x.ndim, x.ndim + o.ndim)) + tuple(range(x.ndim))
                jacs.append(j.transpose(*axes) if axes else j)
            per_output.append(_result_argnums(argnums, jacs))
        return trace.pack(per_output)

    return transformed


def hessian(f: Callable, argnums: Argnums = 0) -> Callable:
    """x -> the Hessian of a one-element f, shape f(x).shape + x.shape + x.shape: jacfwd(jacrev(f))."""
    _check_argnums("hessian", argnums)
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> Tuple[Tensor, Any]:
    """(f(primals), H v) for a one-element f: d/dx <df/dx, v>, reverse over reverse (no Hessian is
    formed). The product is a Tensor for one primal, a tuple for several."""
    primals = _sequence("hvp", primals, "primals")
    tangents = _sequence("hvp", tangents, "tangents", len(primals))
    pts = [_as_float_tensor("hvp", p, f"primal {i}") for i, p in enumerate(primals)]
    vs = [_like("hvp", v, p, f"tangent {i}") for i, (v, p) in enumerate(zip(tangents, pts))]
    trace = _Trace("hvp", f, pts, range(len(pts)), also=vs)
    out = trace.scalar()
    with enable_grad():
        gs = _gradients([out], trace.inputs, [None], create_graph=True)
        hv = _gradients(gs, trace.inputs, vs, create_graph=trace.outer)
    return trace.value(out), hv[0] if len(hv) == 1 else tuple(hv)
