"""How a primitive records itself in the graph, and `Function` for users' custom ops.

A primitive is a numpy forward plus one derivative rule (vector-Jacobian product) per input,
`rule(g, y, *inputs, **attrs) -> gradient for that input`, written with operators and minigrad ops.
Every op accepts ndarrays as well as Tensors (ndarrays in, ndarray out, nothing recorded), so one
rule serves both passes: the engine calls it with ndarrays for a plain backward (fast, no graph)
and with Tensors under `create_graph=True` (recorded, so it can be differentiated again).
Rules return gradients in the broadcast shape of the output; the engine sums them back to each
input's shape in one place (`engine.sum_to_shape`).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..tensor import NO_INPUT, Tensor, _record, _wrap, as_array, record_inputs
from .mode import no_grad, state as _mode

_ndarray = np.ndarray
_asarray = np.asarray
_SCALARS = (int, float, bool)


class Op:
    """A primitive's identity in the graph: its name and one derivative rule per input.

    `saves`: the forward returns (output, saved), and the rules receive `saved=` (values the forward
    computed anyway, such as the softmax of a fused cross-entropy); backward releases them.
    """

    __slots__ = ("name", "vjps", "differentiable", "saves", "__weakref__")
    releases = False  # whether release() has anything to drop after backward beyond `_saved`

    def __init__(self, name: str, vjps: Sequence[Optional[Callable]], differentiable: bool = True,
                 saves: bool = False) -> None:
        self.name = name
        self.vjps: Optional[tuple] = tuple(vjps)
        self.differentiable = differentiable
        self.saves = saves

    def release(self, tensor: Tensor) -> None:
        """Drop what backward needed beyond the inputs (nothing, for built-in ops)."""

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class VariadicOp(Op):
    """A family of ops over any number of tensors (concatenate, stack) sharing one rule
    `vjp(i, g, y, *xs, **attrs)`; each arity gets an ordinary Op with one rule per input."""

    __slots__ = ("vjp", "_by_arity")

    def __init__(self, name: str, vjp: Callable) -> None:
        super().__init__(name, ())
        self.vjp = vjp
        self._by_arity: dict = {}

    def for_arity(self, n: int) -> Op:
        op = self._by_arity.get(n)
        if op is None:
            op = self._by_arity[n] = Op(self.name, [functools.partial(self.vjp, i) for i in range(n)])
        return op


def operand(v: Any) -> Any:
    """A non-tensor operand as a constant: Python numbers stay weakly typed, other data -> ndarray."""
    if type(v) in _SCALARS or isinstance(v, (_ndarray, np.generic)):
        return v
    return as_array(v, copy=False)


def _finish(y: Any, op: Op, parents: tuple, attrs: Optional[dict], recording: bool, saved: Any = None) -> Tensor:
    if type(y) is not _ndarray:
        y = _asarray(y)
    if recording and op.differentiable and y.dtype.kind == "f":
        return record_inputs(y, op, parents, attrs, saved)
    return _wrap(y)


def unary(name: str, forward: Callable, vjp: Optional[Callable], differentiable: bool = True) -> Callable:
    """Define a one-input primitive `f(x, **attrs)` from its numpy forward and derivative rule."""
    op = Op(name, (vjp,), differentiable)

    def apply(x, **attrs):
        if not isinstance(x, Tensor):
            return forward(x, **attrs)
        y = forward(x.data, **attrs)
        if type(y) is not _ndarray:
            y = _asarray(y)
        if x.requires_grad and _mode.grad_enabled and differentiable and y.dtype.kind == "f":
            return _record(y, op, x, NO_INPUT, attrs or None)
        return _wrap(y)

    apply.op = op
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = forward.__doc__
    return apply


def binary(name: str, forward: Callable, vjp_a: Optional[Callable], vjp_b: Optional[Callable],
           differentiable: bool = True) -> Callable:
    """Define a two-input broadcasting primitive `f(a, b)`; shape errors name the op and both shapes."""
    op = Op(name, (vjp_a, vjp_b), differentiable)

    def apply(a, b):
        ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
        if not (ta or tb):
            return forward(a, b)
        if not ta:
            a = operand(a)
        if not tb:
            b = operand(b)
        try:
            y = forward(a.data if ta else a, b.data if tb else b)
        except ValueError as e:
            if str(e).startswith(name + ":"):
                raise
            raise ValueError(f"{name}: shapes {np.shape(a)} and {np.shape(b)} do not broadcast") from e
        if type(y) is not _ndarray:
            y = _asarray(y)
        if (((ta and a.requires_grad) or (tb and b.requires_grad)) and _mode.grad_enabled and differentiable
                and y.dtype.kind == "f"):
            return _record(y, op, a, b, None)
        return _wrap(y)

    apply.op = op
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = forward.__doc__
    return apply


def primitive(name: str, forward: Callable, *vjps: Optional[Callable], variadic: bool = False,
              differentiable: bool = True, saves: bool = False) -> Callable:
    """Define a primitive with any number of positional inputs and keyword attributes.
    With `saves=True` the forward returns (output, saved) and each rule gets `saved=` too."""
    op = VariadicOp(name, vjps[0]) if variadic else Op(name, vjps, differentiable, saves)

    def apply(*args, **attrs):
        inputs, datas, tensors, wants_grad = [], [], False, False
        for a in args:
            if isinstance(a, Tensor):
                tensors = True
                wants_grad = wants_grad or a.requires_grad
                inputs.append(a)
                datas.append(a.data)
            else:
                a = operand(a)
                inputs.append(a)
                datas.append(a)
        y = forward(*datas, **attrs)
        y, saved = y if saves else (y, None)
        if not tensors:
            return y
        recording = wants_grad and _mode.grad_enabled
        return _finish(y, op.for_arity(len(args)) if variadic else op, tuple(inputs), attrs or None, recording, saved)

    apply.op = op
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = forward.__doc__
    return apply


# --------------------------------------------------------------------------- custom functions

class FunctionCtx:
    """The `ctx` passed to a custom Function: save what backward needs, read it back as Tensors."""

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._inputs: tuple = ()
        self._output: Optional[Tensor] = None
        self.needs_input_grad: tuple = ()

    def save_for_backward(self, *arrays: Any) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """Saved values as Tensors: an input's or the output's array comes back as that very tensor,
        so a backward written with Tensor ops can itself be differentiated."""
        if self._saved is None:
            raise RuntimeError("saved_tensors: they were released by an earlier backward; "
                               "pass retain_graph=True to backward through the graph again")
        out = []
        for s in self._saved:
            out.append(self._as_tensor(s))
        return tuple(out)

    def _as_tensor(self, s: Any) -> Any:
        if s is None or isinstance(s, Tensor):
            return s
        for t in self._inputs:
            if isinstance(t, Tensor) and t.data is s:
                return t
        if self._output is not None and self._output.data is s:
            return self._output
        return _wrap(_asarray(s))


def _sums_to(gshape: tuple, shape: tuple) -> bool:
    """True when a gradient of `gshape` is `shape` broadcast, so summing it back gives `shape`."""
    try:
        return np.broadcast_shapes(gshape, shape) == gshape
    except ValueError:  # the shapes do not even broadcast
        return False


class FunctionOp(Op):
    """The graph entry of a user-defined Function: calls its backward once for all inputs."""

    __slots__ = ("fn",)
    releases = True

    def __init__(self, fn: type) -> None:
        super().__init__(fn.__name__, ())
        self.vjps = None  # backward computes every input's gradient at once: input_grads()
        self.fn = fn

    def input_grads(self, g, y, parents, args, attrs):
        ctx = attrs["ctx"]
        if ctx._saved is None:
            raise RuntimeError(f"{self.name}: backward through the graph a second time, but its saved values "
                               "were released; pass retain_graph=True to the first backward")
        gt = g if isinstance(g, Tensor) else _wrap(_asarray(g))
        ctx._output = y if isinstance(y, Tensor) else None  # set only while backward runs: no cycle
        try:
            grads = self.fn.backward(ctx, gt)
        finally:
            ctx._output = None
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != len(parents):
            raise RuntimeError(f"{self.name}.backward returned {len(grads)} gradients, expected {len(parents)} "
                               "(one per input of forward, None for non-tensors)")
        create = isinstance(g, Tensor) and _mode.grad_enabled
        out = []
        for i, (gi, p) in enumerate(zip(grads, parents)):
            if gi is None or not (isinstance(p, Tensor) and p.requires_grad):
                out.append(None)
                continue
            if isinstance(gi, Tensor):
                gi = gi if create else gi.data
            else:
                gi = _asarray(gi)
                gi = _wrap(gi) if create else gi
            if tuple(gi.shape) != p.shape and not _sums_to(tuple(gi.shape), p.shape):
                raise RuntimeError(f"{self.name}.backward: gradient {i} has shape {tuple(gi.shape)}, "
                                   f"but input {i} has shape {p.shape}")
            out.append(gi)
        return out

    def release(self, tensor: Tensor) -> None:
        tensor._attrs["ctx"]._saved = None


class Function:
    """Base class for a custom differentiable op.

    Subclass with two static methods: `forward(ctx, *inputs)` gets ndarrays (non-tensor arguments
    pass through) and returns an ndarray; `backward(ctx, grad)` gets Tensors and returns one gradient
    per input (Tensor, ndarray or None). Call as `MyOp.apply(*args)`.
    """

    _op: Optional[FunctionOp] = None

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        op = cls.__dict__.get("_op")
        if op is None:
            op = FunctionOp(cls)
            cls._op = op
        ctx = FunctionCtx()
        ctx._inputs = args
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        datas = [a.data if isinstance(a, Tensor) else a for a in args]
        with no_grad():
            y = cls.forward(ctx, *datas)
        if isinstance(y, Tensor):
            y = y.data
        y = _asarray(y)
        recording = _mode.grad_enabled and any(ctx.needs_input_grad)
        if not (recording and y.dtype.kind == "f"):
            return _wrap(y)
        return record_inputs(y, op, tuple(args), {"ctx": ctx})
