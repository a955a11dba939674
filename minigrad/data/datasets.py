"""Small classification datasets: logic gates, spirals, the planar flower, moons, and the 8x8 digits.

Every function returns numpy arrays `(X, y)`: X of shape (N, d) in minigrad's default float dtype
(`minigrad.get_default_dtype()` at call time, so it matches freshly made parameters) and y int64 class
indices of shape (N,). Random datasets draw from `minigrad.rng.generator(seed)`: a fixed `seed` gives the
same points every time, `seed=None` uses minigrad's shared generator (see `minigrad.manual_seed`).
Samples come grouped by class (class 0 first); shuffle with a `DataLoader` when training.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .. import rng
from ..tensor import get_default_dtype

XY = Tuple[np.ndarray, np.ndarray]  # (X, y)

# Truth-table inputs, in this order for every gate: (x1, x2) = (0,0), (1,0), (0,1), (1,1).
_GATE_INPUTS = ((0, 0), (1, 0), (0, 1), (1, 1))
_GATES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "nand": lambda a, b: 1 - (a & b),
    "xor": lambda a, b: a ^ b,
}


def _finish(X: np.ndarray, y: np.ndarray) -> XY:
    return np.ascontiguousarray(X, dtype=get_default_dtype()), np.asarray(y, dtype=np.int64)


def _check_count(fn: str, name: str, value: int, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return int(value)


def logic_gate(name: str) -> XY:
    """Truth table of a 2-input gate ("and", "or", "nand", "xor"; any case): X (4, 2) rows (0,0), (1,0), (0,1), (1,1); y (4,)."""
    if not isinstance(name, str) or name.lower() not in _GATES:
        raise ValueError(f"logic_gate: unknown gate {name!r}; valid names are {', '.join(map(repr, _GATES))}")
    gate = _GATES[name.lower()]
    X = np.array(_GATE_INPUTS)
    y = np.array([gate(a, b) for a, b in _GATE_INPUTS])
    return _finish(X, y)


def spiral(n_per_class: int, classes: int, seed: Optional[int] = None) -> XY:
    """Interleaved spiral arms, one per class: r = linspace(0, 1), t = linspace(4k, 4k+4) + N(0, 0.2^2), X = (r sin t, r cos t)."""
    n = _check_count("spiral", "n_per_class", n_per_class, 1)
    k = _check_count("spiral", "classes", classes, 1)
    gen = rng.generator(seed)
    r = np.linspace(0.0, 1.0, n)
    X = np.empty((n * k, 2))
    for j in range(k):
        t = np.linspace(4.0 * j, 4.0 * (j + 1), n) + 0.2 * gen.standard_normal(n)
        X[j * n:(j + 1) * n] = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _finish(X, np.repeat(np.arange(k), n))


def planar_flower(m: int = 400, seed: Optional[int] = None) -> XY:
    """Two-class 4-petal flower: t = linspace(3.12k, 3.12(k+1)) + noise, r = 4 sin(4t) + noise, X = (r sin t, r cos t).

    Each class fills alternate petals, so no line separates them while a 2-4-1 tanh network learns the
    petals (about 90% accuracy). Noise is N(0, 0.2^2) on both t and r; class 0 gets ceil(m/2) points.
    """
    m = _check_count("planar_flower", "m", m, 2)
    gen = rng.generator(seed)
    a = 4.0  # petal length (maximum radius)
    counts = (m - m // 2, m // 2)
    parts = []
    for j, n in enumerate(counts):
        t = np.linspace(3.12 * j, 3.12 * (j + 1), n) + 0.2 * gen.standard_normal(n)
        r = a * np.sin(4.0 * t) + 0.2 * gen.standard_normal(n)
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
    return _finish(np.concatenate(parts), np.repeat([0, 1], counts))


def moons(n: int, noise: float, seed: Optional[int] = None) -> XY:
    """Two interleaving half circles: class 0 (cos s, sin s), class 1 (1 - cos s, 0.5 - sin s), s in [0, pi], plus N(0, noise^2).

    Class 0 (the upper moon) gets ceil(n/2) points, class 1 the rest.
    """
    n = _check_count("moons", "n", n, 2)
    noise = float(noise)
    if not noise >= 0.0:  # also rejects NaN
        raise ValueError(f"moons: noise must be a standard deviation >= 0, got {noise}")
    gen = rng.generator(seed)
    n0, n1 = n - n // 2, n // 2
    s0, s1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n1)
    upper = np.stack([np.cos(s0), np.sin(s0)], axis=1)
    lower = np.stack([1.0 - np.cos(s1), 0.5 - np.sin(s1)], axis=1)
    X = np.concatenate([upper, lower])
    if noise > 0.0:
        X += noise * gen.standard_normal(X.shape)
    return _finish(X, np.repeat([0, 1], (n0, n1)))


def load_digits() -> XY:
    """scikit-learn's 8x8 handwritten digits: X (1797, 64) pixel intensities / 16, in [0, 1]; y (1797,) in 0..9."""
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:
        raise ImportError('load_digits needs scikit-learn: pip install "minigrad[examples]" '
                          "(or pip install scikit-learn)") from exc
    X, y = _sk_load_digits(return_X_y=True)
    return _finish(np.asarray(X) / 16.0, y)
