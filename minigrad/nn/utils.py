"""Gradient utilities: clip_grad_norm_, clip_grad_value_ (PyTorch's), and zeroing gradients.

Each works on the `.grad` of the given parameters in place: the values are written into the existing
gradient arrays (the same `Tensor` objects, the same ndarrays), outside any graph, and parameters whose
grad is None are skipped. `parameters` is one Tensor or an iterable of them (`model.parameters()`).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, List, Union

import numpy as np

from ..autograd.mode import no_grad, state as _mode
from ..tensor import Tensor, _wrap, get_default_dtype, written

__all__ = ["clip_grad_norm_", "clip_grad_value_"]

Parameters = Union[Tensor, Iterable[Tensor]]

# PyTorch adds this to the total norm before dividing, so that a zero norm never divides by zero.
_NORM_EPS = 1e-6


def clip_grad_norm_(parameters: Parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`; return that norm.

    total = ||(||g_1||_p, ..., ||g_n||_p)||_p (the p-norm of all gradients as one vector; p = inf: the
    largest |g|); each g is multiplied by min(1, max_norm / (total + 1e-6)). The total norm is
    returned as a 0-d Tensor in the gradients' dtype (0.0 when no parameter has a gradient). A total
    that is nan or inf raises RuntimeError with `error_if_nonfinite=True`; otherwise the gradients are
    scaled anyway (and so become nan), as in PyTorch.
    """
    where = "clip_grad_norm_"
    max_norm = _real(max_norm, "max_norm", where)
    if max_norm < 0:
        raise ValueError(f"{where}: max_norm must be >= 0, got {max_norm}")
    p = _real(norm_type, "norm_type", where)
    if not p > 0:
        raise ValueError(f"{where}: norm_type must be positive (e.g. 1, 2 or math.inf), got {norm_type}")
    grads = _grads(parameters, where)
    if not grads:
        return _wrap(np.array(0.0, dtype=_result_dtype([])))
    with np.errstate(over="ignore", invalid="ignore"):  # an inf or nan gradient gives an inf/nan norm
        norms = np.array([_vector_norm(g, p) for g in grads])
        total = float(_vector_norm(norms, p))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{where}: the total norm of order {norm_type} of the gradients is {total}; "
                           "set error_if_nonfinite=False to clip anyway")
    coef = np.minimum(max_norm / (total + _NORM_EPS), 1.0)  # nan stays nan, as torch.clamp
    with no_grad(), np.errstate(invalid="ignore"):  # inf * 0 = nan, as in PyTorch
        for g in grads:
            _write(g, g.data * float(coef))
    return _wrap(np.array(total, dtype=_result_dtype(grads)))


def clip_grad_value_(parameters: Parameters, clip_value: float) -> None:
    """Clip every gradient element into [-clip_value, clip_value], in place (nan stays nan)."""
    where = "clip_grad_value_"
    clip_value = _real(clip_value, "clip_value", where)
    if not clip_value >= 0:
        raise ValueError(f"{where}: clip_value must be >= 0, got {clip_value}")
    with no_grad():
        for g in _grads(parameters, where):
            _write(g, np.clip(g.data, -clip_value, clip_value))


def _zero_grads(parameters: Iterable[Tensor], set_to_none: bool) -> None:
    """Reset gradients: to None, or to zeros written into the existing arrays (Module/Optimizer.zero_grad)."""
    if _mode.tracer is not None and _mode.tracer.inside is None:  # minigrad.compile records the reset
        return _mode.tracer.zero_grad(parameters, set_to_none)
    if set_to_none:
        for p in parameters:
            p.grad = None
        return
    for p in parameters:
        g = p.grad
        if g is None:
            continue
        if not g.is_leaf:  # a gradient built with create_graph=True: its array belongs to that graph
            p.grad = _wrap(np.zeros_like(g.data))
            continue
        with no_grad():
            _write(g, 0)


# --------------------------------------------------------------------- helpers
def _grads(parameters: Parameters, where: str) -> List[Tensor]:
    """The non-None gradients of `parameters` (a Tensor or an iterable of them), each checked float."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif isinstance(parameters, (str, bytes, np.ndarray)) or not hasattr(parameters, "__iter__"):
        raise TypeError(f"{where}: parameters must be a Tensor or an iterable of Tensors "
                        f"(e.g. model.parameters()), got {type(parameters).__name__}")
    grads, seen = [], set()
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameter {i} is a {type(p).__name__}, expected a Tensor")
        g = p.grad
        if g is None or id(g) in seen:  # a parameter listed twice is clipped once
            continue
        seen.add(id(g))
        if not isinstance(g, Tensor) or g.dtype.kind != "f":
            kind = g.dtype if isinstance(g, Tensor) else type(g).__name__
            raise TypeError(f"{where}: the grad of parameter {i} must be a float Tensor, got {kind}")
        grads.append(g)
    return grads


def _vector_norm(a: np.ndarray, p: float) -> np.floating:
    """The p-norm of `a` taken as one flat vector, in float64."""
    a = np.abs(np.asarray(a, dtype=np.float64).ravel())
    if a.size == 0:
        return np.float64(0.0)
    if p == math.inf:
        return a.max()
    if p == 2.0:
        return np.sqrt(np.dot(a, a))
    if p == 1.0:
        return a.sum()
    return np.sum(a ** p) ** (1.0 / p)


def _write(g: Tensor, values: Any) -> None:
    """Write `values` into the gradient's own array (a read-only one is replaced by a writable copy);
    either way an in-place write, so its version is bumped (see minigrad.autograd.graph)."""
    if g.data.flags.writeable:
        np.copyto(g.data, values, casting="unsafe")
        written(g)
    else:
        g.data = np.array(np.broadcast_to(values, g.shape), dtype=g.dtype)


def _result_dtype(grads: List[Tensor]) -> np.dtype:
    return np.result_type(*[g.dtype for g in grads]) if grads else np.dtype(get_default_dtype())


def _real(value: Any, name: str, where: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{where}: {name} must not be nan")
    return v
