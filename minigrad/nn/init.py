"""Initializers: fill a tensor's array in place (dtype kept, nothing recorded) and return the tensor.

Fan-in/fan-out follow minigrad's dense layout `y = x @ W` with `W` of shape (in_features, out_features):
fan_in = shape[0], fan_out = shape[1] (the reverse of PyTorch's (out, in) weights). For more than
two dimensions the trailing ones count as a receptive field: fan_in = shape[0] * prod(shape[2:]),
fan_out = shape[1] * prod(shape[2:]). Random draws come from `minigrad.rng.generator(seed)`:
minigrad's shared generator (see `manual_seed`) unless a `seed` is given.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple, Union

import numpy as np

from ..rng import generator
from ..tensor import Tensor

__all__ = ["calculate_gain", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "uniform_", "normal_", "zeros_", "ones_", "constant_"]

TensorLike = Union[Tensor, np.ndarray]

_UNIT_GAIN = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d",
              "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """Recommended gain for a nonlinearity: 1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu),
    sqrt(2 / (1 + slope^2)) (leaky_relu, slope = param or 0.01), 3/4 (selu)."""
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    known = ", ".join(_UNIT_GAIN + ("tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (known: {known})")


def _array(t: TensorLike, where: str, float_only: bool = True) -> np.ndarray:
    arr = t.data if isinstance(t, Tensor) else t
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{where}: expected a Tensor or ndarray, got {type(t).__name__}")
    if float_only and arr.dtype.kind != "f":
        raise TypeError(f"{where}: expected a float tensor, got dtype {arr.dtype}")
    return arr


def _fill(arr: np.ndarray, values: Any) -> None:
    np.copyto(arr, values, casting="unsafe")


def _fans(arr: np.ndarray, where: str) -> Tuple[int, int]:
    """(fan_in, fan_out) for the (in_features, out_features, *receptive_field) layout."""
    if arr.ndim < 2:
        raise ValueError(f"{where}: fan-in and fan-out need a tensor with at least 2 dimensions "
                         f"(in_features, out_features), got shape {arr.shape}")
    field = int(np.prod(arr.shape[2:])) if arr.ndim > 2 else 1
    return arr.shape[0] * field, arr.shape[1] * field


def uniform_(t: TensorLike, a: float = 0.0, b: float = 1.0, *, seed: Optional[int] = None) -> TensorLike:
    """Fill with draws from U(a, b)."""
    arr = _array(t, "uniform_")
    if not b >= a:
        raise ValueError(f"uniform_: need a <= b, got a={a}, b={b}")
    _fill(arr, generator(seed).uniform(a, b, size=arr.shape))
    return t


def normal_(t: TensorLike, mean: float = 0.0, std: float = 1.0, *, seed: Optional[int] = None) -> TensorLike:
    """Fill with draws from N(mean, std^2)."""
    arr = _array(t, "normal_")
    if not std >= 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    _fill(arr, generator(seed).normal(mean, std, size=arr.shape))
    return t


def constant_(t: TensorLike, val: float) -> TensorLike:
    """Fill with the value `val`."""
    _fill(_array(t, "constant_", float_only=False), val)
    return t


def zeros_(t: TensorLike) -> TensorLike:
    """Fill with 0."""
    return constant_(t, 0)


def ones_(t: TensorLike) -> TensorLike:
    """Fill with 1."""
    return constant_(t, 1)


def xavier_uniform_(t: TensorLike, gain: float = 1.0, *, seed: Optional[int] = None) -> TensorLike:
    """Glorot uniform: U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)); keeps activation variance."""
    arr = _array(t, "xavier_uniform_")
    fan_in, fan_out = _fans(arr, "xavier_uniform_")
    if arr.size == 0:
        return t
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    _fill(arr, generator(seed).uniform(-bound, bound, size=arr.shape))
    return t


def xavier_normal_(t: TensorLike, gain: float = 1.0, *, seed: Optional[int] = None) -> TensorLike:
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    arr = _array(t, "xavier_normal_")
    fan_in, fan_out = _fans(arr, "xavier_normal_")
    if arr.size == 0:
        return t
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    _fill(arr, generator(seed).normal(0.0, std, size=arr.shape))
    return t


def _kaiming_std(arr: np.ndarray, a: float, mode: str, nonlinearity: str, where: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(arr, where)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0


def kaiming_uniform_(t: TensorLike, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     *, seed: Optional[int] = None) -> TensorLike:
    """He uniform: U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan) (a = leaky_relu slope); keeps ReLU-net variance."""
    arr = _array(t, "kaiming_uniform_")
    std = _kaiming_std(arr, a, mode, nonlinearity, "kaiming_uniform_")
    if arr.size == 0:
        return t
    bound = math.sqrt(3.0) * std
    _fill(arr, generator(seed).uniform(-bound, bound, size=arr.shape))
    return t


def kaiming_normal_(t: TensorLike, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    *, seed: Optional[int] = None) -> TensorLike:
    """He normal: N(0, std^2), std = gain / sqrt(fan) (a = leaky_relu slope)."""
    arr = _array(t, "kaiming_normal_")
    std = _kaiming_std(arr, a, mode, nonlinearity, "kaiming_normal_")
    if arr.size == 0:
        return t
    _fill(arr, generator(seed).normal(0.0, std, size=arr.shape))
    return t
