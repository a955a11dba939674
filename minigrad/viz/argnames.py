"""Which argument an op input fills, by name: `target` for a loss's class indices, `condition` for where.

A constant operand (an array that is not a Tensor) has no name of its own, so the pictures call it after
the parameter it was passed as. The name comes from the public function that has the op's name, read
with `inspect.signature`: `minigrad.nn.functional`, then the top-level `minigrad` functions, then the
Tensor method (`__name__` or `name`, whose `self` is input 0). Nothing private is read.
"""
from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Optional, Tuple

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@lru_cache(maxsize=None)
def parameter_names(op_name: str) -> Tuple[str, ...]:
    """The positional parameter names of the public function called `op_name`, or () when there is none."""
    import minigrad
    from minigrad.nn import functional as F

    for namespace in (F, minigrad):
        fn = getattr(namespace, op_name, None)
        if callable(fn) and not isinstance(fn, type):
            names = _positional(fn)
            if names:
                return names
    for attr in (f"__{op_name}__", op_name):
        method = getattr(minigrad.Tensor, attr, None)
        if callable(method):
            names = _positional(method)
            if names:
                return names
    return ()


def argument_name(op_name: str, position: int) -> Optional[str]:
    """The name of the parameter that input `position` of op `op_name` fills, or None when unknown."""
    names = parameter_names(op_name)
    name = names[position] if 0 <= position < len(names) else None
    return None if name == "self" else name  # a method's receiver is the tensor, never a constant


def _positional(fn: object) -> Tuple[str, ...]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return ()
    return tuple(p.name for p in params if p.kind in _POSITIONAL)
