"""Hypothesis strategies for property tests of minigrad ops, including users' own `Function`s.

Example: check a custom op's gradient on every shape hypothesis draws::

    from hypothesis import given
    import minigrad
    from minigrad.testing import gradcheck
    from minigrad.testing.strategies import tensors

    class Cube(minigrad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    @given(tensors(requires_grad=True))
    def test_cube_gradient(x):
        assert gradcheck(Cube.apply, [x])
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised only without the dev extra
    raise ImportError("minigrad.testing.strategies needs hypothesis: pip install 'minigrad[dev]'") from e

from ..tensor import Tensor


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    """Array shapes with `min_dims`…`max_dims` axes of length 1…`max_side` (0-d included by default)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 4,
                         max_side: int = 5) -> st.SearchStrategy:
    """A tuple of `num_shapes` mutually broadcastable shapes (0-d and size-1 axes included)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=1, max_side=max_side).map(lambda b: b.input_shapes)


def floats(min_value: float = -10.0, max_value: float = 10.0, dtype: Any = np.float64) -> st.SearchStrategy:
    """Finite floats in [min_value, max_value] representable in `dtype`."""
    width = np.dtype(dtype).itemsize * 8
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False, width=width)


def tensors(shape: Union[Tuple[int, ...], st.SearchStrategy, None] = None, dtype: Any = np.float64,
            elements: Optional[st.SearchStrategy] = None, requires_grad: bool = False) -> st.SearchStrategy:
    """Tensors of `shape` (a tuple or a strategy; default: up to 3 axes of side <= 4) with `elements`
    (default: finite floats in [-10, 10])."""
    dtype = np.dtype(dtype)
    if shape is None:
        shape = shapes()
    if elements is None:
        elements = floats(dtype=dtype) if dtype.kind == "f" else None
    arrays = hnp.arrays(dtype=dtype, shape=shape, elements=elements)
    return arrays.map(lambda a: Tensor(a, requires_grad=requires_grad and dtype.kind == "f"))
