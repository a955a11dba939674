"""The few helpers that generated code calls besides numpy (the generated module's globals)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.gradients import accumulate, leaf_lock
from ..tensor import Tensor, _wrap, written


def deliver(t: Tensor, g: Any, owned: bool) -> None:
    """Add gradient `g` into `t.grad` as backward does (set when it is None, else added); `owned`: g is a
    fresh array that nothing else refers to, so `.grad` may keep it."""
    with leaf_lock:
        accumulate(t, g, owned and type(g) is np.ndarray)


def wrap(a: Any) -> Tensor:
    """A result tensor on a fresh array of the call."""
    return _wrap(a if type(a) is np.ndarray else np.asarray(a))


def wrap_copy(a: Any) -> Tensor:
    """A result tensor on a copy (the array is shared with the program or with another result)."""
    return _wrap(np.array(a))


def copy(a: Any) -> np.ndarray:
    return np.array(a)


def bump(tensors: tuple) -> None:
    """After replayed in-place writes into these tensors' arrays: what any in-place write does (versions
    bumped, buffers stamped: tensor.written)."""
    written(*tensors)


def plain_sgd_lr(opt: Any, k: int) -> float:
    """The learning rate of SGD's parameter group k, for a compiled step that writes SGD out as
    p -= lr * p.grad: an edited group is validated as SGD.step does, and momentum or weight decay set
    since tracing (which that form leaves out) raises."""
    group = opt.param_groups[k]
    if opt._snapshot(group) != opt._checked[k]:
        opt._check_group(group, k)
        opt._checked[k] = opt._snapshot(group)
        if group["momentum"] or group["weight_decay"]:
            raise ValueError("compiled step: SGD's momentum or weight_decay was set after the step was compiled "
                             "without them; compile it again")
    return float(group["lr"])


def function_forward(cls: type, ctx: Any, *inputs: Any) -> tuple:
    """(output array, saved values) of a custom Function's forward on arrays (with a fresh ctx per call)."""
    out = cls._run_forward(*inputs, ctx=ctx)
    y, saved = out if isinstance(out, tuple) else (out, ctx._saved)
    return np.asarray(y), saved


def function_vjp(op: Any, ctx: Any, saved: Any, g: Any, y: Any, inputs: tuple, wants: tuple) -> tuple:
    """A custom Function's backward on arrays, through its Op as the engine calls it: one gradient per
    input (None where none is wanted). The saved values are where its backward looks for them (the ctx,
    the output's node)."""
    out = _wrap(y)
    out._attrs, out._saved, ctx._saved = {"ctx": ctx}, saved, saved
    tensors = []
    for x, w in zip(inputs, wants):
        if isinstance(x, np.ndarray):
            xt = _wrap(x)
            xt.requires_grad = w
            tensors.append(xt)
        else:
            tensors.append(x)
    return tuple(op.function_backward(out, g, tuple(tensors), None, False))


def same_static(a: Any, traced: Any) -> bool:
    """Whether a non-array argument is the one the function was traced with (numbers equal, of the same
    type; other objects the very same)."""
    if traced is None or isinstance(traced, (bool, int, float, complex, str, bytes)):
        return type(a) is type(traced) and a == traced
    return a is traced


def _describe(a: Any) -> str:
    if isinstance(a, Tensor):
        grad = ", requiring grad" if a.requires_grad else ""
        return f"a tensor of shape {a.shape} and dtype {a.dtype}{grad}"
    if isinstance(a, np.ndarray):
        return f"an array of shape {a.shape} and dtype {a.dtype}"
    return f"{type(a).__name__} {a!r:.60}"


class Mismatch:
    """What each argument was when traced (for the error raised when a call differs)."""

    def __init__(self, name: str, traced: list, params: dict) -> None:
        self.name, self.traced, self.params = name, traced, params
        self.traced_params = {k: _describe(t) for k, t in params.items()}

    def argument(self, i: int, a: Any) -> None:
        raise ValueError(f"compiled {self.name}: argument {i} is {_describe(a)}, but it was traced with "
                         f"{self.traced[i]}; compile again for these arguments (minigrad.compile(fn, *args)) or "
                         "call the function uncompiled")

    def parameter(self, key: str) -> None:
        t = self.params[key]
        raise ValueError(f"compiled {self.name}: tensor {key!r} is now {_describe(t)}, not {self.traced_params[key]} "
                         "as traced; compile again or call the function uncompiled")


def describe(a: Any) -> str:
    return _describe(a)
