"""Registry rows for the activations in minigrad.nn.functional (sigmoid, tanh, relu are in rows_core).

References are independent numpy formulas in float64 (math.erf for the normal CDF), never minigrad.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.ops import activations
from op_registry import OpSpec, any_shape, single

SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017
SELU_SCALE = 1.0507009873554804934193349852946
RRELU_SEED = 2024

_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_normal_cdf(x):
    return 0.5 * (1 + _erf(x / math.sqrt(2)))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def np_rrelu_training(x, lower, upper):
    """The slopes that rrelu(training=True) draws right after manual_seed(RRELU_SEED)."""
    slopes = np.random.default_rng(RRELU_SEED).uniform(lower, upper, size=np.shape(x))
    return np.where(x > 0, x, slopes * x)


def _rrelu_training(x, lower=0.1, upper=0.4):
    mg.manual_seed(RRELU_SEED)  # the same slopes on every call, so central differences see one function
    return F.rrelu(x, lower, upper, training=True)


@st.composite
def _channel_shapes(draw):
    """(N, C, *spatial) for x and (C,) for one slope per channel."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    return ((n, c) + spatial, (c,))


def _one_slope_shapes():
    return st.tuples(any_shape(), st.sampled_from([(), (1,)]))


def _prelu_ref(x, w):
    w = w.reshape(-1)
    w = w.reshape(()) if w.size == 1 else w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


def _axis(shapes):
    nd = len(shapes[0])
    return st.integers(-max(nd, 1), max(nd, 1) - 1).map(lambda a: {"axis": a})


def _choice(**options):
    """params strategy: each keyword drawn from its list of values."""
    return lambda shapes: st.fixed_dictionaries({k: st.sampled_from(v) for k, v in options.items()})


slope = (-1.0, 1.0)  # prelu weights


def act(name, fn, ref, **kw):
    """An activation row (category "activation")."""
    return OpSpec(name, fn, ref, category="activation", **kw)


ROWS = [
    # piecewise constant: the gradient is 0 everywhere
    act("step", F.step, lambda x: np.heaviside(x, 0.0), kinks=(0.0,), finite_everywhere=True,
        module=(nn.Step, {"value_at_zero": 0.5})),
    act("sign", F.sign, np.sign, kinks=(0.0,), finite_everywhere=True, module=(nn.Sign, None)),
    # linear
    act("identity", F.identity, lambda x: x),
    act("linear", lambda x, **p: F.linear(x, **p), lambda x, a: a * x, params=_choice(a=[1.0, -1.5, 0.25]),
        extreme_params=({"a": 0.5},)),
    # the classics
    act("sigmoid", mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), finite_everywhere=True, module=(nn.Sigmoid, None)),
    act("tanh", mg.tanh, np.tanh, finite_everywhere=True, module=(nn.Tanh, None)),
    act("relu", mg.relu, lambda x: np.maximum(x, 0), kinks=(0.0,), finite_everywhere=True, module=(nn.ReLU, None)),
    # rectifiers
    act("leaky_relu", lambda x, **p: F.leaky_relu(x, **p), lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
        kinks=(0.0,), params=_choice(negative_slope=[0.01, 0.3, -0.5, 2.0]), finite_everywhere=True,
        module=(nn.LeakyReLU, {"negative_slope": 0.2})),
    act("prelu", F.prelu, _prelu_ref, arity=2, shapes=_channel_shapes(), domain=[(-3.0, 3.0), slope], kinks=(0.0,),
        finite_everywhere=True),
    act("prelu", F.prelu, _prelu_ref, arity=2, shapes=_one_slope_shapes(), domain=[(-3.0, 3.0), slope],
        kinks=(0.0,), variant="one_slope"),
    act("rrelu", F.rrelu, lambda x: np.where(x > 0, x, (1 / 8 + 1 / 3) / 2 * x), kinks=(0.0,), finite_everywhere=True,
        module=(nn.RReLU, {"lower": 0.1, "upper": 0.2})),
    act("rrelu", _rrelu_training, lambda x: np_rrelu_training(x, 0.1, 0.4), kinks=(0.0,), variant="training",
        finite_everywhere=True),
    # exponential family; elu's second derivative jumps at 0 (and its first, for alpha != 1)
    act("elu", lambda x, **p: F.elu(x, **p), np_elu, kinks=(0.0,), params=_choice(alpha=[1.0, 0.5, 2.0]),
        finite_everywhere=True, extreme_params=({}, {"alpha": 0.3}), module=(nn.ELU, {"alpha": 0.5})),
    act("selu", F.selu, lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA), kinks=(0.0,), module=(nn.SELU, None)),
    act("softplus", F.softplus, lambda x: np.where(x > 20, x, np.log1p(np.exp(x))), domain=(-25.0, 25.0),
        kinks=(20.0,), finite_everywhere=True, module=(nn.Softplus, {"beta": 2.0, "threshold": 5.0}),
        extreme_params=({}, {"beta": 3.0, "threshold": 50.0})),
    act("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2), kinks=(1.5,), variant="beta_threshold"),
    act("silu", F.silu, lambda x: x / (1 + np.exp(-x)), domain=(-10.0, 10.0), finite_everywhere=True,
        module=(nn.SiLU, None)),
    act("swish", lambda x, **p: F.swish(x, **p), lambda x, beta: x / (1 + np.exp(-beta * x)),
        params=_choice(beta=[1.0, 0.5, 2.0]), finite_everywhere=True, module=(nn.Swish, {"beta": 1.5})),
    act("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), domain=(-10.0, 10.0), finite_everywhere=True,
        module=(nn.Mish, None)),
    # GELU, exact (through the normal CDF) and the tanh approximation
    act("gelu", F.gelu, lambda x: x * np_normal_cdf(x), domain=(-9.0, 9.0), finite_everywhere=True,
        module=(nn.GELU, {"approximate": "tanh"})),
    act("gelu", lambda x: F.gelu(x, approximate="tanh"), np_gelu_tanh, domain=(-9.0, 9.0), variant="tanh",
        finite_everywhere=True),
    OpSpec("normal_cdf", activations._normal_cdf, np_normal_cdf, domain=(-12.0, 12.0)),
    # saturations; softsign's second derivative jumps at 0
    act("hardtanh", F.hardtanh, lambda x: np.clip(x, -1.0, 1.0), kinks=(-1.0, 1.0), finite_everywhere=True,
        module=(nn.Hardtanh, {"min_val": -0.5, "max_val": 2.0})),
    act("hardtanh", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0), kinks=(-0.5, 2.0),
        variant="bounds"),
    act("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0.0, 1.0), domain=(-5.0, 5.0),
        kinks=(-3.0, 3.0), finite_everywhere=True, module=(nn.Hardsigmoid, None)),
    act("softsign", F.softsign, lambda x: x / (1 + np.abs(x)), kinks=(0.0,), finite_everywhere=True,
        module=(nn.Softsign, None)),
    # softmax family along any axis (0-d inputs included: axis 0 or -1)
    act("softmax", lambda x, **p: F.softmax(x, **p), np_softmax, params=_axis, domain=(-10.0, 10.0),
        finite_everywhere=True, module=(nn.Softmax, {"axis": 0})),
    act("log_softmax", lambda x, **p: F.log_softmax(x, **p), np_log_softmax, params=_axis, domain=(-10.0, 10.0),
        module=(nn.LogSoftmax, {"axis": 0})),
]
