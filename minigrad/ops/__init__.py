"""Every primitive op: a numpy forward beside its local derivative rule."""
from __future__ import annotations


from .activations import relu, sigmoid, tanh
from .elementwise import (abs, add, astype, clip, cos, div, eq, exp, ge, gt, le, log, logical_and,
                          logical_not, logical_or, logical_xor, lt, maximum, minimum, mul, ne, neg, pow,
                          sign, sin, sqrt, sub, where)
from .linalg import matmul
from .reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from .shape import (broadcast_to, concatenate, getitem, index_add, normalize_index, reshape, squeeze,
                    stack, swapaxes, transpose, unsqueeze)


def _reflected(op):
    def method(self, other):
        return op(other, self)
    method.__name__ = f"__r{op.__name__}__"
    return method


def bind_tensor_methods(cls: type) -> None:
    """Attach operators and elementwise methods to Tensor: each is exactly one op."""
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
    cls.__getitem__ = lambda self, index: getitem(self, index=normalize_index(index))
    for op in (exp, log, sqrt, abs, sin, cos, tanh, sigmoid, relu, sign):
        setattr(cls, op.__name__, op)
    cls.maximum = maximum
    cls.minimum = minimum
    cls.matmul = matmul
