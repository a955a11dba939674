"""Custom `minigrad.Function`s shared by the tests: x³ with a backward written in Tensor ops (so it
differentiates again), variants whose backward is right to first order only, and e^x saving its output."""
import numpy as np

import minigrad as mg


class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


class CubeArrayBackward(Cube):
    """Right first derivative 3x², but returned as an ndarray: a constant to double backward."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g.data * 3 * x.data ** 2


class CubeConstBackward(Cube):
    """Right first derivative, g·3x² with 3x² from raw arrays: differentiable in g, constant in x."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (3 * x.data ** 2)


class ExpSavesOutput(mg.Function):
    """e^x, saving its own output (an array computed in forward, not an input) for backward."""

    @staticmethod
    def forward(ctx, x):
        e = np.exp(x)
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, g):
        (e,) = ctx.saved_tensors
        assert isinstance(e, mg.Tensor)
        return g * e
