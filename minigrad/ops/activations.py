"""Activation primitives: a stable numpy forward beside its textbook derivative, in x and y.

Stability contract (tested): for every finite float32 or float64 input, outputs and gradients are
finite and no floating-point error is raised, even under `np.errstate(all="raise")`. Exponentials
only ever see arguments <= 0, and squares or cubes only see clipped arguments, so nothing overflows.
The one event accepted is underflow, a result below the normal range rounding to a subnormal or to 0,
which is the correct answer to working precision: forwards that can produce something that small
run under a local `np.errstate(under="ignore")` (`_quiet`), and the engine runs every backward with
underflow ignored, so the user's error state never sees it. Overflow is silenced only where an infinite intermediate provably cannot reach the result
(β·x in softplus and swish, x − max in softmax), and a comment says so there.

Conventions at kinks (each pinned by a test):
  relu'(0) = 0 and relu'(NaN) = 1 (PyTorch's: the gradient passes where the result is not 0);
  leaky_relu'(0) = prelu'(0) = rrelu'(0) = the slope (0 belongs to the negative side);
  elu'(0) = alpha and selu'(0) = scale·alpha (the left derivative; elu is C¹ only for alpha = 1);
  hardtanh' = 1 strictly inside (min_val, max_val), 0 at the boundaries and beyond;
  hardsigmoid' = 1/6 strictly inside (−3, 3), 0 at ±3 and beyond;
  softplus' = 1 where β·x > threshold (the linear part), σ(β·x) elsewhere;
  step' = sign' = 0 everywhere, 0 included (declared with `zero_derivative`: the gradient is zeros).

Every rule must serve ndarrays (plain backward) and Tensors (create_graph): it uses operators,
methods shared by both, and minigrad ops only.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Union

import numpy as np

from .. import arguments as check
from ..autograd.function import binary, unary, zero_derivative
from ..rng import generator
from ..tensor import Tensor, as_array, get_default_dtype
from .elementwise import abs as _abs, clip as _clip, exp as _exp, where as _where
from .shape import reshape as _reshape
from .special import ndtr as _ndtr

Array = Union[Tensor, np.ndarray]

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)
_SQRT_2_OVER_PI = 0.7978845608028654  # √(2/π), the tanh approximation of GELU
_GELU_CUBIC = 0.044715


def _quiet(fn: Callable) -> Callable:
    """Run `fn` with underflow ignored: products that fall below the normal range become subnormal or 0."""
    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(under="ignore"):
            return fn(*args, **kwargs)
    return wrapped


def _float_dtype(x: Any) -> np.dtype:
    """x's dtype when it is a float dtype, the default float dtype otherwise (ints, bools: what the
    float-valued ops make of them), float64 for Python numbers."""
    if isinstance(x, (Tensor, np.ndarray, np.generic)):
        return x.dtype if x.dtype.kind == "f" else get_default_dtype()
    dt = np.result_type(x)
    return dt if dt.kind == "f" else np.dtype(np.float64)


# --------------------------------------------------------------------------- piecewise constant

def _heaviside(x, value_at_zero=0.0):
    return np.heaviside(x, value_at_zero)


_step = unary("step", _heaviside, zero_derivative, float_result=True)  # step'(x) = 0 everywhere, x = 0 included


def step(x: Array, value_at_zero: float = 0.0) -> Array:
    """Heaviside step: 1 where x > 0, 0 where x < 0, `value_at_zero` at 0; gradient 0 everywhere."""
    return _step(x, value_at_zero=check.number(value_at_zero, "step", "value_at_zero"))


# --------------------------------------------------------------------------- linear

def identity(x: Array) -> Array:
    """x itself (the same object): nothing is computed or recorded."""
    return x


_linear = unary("linear", _quiet(lambda x, a=1.0: x * a), (lambda g, y, x, a=1.0: g * a), float_result=True)


def linear(x: Array, a: float = 1.0) -> Array:
    """a·x, the linear activation; derivative a. The slope is a number: a dense layer is `dense`."""
    if isinstance(a, (Tensor, np.ndarray)):
        raise TypeError(f"linear: the slope a must be a number, got a {type(a).__name__} of shape {tuple(a.shape)}; "
                        "linear is the linear activation a·x: for a dense layer x @ W + b use F.dense(x, weight, bias)")
    return _linear(x, a=check.number(a, "linear", "a"))


# --------------------------------------------------------------------------- sigmoid, tanh, relu

def _sigmoid_np(x):
    """σ(x) = 1/(1 + e^−x): accurate in both tails (e^−x carries the tiny values with full relative
    precision); below about −709 (float64) e^−x overflows to inf and 1/(1 + inf) is exactly 0, the
    correctly rounded answer, so that overflow is silenced by the caller, never seen by the user."""
    return 1 / (1 + np.exp(-x))


def _sigmoid(x):
    """σ(x) = 1/(1 + e^−x), in [0, 1] for every finite x without a floating-point warning."""
    with np.errstate(over="ignore", under="ignore"):
        return _sigmoid_np(x)


sigmoid = unary("sigmoid", _sigmoid, (lambda g, y, x: g * y * (1 - y)), float_result=True)  # σ' = σ(1 − σ)
# tanh' = 1 − tanh², written (1 − y)(1 + y): the same, but y² cannot underflow for tiny x
tanh = unary("tanh", np.tanh, (lambda g, y, x: g * (1 - y) * (1 + y)), float_result=True)
tanh.__doc__ = "tanh x = (e^x − e^−x)/(e^x + e^−x), in (−1, 1); derivative 1 − tanh²."


def _relu(x):
    """max(0, x); derivative 1 for x > 0 and 0 elsewhere (relu'(0) = 0)."""
    return np.maximum(x, 0)


# relu' = 1 where y = relu(x) > 0, 0 elsewhere: relu'(0) = 0; at NaN (y = NaN != 0) the gradient passes,
# as PyTorch's threshold_backward on the result, in one comparison
relu = unary("relu", _relu, lambda g, y, x: g * (y != 0))


# --------------------------------------------------------------------------- leaky family

@_quiet
def _leaky(x, negative_slope=0.01):
    return np.where(x > 0, x, x * negative_slope)


_leaky_relu = unary("leaky_relu", _leaky,
                    (lambda g, y, x, negative_slope=0.01: _where(x > 0, g, g * negative_slope)),
                    float_result=True)  # '(0) = slope


def leaky_relu(x: Array, negative_slope: float = 0.01) -> Array:
    """x where x > 0, negative_slope·x elsewhere; the derivative at 0 is the slope."""
    return _leaky_relu(x, negative_slope=check.number(negative_slope, "leaky_relu", "negative_slope"))


@_quiet
def _sloped(x, w):
    return np.where(x > 0, x, w * x)


_prelu = binary("prelu", _sloped,
                (lambda g, y, x, w: _where(x > 0, g, w * g)),  # prelu'(0) = w
                (lambda g, y, x, w: _where(x > 0, 0.0, g * x)), float_result=True)


def prelu(x: Array, weight: Array) -> Array:
    """Leaky ReLU with learnable slopes: one (weight of shape () or (1,)) or one per channel on axis 1 ((C,))."""
    w = weight if isinstance(weight, Tensor) else as_array(weight, copy=False, op="prelu").astype(_float_dtype(x))
    shape = tuple(np.shape(x))
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must have shape () or (1,) or (C,), got {tuple(w.shape)}")
    if w.size != 1:
        if len(shape) < 2:
            raise ValueError(f"prelu: weight of shape {tuple(w.shape)} has one slope per channel, but the input "
                             f"of shape {shape} has no channel axis (axis 1); use a single slope")
        if w.size != shape[1]:
            raise ValueError(f"prelu: weight of shape {tuple(w.shape)} does not match the {shape[1]} channels "
                             f"on axis 1 of the input of shape {shape}")
    target = () if w.size == 1 else (w.size,) + (1,) * (len(shape) - 2)
    if tuple(w.shape) != target:
        w = _reshape(w, shape=target)
    return _prelu(x, w)


# rrelu in training mode: x by the constant slopes drawn for this call (no gradient to the slopes)
_rrelu = binary("rrelu", _sloped, (lambda g, y, x, a: _where(x > 0, g, a * g)), None, float_result=True)  # '(0) = a


def rrelu(x: Array, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False) -> Array:
    """Randomized leaky ReLU: slopes ~ U(lower, upper) per element in training (minigrad's seeded generator),
    the fixed slope (lower + upper)/2 in evaluation."""
    lower, upper = check.number(lower, "rrelu", "lower"), check.number(upper, "rrelu", "upper")
    check.flag(training, "rrelu", "training")
    if lower > upper:
        raise ValueError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    slopes = generator().uniform(lower, upper, size=np.shape(x)).astype(_float_dtype(x), copy=False)
    return _rrelu(x, slopes)


# --------------------------------------------------------------------------- exponential family

@_quiet
def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# elu' = 1 for x > 0 and alpha·e^x = y + alpha for x <= 0 (so elu'(0) = alpha)
_elu_op = unary("elu", _elu, (lambda g, y, x, alpha=1.0: _where(x > 0, g, g * (y + alpha))), float_result=True)


def elu(x: Array, alpha: float = 1.0) -> Array:
    """x where x > 0, alpha·(e^x − 1) elsewhere; the derivative at 0 is alpha."""
    return _elu_op(x, alpha=check.number(alpha, "elu", "alpha"))


@_quiet
def _selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


# selu = scale·elu(x, alpha), one primitive so the scaling cannot raise underflow in a separate mul
_selu_op = unary("selu", _selu, (lambda g, y, x: _where(x > 0, g * SELU_SCALE, g * (y + SELU_SCALE * SELU_ALPHA))),
                 float_result=True)


def selu(x: Array) -> Array:
    """scale·elu(x, alpha) with the self-normalising constants alpha ≈ 1.6733, scale ≈ 1.0507."""
    return _selu_op(x)


def _softplus_np(z):
    """log(1 + e^z) = log1p(e^−|z|) + max(z, 0): exact for every z, ±inf included."""
    return np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0)


def _softplus(x, beta=1.0, threshold=20.0):
    # β·x may overflow to ±inf (β > 1): softplus(±inf) is computed exactly and where() then picks x
    with np.errstate(under="ignore", over="ignore"):
        z = x * beta if beta != 1 else x
        sp = _softplus_np(z)
        return np.where(z > threshold, x, sp / beta if beta != 1 else sp)


def _softplus_grad(g, y, x, beta=1.0, threshold=20.0):
    """softplus' = σ(β·x), exactly 1 on the linear part β·x > threshold."""
    with np.errstate(under="ignore", over="ignore"):
        z = x * beta if beta != 1 else x
        return _where(z > threshold, g, g * sigmoid(z))


_softplus_op = unary("softplus", _softplus, _softplus_grad, float_result=True)


def softplus(x: Array, beta: float = 1.0, threshold: float = 20.0) -> Array:
    """log(1 + e^(β·x))/β, and x itself where β·x > threshold; derivative σ(β·x)."""
    beta, threshold = check.number(beta, "softplus", "beta"), check.number(threshold, "softplus", "threshold")
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero")
    return _softplus_op(x, beta=beta, threshold=threshold)


def _swish(x, beta=1.0):
    with np.errstate(under="ignore", over="ignore"):  # β·x = ±inf is harmless: σ(±inf) is exactly 1 or 0
        return x * _sigmoid_np(x * beta if beta != 1 else x)


def _swish_grad(g, y, x, beta=1.0):
    """swish' = s + β·y·(1 − s) with s = σ(β·x); y·(1 − s) first, so a huge y meets 1 − s = 0 before β."""
    with np.errstate(under="ignore", over="ignore"):
        s = sigmoid(x * beta if beta != 1 else x)
        return g * (s + y * (1 - s) * beta)


_swish_op = unary("swish", _swish, _swish_grad, float_result=True)
_silu_op = unary("silu", _swish, _swish_grad, float_result=True)  # swish with β = 1, under its own name in the graph


def swish(x: Array, beta: float = 1.0) -> Array:
    """x·σ(β·x) = x/(1 + e^(−β·x))."""
    return _swish_op(x, beta=check.number(beta, "swish", "beta"))


def silu(x: Array) -> Array:
    """x·σ(x), the sigmoid-weighted linear unit (swish with β = 1)."""
    return _silu_op(x)


@_quiet
def _mish(x):
    return x * np.tanh(_softplus_np(x))


@_quiet
def _mish_grad(g, y, x):
    """mish' = t + x·(1 − t²)·σ(x) with t = tanh(softplus(x)); x·(1 − t) first, so a huge x meets t = 1."""
    t = tanh(softplus(x))
    return g * (t + x * (1 - t) * (1 + t) * sigmoid(x))


_mish_op = unary("mish", _mish, _mish_grad, float_result=True)


def mish(x: Array) -> Array:
    """x·tanh(softplus(x))."""
    return _mish_op(x)


# --------------------------------------------------------------------------- GELU and the normal CDF
# Φ is computed by `special.ndtr` (Cody's erf/erfc approximations, float64).


@_quiet
def _normal_cdf_np(x):
    return _ndtr(x).astype(_float_dtype(x), copy=False)


@_quiet
def _normal_pdf(x):
    """φ(x) = e^(−x²/2)/√(2π), with x clipped to ±40 first so x² cannot overflow (φ(±40) is 0 anyway)."""
    c = _clip(x, min=-40.0, max=40.0)
    return _exp(c * c * -0.5) * _INV_SQRT_2PI


_normal_cdf = unary("normal_cdf", _normal_cdf_np, (lambda g, y, x: g * _normal_pdf(x)), float_result=True)  # Φ' = φ


def _tanh_gelu_parts(x):
    """For the tanh approximation: s = σ(2u) = (1 + tanh u)/2 and u', u = √(2/π)(x + 0.044715x³).
    x is clipped to ±30 first (no overflow in x³); beyond, s is exactly 0 or 1 and u' is not needed."""
    c = _clip(x, min=-30.0, max=30.0)
    u = (c + c * c * c * _GELU_CUBIC) * _SQRT_2_OVER_PI
    du = (1 + c * c * (3 * _GELU_CUBIC)) * _SQRT_2_OVER_PI
    return sigmoid(u * 2), du


@_quiet
def _gelu(x, approximate="none"):
    if approximate == "tanh":
        s, _ = _tanh_gelu_parts(x)
        return x * s  # = ½x(1 + tanh u), without the cancellation of 1 + tanh u in the left tail
    return (np.asarray(x, dtype=np.float64) * _ndtr(x)).astype(_float_dtype(x), copy=False)


@_quiet
def _gelu_grad(g, y, x, approximate="none"):
    """Exact: Φ(x) + x·φ(x).  Tanh approximation: s + x·2s(1 − s)·u' (2s(1 − s) = ½sech²u)."""
    if approximate == "tanh":
        s, du = _tanh_gelu_parts(x)
        return g * (s + x * (s * (1 - s) * du * 2))
    return g * (_normal_cdf(x) + x * _normal_pdf(x))


_gelu_op = unary("gelu", _gelu, _gelu_grad, float_result=True)


def gelu(x: Array, approximate: str = "none") -> Array:
    """x·Φ(x) with Φ the standard normal CDF; approximate="tanh": ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    if not isinstance(approximate, str):
        raise TypeError(f"gelu: approximate must be the string 'none' or 'tanh', got {check._what(approximate)}")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _gelu_op(x, approximate=approximate)


# --------------------------------------------------------------------------- hard and soft saturations

def _hardtanh_grad(g, y, x, min_val=-1.0, max_val=1.0):
    """1 strictly inside (min_val, max_val), 0 at the boundaries and outside."""
    return _where((x > min_val) & (x < max_val), g, 0.0)


_hardtanh = unary("hardtanh", lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val), _hardtanh_grad,
                  float_result=True)


def hardtanh(x: Array, min_val: float = -1.0, max_val: float = 1.0) -> Array:
    """clip(x, min_val, max_val); derivative 1 strictly inside, 0 at the boundaries and beyond."""
    min_val, max_val = check.number(min_val, "hardtanh", "min_val"), check.number(max_val, "hardtanh", "max_val")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _hardtanh(x, min_val=min_val, max_val=max_val)


# relu6(x + 3)/6; derivative 1/6 strictly inside (−3, 3), 0 at ±3 and beyond
_hardsigmoid = unary("hardsigmoid", lambda x: np.clip(x + 3, 0, 6) / 6,
                     (lambda g, y, x: _where((x > -3) & (x < 3), g / 6, 0.0)), float_result=True)


def hardsigmoid(x: Array) -> Array:
    """relu6(x + 3)/6 = clip(x/6 + 1/2, 0, 1)."""
    return _hardsigmoid(x)


@_quiet
def _softsign_grad(g, y, x):
    """softsign' = 1/(1 + |x|)², as d·d with d = 1/(1 + |x|) so that nothing overflows for huge x."""
    d = 1 / (1 + _abs(x))
    return g * d * d


_softsign = unary("softsign", lambda x: x / (1 + np.abs(x)), _softsign_grad, float_result=True)


def softsign(x: Array) -> Array:
    """x/(1 + |x|)."""
    return _softsign(x)


# --------------------------------------------------------------------------- softmax

def _softmax(x, axis=-1):
    if x.size == 0:  # an empty axis (or an empty tensor): an empty result, as PyTorch
        return np.empty(x.shape, x.dtype)
    # x − max may overflow to −inf only when the inputs span more than the float range; e^−inf = 0 is exact
    with np.errstate(under="ignore", over="ignore"):
        e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
        return e / np.add.reduce(e, axis=axis, keepdims=True)


@_quiet
def _log_softmax(x, axis=-1):
    if x.size == 0:  # an empty axis (or an empty tensor): an empty result, as PyTorch
        return np.empty(x.shape, x.dtype)
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


_softmax_op = unary("softmax", _softmax,
                    (lambda g, y, x, axis=-1: y * (g - (g * y).sum(axis=axis, keepdims=True))), float_result=True)
_log_softmax_op = unary("log_softmax", _log_softmax,
                        (lambda g, y, x, axis=-1: g - _exp(y) * g.sum(axis=axis, keepdims=True)), float_result=True)


def softmax(x: Array, axis: int = -1) -> Array:
    """e^x / Σ e^x along `axis`, computed from x − max(x) so it never overflows."""
    return _softmax_op(x, axis=check.axis(axis, x.ndim, "softmax"))


def log_softmax(x: Array, axis: int = -1) -> Array:
    """x − logsumexp(x) along `axis`, max-shifted: finite wherever the inputs span less than the float range."""
    return _log_softmax_op(x, axis=check.axis(axis, x.ndim, "log_softmax"))


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("step", step, "F"), ("identity", identity, "F"), ("linear", linear, "F"),
    ("sigmoid", sigmoid, "T M F"), ("tanh", tanh, "T M F"), ("relu", relu, "T M F"),
    ("leaky_relu", leaky_relu, "F"), ("prelu", prelu, "F"), ("rrelu", rrelu, "F"), ("elu", elu, "F"),
    ("selu", selu, "F"), ("softplus", softplus, "F"), ("silu", silu, "F"), ("swish", swish, "F"),
    ("gelu", gelu, "F"), ("mish", mish, "F"), ("hardtanh", hardtanh, "F"), ("hardsigmoid", hardsigmoid, "F"),
    ("softsign", softsign, "F"), ("softmax", softmax, "T F"), ("log_softmax", log_softmax, "T F"),
)
