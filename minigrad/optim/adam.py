"""Adam (L2 weight decay through the gradient) and AdamW (decoupled weight decay)."""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Tuple

import numpy as np

from .optimizer import Optimizer, _number

class Adam(Optimizer):
    """Adam: g += wd*p (L2); m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    _STATE_ARRAYS = ("exp_avg", "exp_avg_sq")
    _STATE_REQUIRED = ("step", "exp_avg", "exp_avg_sq")
    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check(self, g: Dict[str, Any]) -> None:
        where = type(self).__name__
        _number("lr", g["lr"], where)
        _number("eps", g["eps"], where)
        _number("weight_decay", g["weight_decay"], where)
        betas = g["betas"]
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"{where}: betas must be a pair (beta1, beta2), got {type(betas).__name__} {betas!r:.40}")
        if len(betas) != 2:
            raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {len(betas)} values")
        _number("beta1", betas[0], where, 0.0, 1.0, high_open=True)
        _number("beta2", betas[1], where, 0.0, 1.0, high_open=True)
        g["betas"] = (float(betas[0]), float(betas[1]))

    def _hyper(self, g):
        b1, b2 = g["betas"]
        return float(g["lr"]), b1, b2, float(g["eps"]), float(g["weight_decay"])

    def _update(self, p, g, st, lr, b1, b2, eps, wd):
        m = st.get("exp_avg")
        if m is None:
            st["step"] = 0
            m = st["exp_avg"] = np.zeros_like(p)
            st["exp_avg_sq"] = np.zeros_like(p)
        v = st["exp_avg_sq"]
        t = st["step"] = st["step"] + 1
        if wd and self._decoupled:  # AdamW: decay the weights directly, not through the gradient
            p *= 1.0 - lr * wd
        elif wd:
            g = g + wd * p
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        p -= (lr / (1.0 - b1 ** t)) * (m / (np.sqrt(v) / math.sqrt(1.0 - b2 ** t) + eps))


class AdamW(Adam):
    """AdamW: p *= 1 - lr*wd (decoupled weight decay), then the Adam step without L2."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
