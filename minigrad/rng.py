"""The seeded random generator behind rand, randn, initializers, dropout and rrelu (never numpy's global state)."""
from __future__ import annotations

from typing import Optional

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed minigrad's generator so that random tensors, inits and dropout masks repeat."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator(seed: Optional[int] = None) -> np.random.Generator:
    """A fresh generator for `seed`, or minigrad's shared one when seed is None."""
    return _generator if seed is None else np.random.default_rng(seed)
