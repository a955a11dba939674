"""Normalization and lookup layers as functions: batch_norm, layer_norm, embedding.

Each is a composition of recorded ops (mean, subtraction, sqrt, division, indexing), so each is
differentiable to any order with no rule of its own. Variances that normalize are biased (divide
by n), as in PyTorch; the running variance that batch_norm keeps is unbiased (divide by n − 1).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ..autograd.graph import note_writes
from ..autograd.mode import no_grad
from ..tensor import Tensor
from .elementwise import sqrt
from .reduce import mean
from .shape import reshape

Stat = Union[Tensor, np.ndarray]


def _float_input(x: Any, op: str) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: expected a float input, got dtype {t.dtype}")
    return t


def _per_feature(v: Any, shape: tuple, name: str, op: str, where: str) -> Any:
    """An optional weight, bias or statistic: a Tensor or ndarray of exactly `shape`."""
    if v is None:
        return None
    if not isinstance(v, (Tensor, np.ndarray)):
        v = np.asarray(v)
    if tuple(v.shape) != shape:
        raise ValueError(f"{op}: expected {name} of shape {shape} ({where}), got shape {tuple(v.shape)}")
    return v


def _normalize(x: Tensor, axes: tuple, eps: float) -> tuple:
    """(x − mean)/√(var + eps) over `axes` with the biased variance; returns (x̂, mean, var), stats kept as dims."""
    mu = mean(x, axis=axes, keepdims=True)
    d = x - mu
    var = mean(d * d, axis=axes, keepdims=True)
    return d / sqrt(var + eps), mu, var


def _affine(y: Any, weight: Any, bias: Any, shape: tuple) -> Any:
    """y·weight + bias with both reshaped to broadcast as `shape`."""
    if weight is not None:
        y = y * reshape(weight, shape=shape)
    if bias is not None:
        y = y + reshape(bias, shape=shape)
    return y


def check_eps(eps: Any, op: str) -> float:
    """eps as a float; a ValueError naming `op` unless it is a non-negative number."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) or not eps >= 0:
        raise ValueError(f"{op}: eps must be a non-negative number, got {eps!r}")
    return float(eps)


def _update_running(stat: Stat, batch_value: np.ndarray, momentum: float) -> None:
    """stat ← (1 − momentum)·stat + momentum·batch_value, written into stat's own array."""
    arr = stat.data if isinstance(stat, Tensor) else stat
    with no_grad():
        arr[...] = (1 - momentum) * arr + momentum * batch_value.astype(arr.dtype, copy=False)
    if isinstance(stat, Tensor):
        stat._version += 1
    # an in-place write: a graph that read these statistics will say so at backward. Stamped through the name
    # bound at import, which minigrad.compile does not wrap: it checks running statistics itself (its buffer check)
    note_writes((arr,))


def batch_norm(x: Any, running_mean: Optional[Stat], running_var: Optional[Stat], weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Per channel c (axis 1): (x − μ_c)/√(σ²_c + eps)·weight_c + bias_c. Training: μ, σ² of the batch (over N
    and the spatial axes; biased σ²), and running_mean/running_var, when given, are updated in place:
    r ← (1 − momentum)·r + momentum·batch statistic (the variance unbiased). Eval: the running statistics,
    taken as constants in x's dtype."""
    x = _float_input(x, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C) or (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    where = f"one per channel of input shape {x.shape}"
    running_mean = _per_feature(running_mean, (c,), "running_mean", "batch_norm", where)
    running_var = _per_feature(running_var, (c,), "running_var", "batch_norm", where)
    weight = _per_feature(weight, (c,), "weight", "batch_norm", where)
    bias = _per_feature(bias, (c,), "bias", "batch_norm", where)
    eps = check_eps(eps, "batch_norm")
    if (isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating))
            or not 0 <= momentum <= 1):
        raise ValueError(f"batch_norm: momentum must be a number in [0, 1], got {momentum!r}")
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // c if c else 0
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        y, mu, var = _normalize(x, axes, eps)
        if running_mean is not None:
            _update_running(running_mean, mu.data.reshape(c), momentum)
        if running_var is not None:
            _update_running(running_var, var.data.reshape(c) * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False "
                             "(pass training=True to normalize with the batch statistics)")
        # the running statistics are constants (no gradient reaches them), taken in x's dtype
        mu, var = (reshape((s.detach() if isinstance(s, Tensor) else Tensor(s)).astype(x.dtype), shape)
                   for s in (running_mean, running_var))
        y = (x - mu) / sqrt(var + eps)
    return _affine(y, weight, bias, shape)


def layer_norm(x: Any, normalized_shape: Union[int, Sequence[int]], weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """(x − μ)/√(σ² + eps)·weight + bias, μ and σ² (biased) over the trailing axes `normalized_shape`
    of every sample; weight and bias have shape `normalized_shape`."""
    x = _float_input(x, "layer_norm")
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        normalized_shape = (int(normalized_shape),)
    try:
        norm_shape = tuple(int(v) for v in normalized_shape)
    except (TypeError, ValueError):
        raise TypeError(f"layer_norm: normalized_shape must be an int or a sequence of ints, "
                        f"got {normalized_shape!r}") from None
    k = len(norm_shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != norm_shape:
        raise ValueError(f"layer_norm: normalized_shape {norm_shape} must be the trailing dimensions of the "
                         f"input, got input shape {x.shape}")
    where = "normalized_shape"
    weight = _per_feature(weight, norm_shape, "weight", "layer_norm", where)
    bias = _per_feature(bias, norm_shape, "bias", "layer_norm", where)
    eps = check_eps(eps, "layer_norm")
    y, _, _ = _normalize(x, tuple(range(x.ndim - k, x.ndim)), eps)
    return _affine(y, weight, bias, norm_shape)


def embedding(indices: Any, weight: Any) -> Tensor:
    """Rows of weight (num_embeddings, embedding_dim) picked by integer indices of any shape: weight[indices],
    of shape indices.shape + (embedding_dim,); a row picked several times accumulates its gradients."""
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    if w.ndim != 2:
        raise ValueError(f"embedding: expected weight of shape (num_embeddings, embedding_dim), got shape {w.shape}")
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: expected integer indices, got dtype {idx.dtype}")
    n = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = int(idx[(idx < 0) | (idx >= n)].flat[0])
        raise IndexError(f"embedding: index {bad} is out of range for {n} embeddings "
                         f"(weight shape {w.shape}); indices must be in [0, {n})")
    return w[idx.astype(np.intp, copy=False)]



#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (("batch_norm", batch_norm, "F"), ("layer_norm", layer_norm, "F"), ("embedding", embedding, "F"))
