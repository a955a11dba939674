"""SGD with momentum, Nesterov momentum and L2 weight decay (PyTorch's update rule)."""
from __future__ import annotations

from typing import Any, Dict, Iterable

import numpy as np

from .optimizer import Optimizer, _number


class SGD(Optimizer):
    """Stochastic gradient descent: d = g + wd*p; buf = momentum*buf + d (buf = d at first);
    d = d + momentum*buf (nesterov) or buf; p -= lr*d."""

    _STATE_ARRAYS = ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay))

    def _check(self, g: Dict[str, Any]) -> None:
        _number("lr", g["lr"], "SGD")
        _number("momentum", g["momentum"], "SGD")
        _number("weight_decay", g["weight_decay"], "SGD")
        if g["nesterov"] and not g["momentum"] > 0:
            raise ValueError("SGD: nesterov=True requires momentum > 0")

    def _hyper(self, g):
        return float(g["lr"]), float(g["momentum"]), bool(g["nesterov"]), float(g["weight_decay"])

    def _update(self, p, g, st, lr, momentum, nesterov, wd):
        d = g + wd * p if wd else g
        if momentum:
            buf = st.get("momentum_buffer")
            buf = st["momentum_buffer"] = np.array(d, dtype=p.dtype, copy=True) if buf is None else buf * momentum + d
            d = d + momentum * buf if nesterov else buf
        p -= lr * d
