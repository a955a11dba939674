"""Special functions numpy lacks: erf, and the float64 kernels behind it and the normal CDF.

erf and erfc use W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969): three ranges,
about 1e-16 relative error, each evaluated in float64 on its own elements only. `ndtr` (Φ, the
standard normal CDF, used by GELU in `activations`) is built on the same kernels.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import unary
from .elementwise import clip, exp

_SQRT_HALF = 0.7071067811865476  # 1/√2
_INV_SQRT_PI = 0.5641895835477563  # 1/√π
_TWO_OVER_SQRT_PI = 1.1283791670955126  # 2/√π, erf'(0)

_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
          1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
           8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
           2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
           3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
           6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
           2.33520497626869185e-3)
_ERF_SMALL = 0.46875  # erf by its own rational below this, erfc above
_ERFC_ZERO = 27.0  # erfc(z) < 1e-318 beyond: 0 in float64


def _erf_small(z):
    """erf(z) for |z| <= 0.46875."""
    s = z * z
    num, den = _ERF_A[4] * s, s
    for a, b in zip(_ERF_A[:3], _ERF_B[:3]):
        num, den = (num + a) * s, (den + b) * s
    return z * (num + _ERF_A[3]) / (den + _ERF_B[3])


def _times_exp_minus_square(z, r):
    """r·e^(−z²), with z² split as h² + (z − h)(z + h), h = z rounded down to 1/16, to keep e^(−z²) accurate."""
    h = np.floor(z * 16) / 16
    return np.exp(-h * h) * np.exp(-(z - h) * (z + h)) * r


def _erfc_mid(z):
    """erfc(z) for 0.46875 < z <= 4."""
    num, den = _ERFC_C[8] * z, z
    for c, d in zip(_ERFC_C[:7], _ERFC_D[:7]):
        num, den = (num + c) * z, (den + d) * z
    return _times_exp_minus_square(z, (num + _ERFC_C[7]) / (den + _ERFC_D[7]))


def _erfc_large(z):
    """erfc(z) for 4 < z < 27 (an asymptotic-form rational in 1/z²)."""
    s = 1 / (z * z)
    num, den = _ERFC_P[5] * s, s
    for p, q in zip(_ERFC_P[:4], _ERFC_Q[:4]):
        num, den = (num + p) * s, (den + q) * s
    r = s * (num + _ERFC_P[4]) / (den + _ERFC_Q[4])
    return _times_exp_minus_square(z, (_INV_SQRT_PI - r) / z)


def _erfc_beyond_small(a, small):
    """erfc(a) for a >= 0 where `small` is False (a > 0.46875), each range on its own elements; 0 from 27 on
    and wherever `small` is True (those elements are computed by `_erf_small` instead)."""
    out = np.zeros_like(a)
    for part, erfc in ((~small & (a <= 4), _erfc_mid), ((a > 4) & (a < _ERFC_ZERO), _erfc_large)):
        if part.any():
            out[part] = erfc(a[part])
    return out


def ndtr(x):
    """Φ(x), the standard normal CDF, in float64: ½(1 + erf(x/√2)) near 0, ½·erfc(|x|/√2) in the tails
    (so relative accuracy holds far into the left tail)."""
    z = np.asarray(x, dtype=np.float64) * _SQRT_HALF
    a = np.abs(z)
    small = a <= _ERF_SMALL
    half_erfc = 0.5 * _erfc_beyond_small(a, small)  # ½·erfc(|z|)
    cdf = np.where(z > 0, 1 - half_erfc, half_erfc)
    if small.any():
        cdf[small] = 0.5 + 0.5 * _erf_small(z[small])
    return cdf


def erf_float64(x):
    """erf(x) in float64: Cody's rational near 0, ±(1 − erfc(|x|)) beyond (±1 from |x| = 27 on; NaN stays NaN)."""
    z = np.asarray(x, dtype=np.float64)
    a = np.abs(z)
    small = a <= _ERF_SMALL
    out = np.asarray(np.sign(z) * (1 - _erfc_beyond_small(a, small)))  # asarray: 0-d stays an array
    if small.any():
        out[small] = _erf_small(z[small])
    return out


def _erf(x):
    """erf x = (2/√π) ∫₀ˣ e^(−t²) dt, in x's float dtype (float64 for integer input)."""
    dtype = np.asarray(x).dtype
    if dtype.kind not in "biuf":
        raise TypeError(f"erf: expected a real-valued tensor, got dtype {dtype}")
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    with np.errstate(under="ignore"):  # e^(−x²) underflows to 0 far out, where erf is ±1 to working precision
        return erf_float64(x).astype(dtype, copy=False)


def _erf_grad(g, y, x):
    """erf' = (2/√π)·e^(−x²), with x clipped to ±30 first so x² cannot overflow (erf'(±30) is 0 anyway)."""
    c = clip(x, min=-30.0, max=30.0)
    return g * exp(c * c * -1.0) * _TWO_OVER_SQRT_PI


erf = unary("erf", _erf, _erf_grad)

#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (("erf", erf, "T M"),)
