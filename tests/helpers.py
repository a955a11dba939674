"""Small helpers shared by several test modules."""
from __future__ import annotations

import numpy as np


def grad_of(fn, *inputs, upstream=None):
    """Run fn(*inputs), backprop `upstream` (ones by default) and return each input's gradient array."""
    y = fn(*inputs)
    y.backward(np.ones(y.shape) if upstream is None else upstream)
    return [x.grad.data for x in inputs]
