"""Breadth-first walk of a recorded graph from its roots: iterative, public attributes only.

The walk lists every node once, nearest to the roots first, so that `max_nodes` can keep a prefix:
a tensor node per Tensor (identity `id(tensor)`), an op node per `grad_fn` (identified by the
tensor it made, since each op makes exactly one tensor), and a constant node per non-scalar array
operand. Scalar operands (Python numbers, numpy scalars, 0-d arrays) are not nodes: they are kept
with their op and written into its label.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..tensor import Tensor

TENSOR, OP, CONST = "tensor", "op", "const"


@dataclass
class Item:
    """One drawable node: its DOT id, its kind, the object it stands for and its BFS depth."""

    key: str
    kind: str
    obj: Any  # the Tensor (TENSOR), the grad_fn Node (OP) or the ndarray / other constant (CONST)
    depth: int
    scalars: Dict[int, Any] = field(default_factory=dict)  # OP only: input position -> scalar operand


@dataclass
class Graph:
    """The walk's result: nodes in BFS order and edges (source key, target key, input position)."""

    items: List[Item]
    edges: List[Tuple[str, str, Optional[int]]]


def is_scalar(value: Any) -> bool:
    """Operands folded into an op's label rather than drawn: numbers and 0-d arrays."""
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0


def tensor_key(t: Tensor) -> str:
    return f"t{id(t)}"


def op_key(t: Tensor) -> str:
    return f"op{id(t)}"


def walk(roots: Sequence[Tensor]) -> Graph:
    """All nodes and edges reachable from `roots`, breadth first (no recursion: any depth works)."""
    items: List[Item] = []
    edges: List[Tuple[str, str, Optional[int]]] = []
    seen: Dict[int, str] = {}
    queue: deque = deque()
    for r in roots:
        if id(r) not in seen:
            seen[id(r)] = tensor_key(r)
            items.append(Item(tensor_key(r), TENSOR, r, 0))
            queue.append((r, 0))
    while queue:
        t, depth = queue.popleft()
        fn = t.grad_fn
        if fn is None:
            continue
        okey = op_key(t)
        op = Item(okey, OP, fn, depth + 1)
        items.append(op)
        edges.append((okey, tensor_key(t), None))
        for pos, inp in enumerate(fn.inputs):
            if isinstance(inp, Tensor):
                key = seen.get(id(inp))
                if key is None:
                    key = seen[id(inp)] = tensor_key(inp)
                    items.append(Item(key, TENSOR, inp, depth + 2))
                    queue.append((inp, depth + 2))
            elif is_scalar(inp):
                op.scalars[pos] = inp
                continue
            else:
                key = seen.get(id(inp))
                if key is None:
                    key = seen[id(inp)] = f"c{id(inp)}"
                    items.append(Item(key, CONST, inp, depth + 2))
            edges.append((key, okey, pos))
    return Graph(items, edges)
