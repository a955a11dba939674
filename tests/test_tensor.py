"""Fixed tests for Tensor conventions: dtype rules, constructors, conversions, indexing, and the
gradient conventions at ties and kinks that the op-registry property tests keep away from."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.tensor import Tensor
from helpers import grad_of


def f64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


@pytest.fixture
def restore_default_dtype():
    saved = mg.get_default_dtype()
    yield
    mg.set_default_dtype(saved)


# --------------------------------------------------------------------------- tensor() dtype rules

@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1.0], [2.5]], [1, 2.5]])
def test_python_floats_get_default_float32(data):
    t = mg.tensor(data)
    assert t.dtype == np.float32 and isinstance(t.dtype, np.dtype)


@pytest.mark.parametrize("data,dtype", [(3, np.int64), ([1, 2], np.int64), (True, np.bool_),
                                        ([True, False], np.bool_)])
def test_python_ints_and_bools(data, dtype):
    assert mg.tensor(data).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_ndarray_keeps_dtype_and_is_copied(dtype):
    arr = np.arange(4).astype(dtype)
    t = mg.tensor(arr)
    assert t.dtype == dtype
    assert not np.shares_memory(t.data, arr)
    np.testing.assert_array_equal(t.data, arr)


def test_tensor_from_tensor_is_copied():
    a = mg.tensor([1.0, 2.0])
    b = mg.tensor(a)
    assert not np.shares_memory(a.data, b.data)
    b.data[0] = 9.0
    assert a.data[0] == 1.0


@pytest.mark.parametrize("dtype", ["float64", np.float64, np.dtype("float64")])
def test_dtype_argument_as_name_or_numpy_dtype(dtype):
    t = mg.tensor([1, 2], dtype=dtype)
    assert t.dtype == np.float64
    assert mg.tensor([1.5], dtype="float16").dtype == np.float16


def test_set_default_dtype_round_trip(restore_default_dtype):
    assert mg.get_default_dtype() == np.float32
    mg.set_default_dtype(np.float64)
    assert mg.get_default_dtype() == np.float64
    assert mg.tensor(1.5).dtype == np.float64
    assert mg.tensor([1.0, 2.0]).dtype == np.float64
    assert mg.zeros(2).dtype == np.float64 and mg.randn(2).dtype == np.float64
    assert mg.tensor(np.ones(2, dtype=np.float32)).dtype == np.float32  # ndarray keeps its dtype
    mg.set_default_dtype("float32")
    assert mg.tensor(1.5).dtype == np.float32


def test_set_default_dtype_rejects_non_float(restore_default_dtype):
    with pytest.raises(TypeError):
        mg.set_default_dtype(np.int64)
    assert mg.get_default_dtype() == np.float32


@pytest.mark.parametrize("data", [[1, 2], True, np.arange(3)])
def test_requires_grad_on_non_float_raises_type_error(data):
    with pytest.raises(TypeError, match="float"):
        mg.tensor(data, requires_grad=True)


# --------------------------------------------------------------------------- constructors

@pytest.mark.parametrize("make", [mg.zeros, mg.ones, mg.empty, mg.rand, mg.randn])
def test_shape_as_ints_or_tuple(make):
    assert make(2, 3).shape == (2, 3)
    assert make((2, 3)).shape == (2, 3)
    assert make([4]).shape == (4,)
    t = make(2, dtype="float64", requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf


def test_zeros_ones_values_and_like():
    np.testing.assert_array_equal(mg.zeros(2, 2).data, np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.ones(3).data, np.ones(3))
    base = mg.tensor(np.ones((2, 3), dtype=np.float64))
    z, o = mg.zeros_like(base), mg.ones_like(base)
    assert z.shape == o.shape == (2, 3) and z.dtype == o.dtype == np.float64
    assert (z.data == 0).all() and (o.data == 1).all()
    assert mg.zeros_like(base, dtype="float32").dtype == np.float32


def test_full():
    t = mg.full((2, 3), 1.5)
    assert t.shape == (2, 3) and t.dtype == np.float32 and (t.data == 1.5).all()
    assert mg.full(4, 7).dtype == np.int64 and mg.full(4, 7).shape == (4,)
    assert mg.full((2,), 1, dtype="float64").dtype == np.float64
    assert mg.full((1,), 2.0, requires_grad=True).requires_grad


def test_arange():
    np.testing.assert_array_equal(mg.arange(4).data, [0, 1, 2, 3])
    assert mg.arange(4).dtype == np.int64
    t = mg.arange(0.0, 1.0, 0.25)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, [0.0, 0.25, 0.5, 0.75])
    np.testing.assert_array_equal(mg.arange(2, 8, 3).data, [2, 5])
    assert mg.arange(3, dtype="float64").dtype == np.float64


def test_eye():
    np.testing.assert_array_equal(mg.eye(3).data, np.eye(3))
    np.testing.assert_array_equal(mg.eye(2, 3).data, np.eye(2, 3))
    assert mg.eye(2).dtype == np.float32


def test_rand_randn_reproducible_with_manual_seed():
    mg.manual_seed(1234)
    a, b = mg.rand(3, 2), mg.randn(5)
    mg.manual_seed(1234)
    c, d = mg.rand((3, 2)), mg.randn(5)
    np.testing.assert_array_equal(a.data, c.data)
    np.testing.assert_array_equal(b.data, d.data)
    assert a.dtype == np.float32 and (a.data >= 0).all() and (a.data < 1).all()
    e = mg.rand(3, 2)
    assert not np.array_equal(e.data, a.data)  # the generator advances


def test_manual_seed_does_not_touch_numpy_global_state():
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    mg.manual_seed(0)
    mg.randn(10)
    assert np.random.random() == expected


# --------------------------------------------------------------------------- conversions

def test_item():
    assert mg.tensor([[2.5]]).item() == 2.5
    assert isinstance(mg.tensor(3).item(), int)
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        mg.ones(2, 3).item()


def test_numpy_tolist_array_len():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    arr = np.asarray(t)
    assert arr.dtype == np.float32 and arr.shape == (2, 2)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert len(t) == 2 and len(mg.ones(5, 3)) == 5
    with pytest.raises(TypeError):
        len(mg.tensor(1.0))


def test_attributes():
    t = mg.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.size == 24
    assert t.grad is None and not t.requires_grad and t.is_leaf and t.name is None
    t.name = "w"
    assert t.name == "w"


def test_repr_shows_values_and_grad_fn_name():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    r = repr(x * 2)
    assert r.startswith("tensor(") and "2." in r and "4." in r and "grad_fn=<mul>" in r
    assert "requires_grad=True" in repr(x)
    assert "float64" in repr(mg.tensor([1.0], dtype="float64"))
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"


# --------------------------------------------------------------------------- operators

def test_comparisons_return_bool_tensors_without_grad():
    x = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    for r, expected in [(x < 2, [True, False, False]), (x <= 3, [True, True, True]),
                        (x > 1, [False, True, True]), (x >= 3, [False, True, True]),
                        (x == 3, [False, True, True]), (x != 3, [True, False, False])]:
        assert isinstance(r, Tensor) and r.dtype == np.bool_
        assert not r.requires_grad and r.grad_fn is None
        assert r.tolist() == expected


def test_reflected_operators_with_ndarray_and_numbers():
    x = f64([1.0, 2.0])
    c = np.array([3.0, 4.0])
    for y in (c * x, c + x, c - x, c / x, c @ x, 2.0 * x, 2.0 - x, 2.0 / x, 2.0 ** x):
        assert isinstance(y, Tensor) and y.requires_grad
    np.testing.assert_allclose((c - x).data, [2.0, 2.0])
    np.testing.assert_allclose(grad_of(lambda t: c / t, f64([1.0, 2.0]))[0], -c / np.array([1.0, 4.0]))
    np.testing.assert_allclose(grad_of(lambda t: 2.0 ** t, f64([1.0, 2.0]))[0], np.log(2) * 2.0 ** np.array([1, 2.0]))
    np.testing.assert_allclose(grad_of(lambda t: 2.0 - t, f64([1.0, 2.0]))[0], [-1.0, -1.0])
    np.testing.assert_allclose(grad_of(lambda t: c @ t, f64([1.0, 2.0]))[0], c)


def test_unary_negation():
    x = f64([1.0, -2.0])
    np.testing.assert_array_equal(grad_of(lambda t: -t, x)[0], [-1.0, -1.0])


# --------------------------------------------------------------------------- indexing

def test_getitem_basic_forms_and_gradients():
    base = np.arange(12.0).reshape(3, 4)
    cases = [
        (1, (4,)),
        ((1, 2), ()),
        (-1, (4,)),
        (slice(None, None, 2), (2, 4)),
        ((slice(None), slice(1, 3)), (3, 2)),
        ((None, 1), (1, 4)),
        ((Ellipsis, 0), (3,)),
        ((Ellipsis, None), (3, 4, 1)),
    ]
    for index, shape in cases:
        x = f64(base)
        y = x[index]
        assert y.shape == shape, index
        np.testing.assert_array_equal(y.data, base[index])
        up = np.random.default_rng(0).standard_normal(shape)
        y.backward(up)
        expected = np.zeros_like(base)
        expected[index] = up
        np.testing.assert_array_equal(x.grad.data, expected)


def test_getitem_integer_array_with_repeats_accumulates():
    x = f64([10.0, 20.0, 30.0])
    y = x[np.array([0, 2, 0, 0])]
    np.testing.assert_array_equal(y.data, [10.0, 30.0, 10.0, 10.0])
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.data, [8.0, 0.0, 2.0])
    z = f64([1.0, 2.0, 3.0])
    z[[1, 1]].sum().backward()  # a list index works like an array
    np.testing.assert_array_equal(z.grad.data, [0.0, 2.0, 0.0])


def test_getitem_integer_arrays_in_two_axes():
    x = f64(np.arange(6.0).reshape(2, 3))
    y = x[np.array([0, 1, 0]), np.array([2, 0, 2])]
    np.testing.assert_array_equal(y.data, [2.0, 3.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 2], [1, 0, 0]])


def test_getitem_boolean_mask():
    x = f64([[1.0, -2.0], [-3.0, 4.0]])
    mask = x > 0
    y = x[mask]
    np.testing.assert_array_equal(y.data, [1.0, 4.0])
    y.backward(np.array([5.0, 6.0]))
    np.testing.assert_array_equal(x.grad.data, [[5.0, 0.0], [0.0, 6.0]])
    z = f64([1.0, 2.0, 3.0])
    z[np.array([True, False, True])].sum().backward()
    np.testing.assert_array_equal(z.grad.data, [1.0, 0.0, 1.0])


def test_iteration_yields_rows():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    rows = list(x)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 2.0], [1.0, 1.0]])


# --------------------------------------------------------------------------- ties and kinks

def test_max_splits_gradient_evenly_among_ties():
    np.testing.assert_array_equal(grad_of(lambda t: t.max(), f64([1.0, 3.0, 3.0]))[0], [0.0, 0.5, 0.5])
    np.testing.assert_allclose(grad_of(lambda t: t.max(), f64([2.0, 2.0, 2.0]))[0], [1 / 3] * 3)


def test_min_splits_gradient_evenly_among_ties_per_axis():
    x = f64([[1.0, 1.0, 3.0], [2.0, 0.0, 5.0]])
    g = grad_of(lambda t: t.min(axis=1), x, upstream=np.array([2.0, 3.0]))[0]
    np.testing.assert_array_equal(g, [[1.0, 1.0, 0.0], [0.0, 3.0, 0.0]])
    x = f64([[4.0, 4.0], [4.0, 1.0]])
    g = grad_of(lambda t: t.max(axis=0, keepdims=True), x, upstream=np.array([[1.0, 1.0]]))[0]
    np.testing.assert_array_equal(g, [[0.5, 1.0], [0.5, 0.0]])


def test_maximum_minimum_split_at_ties():
    a, b = f64([1.0, 2.0, 5.0]), f64([1.0, 3.0, 4.0])
    ga, gb = grad_of(mg.maximum, a, b)
    np.testing.assert_array_equal(ga, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 1.0, 0.0])
    a, b = f64([1.0, 2.0, 5.0]), f64([1.0, 3.0, 4.0])
    ga, gb = grad_of(mg.minimum, a, b)
    np.testing.assert_array_equal(ga, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gb, [0.5, 0.0, 1.0])


def test_maximum_with_constant_at_tie():
    g = grad_of(lambda t: t.maximum(0.0), f64([-1.0, 0.0, 2.0]))[0]
    np.testing.assert_array_equal(g, [0.0, 0.5, 1.0])


def test_relu_derivative_zero_at_zero():
    np.testing.assert_array_equal(grad_of(mg.relu, f64([-1.0, 0.0, 1.0]))[0], [0.0, 0.0, 1.0])


def test_abs_derivative_zero_at_zero():
    np.testing.assert_array_equal(grad_of(mg.abs, f64([-2.0, 0.0, 3.0]))[0], [-1.0, 0.0, 1.0])


def test_clip_gradient_is_one_on_the_boundaries():
    x = f64([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(grad_of(lambda t: mg.clip(t, -1.0, 1.0), x)[0], [0, 1, 1, 1, 0])
    x = f64([-2.0, -1.0, 3.0])
    np.testing.assert_array_equal(grad_of(lambda t: t.clip(min=-1.0), x)[0], [0, 1, 1])
    x = f64([-2.0, 1.0, 3.0])
    np.testing.assert_array_equal(grad_of(lambda t: t.clip(max=1.0), x)[0], [1, 1, 0])


# --------------------------------------------------------------------------- reductions

def test_var_std_with_ddof():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    for ddof in (0, 1):
        np.testing.assert_allclose(mg.var(f64(data), ddof=ddof).item(), np.var(data, ddof=ddof))
        np.testing.assert_allclose(f64(data).std(axis=1, ddof=ddof).data, np.std(data, axis=1, ddof=ddof))
        np.testing.assert_allclose(f64(data).var(axis=0, keepdims=True, ddof=ddof).data,
                                   np.var(data, axis=0, keepdims=True, ddof=ddof))
        # d var / dx_i = 2 (x_i − mean) / (N − ddof)
        g = grad_of(lambda t: t.var(axis=1, ddof=ddof), f64(data))[0]
        np.testing.assert_allclose(g, 2 * (data - data.mean(axis=1, keepdims=True)) / (3 - ddof))


def test_std_gradient():
    data = np.array([1.0, 2.0, 6.0])
    g = grad_of(lambda t: t.std(ddof=1), f64(data))[0]
    # d std / dx_i = (x_i − mean) / ((N − ddof) std)
    np.testing.assert_allclose(g, (data - data.mean()) / (2 * np.std(data, ddof=1)))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, -3), (1,)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_over_tuple_and_negative_axes(name, axis, keepdims):
    data = np.random.default_rng(3).standard_normal((2, 3, 4))
    x = f64(data)
    y = getattr(x, name)(axis=axis, keepdims=keepdims)
    if name == "logsumexp":
        m = np.max(data, axis=axis, keepdims=True)
        expected = np.log(np.sum(np.exp(data - m), axis=axis, keepdims=True)) + m
        expected = expected if keepdims else np.squeeze(expected, axis=axis if axis is not None else None)
    else:
        expected = getattr(np, name)(data, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    y.backward(np.ones(y.shape))
    assert x.grad.shape == data.shape


def test_mean_gradient_over_tuple_axes():
    x = f64(np.ones((2, 3, 4)))
    g = grad_of(lambda t: t.mean(axis=(0, -1)), x)[0]
    np.testing.assert_allclose(g, np.full((2, 3, 4), 1 / 8))


def test_sum_over_tuple_axes_keepdims_gradient_broadcasts_upstream():
    x = f64(np.zeros((2, 3, 4)))
    up = np.arange(3.0).reshape(1, 3, 1)
    g = grad_of(lambda t: t.sum(axis=(0, 2), keepdims=True), x, upstream=up)[0]
    np.testing.assert_array_equal(g, np.broadcast_to(up, (2, 3, 4)))


def test_argmax_argmin_not_differentiable():
    x = f64([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    np.testing.assert_array_equal(mg.argmin(x, axis=0).data, [0, 1, 0])
    assert not x.argmax(axis=1).requires_grad and x.argmax().grad_fn is None


# --------------------------------------------------------------------------- matmul

@pytest.mark.parametrize("sa,sb,sy", [
    ((4,), (4,), ()),
    ((3, 4), (4,), (3,)),
    ((4,), (4, 2), (2,)),
    ((3, 4), (4, 2), (3, 2)),
    ((5, 3, 4), (4, 2), (5, 3, 2)),
    ((4,), (5, 4, 2), (5, 2)),
    ((5, 3, 4), (4,), (5, 3)),
    ((2, 1, 3, 4), (5, 4, 2), (2, 5, 3, 2)),
])
def test_matmul_shapes_and_gradients(sa, sb, sy):
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = f64(A), f64(B)
    y = a @ b
    assert y.shape == sy
    np.testing.assert_allclose(y.data, A @ B, rtol=1e-12)
    G = rng.standard_normal(sy)
    y.backward(G)
    assert a.grad.shape == sa and b.grad.shape == sb
    # check against the directional derivative: <dL/da, dA> = <G, dA @ B>
    dA, dB = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(np.sum(a.grad.data * dA), np.sum(G * (dA @ B)), rtol=1e-10)
    np.testing.assert_allclose(np.sum(b.grad.data * dB), np.sum(G * (A @ dB)), rtol=1e-10)


def test_matmul_function_and_method():
    a, b = mg.ones(2, 3), mg.ones(3, 4)
    np.testing.assert_array_equal(mg.matmul(a, b).data, np.full((2, 4), 3.0))
    np.testing.assert_array_equal(a.matmul(b).data, np.full((2, 4), 3.0))


# --------------------------------------------------------------------------- joining

def test_concatenate_gradients_route_slices():
    a, b = f64(np.zeros((2, 2))), f64(np.zeros((2, 3)))
    y = mg.concatenate([a, b], axis=1)
    assert y.shape == (2, 5)
    up = np.arange(10.0).reshape(2, 5)
    y.backward(up)
    np.testing.assert_array_equal(a.grad.data, up[:, :2])
    np.testing.assert_array_equal(b.grad.data, up[:, 2:])
    c, d = f64([1.0]), f64([2.0, 3.0])
    mg.cat([c, d, c], axis=-1).backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(c.grad.data, [5.0])
    np.testing.assert_array_equal(d.grad.data, [2.0, 3.0])


def test_stack_gradients():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    y = mg.stack([a, b], axis=1)
    assert y.shape == (2, 2)
    np.testing.assert_array_equal(y.data, [[1.0, 3.0], [2.0, 4.0]])
    y.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(a.grad.data, [1.0, 3.0])
    np.testing.assert_array_equal(b.grad.data, [2.0, 4.0])


# --------------------------------------------------------------------------- broadcasting

def test_broadcast_gradients_summed_back_to_input_shapes():
    a, b = f64(np.zeros((3, 1))), f64(np.zeros(4))
    y = a + b
    assert y.shape == (3, 4)
    up = np.arange(12.0).reshape(3, 4)
    y.backward(up)
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_array_equal(a.grad.data, up.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(b.grad.data, up.sum(axis=0))


def test_broadcast_mul_with_scalar_tensor():
    s, v = f64(2.0), f64([1.0, 2.0, 3.0])
    (s * v).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 6.0
    np.testing.assert_array_equal(v.grad.data, [2.0, 2.0, 2.0])


def test_broadcast_to_gradient():
    x = f64([[1.0], [2.0]])
    g = grad_of(lambda t: t.broadcast_to((3, 2, 4)), x)[0]
    np.testing.assert_array_equal(g, [[12.0], [12.0]])


# --------------------------------------------------------------------------- shape ops

def test_shape_ops_forward_shapes():
    x = mg.zeros(2, 1, 3)
    assert x.squeeze().shape == (2, 3)
    assert x.squeeze(1).shape == (2, 3)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3)
    assert x.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert x.flatten().shape == (6,)
    assert x.transpose().shape == (3, 1, 2)
    assert x.T.shape == (3, 1, 2)
    assert x.transpose(1, 2, 0).shape == (1, 3, 2)
    assert x.transpose((2, 0, 1)).shape == (3, 2, 1)
    assert x.reshape(3, 2).shape == (3, 2)
    assert x.reshape((-1,)).shape == (6,)
    assert mg.reshape(x, 6, 1).shape == (6, 1)
    assert mg.transpose(mg.zeros(2, 3)).shape == (3, 2)


def test_shape_ops_gradients_map_back():
    data = np.arange(6.0).reshape(2, 3)
    for fn in (lambda t: t.T, lambda t: t.transpose(1, 0), lambda t: t.reshape(3, 2), lambda t: t.flatten(),
               lambda t: t.unsqueeze(1), lambda t: t.unsqueeze(0).squeeze(0)):
        x = f64(data)
        y = fn(x)
        up = np.arange(6.0).reshape(data.shape)  # up[i, j] is attached to x[i, j] after mapping
        y.backward(fn(mg.tensor(up)).data)
        np.testing.assert_array_equal(x.grad.data, up)


def test_transpose_of_3d_gradient_inverse_permutation():
    data = np.random.default_rng(1).standard_normal((2, 3, 4))
    x = f64(data)
    y = x.transpose(2, 0, 1)
    up = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(up)
    np.testing.assert_array_equal(x.grad.data, up.transpose(1, 2, 0))


def test_setitem_writes_where_no_graph_can_see_it():
    t = mg.zeros(2, 3)
    t[0, 1:] = 5.0
    t[mg.tensor([1])] = mg.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t.data, [[0, 5, 5], [1, 2, 3]])
    w = mg.zeros(3, requires_grad=True)
    with mg.no_grad():
        w[1] = 2.0
    np.testing.assert_array_equal(w.data, [0, 2, 0])


def test_setitem_refuses_tensors_in_a_graph():
    w = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w[0] = 1.0
    y = w * 2
    with mg.no_grad(), pytest.raises(RuntimeError, match="recorded op"):
        y[0] = 1.0
