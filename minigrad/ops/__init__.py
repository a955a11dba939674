"""Every primitive op: a numpy forward beside its local derivative rule.

Each ops module ends with a `PUBLIC` table saying where each op is public: T = Tensor method,
M = top-level `minigrad.<name>`, F = `minigrad.nn.functional`. The Tensor methods are bound here, the
top-level forms are made in `minigrad.functions` and the F entries in `minigrad.nn.functional`, all from
those tables: adding an op is its definition plus its table entry (and its test registry row).
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict

from . import activations, conv, conversion, elementwise, inplace, linalg, norm, reduce, shape, special
from .activations import relu, sigmoid, tanh
from .elementwise import (abs, add, astype, clip, cos, div, eq, exp, ge, gt, le, log, logical_and,
                          logical_not, logical_or, logical_xor, lt, maximum, minimum, mul, ne, neg, pow,
                          sign, sin, sqrt, sub, where)
from .linalg import matmul
from .reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .shape import (broadcast_to, concatenate, getitem, index_add, normalize_index, reshape, squeeze,
                    stack, swapaxes, transpose, unsqueeze)

MODULES = (elementwise, special, reduce, shape, linalg, activations, conversion, inplace, conv, norm)

ALIASES = {"dim": "axis", "keepdim": "keepdims"}  # PyTorch's words for numpy's


def public(where: str, modules: tuple = MODULES) -> Dict[str, Callable]:
    """{name: function} of the ops public at `where` ("T", "M" or "F"), in table order."""
    return {name: fn for m in modules for name, fn, places in m.PUBLIC if where in places.split()}


def accepts_aliases(name: str, fn: Callable) -> Callable:
    """`fn`, also accepting PyTorch's `dim`/`keepdim` for `axis`/`keepdims` (giving both is a TypeError);
    `fn` itself when it has neither parameter."""
    params = inspect.signature(fn).parameters
    if not any(ALIASES[a] in params for a in ALIASES):
        return fn

    def translate(kwargs: dict) -> dict:
        for alias, word in ALIASES.items():
            if alias in kwargs:
                if word in kwargs:
                    raise TypeError(f"{name}: got both '{word}' and its PyTorch spelling '{alias}'; give one")
                kwargs[word] = kwargs.pop(alias)
        return kwargs

    @functools.wraps(fn)
    def translated(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **translate(kwargs)) if kwargs else fn(*args)
    return translated


def _reflected(op: Callable) -> Callable:
    def method(self, other):
        return op(other, self)
    method.__name__ = f"__r{op.__name__}__"
    return method


def bind_tensor_methods(cls: type) -> None:
    """Attach the operators and every op public as a Tensor method ("T"): each is exactly one op."""
    binary = {"add": add, "sub": sub, "mul": mul, "truediv": div, "pow": pow, "matmul": matmul}
    for name, op in binary.items():
        setattr(cls, f"__{name}__", op)
        setattr(cls, f"__r{name}__", _reflected(op))
    for name, op in {"lt": lt, "le": le, "gt": gt, "ge": ge, "eq": eq, "ne": ne,
                     "and": logical_and, "or": logical_or, "xor": logical_xor}.items():
        setattr(cls, f"__{name}__", op)
    cls.__neg__ = neg
    cls.__pos__ = lambda self: self
    cls.__abs__ = abs
    cls.__invert__ = logical_not
    cls.__getitem__ = lambda self, index: getitem(self, normalize_index(index))
    for name, fn in public("T").items():
        setattr(cls, name, accepts_aliases(name, fn))
