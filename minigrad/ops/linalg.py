"""Matrix product with numpy's semantics: 1-D, 2-D and batched N-D with broadcast batch axes; einsum."""
from __future__ import annotations

import string
from typing import Any, List, Tuple

import numpy as np

from ..autograd.function import binary, primitive
from ..tensor import Tensor
from .shape import broadcast_to, reshape, swapaxes


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


def _affine(x, w, b):
    """x @ w + b for rows x (N, K), w (K, M) and b (M,): the textbook's Affine layer as one op, so the
    graph keeps one (N, M) array, not the product and the sum (conv2d's bias: W7's step 0.91–0.95×,
    6.9 MB less). The bias is added in place unless it would change the product's dtype."""
    y = _matmul(x, w)
    if np.result_type(y, b) != y.dtype:
        return y + b
    y += b
    return y


def _affine_grad_x(g, y, x, w, b):
    return g @ w.T


def _affine_grad_w(g, y, x, w, b):
    return x.T @ g


def _affine_grad_b(g, y, x, w, b):
    return g.sum(axis=0)


affine = primitive("affine", _affine, _affine_grad_x, _affine_grad_w, _affine_grad_b)


# ==============================================================================================
# einsum (issue 15). The public function parses the subscripts once into explicit form ("ij,jk->ik",
# ellipses replaced by letters of their own), so that the primitive and its rules work on letters only.
# The rule for operand i is another einsum: the output gradient contracted with the other operands
# onto operand i's letters. Two cases need more than that one einsum:
#   - a letter only operand i has (summed away in the forward) gets no axis from that einsum: its
#     gradient is the same for every value of the letter, so it is broadcast back;
#   - a letter repeated within operand i ("ii": a diagonal) gets one axis from it, which is put back
#     on the diagonal by multiplying with a 0/1 mask (off-diagonal elements do not reach the output).
# ==============================================================================================

_LETTERS = string.ascii_letters


def _split_terms(subscripts: str, n: int) -> Tuple[List[str], Any]:
    """The operands' terms and the output term (None when implicit), checked for their characters."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    lhs, out = spec.split("->") if "->" in spec else (spec, None)
    terms = lhs.split(",")
    if len(terms) != n:
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands but {n} were given")
    for term in terms + ([out] if out is not None else []):
        rest = term.replace("...", "", 1)
        bad = sorted(set(c for c in rest if c not in _LETTERS))
        if bad:
            raise ValueError(f"einsum: subscripts {subscripts!r}: {''.join(bad)!r} is not a letter "
                             "(indices are letters a-z, A-Z, with at most one '...' per operand)")
    return terms, out


def _explicit(subscripts: str, shapes: List[tuple]) -> str:
    """`subscripts` in explicit form with every ellipsis spelled out as letters, checked against the shapes."""
    terms, out = _split_terms(subscripts, len(shapes))
    used = set(subscripts)
    ellipsis_dims = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if len(shape) < named or ("..." not in term and len(shape) != named):
            raise ValueError(f"einsum: operand {i} has shape {shape} ({len(shape)} dimensions) but its "
                             f"subscripts {term!r} name {named}")
        ellipsis_dims.append(len(shape) - named)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = max(ellipsis_dims, default=0)
    if n_ell > len(spare):
        raise ValueError(f"einsum: too many dimensions for the letters left to spell '...' in {subscripts!r}")
    ell = "".join(spare[:n_ell])
    terms = [t.replace("...", ell[n_ell - k:] if k else "") for t, k in zip(terms, ellipsis_dims)]
    if out is None:  # implicit: the ellipsis axes, then the letters seen exactly once, sorted
        counts = "".join(terms)
        out = ell + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in ell))
    else:
        if "..." not in out and n_ell and any(ellipsis_dims):
            raise ValueError(f"einsum: subscripts {subscripts!r}: the output needs '...' for the broadcast axes")
        out = out.replace("...", ell)
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts {out!r} repeat an index")
        missing = [c for c in out if c not in "".join(terms)]
        if missing:
            raise ValueError(f"einsum: output index {missing[0]!r} does not appear in any operand of {subscripts!r}")
    sizes: dict = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        within: dict = {}
        for c, n in zip(term, shape):
            if within.setdefault(c, n) != n:
                raise ValueError(f"einsum: index {c!r} of operand {i} has sizes {within[c]} and {n} (a repeated "
                                 f"index takes a diagonal, which needs equal sizes)")
            if n != 1 and sizes.setdefault(c, (n, i))[0] != n:
                raise ValueError(f"einsum: index {c!r} has size {sizes[c][0]} in operand {sizes[c][1]} and "
                                 f"{n} in operand {i} (shapes {[tuple(s) for s in shapes]})")
    return ",".join(terms) + "->" + out


def _einsum(*operands, subscripts):
    return np.einsum(subscripts, *operands)


def _diagonal_mask(term: str, shape: tuple) -> np.ndarray:
    """1 where every repeated letter of `term` indexes the same position (the diagonal), 0 elsewhere."""
    mask = np.ones(shape, dtype=bool)
    for p, c in enumerate(term):
        first = term.index(c)
        if first != p:
            line = lambda axis: np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - 1 - axis))
            mask = mask & (line(first) == line(p))
    return mask


def _einsum_grad(i, g, y, *operands, subscripts):
    """∂/∂operand i: g contracted with the other operands onto operand i's distinct letters, then broadcast
    over the letters only operand i has and placed on its diagonals."""
    lhs, out = subscripts.split("->")
    terms = lhs.split(",")
    term, x = terms[i], operands[i]
    letters = "".join(dict.fromkeys(term))  # distinct, in order of first appearance
    elsewhere = set(out).union(*(terms[j] for j in range(len(terms)) if j != i))
    kept = "".join(c for c in letters if c in elsewhere)
    others = [operands[j] for j in range(len(terms)) if j != i]
    spec = ",".join([out] + [terms[j] for j in range(len(terms)) if j != i]) + "->" + kept
    grad = einsum_op(g, *others, subscripts=spec)
    size = dict(zip(term, x.shape))
    grad_shape = dict(zip(kept, grad.shape))
    per_letter = tuple(grad_shape.get(c, 1) for c in letters)
    if len(letters) == len(term):  # no diagonal: one axis per letter, in order
        grad = reshape(grad, shape=per_letter) if tuple(grad.shape) != per_letter else grad
        full = tuple(grad_shape.get(c, size[c]) for c in letters)
        return broadcast_to(grad, shape=full) if per_letter != full else grad
    firsts = tuple(per_letter[letters.index(c)] if term.index(c) == p else 1 for p, c in enumerate(term))
    return reshape(grad, shape=firsts) * _diagonal_mask(term, tuple(x.shape))


einsum_op = primitive("einsum", _einsum, _einsum_grad, variadic=True)


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation as np.einsum ('ij,jk->ik', implicit output, '...', repeated indices for diagonals),
    differentiable in every operand."""
    if not operands:
        raise ValueError("einsum: expected at least one operand after the subscripts")
    if not any(isinstance(o, Tensor) for o in operands):
        operands = (Tensor(operands[0]),) + operands[1:]  # array-likes only: the result is still a Tensor
    shapes = [tuple(np.shape(o.data if isinstance(o, Tensor) else o)) for o in operands]
    return einsum_op(*operands, subscripts=_explicit(subscripts, shapes))


einsum.sequence_input = True  # the public form must not turn the subscripts into a tensor


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (("matmul", matmul, "T M"), ("einsum", einsum, "M"))
