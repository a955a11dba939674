"""RMSprop with optional momentum and L2 weight decay (PyTorch's update rule, centered=False)."""
from __future__ import annotations

from typing import Any, Dict, Iterable

import numpy as np

from .optimizer import Optimizer, _number

class RMSprop(Optimizer):
    """RMSprop: g += wd*p; v = alpha*v + (1-alpha)*g^2; with momentum buf = mu*buf + g/(sqrt(v)+eps),
    p -= lr*buf; else p -= lr*g/(sqrt(v)+eps)."""

    _STATE_ARRAYS = ("square_avg", "momentum_buffer")
    _STATE_REQUIRED = ("step", "square_avg")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    def _check(self, g: Dict[str, Any]) -> None:
        _number("lr", g["lr"], "RMSprop")
        _number("alpha", g["alpha"], "RMSprop", 0.0, 1.0)
        _number("eps", g["eps"], "RMSprop")
        _number("momentum", g["momentum"], "RMSprop")
        _number("weight_decay", g["weight_decay"], "RMSprop")

    def _hyper(self, g):
        return float(g["lr"]), float(g["alpha"]), float(g["eps"]), float(g["momentum"]), float(g["weight_decay"])

    def _update(self, p, g, st, lr, alpha, eps, momentum, wd):
        v = st.get("square_avg")
        if v is None:
            st["step"] = 0
            v = st["square_avg"] = np.zeros_like(p)
        st["step"] += 1
        if wd:
            g = g + wd * p  # L2
        v *= alpha
        v += (1.0 - alpha) * (g * g)
        d = g / (np.sqrt(v) + eps)
        if momentum:
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = np.zeros_like(p)
            buf *= momentum
            buf += d
            d = buf
        p -= lr * d
