"""The top-level functional forms (minigrad.exp, minigrad.sum, ...): array-likes become tensors, then one op."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from . import ops
from .tensor import Tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x: Any) -> Tensor:
    """e^x."""
    return ops.exp(_t(x))


def log(x: Any) -> Tensor:
    """Natural logarithm."""
    return ops.log(_t(x))


def sqrt(x: Any) -> Tensor:
    """Square root."""
    return ops.sqrt(_t(x))


def abs(x: Any) -> Tensor:
    """|x| (derivative 0 at 0)."""
    return ops.abs(_t(x))


def sin(x: Any) -> Tensor:
    """sin x."""
    return ops.sin(_t(x))


def cos(x: Any) -> Tensor:
    """cos x."""
    return ops.cos(_t(x))


def tanh(x: Any) -> Tensor:
    """tanh x."""
    return ops.tanh(_t(x))


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + e^−x)."""
    return ops.sigmoid(_t(x))


def relu(x: Any) -> Tensor:
    """max(0, x) (derivative 0 at 0)."""
    return ops.relu(_t(x))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max; ties split the gradient evenly."""
    return ops.maximum(a if isinstance(b, Tensor) else _t(a), b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min; ties split the gradient evenly."""
    return ops.minimum(a if isinstance(b, Tensor) else _t(a), b)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """a where condition holds, else b."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = _t(a)
    return ops.where(condition, a, b)


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """Limit values to [min, max] (gradient 1 inside, boundaries included; 0 outside)."""
    return ops.clip(_t(x), min=min, max=max)


clamp = clip


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product, numpy semantics (1-D, 2-D, batched with broadcasting)."""
    return ops.matmul(a if isinstance(b, Tensor) else _t(a), b)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over `axis` (all axes when None)."""
    return ops.sum(_t(x), axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis`."""
    return ops.mean(_t(x), axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over `axis`; ties share the gradient evenly."""
    return ops.max(_t(x), axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over `axis`; ties share the gradient evenly."""
    return ops.min(_t(x), axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance: sum((x − mean)²) / (N − ddof)."""
    return ops.var(_t(x), axis, keepdims, ddof)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation: sqrt(var)."""
    return ops.std(_t(x), axis, keepdims, ddof)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))), shifted by the max so it never overflows."""
    return ops.logsumexp(_t(x), axis=axis, keepdims=keepdims)


def reshape(x: Any, *shape: Any) -> Tensor:
    """The same values in a new shape."""
    return _t(x).reshape(*shape)


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes (reverse them when none are given)."""
    return _t(x).transpose(*axes)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    return ops.concatenate([_t(t) for t in tensors], axis=axis)


cat = concatenate


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    return ops.stack([_t(t) for t in tensors], axis=axis)


def argmax(x: Any, axis: Optional[int] = None) -> Tensor:
    """Index of the maximum (not differentiable)."""
    return ops.argmax(_t(x), axis=axis)


def argmin(x: Any, axis: Optional[int] = None) -> Tensor:
    """Index of the minimum (not differentiable)."""
    return ops.argmin(_t(x), axis=axis)
