"""minigrad.testing.check_grads: passes right derivatives at every order and mode, catches a wrong one
at the order and mode where it is wrong, names the input, costs two evaluations per check, is seeded."""
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import func
from minigrad.testing import GradcheckError, check_grads
from custom_functions import Cube, CubeArrayBackward, CubeConstBackward

rng = np.random.default_rng(1)
X = rng.uniform(0.5, 1.5, 4)
W = rng.standard_normal((4, 3))


def net(x, w):
    return (x @ w).tanh() * x.sum()


class ScaledSin(mg.Function):
    """sin with a derivative 1% too large: wrong at order 1 already."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos() * 1.01


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("modes", [("fwd",), ("rev",), ("fwd", "rev")])
def test_right_derivatives_pass_at_every_order(order, modes):
    assert check_grads(net, (X, W), order=order, modes=modes) is True
    assert check_grads(lambda x: mg.nn.functional.gelu(x) * x.sin() + x @ x, (X,), order=order, modes=modes)


def test_a_transform_inside_the_checked_function_is_differentiated_through_its_closure():
    def grad_of_net(x, w):  # w reaches the inner transform only through the closure
        return func.grad(lambda x_: net(x_, w).sum())(x)

    assert check_grads(grad_of_net, (X, W), order=2)


def test_a_wrong_first_derivative_is_caught_in_both_modes_naming_the_input():
    f = lambda x, w: ScaledSin.apply(w) * x.sum()  # noqa: E731
    with pytest.raises(GradcheckError, match=r"check_grads: mode 'fwd', order 1 \(JVP\), input 1: .*"
                                             r"forward mode gives -?[\d.]+.*central differences give -?[\d.]+"):
        check_grads(f, (X, W), order=1, modes=("fwd",))
    with pytest.raises(GradcheckError, match=r"mode 'rev', order 1 \(VJP\), input 1: reverse mode <J\^T u, v> "
                                             r"gives -?[\d.]+, central differences <u, J v> give -?[\d.]+"):
        check_grads(f, (X, W), order=1, modes=("rev",))


def test_a_wrong_second_derivative_passes_order_1_and_fails_order_2():
    f = CubeConstBackward.apply  # right g·3x², but 3x² is a constant to the second pass
    assert check_grads(f, (X,), order=1)
    with pytest.raises(GradcheckError, match=r"mode 'rev', order 2 \(VJP of VJP\), input 0"):
        check_grads(f, (X,), order=2, modes=("rev",))
    with pytest.raises(GradcheckError, match=r"mode 'fwd', order 2 \(JVP of JVP\), input 0"):
        check_grads(f, (X,), order=2, modes=("fwd",))
    assert check_grads(Cube.apply, (X,), order=3)


def test_forward_mode_needs_a_backward_written_with_tensor_ops():
    # an ndarray gradient is a constant, so differentiating the VJP (forward mode) sees nothing
    assert check_grads(CubeArrayBackward.apply, (X,), order=1, modes=("rev",))
    with pytest.raises(GradcheckError, match=r"mode 'fwd', order 1 \(JVP\), input 0: .*forward mode gives 0, "):
        check_grads(CubeArrayBackward.apply, (X,), order=1, modes=("fwd",))


def test_inputs_and_outputs_of_the_derived_functions_are_named():
    # JVP of JVP: the derived function maps (x, t) to (f(x), f'(x) t); f'' is wrong, so its output 1
    # disagrees when input 0 (x) moves, and agrees when the tangent moves
    f = lambda x: CubeConstBackward.apply(x).sum()  # noqa: E731
    with pytest.raises(GradcheckError, match=r"order 2 \(JVP of JVP\), input 0: output 1 at element \(\): "):
        check_grads(f, (X,), order=2, modes=("fwd", "rev"))


def test_two_evaluations_per_input_and_check_whatever_the_input_size():
    calls = []

    def f(x, w):
        calls.append(mg.is_grad_enabled())
        return net(x, w)

    big = rng.standard_normal((40, 3))
    check_grads(f, (rng.uniform(0.5, 1.5, 40), big), order=1, modes=("fwd",))
    evaluations = calls.count(False)  # central differences run under no_grad; jvp's own call records
    assert evaluations == 4, f"{evaluations} evaluations for one check of two inputs (160 numbers)"


def test_seeded_and_tuple_outputs_and_non_float_arguments():
    labels = np.array([0, 2, 1, 1])

    def f(x, w, t):
        z = x[:, None] * w
        return mg.nn.functional.cross_entropy(z, t), z.sum(axis=0)

    assert check_grads(f, (X, W, labels), order=2)
    wrong = lambda x: (ScaledSin.apply(x), x * 2)  # noqa: E731
    messages = []
    for _ in range(2):
        with pytest.raises(GradcheckError) as e:
            check_grads(wrong, (X,), order=1, modes=("fwd",), seed=3)
        messages.append(str(e.value))
    assert messages[0] == messages[1] and "output 0 at element" in messages[0]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(order=0), ValueError, "order must be an int >= 1"),
    (dict(modes=("fwd", "bwd")), ValueError, "modes must name 'fwd' and/or 'rev'"),
    (dict(modes=()), ValueError, "modes must name"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_grads(net, (X, W), **kwargs)
    with pytest.raises(TypeError, match="args must be a tuple or list"):
        check_grads(net, X)
    with pytest.raises(TypeError, match="no float argument"):
        check_grads(lambda t: t, (np.arange(3),))
