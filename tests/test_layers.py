"""Layers: Linear, Sequential, Dropout, Flatten, Identity, and the activation and loss modules."""
from __future__ import annotations

import inspect
import math
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F
from op_registry import rows

# (module, its function's name, constructor arguments that differ from the defaults or None), from the registry
ACTIVATIONS = [(r.module[0], r.name, r.module[1]) for r in rows("activation") if r.module]
LOSSES = [(r.module[0], r.name, r.module[1]) for r in rows("loss") if r.module]


def _ids(rows):
    return [r[0].__name__ for r in rows]


# ----------------------------------------------------------------------------- Linear

def test_linear_shapes_dtype_and_forward():
    mg.manual_seed(0)
    layer = nn.Linear(5, 3)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (3,)
    assert layer.weight.dtype == mg.get_default_dtype() == layer.bias.dtype
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    y = layer(mg.tensor(x))
    assert y.shape == (4, 3)
    np.testing.assert_allclose(y.data, x @ layer.weight.data + layer.bias.data, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, x.T @ np.ones((4, 3)), rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.data, np.full(3, 4.0))


def test_linear_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    x = mg.ones(1, 3)
    np.testing.assert_allclose(layer(x).data, layer.weight.data.sum(axis=0, keepdims=True), rtol=1e-6)
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    mg.manual_seed(1)
    layer = nn.Linear(100, 400)
    bound = 1 / math.sqrt(100)
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # 40,000 draws from U(−0.1, 0.1): spread over the whole interval, mean ~0, variance bound²/3
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.05)


def test_linear_init_is_reproducible_with_manual_seed():
    mg.manual_seed(42)
    a = nn.Linear(4, 3)
    mg.manual_seed(42)
    b = nn.Linear(4, 3)
    c = nn.Linear(4, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    assert not np.array_equal(b.weight.data, c.weight.data)


def test_linear_follows_the_default_dtype_at_construction():
    old = mg.get_default_dtype()
    try:
        mg.set_default_dtype(np.float64)
        layer = nn.Linear(2, 2)
    finally:
        mg.set_default_dtype(old)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64


def test_linear_reset_parameters_redraws():
    layer = nn.Linear(3, 3)
    before = layer.weight.data.copy()
    layer.reset_parameters()
    assert not np.array_equal(before, layer.weight.data)


def test_linear_argument_errors():
    with pytest.raises(ValueError, match="Linear: in_features must be >= 0, got -1"):
        nn.Linear(-1, 2)
    with pytest.raises(TypeError, match="Linear: out_features must be an int, got float"):
        nn.Linear(2, 2.5)


def test_linear_repr_and_signature():
    assert repr(nn.Linear(64, 50)) == "Linear(in_features=64, out_features=50, bias=True)"
    assert list(inspect.signature(nn.Linear).parameters) == ["in_features", "out_features", "bias"]


# ----------------------------------------------------------------------------- Sequential

def _mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def test_sequential_indexing_iteration_and_len():
    mods = [nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)]
    seq = nn.Sequential(*mods)
    assert len(seq) == 3
    assert list(seq) == mods
    assert seq[0] is mods[0] and seq[-1] is mods[2] and seq[1] is mods[1]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == mods[1:]
    assert list(seq[::-1]) == mods[::-1]
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 3 modules"):
        seq[3]
    with pytest.raises(IndexError):
        seq[-4]
    with pytest.raises(TypeError, match="Sequential: indices must be ints or slices"):
        seq["0"]


def test_sequential_forward_chains_and_state_dict_names():
    seq = _mlp()
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = mg.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    np.testing.assert_allclose(seq(x).data, seq[2](seq[1](seq[0](x))).data)
    seq(x).sum().backward()
    assert all(p.grad is not None for p in seq.parameters())


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))]))
    assert list(seq.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert isinstance(seq[1], nn.ReLU)
    assert [n for n, _ in seq.named_children()] == ["hidden", "act", "out"]


def test_sequential_state_dict_round_trip_and_append():
    a, b = _mlp(), _mlp()
    b.load_state_dict(a.state_dict())
    x = mg.ones(2, 4)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    a.append(nn.Sigmoid())
    assert len(a) == 4 and isinstance(a[3], nn.Sigmoid)
    assert np.all((a(x).data > 0) & (a(x).data < 1))


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential: item '1' must be a Module, got function"):
        nn.Sequential(nn.ReLU(), F.relu)


def test_sequential_train_eval_reaches_children():
    seq = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    seq.eval()
    assert not seq[1].training
    seq.train()
    assert seq[1].training


def test_small_model_repr():
    model = nn.Sequential(nn.Linear(64, 50), nn.Sigmoid(), nn.Dropout(0.25), nn.Linear(50, 10),
                          nn.LeakyReLU(0.1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=64, out_features=50, bias=True)\n"
        "  (1): Sigmoid()\n"
        "  (2): Dropout(p=0.25)\n"
        "  (3): Linear(in_features=50, out_features=10, bias=True)\n"
        "  (4): LeakyReLU(negative_slope=0.1)\n"
        ")")


# ----------------------------------------------------------------------------- Dropout, Flatten, Identity

def test_dropout_module_train_and_eval():
    mg.manual_seed(0)
    drop = nn.Dropout(0.5)
    x = mg.ones(1000)
    y = drop(x)
    assert set(np.unique(y.data)) == {0.0, 2.0}
    drop.eval()
    assert drop(x) is x
    assert repr(drop) == "Dropout(p=0.5)"
    with pytest.raises(ValueError, match="Dropout: p must be a probability in \\[0, 1\\], got 1.5"):
        nn.Dropout(1.5)


def test_flatten_keeps_the_batch_axis():
    x = mg.tensor(np.arange(24, dtype=np.float64).reshape(2, 3, 4), requires_grad=True)
    y = nn.Flatten()(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y.data, x.data.reshape(2, 12))
    y.backward(np.ones((2, 12)))
    assert x.grad.shape == (2, 3, 4)
    assert nn.Flatten()(mg.zeros(0, 5)).shape == (0, 5)
    with pytest.raises(ValueError, match="Flatten: expected a tensor with a batch axis"):
        nn.Flatten()(mg.tensor(1.0))


def test_identity_returns_its_input():
    x = mg.ones(3)
    assert nn.Identity()(x) is x
    assert repr(nn.Identity()) == "Identity()"


# ----------------------------------------------------------------------------- activation modules

@pytest.mark.parametrize("cls, fname, kwargs", ACTIVATIONS, ids=_ids(ACTIVATIONS))
def test_activation_module_equals_its_function(cls, fname, kwargs):
    x = np.random.default_rng(0).uniform(-3, 3, (4, 5))
    fn = getattr(F, fname)
    module = cls(**(kwargs or {})).eval()  # eval: rrelu's slope is deterministic
    expected = fn(mg.tensor(x), **(kwargs or {}))
    got = module(mg.tensor(x))
    np.testing.assert_allclose(got.data, expected.data, rtol=1e-12)
    default = cls().eval()
    np.testing.assert_allclose(default(mg.tensor(x)).data, fn(mg.tensor(x)).data, rtol=1e-12)


@pytest.mark.parametrize("cls, fname, kwargs", ACTIVATIONS, ids=_ids(ACTIVATIONS))
def test_activation_module_signature_matches_the_function_defaults(cls, fname, kwargs):
    fn_params = inspect.signature(getattr(F, fname)).parameters
    module_params = inspect.signature(cls).parameters
    for name, p in module_params.items():
        assert name in fn_params, f"{cls.__name__}({name}) is not an argument of {fname}"
        assert p.default == fn_params[name].default, f"{cls.__name__}: default of {name}"
    expected = {n for n, p in list(fn_params.items())[1:] if p.default is not inspect.Parameter.empty} - {"training"}
    assert set(module_params) == expected


@pytest.mark.parametrize("cls, fname, kwargs", ACTIVATIONS, ids=_ids(ACTIVATIONS))
def test_activation_module_repr_shows_its_arguments(cls, fname, kwargs):
    if kwargs is None:
        assert repr(cls()) == f"{cls.__name__}()"
    else:
        inner = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        assert repr(cls(**kwargs)) == f"{cls.__name__}({inner})"


def test_activation_module_takes_positional_arguments_and_rejects_unknown_ones():
    assert nn.LeakyReLU(0.3).negative_slope == 0.3
    assert nn.Hardtanh(-2.0, 2.0).max_val == 2.0
    with pytest.raises(TypeError, match="LeakyReLU: .*slope"):
        nn.LeakyReLU(slope=0.3)
    with pytest.raises(TypeError, match="ReLU: too many positional arguments"):
        nn.ReLU(1.0)


def test_activation_arguments_can_be_changed_after_construction():
    act = nn.LeakyReLU()
    act.negative_slope = 0.5
    np.testing.assert_allclose(act(mg.tensor([-2.0])).data, [-1.0])


def test_rrelu_module_uses_its_training_flag():
    x = mg.tensor(-np.ones(1000))
    mod = nn.RReLU(0.1, 0.3)
    mg.manual_seed(0)
    train = mod(x).data
    assert train.min() >= 0.3 * -1 and train.max() <= -0.1 and len(np.unique(train)) > 100
    np.testing.assert_allclose(mod.eval()(x).data, np.full(1000, -0.2))


def test_prelu_module_has_a_learnable_slope():
    mod = nn.PReLU()
    assert mod.weight.shape == (1,) and mod.weight.dtype == mg.get_default_dtype()
    np.testing.assert_allclose(mod.weight.data, [0.25])
    x = mg.tensor([[-2.0, 3.0]], dtype=mod.weight.dtype)
    np.testing.assert_allclose(mod(x).data, [[-0.5, 3.0]])
    mod(x).sum().backward()
    np.testing.assert_allclose(mod.weight.grad.data, [-2.0])
    per_channel = nn.PReLU(num_parameters=3, init=0.1)
    assert per_channel.weight.shape == (3,) and repr(per_channel) == "PReLU(num_parameters=3)"
    assert [n for n, _ in nn.Sequential(per_channel).named_parameters()] == ["0.weight"]


# ----------------------------------------------------------------------------- loss modules

def _loss_args(fname, rng):
    return next(r.sample for r in rows("loss") if r.id == fname)(rng)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("cls, fname, kwargs", LOSSES, ids=_ids(LOSSES))
def test_loss_module_equals_its_function(cls, fname, kwargs, reduction):
    x, t = _loss_args(fname, np.random.default_rng(1))
    got = cls(reduction=reduction, **kwargs)(mg.tensor(x), t)
    expected = getattr(F, fname)(mg.tensor(x), t, reduction=reduction, **kwargs)
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("cls, fname, kwargs", LOSSES, ids=_ids(LOSSES))
def test_loss_module_repr_signature_and_bad_reduction(cls, fname, kwargs):
    params = inspect.signature(cls).parameters
    inner = ", ".join(f"{k}={kwargs.get(k, p.default)!r}" for k, p in params.items())
    assert repr(cls(**kwargs)) == f"{cls.__name__}({inner})" and "reduction='mean'" in inner
    assert inspect.signature(cls).parameters["reduction"].default == "mean"
    with pytest.raises(ValueError, match=rf"{cls.__name__}: reduction must be one of 'mean', 'sum', 'none'"):
        cls(reduction="avg")


def test_huber_loss_module_takes_delta_first():
    assert list(inspect.signature(nn.HuberLoss).parameters) == ["delta", "reduction"]
    assert nn.HuberLoss(2.0).delta == 2.0


def test_losses_backpropagate_into_a_model():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = nn.CrossEntropyLoss()(model(mg.ones(6, 3)), np.array([0, 1, 0, 1, 1, 0]))
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
