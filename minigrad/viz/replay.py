"""Replay a backward pass rule by rule, keeping every gradient sent: what the explorer's stepper shows.

The order is the engine's own (`backward_order`), and each step runs the node's own derivative rules once
(`grad_fn.vjp`), so the replay is the backward pass itself, taken apart: step k receives the gradient of
its op's output (the sum of what its consumers sent) and sends one gradient to each input. Nothing is
recorded and no `.grad` is touched. It starts from a gradient of ones for one-element roots, as
`backward()` does. When it cannot run (a root with more elements, a rule whose saved values were released
by an earlier `backward()`), `reason` says why and the steps stop there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from ..autograd.engine import backward_order
from ..tensor import Tensor


@dataclass
class Send:
    """One gradient a rule sends: to input `position` (a Tensor, or a constant that gets none)."""

    position: int
    target: Any
    grad: Optional[np.ndarray]


@dataclass
class Step:
    """One rule run: the tensor whose op runs, the gradient arriving at it, and what it sends."""

    tensor: Tensor
    grad: np.ndarray
    sends: List[Send]


@dataclass
class Replay:
    """The steps in the engine's order, each tensor's summed gradient, and why the replay stopped, if it did."""

    steps: List[Step] = field(default_factory=list)
    grads: Dict[int, np.ndarray] = field(default_factory=dict)  # id(tensor) -> total gradient received
    contributions: Dict[int, int] = field(default_factory=dict)  # id(tensor) -> how many gradients it gets
    order: List[Tensor] = field(default_factory=list)
    reason: Optional[str] = None

    @property
    def complete(self) -> bool:
        return self.reason is None


def replay_backward(roots: Sequence[Tensor]) -> Replay:
    """Run the backward pass of `roots` step by step in the engine's order; see the module docstring."""
    out = Replay()
    for r in roots:
        if r.grad_fn is None and not r.requires_grad:
            continue
        if r.data.size != 1:
            out.reason = (f"the root of shape {r.shape} has {r.data.size} elements; backward() starts from a "
                          f"gradient of ones only for a one-element root (explore(root.sum()) replays the sum)")
            return out
    for r in roots:
        if id(r) not in out.grads and (r.grad_fn is not None or r.requires_grad):
            out.grads[id(r)] = np.ones(r.shape, dtype=r.dtype)
    try:
        out.order = backward_order(*roots)
    except Exception as e:  # noqa: BLE001 - the page says what went wrong instead of failing to open
        out.reason = f"the engine could not order the graph ({type(e).__name__}: {e})"
        return out
    for t in out.order:
        for p in t.grad_fn.inputs:
            if isinstance(p, Tensor) and p.requires_grad:
                out.contributions[id(p)] = out.contributions.get(id(p), 0) + 1
    for t in out.order:
        g = out.grads.get(id(t))
        if g is None:
            continue  # nothing reached it (cannot happen for a recorded graph, kept for safety)
        fn = t.grad_fn
        try:
            sent = fn.vjp(g)
        except Exception as e:  # noqa: BLE001 - released saved values surface as assorted errors
            out.reason = (f"the rule of '{fn.name}' could not run ({type(e).__name__}: {e}). If backward() already "
                          f"ran without retain_graph=True, the values the rules need were released: call explore "
                          f"before backward(), or pass retain_graph=True")
            return out
        sends = []
        for pos, (inp, gi) in enumerate(zip(fn.inputs, sent)):
            sends.append(Send(pos, inp, gi))
            if gi is not None and isinstance(inp, Tensor):
                prev = out.grads.get(id(inp))
                out.grads[id(inp)] = gi.copy() if prev is None else prev + gi
        out.steps.append(Step(t, g, sends))
    return out
