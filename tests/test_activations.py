"""Activations: the identities from the source articles, stability at extreme inputs, kink conventions,
errors. Generic forward/gradcheck/gradgradcheck/dtype checks live in the registry (rows_activations.py)."""
from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops import activations
from minigrad.testing import GradcheckError, gradcheck
from op_registry import rows

GRID = [-1e4, -1000.0, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1000.0, 1e4]
DTYPES = [np.float32, np.float64]
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@contextlib.contextmanager
def strict_fp():
    """Every floating-point event (overflow, underflow, invalid, divide) and every warning is an error."""
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def tensor(values, dtype=np.float64, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=requires_grad)


def grad_of(f, x, v=None):
    """d/dx sum(f(x) * v) as an ndarray (v defaults to ones)."""
    x = tensor(x)
    y = f(x)
    v = np.ones(y.shape) if v is None else v
    return mg.grad(y, x, v)[0].data


floats64 = st.floats(-50, 50, allow_nan=False)


def arrays(elements=floats64, dtype=np.float64, min_dims=1, max_dims=2):
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=5),
                      elements=elements)


ACTIVATIONS = rows("activation")
FINITE = [r for r in ACTIVATIONS if r.finite_everywhere]


def _cases(specs):
    """(id, f) for each activation row and each of its extreme_params: f(x) calls the row with those
    parameters, a second input (prelu's slope) fixed at the middle of its domain."""
    out = []
    for spec in specs:
        for params in spec.extreme_params:
            label = spec.id + "".join(f"-{k}={v}" for k, v in params.items())
            out.append(pytest.param(_caller(spec, params), id=label))
    return out


def _caller(spec, params):
    def f(x):
        rest = []
        if spec.arity == 2:
            lo, hi = spec.domain[1]
            rest.append(mg.tensor(np.asarray((lo + hi) / 2, dtype=x.dtype), requires_grad=True))
        return spec.fn(x, *rest, **params)
    return f


def _run_strict(f, x, upstream):
    with strict_fp():
        y = f(x)
        y.backward(upstream)
    return y


# --------------------------------------------------------------------------- stability

@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("f", _cases(ACTIVATIONS))
def test_extreme_grid_is_finite_and_raises_nothing(f, dtype):
    name = f
    rng = np.random.default_rng(0)
    for upstream in ("ones", "random"):
        x = tensor(GRID, dtype)
        shape = f(x.detach()).shape
        g = np.ones(shape, dtype) if upstream == "ones" else rng.uniform(-1, 1, shape).astype(dtype)
        y = _run_strict(f, x, g)
        assert y.dtype == dtype and x.grad.dtype == dtype, f"{name}: {dtype.__name__} became {y.dtype}/{x.grad.dtype}"
        assert np.all(np.isfinite(y.data)), f"{name}: non-finite output {y.data}"
        assert np.all(np.isfinite(x.grad.data)), f"{name}: non-finite gradient {x.grad.data} ({upstream} upstream)"


@pytest.mark.parametrize("width,dtype", [(32, np.float32), (64, np.float64)], ids=["float32", "float64"])
@pytest.mark.parametrize("f", _cases(FINITE))
@given(data=st.data())
def test_whole_float_range_is_finite_and_raises_nothing(f, width, dtype, data):
    values = data.draw(arrays(st.floats(width=width, allow_nan=False, allow_infinity=False), dtype, max_dims=1))
    upstream = data.draw(hnp.arrays(dtype, values.shape, elements=st.floats(-1, 1, width=width)))
    x = mg.tensor(values, requires_grad=True)
    y = _run_strict(f, x, upstream)
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data)), (values, y.data, x.grad.data)


@pytest.mark.parametrize("width,dtype", [(32, np.float32), (64, np.float64)], ids=["float32", "float64"])
@given(data=st.data())
def test_log_softmax_is_finite_when_inputs_span_less_than_the_float_range(width, dtype, data):
    bound = float(np.finfo(dtype).max) / 2.5
    values = data.draw(arrays(st.floats(-bound, bound, width=width), dtype))
    x = mg.tensor(values, requires_grad=True)
    y = _run_strict(F.log_softmax, x, np.ones(values.shape, dtype))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_required_values_at_extremes(dtype):
    with strict_fp():
        assert F.sigmoid(tensor([-1000.0], dtype)).item() == 0.0
        assert F.sigmoid(tensor([1000.0], dtype)).item() == 1.0
        assert F.softplus(tensor([1000.0], dtype)).item() == 1000.0
        assert F.softmax(tensor([1000.0, 0.0], dtype)).tolist() == [1.0, 0.0]
        assert F.softplus(tensor([-1000.0], dtype)).item() == 0.0
        for f in (F.gelu, F.elu, F.log_softmax):
            x = tensor([-1e4, 1e4, 1000.0, 0.0], dtype)
            y = f(x)
            y.backward(np.ones(4, dtype))
            assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data)), f.__name__
    np.testing.assert_allclose(F.log_softmax(tensor([1000.0, 0.0], dtype)).data, [0.0, -1000.0])
    assert F.gelu(tensor([1e4], dtype)).item() == 1e4 and F.gelu(tensor([-1e4], dtype)).item() == 0.0


def test_rules_are_safe_when_upstream_times_tiny_underflows():
    # σ(−700) ≈ 1e−304: with upstream 0.001 the product falls below float64's normal range
    x = tensor([-700.0, -708.0, -745.0])
    with strict_fp():
        F.sigmoid(x).backward(np.full(3, 1e-3))
    assert np.all(np.isfinite(x.grad.data)) and np.all(x.grad.data >= 0)


def test_normal_cdf_matches_math_erfc_to_float64_precision():
    x = np.linspace(-37.5, 38.0, 30001)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    got = activations._ndtr(x)
    normal = ref > 1e-300  # below that the results are subnormal: fewer digits exist
    rel = np.abs(got[normal] - ref[normal]) / ref[normal]
    assert rel.max() < 1e-12  # the rounding of x/√2 alone costs up to ~2(x/√2)²·2^−53 in the far tail
    central = np.abs(x) < 6
    assert np.max(np.abs(got[central] - ref[central]) / ref[central]) < 1e-14
    right = x > 0
    assert np.max(np.abs(got[right] - ref[right])) <= 2.3e-16  # 1 − ½erfc: within an ulp of 1


# --------------------------------------------------------------------------- identities

@given(arrays())
def test_tanh_is_a_rescaled_sigmoid(x):
    t = tensor(x, requires_grad=False)
    np.testing.assert_allclose(F.tanh(t).data, 2 * F.sigmoid(2 * t).data - 1, rtol=1e-12, atol=1e-15)


@given(arrays(st.floats(-30, 20)))
def test_softplus_derivative_is_sigmoid(x):
    s = F.sigmoid(tensor(x, requires_grad=False)).data
    np.testing.assert_allclose(grad_of(F.softplus, x), s, rtol=1e-13, atol=1e-300)
    t = tensor(x)
    (d,) = mg.grad(F.softplus(t), t, np.ones(x.shape), create_graph=True)
    (dd,) = mg.grad(d, t, np.ones(x.shape))
    np.testing.assert_allclose(dd.data, s * (1 - s), rtol=1e-12, atol=1e-300)


class _SigmoidRight(mg.Function):
    @staticmethod
    def forward(ctx, x):
        y = 1 / (1 + np.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class _SigmoidWrong(_SigmoidRight):
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y)  # the common slip: drops the factor σ


@given(arrays(st.floats(-15, 15)))
def test_sigmoid_derivative_is_sigmoid_times_one_minus_sigmoid(x):
    v = np.random.default_rng(0).uniform(-1, 1, x.shape)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(grad_of(F.sigmoid, x, v), v * s * (1 - s), rtol=1e-12, atol=1e-300)


def test_gradcheck_rejects_one_minus_sigmoid_as_the_derivative():
    x = tensor(np.linspace(-3, 3, 7))
    assert gradcheck(_SigmoidRight.apply, [x])
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(_SigmoidWrong.apply, [x])


@given(arrays(st.floats(0.05, 8) | st.floats(-8, -0.05)))  # beyond, the two agree to < 1e-3
def test_swish_is_x_over_one_plus_exp_minus_x_not_one_minus(x):
    y = F.swish(tensor(x, requires_grad=False)).data
    np.testing.assert_allclose(y, x / (1 + np.exp(-x)), rtol=1e-12)
    assert np.all(np.abs(y - x / (1 - np.exp(-x))) > 1e-3)
    np.testing.assert_array_equal(F.silu(tensor(x, requires_grad=False)).data, y)


@pytest.mark.parametrize("alpha", [1.0, 0.3, 2.0])
@given(x=arrays(st.floats(1e-300, 1e300)))
def test_elu_derivative_is_one_for_positive_inputs(alpha, x):
    assert np.all(grad_of(lambda t: F.elu(t, alpha), x) == 1.0)


@given(x=arrays(min_dims=2, max_dims=2), data=st.data())
def test_softmax_rows_sum_to_one_and_ignore_a_constant_per_row(x, data):
    shift = data.draw(hnp.arrays(np.float64, (x.shape[0], 1), elements=st.floats(-100, 100)))
    y = F.softmax(tensor(x, requires_grad=False), axis=1).data
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(tensor(x + shift, requires_grad=False), axis=1).data, y, rtol=1e-9,
                               atol=1e-15)
    np.testing.assert_allclose(F.softmax(tensor(x.T, requires_grad=False), axis=0).data, y.T, rtol=1e-12)


@given(arrays(st.floats(-30, 30)))
def test_log_softmax_is_log_of_softmax(x):
    t = tensor(x, requires_grad=False)
    np.testing.assert_allclose(F.log_softmax(t).data, np.log(F.softmax(t).data), rtol=1e-10, atol=1e-12)


@given(arrays(st.sampled_from([-2.0, -0.5, 0.0, 0.5, 2.0]) | floats64))
def test_leaky_relu_with_slope_zero_is_relu(x):
    np.testing.assert_array_equal(F.leaky_relu(tensor(x), 0.0).data, F.relu(tensor(x)).data)
    np.testing.assert_array_equal(grad_of(lambda t: F.leaky_relu(t, 0.0), x), grad_of(F.relu, x))


@given(arrays(st.sampled_from([-2.0, 0.0, 2.0]) | floats64), st.floats(0, 0.5), st.floats(0, 0.5))
def test_rrelu_in_eval_is_leaky_relu_with_the_mean_slope(x, a, b):
    lower, upper = min(a, b), max(a, b)
    slope = (lower + upper) / 2
    np.testing.assert_array_equal(F.rrelu(tensor(x), lower, upper).data, F.leaky_relu(tensor(x), slope).data)
    np.testing.assert_array_equal(grad_of(lambda t: F.rrelu(t, lower, upper), x),
                                  grad_of(lambda t: F.leaky_relu(t, slope), x))


def test_rrelu_training_slopes_lie_in_range_and_repeat_with_manual_seed():
    x = tensor(-np.linspace(0.5, 3.0, 200).reshape(4, 50))
    mg.manual_seed(11)
    y1 = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = y1.data / x.data
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.03  # one slope per element, not one per call
    mg.manual_seed(11)
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3, training=True).data, y1.data)
    mg.manual_seed(12)
    assert not np.array_equal(F.rrelu(x, 0.1, 0.3, training=True).data, y1.data)
    y1.backward(np.ones(x.shape))
    np.testing.assert_allclose(x.grad.data, slopes, rtol=1e-12)  # the gradient uses the slopes drawn
    positive = tensor(np.linspace(0.1, 2.0, 10), requires_grad=False)
    np.testing.assert_array_equal(F.rrelu(positive, 0.1, 0.3, training=True).data, positive.data)


def test_selu_constants_and_self_normalising_fixed_point():
    assert activations.SELU_ALPHA == pytest.approx(SELU_ALPHA, rel=1e-15)
    assert activations.SELU_SCALE == pytest.approx(SELU_SCALE, rel=1e-15)
    assert F.selu(tensor([1.0])).item() == pytest.approx(SELU_SCALE, rel=1e-15)
    assert F.selu(tensor([-1e4])).item() == pytest.approx(-SELU_SCALE * SELU_ALPHA, rel=1e-15)
    # for z ~ N(0, 1), E[selu(z)] = 0 and E[selu(z)^2] = 1 (the constants are defined by this); quadrature
    z = np.linspace(-40, 40, 800001)
    w = np.exp(-z * z / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    y = F.selu(tensor(z, requires_grad=False)).data
    assert abs(np.sum(w * y)) < 1e-9
    assert abs(np.sum(w * y * y) - 1) < 1e-9


def test_gelu_tanh_approximation_is_within_1e_3_of_exact():
    x = tensor(np.linspace(-10, 10, 20001), requires_grad=False)
    diff = np.abs(F.gelu(x, approximate="tanh").data - F.gelu(x).data)
    assert diff.max() < 1e-3
    assert diff.max() > 1e-5  # and the exact path really is a different function


def test_gelu_exact_matches_math_erf():
    x = np.linspace(-12, 12, 4801)
    ref = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(F.gelu(tensor(x, requires_grad=False)).data, ref, rtol=1e-13, atol=1e-300)
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(grad_of(F.gelu, x), cdf + x * phi, rtol=1e-12, atol=1e-300)


def test_prelu_gradient_with_respect_to_the_weight():
    rng = np.random.default_rng(3)
    xv = rng.uniform(-2, 2, (3, 4, 5))
    v = rng.uniform(-1, 1, xv.shape)
    x = tensor(xv)
    w = tensor([0.1, -0.2, 0.3, 0.25])
    y = F.prelu(x, w)
    y.backward(v)
    neg = xv <= 0
    np.testing.assert_allclose(w.grad.data, np.sum(np.where(neg, v * xv, 0), axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, np.where(neg, v * w.data[None, :, None], v), rtol=1e-12)
    for shape in [(), (1,)]:
        ws = tensor(np.full(shape, 0.2))
        F.prelu(tensor(xv), ws).backward(v)
        assert ws.grad.shape == shape
        np.testing.assert_allclose(ws.grad.data, np.full(shape, np.sum(np.where(neg, v * xv, 0))), rtol=1e-12)
    assert gradcheck(F.prelu, [tensor(xv[:2, :, :2]), w])


def test_prelu_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"prelu.*\(3,\).*4 channels.*\(2, 4, 5\)"):
        F.prelu(tensor(np.zeros((2, 4, 5))), tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"prelu.*no channel axis"):
        F.prelu(tensor(np.zeros(4)), tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"prelu.*\(2, 2\)"):
        F.prelu(tensor(np.zeros((2, 2))), tensor(np.zeros((2, 2))))


# --------------------------------------------------------------------------- conventions at kinks

def test_kink_conventions():
    at = [-1.0, 0.0, 1.0]
    assert grad_of(F.relu, at).tolist() == [0.0, 0.0, 1.0]  # relu'(0) = 0
    assert grad_of(lambda t: F.leaky_relu(t, 0.2), at).tolist() == [0.2, 0.2, 1.0]  # slope at 0
    assert grad_of(F.leaky_relu, [0.0]).tolist() == [0.01]
    assert grad_of(lambda t: F.prelu(t, tensor(0.3, requires_grad=False)), at).tolist() == [0.3, 0.3, 1.0]
    assert grad_of(F.rrelu, [0.0]).tolist() == [pytest.approx((1 / 8 + 1 / 3) / 2)]
    mg.manual_seed(5)
    x0 = tensor([0.0, -1.0])
    y = F.rrelu(x0, 0.1, 0.3, training=True)
    y.backward(np.ones(2))
    assert 0.1 <= x0.grad.data[0] <= 0.3  # rrelu'(0) is the slope drawn for that element
    assert grad_of(lambda t: F.elu(t, 2.0), at)[1:].tolist() == [2.0, 1.0]  # elu'(0) = alpha (left side)
    assert grad_of(F.elu, [0.0]).tolist() == [1.0]
    assert grad_of(F.selu, [0.0]).tolist() == [pytest.approx(SELU_SCALE * SELU_ALPHA, rel=1e-14)]
    # hardtanh: 1 strictly inside, 0 at the boundaries and beyond
    assert grad_of(F.hardtanh, [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0]).tolist() == [0, 0, 1, 1, 0, 0]
    assert grad_of(lambda t: F.hardtanh(t, -0.5, 2.0), [-0.5, 0.0, 2.0]).tolist() == [0, 1, 0]
    assert F.hardtanh(tensor([-3.0, 3.0])).tolist() == [-1.0, 1.0]
    # hardsigmoid: 1/6 strictly inside (-3, 3), 0 at ±3 and beyond
    assert grad_of(F.hardsigmoid, [-4.0, -3.0, 0.0, 3.0, 4.0]).tolist() == [0, 0, pytest.approx(1 / 6), 0, 0]
    assert F.hardsigmoid(tensor([-3.0, 0.0, 3.0])).tolist() == [0.0, 0.5, 1.0]
    # softplus: σ(β·x) up to the threshold, exactly 1 beyond it
    sp = grad_of(lambda t: F.softplus(t, beta=2.0, threshold=4.0), [2.0, 2.5])
    assert sp.tolist() == [pytest.approx(1 / (1 + math.exp(-4.0)), rel=1e-14), 1.0]


@pytest.mark.parametrize("f", [F.step, F.sign, lambda t: F.step(t, value_at_zero=0.5)], ids=["step", "sign", "step_half"])
def test_step_and_sign_have_zero_gradient_everywhere(f):
    x = [-2.0, -1e-9, 0.0, 1e-9, 2.0]
    assert grad_of(f, x).tolist() == [0.0] * 5
    t = tensor(x)
    y = f(t)
    assert y.grad_fn is not None  # recorded, so graphs through it still backpropagate (zeros)
    (d,) = mg.grad(y, t, np.ones(5), create_graph=True)
    assert d.tolist() == [0.0] * 5


def test_step_and_sign_values():
    x = tensor([-2.0, 0.0, 3.0], requires_grad=False)
    assert F.step(x).tolist() == [0.0, 0.0, 1.0]
    assert F.step(x, value_at_zero=0.5).tolist() == [0.0, 0.5, 1.0]
    assert F.step(x, 1.0).tolist() == [0.0, 1.0, 1.0]
    assert F.sign(x).tolist() == [-1.0, 0.0, 1.0]


# --------------------------------------------------------------------------- API surface and errors

def test_functional_namespace_holds_every_activation_of_the_api():
    api = ["step", "sign", "identity", "linear", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "elu",
           "selu", "softplus", "silu", "swish", "gelu", "mish", "hardtanh", "hardsigmoid", "softsign", "softmax",
           "log_softmax"]  # API.md's table, the contract this test pins
    assert sorted({r.name for r in ACTIVATIONS}) == sorted(api)
    for name in api:
        assert name in F.__all__
        assert F.__dict__[name].__wrapped__ is (getattr(activations, name, None) or getattr(mg.ops, name))
    for name in ("sigmoid", "tanh", "relu"):  # also public at the top level, as the same form
        assert getattr(F, name) is getattr(mg, name)


def test_signatures_follow_the_api():
    import inspect
    expected = {"step": "(x, value_at_zero=0.0)", "linear": "(x, a=1.0)",
                "leaky_relu": "(x, negative_slope=0.01)", "prelu": "(x, weight)",
                "rrelu": f"(x, lower={1 / 8}, upper={1 / 3}, training=False)", "elu": "(x, alpha=1.0)",
                "softplus": "(x, beta=1.0, threshold=20.0)", "swish": "(x, beta=1.0)",
                "gelu": "(x, approximate='none')", "hardtanh": "(x, min_val=-1.0, max_val=1.0)",
                "softmax": "(x, axis=-1)", "log_softmax": "(x, axis=-1)"}
    for name, sig in expected.items():
        params = inspect.signature(getattr(F, name)).parameters.values()
        assert "(" + ", ".join(str(p).split(":")[0] + ("=" + repr(p.default) if p.default is not p.empty else "")
                               for p in params) + ")" == sig, name


def test_positional_parameters_and_grad_fn_names():
    x = tensor([-1.0, 2.0])
    assert F.leaky_relu(x, 0.5).tolist() == [-0.5, 2.0]
    assert F.elu(x, 2.0).tolist()[1] == 2.0 and F.linear(x, 3.0).tolist() == [-3.0, 6.0]
    assert F.identity(x) is x
    names = {"silu": F.silu(x), "swish": F.swish(x, 2.0), "gelu": F.gelu(x, "tanh"), "mish": F.mish(x),
             "softmax": F.softmax(x), "step": F.step(x), "selu": F.selu(x)}
    for name, y in names.items():
        assert y.grad_fn.name == name


def test_array_likes_in_tensor_out():
    x = np.array([-1.0, 0.5])
    for f in (F.gelu, F.softmax, F.mish, F.elu, F.relu, F.sigmoid):
        y = f(x)
        assert isinstance(y, mg.Tensor) and y.shape == (2,) and y.dtype == np.float64
    assert isinstance(F.relu([1.0, -2.0]), mg.Tensor)


def test_errors_name_the_function():
    x = tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="gelu.*'erf'"):
        F.gelu(x, approximate="erf")
    with pytest.raises(ValueError, match="softmax: axis 2"):
        F.softmax(x, axis=2)
    with pytest.raises(ValueError, match="log_softmax: axis -3"):
        F.log_softmax(x, axis=-3)
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match="rrelu"):
        F.rrelu(x, 0.5, 0.1)
    with pytest.raises(ValueError, match="softplus"):
        F.softplus(x, beta=0.0)


@pytest.mark.parametrize("f", _cases([r for r in ACTIVATIONS if r.name != "identity"]))
def test_float32_is_preserved(f):
    x = tensor(np.linspace(-3, 3, 6), np.float32)
    y = f(x)
    y.backward(np.ones(y.shape, np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
