"""Matrix product with numpy's semantics: 1-D, 2-D and batched N-D with broadcast batch axes."""
from __future__ import annotations

import numpy as np

from ..autograd.function import binary
from .shape import reshape, swapaxes


def _matmul(a, b):
    try:
        return np.matmul(a, b)
    except ValueError:  # explain the failure in the operands' terms
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            raise ValueError(f"matmul: operands must have at least one dimension, "
                             f"got shapes {np.shape(a)} and {np.shape(b)}") from None
        ka, kb = np.shape(a)[-1], np.shape(b)[-2 if np.ndim(b) > 1 else -1]
        if ka != kb:
            raise ValueError(f"matmul: shapes {np.shape(a)} and {np.shape(b)} do not align ({ka} != {kb})") from None
        raise ValueError(f"matmul: shapes {np.shape(a)} and {np.shape(b)} do not broadcast "
                         f"(batch axes {np.shape(a)[:-2]} and {np.shape(b)[:-2]})") from None


def matrix_transpose(m):
    """Swap the last two axes (`.T` for the common 2-D case, which ndarray does in C)."""
    return m.T if m.ndim == 2 else swapaxes(m, -1, -2)


def _as_matrices(g, a, b):
    """View vector operands as matrices (a row, b a column) and g to match, as numpy does."""
    if a.ndim == 1:
        a = reshape(a, shape=(1,) + a.shape)
        g = reshape(g, shape=g.shape[:-1] + (1,) + g.shape[-1:]) if b.ndim > 1 else reshape(g, shape=g.shape + (1,))
    if b.ndim == 1:
        b = reshape(b, shape=b.shape + (1,))
        g = reshape(g, shape=g.shape + (1,))
    return g, a, b


def _grad_a(g, y, a, b):
    """dL/da = g @ bᵀ (summed over broadcast batch axes by the engine)."""
    g2, a2, b2 = _as_matrices(g, a, b)
    ga = g2 @ matrix_transpose(b2)
    return reshape(ga, shape=ga.shape[:-2] + a.shape[-1:]) if a.ndim == 1 else ga


def _grad_b(g, y, a, b):
    """dL/db = aᵀ @ g."""
    g2, a2, b2 = _as_matrices(g, a, b)
    gb = matrix_transpose(a2) @ g2
    return reshape(gb, shape=gb.shape[:-1]) if b.ndim == 1 else gb


matmul = binary("matmul", _matmul, _grad_a, _grad_b)


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (("matmul", matmul, "T M"),)
