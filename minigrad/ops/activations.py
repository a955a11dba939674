"""Activation primitives: a stable numpy forward and the textbook derivative, in x and y.

Each must be finite, and raise no floating-point warning (overflow, underflow, invalid), for every
finite input: exponentials only ever see arguments <= 0 and clamped above the underflow range.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import unary

__all__ = ["sigmoid", "tanh", "relu"]


def exp_neg(x: np.ndarray) -> np.ndarray:
    """exp(-|x|) without underflow: exactly 0 where the result would be below the dtype's normal range."""
    a = np.abs(x)
    if a.dtype.kind != "f":
        a = a.astype(np.float64)
    limit = -np.log(np.finfo(a.dtype).tiny)  # largest |x| whose exp(-|x|) is still a normal number
    small = a < limit
    return np.where(small, np.exp(-np.where(small, a, 0)), 0).astype(a.dtype, copy=False)


def _sigmoid(x):
    """σ(x) = 1/(1 + e^−x), computed from e^−|x| so it never overflows."""
    e = exp_neg(x)
    return np.where(np.asarray(x) >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = unary("sigmoid", _sigmoid, lambda g, y, x: g * y * (1 - y))  # σ' = σ(1 − σ)
tanh = unary("tanh", np.tanh, lambda g, y, x: g * (1 - y * y))  # tanh' = 1 − tanh²


def _relu(x):
    return np.maximum(x, 0)


relu = unary("relu", _relu, lambda g, y, x: g * (x > 0))  # relu'(0) = 0
