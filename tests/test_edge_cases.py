"""Edge cases that PyTorch's own tests expose (issue 15), each pinned with the convention it follows:
PyTorch's value unless a documented reason says otherwise. Where PyTorch is installed the test also
checks that it really gives that value (or, for a documented difference, that it does not)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


def _t(a, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _grads(fn, *values):
    ts = [_t(v) for v in values]
    fn(*ts).sum().backward()
    return [t.grad.data for t in ts]


def _torch_grads(fn, *values):
    torch = _torch()
    ts = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


# --------------------------------------------------------------------------- x ** y with a tensor exponent

def test_pow_at_zero_to_the_zero_has_zero_gradients_as_torch():
    """0^0 = 1; d/dx = y·x^(y−1) = 0·0^(−1) is taken as 0 (PyTorch's), d/dy = 0^0·log 0 as 0 (a ≤ 0 rule)."""
    gx, gy = _grads(lambda x, y: x ** y, [0.0], [0.0])
    assert gx[0] == 0.0 and gy[0] == 0.0
    if _torch():
        np.testing.assert_array_equal(_torch_grads(lambda x, y: x ** y, [0.0], [0.0]), [[0.0], [0.0]])


def test_pow_exponent_gradient_is_zero_where_the_base_is_not_positive():
    """d(a^b)/db = a^b·log a is taken as 0 for a ≤ 0, as pow's docstring says: the real power is not
    differentiable in b there. A documented difference: PyTorch gives log(0)·0^b = −inf at a = 0, b < 0."""
    with np.errstate(divide="ignore"):  # 0^(−1) = inf is a true division by zero, forward and backward
        gx, gy = _grads(lambda x, y: x ** y, [0.0, 0.0, -2.0], [-1.0, 2.0, 2.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(gx, [-np.inf, 0.0, -4.0])  # the base gradient is PyTorch's, −inf included
    if _torch():
        tgx, tgy = _torch_grads(lambda x, y: x ** y, [0.0], [-1.0])
        assert tgx[0] == -np.inf and tgy[0] == -np.inf  # the difference: PyTorch's exponent gradient


def test_integer_tensor_to_a_negative_integer_power_names_pow():
    with pytest.raises(ValueError, match=r"^pow: integers to negative integer powers are not defined"):
        mg.tensor([1, 2]) ** -2
    np.testing.assert_allclose((mg.tensor([1.0, 2.0]) ** -2).data, [1.0, 0.25])


# --------------------------------------------------------------------------- NaN

def test_relu_gradient_at_nan_passes_as_torch():
    """relu'(NaN) = 1, PyTorch's threshold_backward on the result (NaN is not <= 0); relu'(0) = 0."""
    (g,) = _grads(mg.relu, [np.nan, 0.0, -1.0, 2.0])
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 1.0])
    if _torch():
        np.testing.assert_array_equal(_torch_grads(_torch().relu, [np.nan, 0.0, -1.0, 2.0])[0], g)


def test_sign_of_nan_is_nan_and_its_gradient_zero():
    """sign(NaN) = NaN, as numpy and JAX: a NaN never silently becomes a number (PyTorch gives 0, a
    documented difference); sign is piecewise constant, so its gradient is 0 everywhere, NaN included."""
    x = _t([np.nan, -2.0, 0.0, 3.0])
    y = F.sign(x)
    np.testing.assert_array_equal(y.data, [np.nan, -1.0, 0.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    assert F.sign(mg.tensor([True, False])).tolist() == [True, False]  # a bool is its own sign (numpy has none)
    torch = _torch()
    if torch:
        assert torch.sign(torch.tensor(float("nan"))).item() == 0.0  # the difference


def test_abs_gradient_at_nan_is_nan():
    """abs' = sign: NaN at NaN (NaN in, NaN out); PyTorch gives 0 there, a documented difference."""
    (g,) = _grads(mg.abs, [np.nan, -2.0, 0.0])
    np.testing.assert_array_equal(g, [np.nan, -1.0, 0.0])


def test_smooth_ops_give_nan_gradients_at_nan_as_torch():
    for name in ("exp", "sin", "tanh", "sigmoid", "sqrt", "log"):
        (g,) = _grads(getattr(mg, name), [np.nan, 1.0])
        assert np.isnan(g[0]) and np.isfinite(g[1]), name
        if _torch():
            assert np.isnan(_torch_grads(getattr(_torch(), name), [np.nan, 1.0])[0][0]), name


def test_max_of_a_slice_with_nan_is_nan_and_the_nan_gets_the_gradient_as_torch_max():
    """A NaN is the maximum of its slice (numpy's max propagates it) and takes the gradient, as PyTorch's
    max(dim) (whose index is the NaN's); PyTorch's amax gives NaN to the whole slice (0/0)."""
    x = _t([[1.0, np.nan, 3.0], [1.0, 5.0, 2.0]])
    y = x.max(axis=1)
    assert np.isnan(y.data[0]) and y.data[1] == 5.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [0, 1, 0]])
    torch = _torch()
    if torch:
        tx = torch.tensor(x.data, requires_grad=True)
        tx.max(dim=1).values.sum().backward()
        np.testing.assert_array_equal(tx.grad.numpy(), x.grad.data)


def test_linear_ops_pass_the_gradient_at_nan():
    """add's derivative does not depend on the value: 1 at NaN too (PyTorch's as well)."""
    ga, gb = _grads(lambda a, b: a + b, [np.nan], [1.0])
    assert ga[0] == 1.0 and gb[0] == 1.0


# --------------------------------------------------------------------------- empty and 0-d

@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, axis", [((3, 0), -1), ((0, 3), -1), ((0, 3), 0), ((0,), 0)])
def test_softmax_over_an_empty_axis_is_empty_as_torch(fn, shape, axis):
    x = _t(np.zeros(shape))
    y = fn(x, axis=axis)
    assert y.shape == shape and y.dtype == np.float64
    y.sum().backward()
    assert x.grad.shape == shape
    torch = _torch()
    if torch:
        assert tuple(getattr(torch, fn.__name__)(torch.zeros(shape), dim=axis).shape) == shape


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "var", "std"])
@pytest.mark.parametrize("axis", [0, -1, (0,), (-1,), ()])
def test_reductions_of_a_0d_tensor_over_axis_0_give_the_value(name, axis):
    """A 0-d tensor takes axis 0 and −1, as PyTorch's reductions (numpy takes the int, not the tuple)."""
    x = _t(2.5)
    y = getattr(x, name)(axis=axis)
    expected = {"var": 0.0, "std": 0.0}.get(name, 2.5)
    assert y.shape == () and y.item() == pytest.approx(expected)
    y.backward()
    assert x.grad.item() == pytest.approx({"var": 0.0, "std": 0.0}.get(name, 1.0))


def test_reduction_errors_are_right_about_how_many_elements():
    assert mg.tensor([4.0]).max(axis=0).item() == 4.0 and mg.tensor(4.0).sum(axis=0).item() == 4.0
    with pytest.raises(ValueError, match=r"^max: cannot reduce over zero elements \(shape \(3, 0\), axis 1\)"):
        mg.zeros(3, 0).max(axis=1)
    with pytest.raises(ValueError, match=r"^argmax: cannot take the argmax of zero elements"):
        mg.zeros(0).argmax()


def test_squeeze_axis_0_of_a_0d_tensor_returns_it_as_numpy():
    x = _t(3.0)
    y = x.squeeze(0)
    assert y.shape == () and y.item() == 3.0
    assert np.squeeze(np.array(3.0), 0).shape == ()


@pytest.mark.parametrize("shape", [(3,), (3, 2)])
def test_indexing_with_an_empty_list_selects_nothing_as_numpy_and_torch(shape):
    x = _t(np.ones(shape))
    y = x[[]]
    assert y.shape == (0,) + shape[1:]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    torch = _torch()
    if torch:
        assert tuple(torch.ones(shape)[[]].shape) == y.shape


def test_std_over_no_axes_is_zero_with_a_zero_gradient_as_torch_at_zero_variance():
    """var over no axes (axis=()) is 0, as numpy; std's gradient at zero variance is 0, PyTorch's
    convention for std (its derivative 1/(2·std) has no finite value there), not NaN."""
    x = _t([1.0, 2.0, 4.0])
    y = x.std(axis=())
    np.testing.assert_array_equal(y.data, 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
    c = _t([3.0, 3.0, 3.0])
    c.std().backward()
    np.testing.assert_array_equal(c.grad.data, 0.0)
    torch = _torch()
    if torch:
        tc = torch.tensor([3.0, 3.0, 3.0], requires_grad=True)
        tc.std().backward()
        np.testing.assert_array_equal(tc.grad.numpy(), 0.0)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_class_targets_in_non_native_byte_order(name):
    x = _t(np.log(np.full((2, 3), 1 / 3)))
    t = np.array([2, 0], dtype=">i2")
    assert getattr(F, name)(x, t).item() == pytest.approx(getattr(F, name)(x, np.array([2, 0])).item())


def test_concatenate_with_axis_none_joins_flattened_as_numpy():
    a, b = _t([[1.0, 2.0]]), _t([3.0])
    y = mg.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(y.data, np.concatenate([a.data, b.data], axis=None))
    (y * mg.tensor([1.0, 2.0, 3.0], dtype="float64")).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(b.grad.data, [3.0])


# --------------------------------------------------------------------------- integers into float-valued ops

@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tan", "sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int64", "bool"])
def test_integers_into_float_valued_ops_give_the_default_float_dtype_as_torch(name, dtype):
    values = np.array([1, 2, 1]) if dtype != "bool" else np.array([1, 1, 1])
    x = mg.tensor(values.astype(dtype))
    y = getattr(mg, name)(x)
    assert y.dtype == mg.get_default_dtype()
    v = values.astype(np.float32)
    expected = getattr(np, name)(v) if name != "sigmoid" else 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)


def test_exp_of_small_integers_is_not_float16():
    """numpy's exp(uint8) is float16 (inf from e^12 on); minigrad's is the default float dtype, as PyTorch's.
    e^200 is beyond float32 too (PyTorch: inf as well): it is finite in float64."""
    y = mg.exp(mg.tensor(np.array([80], dtype=np.uint8)))
    assert y.dtype == np.float32 and np.isfinite(y.data[0])  # float16 would give inf
    mg.set_default_dtype("float64")
    try:
        assert np.isfinite(mg.exp(mg.tensor(np.array([200], dtype=np.uint8))).data).all()
    finally:
        mg.set_default_dtype("float32")
    assert mg.logsumexp(mg.tensor(np.array([100, 120], dtype=np.int8))).item() == pytest.approx(120.0, rel=1e-6)
    torch = _torch()
    if torch:
        assert torch.exp(torch.tensor([200], dtype=torch.uint8)).dtype == torch.float32


def test_integer_division_mean_and_softmax_give_the_default_float_dtype():
    i8 = mg.tensor(np.array([1, 2, 3], dtype=np.int8))
    assert (i8 / i8).dtype == np.float32 and (mg.tensor([1, 2]) / 2).dtype == np.float32
    assert i8.mean().dtype == np.float32 and i8.var().dtype == np.float32 and i8.std().dtype == np.float32
    assert F.softmax(i8).dtype == np.float32 and F.log_softmax(i8).dtype == np.float32
    assert F.gelu(i8).dtype == np.float32 and F.elu(i8).dtype == np.float32 and F.softsign(i8).dtype == np.float32
    assert F.prelu(i8, 0.25).dtype == np.float32 and F.rrelu(i8, training=True).dtype == np.float32
    mg.set_default_dtype("float64")
    try:
        assert mg.exp(i8).dtype == np.float64
    finally:
        mg.set_default_dtype("float32")
    assert (i8 + i8).dtype == np.int8 and mg.relu(i8).dtype == np.int8  # not float-valued: integers stay
