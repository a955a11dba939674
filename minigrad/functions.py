"""The public functional forms: `minigrad.exp`, `minigrad.sum`, `F.relu`, ... derived from the ops' PUBLIC tables.

A form is the op itself, plus two conveniences for users: array-likes (lists, ndarrays, numbers) become
a Tensor, so the result is always a Tensor; and PyTorch's `dim`/`keepdim` are accepted for `axis`/`keepdims`.
"""
from __future__ import annotations

import builtins
import functools
from typing import Any, Callable, Dict

from . import ops
from .tensor import Tensor, _wrap, as_array

_forms: Dict[Callable, Callable] = {}


def public_form(name: str, fn: Callable) -> Callable:
    """The user-facing form of op `fn`: when no positional argument is a Tensor, the first one becomes
    one (each element, for ops that take a sequence of tensors), so every call returns a Tensor."""
    key = (name, fn)
    if key in _forms:
        return _forms[key]
    impl = ops.accepts_aliases(name, fn)
    sequence = getattr(fn, "sequence_input", False)

    @functools.wraps(fn)
    def form(*args: Any, **kwargs: Any) -> Any:
        if args and not sequence and not builtins.any(isinstance(a, Tensor) for a in args):  # `any` is an op here
            args = (_wrap(as_array(args[0], op=name)),) + args[1:]  # errors name the op called
        return impl(*args, **kwargs)

    form.__name__ = form.__qualname__ = name
    _forms[key] = form
    return form


FORMS = {name: public_form(name, fn) for name, fn in ops.public("M").items()}
globals().update(FORMS)
__all__ = list(FORMS)
