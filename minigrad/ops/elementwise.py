"""Elementwise primitives: a numpy forward and one derivative rule per input, side by side.

Rules read `rule(g, y, *inputs)`: g is the upstream gradient, y the op's output. They return the
gradient in the broadcast shape; the engine sums it back to each input's shape.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import binary, primitive, unary, zero_derivative

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


def clip_public(x, min=None, max=None):
    """Limit values to [min, max] (gradient 1 inside, boundaries included, as torch.clamp; 0 outside)."""
    return clip(x, min=min, max=max)


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("exp", exp, "T M"), ("log", log, "T M"), ("sqrt", sqrt, "T M"), ("abs", abs, "T M"),
    ("sin", sin, "T M"), ("cos", cos, "T M"), ("tan", tan, "T M"), ("sign", sign, "T F"),
    ("maximum", maximum, "T M"), ("minimum", minimum, "T M"), ("where", where, "M"),
    ("clip", clip_public, "T M"), ("clamp", clip_public, "T M"), ("astype", astype, "T"),
)
