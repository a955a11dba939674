"""Custom `minigrad.Function`s shared by the tests: x³ with a backward written in Tensor ops (so it
differentiates again), and the same derivative computed from raw arrays (a constant to a second
backward, right to first order only)."""
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


class CubeArrayBackward(mg.Function):
    """Right first derivative 3x², but returned as an ndarray: a constant to double backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g.data * 3 * x.data ** 2


class CubeConstBackward(mg.Function):
    """Right first derivative, g·3x² with 3x² from raw arrays: differentiable in g, constant in x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (3 * x.data ** 2)
