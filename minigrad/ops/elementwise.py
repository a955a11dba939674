"""Elementwise primitives: a numpy forward and one derivative rule per input, side by side.

Rules read `rule(g, y, *inputs)`: g is the upstream gradient, y the op's output. They return the
gradient in the broadcast shape; the engine sums it back to each input's shape.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import binary, primitive, unary, zero_derivative
from ..tensor import Tensor, as_array

# --- arithmetic -------------------------------------------------------------------------------
add = binary("add", np.add, lambda g, y, a, b: g, lambda g, y, a, b: g)
def _bool_arithmetic(name: str, ufunc: np.ufunc, hint: str):
    """`ufunc`, with numpy's refusal of bool operands (`-` on masks) worded for minigrad's users."""
    def forward(*xs):
        try:
            return ufunc(*xs)
        except TypeError:
            if all(np.result_type(x) == np.bool_ for x in xs):
                raise TypeError(f"{name}: not defined for bool tensors; {hint}") from None
            raise
    forward.__name__ = f"_{name}"
    return forward


sub = binary("sub", _bool_arithmetic("sub", np.subtract, "for masks use logical_xor (a ^ b), or convert first"),
             lambda g, y, a, b: g, lambda g, y, a, b: -g)
mul = binary("mul", np.multiply, lambda g, y, a, b: g * b, lambda g, y, a, b: g * a)
div = binary("div", np.true_divide, lambda g, y, a, b: g / b, lambda g, y, a, b: -g * y / b,
             float_result=True)  # int / int is the default float dtype (as torch), not float64 or int8's float16
neg = unary("neg", _bool_arithmetic("neg", np.negative, "to invert a mask use ~mask or logical_not"),
            lambda g, y, x: -g)


def _power(a, b):
    try:
        return np.power(a, b)
    except ValueError:
        if np.result_type(a, b).kind in "biu":
            raise ValueError(f"pow: integers to negative integer powers are not defined (exponent {np.min(b)}); "
                             "make the base float first, e.g. x.astype('float32') ** -2") from None
        raise


def _pow_base(g, y, a, b):
    """d(a^b)/da = b·a^(b−1); exactly 0 where the exponent is 0, at a = 0 too (as torch: no 0·inf)."""
    if isinstance(b, (int, float)):
        return g * 0 if b == 0 else g * b * a ** (b - 1)
    return g * b * where((b == 0) & (a == 0), 1, a) ** (b - 1)  # a = b = 0: 0·1^(−1) = 0, not 0·0^(−1) = NaN


def _pow_exponent(g, y, a, b):
    """d(a^b)/db = a^b·log(a), taken as 0 where a <= 0: the real power is not differentiable in b there
    (0^b jumps from 0 to 1 to inf at b = 0; a negative base has a real power only at integer b). PyTorch
    gives log(0)·0^b there (−inf for b < 0): a documented difference. A NaN base gives NaN."""
    outside = a <= 0  # False at NaN: NaN in, NaN out
    return g * where(outside, 0, y) * log(where(outside, 1, a))


pow = binary("pow", _power, _pow_base, _pow_exponent)

# --- math functions ---------------------------------------------------------------------------
exp = unary("exp", np.exp, lambda g, y, x: g * y, float_result=True)
log = unary("log", np.log, lambda g, y, x: g / x, float_result=True)
sqrt = unary("sqrt", np.sqrt, lambda g, y, x: g / (2 * y), float_result=True)
sin = unary("sin", np.sin, lambda g, y, x: g * cos(x), float_result=True)
cos = unary("cos", np.cos, lambda g, y, x: -g * sin(x), float_result=True)
tan = unary("tan", np.tan, lambda g, y, x: g * (1 + y * y), float_result=True)  # tan' = 1 + tan² = sec²
abs = unary("abs", np.abs, lambda g, y, x: g * sign(x))  # abs'(0) = 0
def _sign(x):
    """-1, 0 or 1 (NaN at NaN, as numpy and JAX; PyTorch gives 0, which would hide a NaN); a bool is its
    own sign (numpy has no bool sign; PyTorch returns the bools)."""
    return np.sign(x) if np.result_type(x) != np.bool_ else np.array(x, dtype=bool)


sign = unary("sign", _sign, zero_derivative)  # piecewise constant: sign'(x) = 0 everywhere, 0 and NaN included


def _cast(x, dtype):
    return x.astype(dtype, copy=False)


astype = unary("astype", _cast, lambda g, y, x, dtype: g.astype(x.dtype))

# --- selection --------------------------------------------------------------------------------
# At ties maximum/minimum split the gradient evenly between the two inputs, like max/min reductions.
maximum = binary("maximum", np.maximum,
                 lambda g, y, a, b: g * where(a == b, 0.5, a > b),
                 lambda g, y, a, b: g * where(a == b, 0.5, a < b))
minimum = binary("minimum", np.minimum,
                 lambda g, y, a, b: g * where(a == b, 0.5, a < b),
                 lambda g, y, a, b: g * where(a == b, 0.5, a > b))


def _clip(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    return np.clip(x, min, max)


def _clip_grad(g, y, x, min=None, max=None):
    """Gradient passes where min <= x <= max (boundaries included, as torch.clamp)."""
    inside = True
    if min is not None:
        inside = x >= min
    if max is not None:
        inside = inside * (x <= max)
    return g * inside


clip = unary("clip", _clip, _clip_grad)


def _where(cond, a, b):
    try:
        return np.where(cond, a, b)
    except ValueError:
        raise ValueError(f"where: shapes {np.shape(cond)}, {np.shape(a)} and {np.shape(b)} do not broadcast") from None


where = primitive("where", _where, None,
                  lambda g, y, condition, a, b: where(condition, g, 0),
                  lambda g, y, condition, a, b: where(condition, 0, g))

# --- comparisons and logic: their results are bool, and only float results are ever recorded --------------------------------
lt = binary("lt", np.less, None, None)
le = binary("le", np.less_equal, None, None)
gt = binary("gt", np.greater, None, None)
ge = binary("ge", np.greater_equal, None, None)
eq = binary("eq", np.equal, None, None)
ne = binary("ne", np.not_equal, None, None)
logical_and = binary("logical_and", np.logical_and, None, None)
logical_or = binary("logical_or", np.logical_or, None, None)
logical_xor = binary("logical_xor", np.logical_xor, None, None)
logical_not = unary("logical_not", np.logical_not, None)


def clip_public(x: Any, min: Any = None, max: Any = None) -> Any:
    """Limit values to [min, max]: min(max(x, min), max). Bounds are numbers, or tensors/arrays that broadcast
    against x; gradients as torch.clamp (to x inside, boundaries included; to a bound where it is active)."""
    if _is_array_bound(min) or _is_array_bound(max):
        lo = -math.inf if min is None else min if isinstance(min, Tensor) else as_array(min, copy=False)
        hi = math.inf if max is None else max if isinstance(max, Tensor) else as_array(max, copy=False)
        return clip_bounds(x, lo, hi)
    return clip(x, min=min, max=max)


# ==============================================================================================
# More math functions (issue 15): numpy's names, one primitive each, the derivative beside it.
# Domains where they are differentiable: arcsin/arccos (−1, 1); log2/log10/rsqrt x > 0; log1p x > −1;
# reciprocal x ≠ 0. floor/ceil/trunc/round are piecewise constant: derivative 0 everywhere, the jumps
# included (`zero_derivative`); round is numpy's, half to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2).
# ==============================================================================================

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _reciprocal(x):
    return 1 / x  # not np.reciprocal, which is integer division for integer input (1/2 -> 0)


def _rsqrt(x):
    return 1 / np.sqrt(x)


def _round(x):
    return np.round(x)  # half to even, as torch.round; integers stay integers (np.rint would make floats)


sinh = unary("sinh", np.sinh, lambda g, y, x: g * cosh(x))
cosh = unary("cosh", np.cosh, lambda g, y, x: g * sinh(x))
# arcsin' = 1/√(1 − x²), written 1/√((1 − x)(1 + x)) so that it stays accurate next to ±1
arcsin = unary("arcsin", np.arcsin, lambda g, y, x: g * rsqrt((1 - x) * (1 + x)))
arccos = unary("arccos", np.arccos, lambda g, y, x: -g * rsqrt((1 - x) * (1 + x)))
arctan = unary("arctan", np.arctan, lambda g, y, x: g / (1 + x * x))
# arctan2(a, b) is the angle of the point (b, a): ∂/∂a = b/(a² + b²), ∂/∂b = −a/(a² + b²)
arctan2 = binary("arctan2", np.arctan2, lambda g, y, a, b: g * b / (a * a + b * b),
                 lambda g, y, a, b: -g * a / (a * a + b * b))
log2 = unary("log2", np.log2, lambda g, y, x: g / (x * _LN2))
log10 = unary("log10", np.log10, lambda g, y, x: g / (x * _LN10))
log1p = unary("log1p", np.log1p, lambda g, y, x: g / (1 + x))  # log1p' = 1/(1 + x)
expm1 = unary("expm1", np.expm1, lambda g, y, x: g * exp(x))  # e^x, not y + 1: that is 0 for x < −37
square = unary("square", np.square, lambda g, y, x: g * (x + x))
reciprocal = unary("reciprocal", _reciprocal, lambda g, y, x: -g * y * y)  # (1/x)' = −1/x²
rsqrt = unary("rsqrt", _rsqrt, lambda g, y, x: g * y * y * y * -0.5)  # (x^−½)' = −½·x^−3/2
floor = unary("floor", np.floor, zero_derivative)
ceil = unary("ceil", np.ceil, zero_derivative)
trunc = unary("trunc", np.trunc, zero_derivative)
round = unary("round", _round, zero_derivative)

for _op, _doc in (
        (sinh, "sinh x = (e^x − e^−x)/2; derivative cosh x."),
        (cosh, "cosh x = (e^x + e^−x)/2; derivative sinh x."),
        (arcsin, "arcsin x, in [−π/2, π/2] for x in [−1, 1]; derivative 1/√(1 − x²)."),
        (arccos, "arccos x, in [0, π] for x in [−1, 1]; derivative −1/√(1 − x²)."),
        (arctan, "arctan x, in (−π/2, π/2); derivative 1/(1 + x²)."),
        (arctan2, "arctan2(a, b): the angle of the point (b, a), in [−π, π]; partials b/(a² + b²) and −a/(a² + b²)."),
        (log2, "log₂ x = ln x / ln 2; derivative 1/(x ln 2)."),
        (log10, "log₁₀ x = ln x / ln 10; derivative 1/(x ln 10)."),
        (log1p, "log(1 + x), accurate for tiny x; derivative 1/(1 + x)."),
        (expm1, "e^x − 1, accurate for tiny x; derivative e^x."),
        (square, "x²; derivative 2x."),
        (reciprocal, "1/x; derivative −1/x²."),
        (rsqrt, "1/√x; derivative −½·x^(−3/2)."),
        (floor, "⌊x⌋, the largest integer <= x; derivative 0 everywhere."),
        (ceil, "⌈x⌉, the smallest integer >= x; derivative 0 everywhere."),
        (trunc, "x rounded toward 0; derivative 0 everywhere."),
        (round, "x rounded to the nearest integer, halves to even (0.5 -> 0, 1.5 -> 2); derivative 0 everywhere.")):
    _op.__doc__ = _doc
del _op, _doc


# --- clip with tensor bounds ------------------------------------------------------------------
# One primitive clip(x, min, max) whose bounds are tensors or arrays broadcasting against x; an absent
# bound is ∓inf. Gradients follow torch.clamp's exactly, ties included:
#   x   where min <= x <= max (boundaries included; so nowhere when min > max);
#   min where x < min and min < max;
#   max where x > max, or max < min (the result is then max everywhere).
# So when min == max and x < min, no input gets the gradient (torch's convention, followed as it is).

def _clip_bounds(x, min, max):
    lo = None if isinstance(min, float) and min == -math.inf else min  # an absent bound: keeps int dtypes
    hi = None if isinstance(max, float) and max == math.inf else max
    return np.clip(x, lo, hi)


clip_bounds = primitive("clip", _clip_bounds,
                        lambda g, y, x, min, max: g * ((x >= min) & (x <= max)),
                        lambda g, y, x, min, max: g * ((x < min) & (min < max)),
                        lambda g, y, x, min, max: g * ((x > max) | (max < min)))


def _is_array_bound(b: Any) -> bool:
    return isinstance(b, (Tensor, np.ndarray, list, tuple))


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("exp", exp, "T M"), ("log", log, "T M"), ("sqrt", sqrt, "T M"), ("abs", abs, "T M"),
    ("sin", sin, "T M"), ("cos", cos, "T M"), ("tan", tan, "T M"), ("sign", sign, "T F"),
    ("maximum", maximum, "T M"), ("minimum", minimum, "T M"), ("where", where, "M"),
    ("clip", clip_public, "T M"), ("clamp", clip_public, "T M"), ("astype", astype, "T"), ("pow", pow, "T"),
    ("sinh", sinh, "T M"), ("cosh", cosh, "T M"), ("arcsin", arcsin, "T M"), ("arccos", arccos, "T M"),
    ("arctan", arctan, "T M"), ("arctan2", arctan2, "T M"), ("log2", log2, "T M"), ("log10", log10, "T M"),
    ("log1p", log1p, "T M"), ("expm1", expm1, "T M"), ("square", square, "T M"),
    ("reciprocal", reciprocal, "T M"), ("rsqrt", rsqrt, "T M"), ("floor", floor, "T M"), ("ceil", ceil, "T M"),
    ("trunc", trunc, "T M"), ("round", round, "T M"),
)
