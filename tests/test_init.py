"""nn.init: gains, fans for the (in_features, out_features) layout, and the statistics of each initializer."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import Parameter, init


@pytest.mark.parametrize("name, param, expected", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", 0, math.sqrt(2)), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="swishy"):
        init.calculate_gain("swishy")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "big")


def _param(shape, dtype=np.float64):
    return Parameter(np.zeros(shape, dtype=dtype))


def _check_uniform(x, bound):
    assert x.min() >= -bound and x.max() <= bound
    assert x.min() < -0.98 * bound and x.max() > 0.98 * bound  # really spans the interval
    assert abs(x.mean()) < 0.02 * bound
    assert x.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_xavier_uniform_bound_uses_in_out_layout():
    mg.manual_seed(0)
    w = _param((300, 100))
    out = init.xavier_uniform_(w, gain=2.0)
    assert out is w
    _check_uniform(w.data, 2.0 * math.sqrt(6 / 400))


def test_xavier_normal_std():
    w = _param((200, 300))
    init.xavier_normal_(w, gain=0.5, seed=1)
    assert w.data.std() == pytest.approx(0.5 * math.sqrt(2 / 500), rel=0.02)
    assert abs(w.data.mean()) < 0.02 * w.data.std()


def test_kaiming_fan_in_is_shape0_and_fan_out_is_shape1():
    w = _param((400, 100))
    init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu", seed=2)
    assert w.data.std() == pytest.approx(math.sqrt(2) / math.sqrt(400), rel=0.02)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu", seed=2)
    assert w.data.std() == pytest.approx(math.sqrt(2) / math.sqrt(100), rel=0.02)


def test_kaiming_uniform_default_leaky_relu_slope():
    w = _param((500, 80))
    init.kaiming_uniform_(w, a=math.sqrt(5), seed=3)  # PyTorch's Linear default, in our layout
    gain = math.sqrt(2 / (1 + 5))
    _check_uniform(w.data, math.sqrt(3) * gain / math.sqrt(500))
    init.kaiming_uniform_(w, seed=3)  # a=0: gain sqrt(2)
    _check_uniform(w.data, math.sqrt(3) * math.sqrt(2) / math.sqrt(500))


def test_receptive_field_for_more_than_two_dims():
    w = _param((20, 30, 3, 3))
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="linear", seed=4)
    assert w.data.std() == pytest.approx(1 / math.sqrt(30 * 9), rel=0.03)


def test_uniform_and_normal():
    t = _param((400, 250))
    init.uniform_(t, -3.0, 5.0, seed=5)
    assert t.data.min() >= -3.0 and t.data.max() <= 5.0
    assert t.data.mean() == pytest.approx(1.0, abs=0.03)
    init.normal_(t, mean=2.0, std=0.5, seed=5)
    assert t.data.mean() == pytest.approx(2.0, abs=0.01)
    assert t.data.std() == pytest.approx(0.5, rel=0.01)
    u = _param((1000,))
    init.uniform_(u, seed=0)
    assert 0.0 <= u.data.min() and u.data.max() <= 1.0


def test_constants():
    t = _param((3, 2), np.float32)
    assert init.ones_(t) is t and np.all(t.data == 1)
    init.constant_(t, 0.25)
    assert np.all(t.data == 0.25)
    init.zeros_(t)
    assert np.all(t.data == 0)
    ints = mg.tensor([1, 2, 3])
    init.constant_(ints, 7)
    assert ints.dtype == np.int64 and ints.tolist() == [7, 7, 7]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_in_place_and_dtype_kept(dtype):
    t = _param((16, 8), dtype)
    arr = t.data
    init.xavier_uniform_(t, seed=0)
    init.normal_(t, seed=0)
    assert t.data is arr and t.dtype == dtype
    assert t.is_leaf and t.grad is None and t.grad_fn is None


def test_seeded_reproducibility_through_manual_seed():
    a, b = _param((5, 5)), _param((5, 5))
    mg.manual_seed(42)
    init.kaiming_uniform_(a)
    mg.manual_seed(42)
    init.kaiming_uniform_(b)
    assert np.array_equal(a.data, b.data) and np.any(a.data != 0)
    c = _param((5, 5))
    init.kaiming_uniform_(c)  # the shared generator moved on
    assert not np.array_equal(a.data, c.data)


@pytest.mark.parametrize("fn", [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
                                init.kaiming_normal_])
def test_fan_based_inits_reject_1d(fn):
    with pytest.raises(ValueError, match=r"\(7,\)"):
        fn(_param((7,)))


def test_argument_errors():
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(_param((3, 3)), mode="fan_avg")
    with pytest.raises(ValueError):
        init.uniform_(_param((3,)), 2.0, 1.0)
    with pytest.raises(ValueError):
        init.normal_(_param((3,)), std=-1.0)
    with pytest.raises(TypeError, match="float"):
        init.normal_(mg.tensor([1, 2]))


def test_plain_ndarray_is_filled_too():
    a = np.zeros((4, 4), np.float32)
    assert init.xavier_uniform_(a, seed=0) is a and np.any(a != 0)
