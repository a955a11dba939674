"""Fixed tests for minigrad.testing: numerical_grad, gradcheck, gradgradcheck and the hypothesis strategies."""
import re
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.tensor import Tensor
from minigrad.testing import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from minigrad.testing import strategies as mst
from custom_functions import CubeConstBackward


def f64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def sigmoid_np(x):
    return 1 / (1 + np.exp(-x))


# --------------------------------------------------------------------------- deliberately wrong ops

class WrongSigmoid(mg.Function):
    """Right forward, wrong derivative: 1 − σ instead of σ(1 − σ)."""

    @staticmethod
    def forward(ctx, x):
        y = sigmoid_np(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y)


class GoodSwish(mg.Function):
    """swish'(x) = σ(x) + x·σ(x)(1 − σ(x)), written with Tensor ops: twice differentiable."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * sigmoid_np(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = mg.sigmoid(x)
        return g * (s + x * s * (1 - s))


class WrongSwish(GoodSwish):
    """swish(x) = x·σ(x), with a derivative taken from the wrong formula x/(1 − e^−x)."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x / (1 - mg.exp(-x)))


class ScaleConstBackward(mg.Function):
    """A linear op with an ndarray-constant backward: its second derivative really is 0."""

    @staticmethod
    def forward(ctx, x):
        return 2.5 * x

    @staticmethod
    def backward(ctx, g):
        return g * np.float64(2.5)


# --------------------------------------------------------------------------- numerical_grad

def test_numerical_grad_of_known_derivatives():
    x = f64([0.3, -1.2, 2.0])
    (g,) = numerical_grad(mg.sin, [x])
    assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == (3,)
    np.testing.assert_allclose(g, np.cos(x.data), atol=1e-8)
    (g,) = numerical_grad(lambda t: (t ** 3).sum(), [x])
    np.testing.assert_allclose(g, 3 * x.data ** 2, rtol=1e-6)


def test_numerical_grad_one_array_per_input():
    a, b = f64([[1.0, 2.0]]), f64([3.0, -4.0])
    ga, gb = numerical_grad(lambda a, b: a * b, [a, b])
    assert ga.shape == (1, 2) and gb.shape == (2,)
    np.testing.assert_allclose(ga, [[3.0, -4.0]], atol=1e-8)
    np.testing.assert_allclose(gb, [1.0, 2.0], atol=1e-8)


def test_numerical_grad_runs_in_float64_for_float32_inputs():
    x = mg.tensor([0.5, 1.5])  # float32
    (g,) = numerical_grad(mg.exp, [x])
    assert g.dtype == np.float64
    # in float32 a step of 1e-6 is below resolution; float64 differences are accurate
    np.testing.assert_allclose(g, np.exp(np.array([0.5, 1.5], dtype=np.float32).astype(np.float64)), rtol=1e-7)


def test_numerical_grad_weights_by_grad_output():
    x = f64([1.0, 2.0, 3.0])
    w = np.array([1.0, -2.0, 0.5])
    (g,) = numerical_grad(lambda t: t * t, [x], grad_output=w)
    np.testing.assert_allclose(g, 2 * x.data * w, atol=1e-8)


def test_numerical_grad_non_tensor_inputs_get_none_and_inputs_are_untouched():
    x = f64([1.0, 2.0])
    before = x.data.copy()
    g, none = numerical_grad(lambda t, k: t * k, [x, 3])
    np.testing.assert_allclose(g, [3.0, 3.0], atol=1e-8)
    assert none is None
    np.testing.assert_array_equal(x.data, before)


# --------------------------------------------------------------------------- gradcheck

@pytest.mark.parametrize("fn,inputs", [
    (mg.sin, [[0.3, -1.2, 2.0]]),
    (lambda a, b: (a @ b).tanh(), [[[0.1, 0.2, -0.3], [1.0, 0.0, 0.5]], [[0.5], [-1.0], [2.0]]]),
    (lambda a, b: a * b + a / (b * b + 1), [[[1.0, 2.0, 3.0]], [[0.5], [-1.5]]]),  # broadcasting
    (lambda x: x.logsumexp(axis=1), [[[0.1, 2.0], [-1.0, 0.3], [0.0, 0.0]]]),
    (lambda x: GoodSwish.apply(x), [[-3.0, 0.0, 0.7, 4.0]]),
])
def test_gradcheck_true_on_correct_ops(fn, inputs):
    assert gradcheck(fn, [f64(v) for v in inputs]) is True


def test_gradcheck_names_input_1_element_and_both_values():
    a = f64([0.5, -1.0])
    x = f64([[0.3, -2.0], [1.0, 0.1]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, x: a.sum() * WrongSigmoid.apply(x), [a, x])
    err = info.value
    assert isinstance(err, AssertionError)
    msg = str(err)
    assert "input 1" in msg and "input 0" not in msg
    m = re.search(r"element \((\d+), (\d+)\): analytic (\S+), numeric (\S+)", msg)
    assert m, msg
    i, j = int(m.group(1)), int(m.group(2))
    analytic, numeric = float(m.group(3).rstrip(",")), float(m.group(4))
    # both values carry the same upstream weight, so their ratio is (1 − σ) / (σ(1 − σ)) = 1/σ
    s = sigmoid_np(x.data[i, j])
    assert analytic / numeric == pytest.approx(1 / s, rel=1e-5)


def test_gradcheck_catches_swish_with_wrong_formula():
    with pytest.raises(GradcheckError, match=r"input 0 disagrees at element \(\d+,\)"):
        gradcheck(WrongSwish.apply, [f64([-2.0, -0.5, 0.5, 2.0])])


def test_gradcheck_raise_exception_false_returns_false():
    x = f64([0.2, -0.4])
    assert gradcheck(WrongSigmoid.apply, [x], raise_exception=False) is False
    assert gradcheck(mg.sigmoid, [x], raise_exception=False) is True


def test_gradcheck_does_not_touch_inputs_or_their_grad():
    x = f64([0.2, -0.4])
    before = x.data.copy()
    gradcheck(lambda t: t * t, [x])
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_gradcheck_accepts_float32_inputs():
    assert gradcheck(lambda t: t.exp() * t, [mg.tensor([0.5, -1.0, 2.0], requires_grad=True)])


def test_gradcheck_multi_output_functions():
    a, b = f64([0.5, -1.0, 2.0]), f64([1.5, 0.25, -0.5])
    assert gradcheck(lambda a, b: (mg.sin(a) * b, (a * b).sum(), b.exp()), [a, b])
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: (a * b, WrongSigmoid.apply(b)), [a, b])


def test_gradcheck_non_scalar_outputs_with_weighted_directions():
    # y_i = x_i + x_{i+1} (cyclic), with a backward that routes each gradient to the wrong neighbour:
    # under a plain sum of the outputs both rules give 2 everywhere; a random upstream gradient tells them apart
    class WrongRoll(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x + np.roll(x, -1)

        @staticmethod
        def backward(ctx, g):
            return g.data + np.roll(g.data, -1)  # right: g + roll(g, +1)

    x = f64([1.0, 2.0, 3.0, 4.0])
    (g_sum,) = numerical_grad(WrongRoll.apply, [x])
    np.testing.assert_allclose(g_sum, [2.0, 2.0, 2.0, 2.0], atol=1e-8)
    with pytest.raises(GradcheckError):
        gradcheck(WrongRoll.apply, [x])
    assert gradcheck(lambda t: t + t[np.array([1, 2, 3, 0])], [x])


def test_gradcheck_differentiates_only_inputs_that_require_grad():
    x, c = f64([0.5, 1.0]), f64([2.0, 3.0], requires_grad=False)
    # WrongSigmoid on the constant must not be checked
    assert gradcheck(lambda x, c: x * WrongSigmoid.apply(c), [x, c])


# --------------------------------------------------------------------------- gradgradcheck

def test_gradgradcheck_passes_on_twice_differentiable_ops():
    x = f64([0.3, -1.2, 2.0])
    assert gradgradcheck(mg.sin, [x])
    assert gradgradcheck(lambda t: (t * t).tanh(), [x])
    assert gradgradcheck(GoodSwish.apply, [x])
    assert gradgradcheck(ScaleConstBackward.apply, [x])  # linear: 0 is the right second derivative


def test_gradgradcheck_catches_constant_backward_of_nonlinear_op():
    x = f64([0.3, -1.2, 2.0])
    assert gradcheck(CubeConstBackward.apply, [x])  # first derivative is right...
    with pytest.raises(GradcheckError, match=r"second derivative.*input 0") as info:
        gradgradcheck(CubeConstBackward.apply, [x])  # ...but it cannot be differentiated again
    assert isinstance(info.value, AssertionError)
    assert gradgradcheck(CubeConstBackward.apply, [x], raise_exception=False) is False


def test_gradgradcheck_multi_input():
    a, b = f64([0.5, -1.0]), f64([1.5, 0.25])
    assert gradgradcheck(lambda a, b: (a * b).sin() + a ** 3, [a, b])
    with pytest.raises(GradcheckError, match="input 1"):
        gradgradcheck(lambda a, b: a * CubeConstBackward.apply(b), [a, b])


# --------------------------------------------------------------------------- strategies

@given(mst.tensors(shape=(2, 3), dtype=np.float32, elements=mst.floats(-2.0, 2.0, dtype=np.float32),
                   requires_grad=True))
def test_tensors_strategy_respects_shape_dtype_elements_requires_grad(t):
    assert isinstance(t, Tensor)
    assert t.shape == (2, 3) and t.dtype == np.float32
    assert t.requires_grad and t.is_leaf
    assert np.all(np.abs(t.data) <= 2.0) and np.all(np.isfinite(t.data))


@given(mst.tensors())
def test_tensors_strategy_defaults(t):
    assert t.dtype == np.float64 and not t.requires_grad
    assert 0 <= t.ndim <= 3 and all(1 <= n <= 4 for n in t.shape)
    assert np.all(np.abs(t.data) <= 10.0)


@given(st.data())
def test_tensors_strategy_with_shape_strategy(data):
    shape = data.draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    t = data.draw(mst.tensors(shape=st.just(shape)))
    assert t.shape == shape


@given(mst.broadcastable_shapes(num_shapes=3, min_dims=1, max_dims=3, max_side=4))
def test_broadcastable_shapes_strategy(shapes):
    assert isinstance(shapes, tuple) and len(shapes) == 3
    for s in shapes:
        assert 1 <= len(s) <= 3 and all(1 <= n <= 4 for n in s)
    out = np.broadcast_shapes(*shapes)  # raises if they do not broadcast
    assert len(out) == max(len(s) for s in shapes)


@given(mst.broadcastable_shapes(), st.data())
def test_gradients_sum_back_to_broadcastable_shapes(shapes, data):
    a_shape, b_shape = shapes
    a = data.draw(mst.tensors(shape=a_shape, requires_grad=True))
    b = data.draw(mst.tensors(shape=b_shape, requires_grad=True))
    y = a * 2.0 + b
    y.backward(np.ones(y.shape))
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
    np.testing.assert_allclose(a.grad.data, np.full(a_shape, 2.0 * np.prod(y.shape) / max(np.prod(a_shape), 1)))


def _docstring_example() -> str:
    doc = mst.__doc__
    start = doc.index("::") + 2
    return textwrap.dedent(doc[start:])


def test_strategies_docstring_example_runs():
    source = _docstring_example()
    assert "class Cube(minigrad.Function)" in source and "gradcheck(Cube.apply" in source
    namespace = {}
    exec(compile(source, "minigrad/testing/strategies.py docstring", "exec"), namespace)
    namespace["test_cube_gradient"]()  # a hypothesis test: runs the drawn examples


def test_strategies_docstring_example_would_catch_a_wrong_cube():
    source = _docstring_example().replace("g * 3 * x ** 2", "g * 2 * x ** 2")
    assert "g * 2 * x ** 2" in source
    namespace = {}
    exec(compile(source, "wrong cube", "exec"), namespace)
    with pytest.raises(GradcheckError):
        namespace["test_cube_gradient"]()
