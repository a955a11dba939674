"""Which expression replays each op: its numpy forward and its derivative rules, written out.

Most ops need nothing here: a forward that is a numpy ufunc becomes that ufunc (`a + b`, `np.tanh(x)`),
and a forward or rule that is one expression (a lambda, or a function that is one `return`) is
inlined by `inline.Inliner`. The tables below cover the ops whose Python code is more than their
math, usually because it words errors for bad shapes: at replay the shapes are those of the trace, so
the plain numpy expression is exact. Everything else is a call of the op's own forward or rule.
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable, Dict, Optional

import numpy as np

from .inline import Inliner, ufunc_call


def _count(shape: tuple, axis: Any) -> int:
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return math.prod(shape[a] for a in axes)


def _mean(x: Any, axis: Any = None, keepdims: bool = False) -> Optional[str]:
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.ndim == 0 and axis not in (None, 0, -1, ()):
        return None
    n = _count(x.shape, axis) if x.ndim else 1
    return f"lambda x, axis=None, keepdims=False: np.add.reduce(x, axis=axis, keepdims=keepdims) / {n}"


def _arrays(*xs: Any) -> bool:
    return all(isinstance(x, np.ndarray) for x in xs)


# op name -> (input values, attributes) -> the source of a lambda computing the forward, or None
FORWARDS: Dict[str, Callable[..., Optional[str]]] = {
    "matmul": lambda a, b: "lambda a, b: a @ b" if _arrays(a, b) and a.ndim and b.ndim else None,
    "affine": lambda x, w, b: "lambda x, w, b: x @ w + b" if _arrays(x, w, b) else None,
    "sum": lambda x, axis=None, keepdims=False:
        "lambda x, axis=None, keepdims=False: np.add.reduce(x, axis=axis, keepdims=keepdims)",
    "max": lambda x, axis=None, keepdims=False:
        "lambda x, axis=None, keepdims=False: np.maximum.reduce(x, axis=axis, keepdims=keepdims)",
    "min": lambda x, axis=None, keepdims=False:
        "lambda x, axis=None, keepdims=False: np.minimum.reduce(x, axis=axis, keepdims=keepdims)",
    "mean": _mean,
    "reshape": lambda x, shape: "lambda x, shape: x.reshape(shape)" if _arrays(x) else None,
    "transpose": lambda x, axes=None: "lambda x, axes=None: x.transpose(axes)" if _arrays(x) else None,
    "getitem": lambda x, index: "lambda x, index: x[index]" if _arrays(x) else None,
    # sigmoid's forward is 1/(1 + e^-x) under errstate(over, under ignored): e^-x overflows to inf for x below
    # about -709 and the result is the exact 0 (QUIET lines run under that errstate)
    "sigmoid": lambda x: ("lambda x: 1 / (1 + np.exp(-x))", QUIET) if _arrays(x) else None,
}
QUIET = "quiet"

# (op name, input index) -> (g, y, input values, attributes) -> the source of a lambda rule, or None
RULES: Dict[tuple, Callable[..., Optional[str]]] = {
    ("matmul", 0): lambda g, y, a, b: "lambda g, y, a, b: g @ b.T" if _arrays(g, a, b) and a.ndim == 2 == b.ndim
    else None,
    ("matmul", 1): lambda g, y, a, b: _weight_grad(g, a, b),
}


def _weight_grad(g: Any, a: Any, b: Any) -> Optional[str]:
    """dL/db = aᵀ @ g for 2-D operands; for a large product where a has more columns than g, computed as
    (gᵀ @ a)ᵀ (the same sums, a transposed result), which OpenBLAS runs faster: W1's dW1 = xᵀ @ dh,
    (100, 784)ᵀ @ (100, 50), 158 -> 122 µs, W1 1.04x -> 0.99x the floor; 1-10% on other shapes from
    10^6 multiply-adds on; no gain below."""
    if not (_arrays(g, a, b) and a.ndim == 2 == b.ndim):
        return None
    if a.shape[1] > g.shape[1] and a.size * g.shape[1] >= 2 ** 20 and a.flags.c_contiguous and g.flags.c_contiguous:
        return "lambda g, y, a, b: (g.T @ a).T", "{a}.T @ {g}, computed transposed (faster in OpenBLAS)"
    return "lambda g, y, a, b: a.T @ g"


def _from_table(inl: Inliner, source: Optional[str], nodes: list, attrs: Dict[str, Any]) -> Optional[ast.expr]:
    if source is None:
        return None
    return inl.inline_source(source, nodes, {k: inl.constant_of(v, k) for k, v in attrs.items()})


def forward(inl: Inliner, op: Any, fn: Callable, nodes: list, values: list, attrs: Dict[str, Any]) -> tuple:
    """(expression of `op`'s forward on `nodes`, whose traced values are `values`; whether it runs with
    overflow and underflow ignored)."""
    form = FORWARDS.get(op.name)
    if form is not None:
        source = form(*values, **attrs)
        quiet = isinstance(source, tuple)
        expr = _from_table(inl, source[0] if quiet else source, nodes, attrs)
        if expr is not None:
            return expr, quiet
    if isinstance(fn, np.ufunc) and not attrs and len(nodes) == fn.nin:
        return ufunc_call(inl, fn, nodes), False
    kwargs = {k: inl.constant_of(v, k) for k, v in attrs.items()}
    expr = inl.inline(fn, nodes, kwargs)
    if expr is not None:
        return expr, False
    return inl.call(fn, nodes, kwargs, f"{op.name}_forward"), False


def rule(inl: Inliner, op: Any, i: int, fn: Callable, nodes: list, values: list, attrs: Dict[str, Any],
         saved: Optional[ast.expr]) -> tuple:
    """(expression of `op`'s rule for input `i`, a note for its comment or ""): nodes/values are (g, y, *inputs);
    a note's {g}, {y}, {a} ... name the rule's parameters."""
    form = RULES.get((op.name, i))
    if form is not None:
        source = form(*values, **attrs)
        noted = isinstance(source, tuple)
        expr = _from_table(inl, source[0] if noted else source, nodes, attrs)
        if expr is not None:
            return expr, source[1] if noted else ""
    kwargs = {k: inl.constant_of(v, k) for k, v in attrs.items()}
    if saved is not None:
        kwargs["saved"] = saved
    expr = inl.inline(fn, nodes, kwargs)
    if expr is not None:
        return expr, ""
    several = sum(r is not None for r in op.rules) > 1
    return inl.call(fn, nodes, kwargs, f"{op.name}_grad{i}" if several else f"{op.name}_grad"), ""
