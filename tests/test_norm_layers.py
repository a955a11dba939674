"""The convolution, pooling, normalization and embedding modules: PyTorch's init, buffers in the state
dict, train()/eval() behaviour, and values and gradients against PyTorch where it is installed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

rng = np.random.default_rng(7)


def _torch():
    return pytest.importorskip("torch")


def _copy_params_to_torch(ours, theirs):
    torch = _torch()
    with torch.no_grad():
        for name, p in ours.named_parameters():
            getattr(theirs, name).copy_(torch.tensor(p.data))


# --------------------------------------------------------------------------- convolution modules

@pytest.mark.parametrize("cls, args, weight_shape, fan_in", [
    (nn.Conv2d, (4, 6, 3), (6, 4, 3, 3), 36),
    (nn.Conv2d, (4, 6, (2, 5), 1, 0, 1, 2), (6, 2, 2, 5), 20),
    (nn.ConvTranspose2d, (4, 6, 3), (4, 6, 3, 3), 54),
    (nn.ConvTranspose2d, (4, 6, (3, 1), 1, 0, 0, 2), (4, 3, 3, 1), 9),
])
def test_conv_init_is_pytorchs_uniform_over_one_over_sqrt_fan_in(cls, args, weight_shape, fan_in):
    mg.manual_seed(0)
    m = cls(*args)
    assert m.weight.shape == weight_shape and m.bias.shape == (6,)
    assert m.weight.dtype == m.bias.dtype == mg.get_default_dtype()
    bound = 1 / math.sqrt(fan_in)
    for p in (m.weight, m.bias):
        assert np.abs(p.data).max() <= bound
    assert np.abs(m.weight.data).max() > 0.8 * bound  # spread over the whole interval, not a smaller one
    mg.manual_seed(0)
    np.testing.assert_array_equal(cls(*args).weight.data, m.weight.data)


def test_conv_init_bound_matches_torch():
    torch = _torch()
    for make in (lambda mod: mod.Conv2d(8, 4, 3, groups=2), lambda mod: mod.ConvTranspose2d(8, 4, 3, groups=2)):
        ours, theirs = make(nn), make(torch.nn)
        assert ours.weight.shape == tuple(theirs.weight.shape)
        fan_in = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)[0]
        assert np.abs(ours.weight.data).max() <= 1 / math.sqrt(fan_in)
        assert np.abs(ours.weight.data).max() > 0.8 / math.sqrt(fan_in)


@pytest.mark.parametrize("name, kw", [
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, groups=2)),
    ("Conv2d", dict(in_channels=3, out_channels=2, kernel_size=(3, 2), dilation=2, bias=False)),
    ("ConvTranspose2d", dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1,
                             groups=2)),
])
def test_conv_modules_match_torch(name, kw):
    torch = _torch()
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw).double()
    _copy_params_to_torch(ours, theirs)
    x = rng.standard_normal((2, kw["in_channels"], 7, 6))
    xs, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-6)  # our weights are float32
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, getattr(theirs, pname).grad.numpy(), rtol=1e-5, atol=1e-5)


def test_conv_module_argument_errors_and_repr():
    with pytest.raises(ValueError, match="Conv2d: in_channels 3 is not divisible by groups 2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="ConvTranspose2d: out_channels 3 is not divisible by groups 2"):
        nn.ConvTranspose2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="Conv2d: stride must be positive"):
        nn.Conv2d(1, 1, 3, stride=0)
    with pytest.raises(TypeError, match="Conv2d: in_channels must be an int"):
        nn.Conv2d(1.0, 1, 3)
    assert repr(nn.Conv2d(1, 30, 5)) == "Conv2d(1, 30, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(nn.Conv2d(4, 4, 3, padding=1, groups=2, bias=False)) == \
        "Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2, bias=False)"
    assert [k for k in nn.Conv2d(1, 2, 3).state_dict()] == ["weight", "bias"]


def test_conv_module_rejects_a_wrong_channel_count_naming_shapes():
    with pytest.raises(ValueError, match=r"conv2d: input has 2 channels \(shape \(1, 2, 5, 5\)\), but weight of shape "
                                         r"\(4, 3, 3, 3\)"):
        nn.Conv2d(3, 4, 3)(np.zeros((1, 2, 5, 5), dtype=np.float32))


def test_pool_modules_equal_their_functions():
    x = rng.standard_normal((2, 3, 6, 5))
    np.testing.assert_array_equal(nn.MaxPool2d(2)(x).data, F.max_pool2d(x, 2).data)
    np.testing.assert_array_equal(nn.AvgPool2d(3, stride=1, padding=1)(x).data, F.avg_pool2d(x, 3, 1, 1).data)
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert list(nn.MaxPool2d(2).state_dict()) == []


# --------------------------------------------------------------------------- batch norm

def test_batch_norm_state_dict_holds_parameters_and_running_buffers():
    bn = nn.BatchNorm2d(3)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(state["weight"], np.ones(3))
    np.testing.assert_array_equal(state["bias"], np.zeros(3))
    np.testing.assert_array_equal(state["running_mean"], np.zeros(3))
    np.testing.assert_array_equal(state["running_var"], np.ones(3))
    assert state["num_batches_tracked"] == 0 and state["num_batches_tracked"].dtype == np.int64
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]  # buffers are not parameters
    torch = pytest.importorskip("torch")
    assert list(state) == list(torch.nn.BatchNorm2d(3).state_dict())


def test_batch_norm_training_updates_running_statistics_in_place_and_eval_uses_them():
    bn = nn.BatchNorm2d(2)
    mean_buffer = bn.running_mean
    x = rng.standard_normal((4, 2, 3, 3)) * 2 + 5
    y = bn(x)
    axes = (0, 2, 3)
    np.testing.assert_allclose(y.data.mean(axis=axes), 0, atol=1e-5)
    np.testing.assert_allclose(y.data.var(axis=axes), 1, rtol=1e-3)  # biased variance normalizes
    assert bn.running_mean is mean_buffer  # updated in place, not replaced
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=axes), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=axes, ddof=1), rtol=1e-5)  # unbiased
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    before = bn.running_mean.copy()
    z = bn(x)
    np.testing.assert_array_equal(bn.running_mean, before)  # eval leaves the statistics alone
    expected = (x - bn.running_mean.reshape(1, 2, 1, 1)) / np.sqrt(bn.running_var.reshape(1, 2, 1, 1) + 1e-5)
    np.testing.assert_allclose(z.data, expected, rtol=1e-5)
    assert int(bn.num_batches_tracked) == 1


def test_batch_norm_functional_updates_tensor_statistics_in_place():
    rm, rv = mg.zeros(3, dtype="float64"), mg.ones(3, dtype="float64")
    data = rm.data
    x = rng.standard_normal((5, 3))
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    assert rm.data is data
    np.testing.assert_allclose(rm.data, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(rv.data, 0.5 + 0.5 * x.var(axis=0, ddof=1))


def test_batch_norm_state_round_trip_restores_the_running_statistics():
    a, b = nn.BatchNorm1d(3), nn.BatchNorm1d(3)
    for _ in range(3):
        a(rng.standard_normal((8, 3)))
    b.load_state_dict(a.state_dict())
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)
    x = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(a.eval()(x).data, b.eval()(x).data)
    with pytest.raises(RuntimeError, match=r"shape mismatch for 'running_mean'"):
        b.load_state_dict(dict(a.state_dict(), running_mean=np.zeros(4)))


def test_batch_norm_without_running_statistics_or_affine():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(bn.state_dict()) == [] and list(bn.parameters()) == []
    x = rng.standard_normal((6, 2)) + 3
    np.testing.assert_allclose(bn.eval()(x).data.mean(axis=0), 0, atol=1e-6)  # batch statistics even in eval


def test_batch_norm_input_checks_name_the_module():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a 4-d input \(N, C, H, W\), got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 3 channels on axis 1 \(num_features\), got input shape \(2, 4\)"):
        nn.BatchNorm1d(3)(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="BatchNorm1d: momentum must be a number in"):
        nn.BatchNorm1d(3, momentum=2)
    with pytest.raises(ValueError, match="batch_norm: expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(np.zeros((1, 3)))


@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_matches_torch_over_training_steps_and_in_eval(cls, shape, momentum):
    torch = _torch()
    ours, theirs = getattr(nn, cls)(3, momentum=momentum), getattr(torch.nn, cls)(3, momentum=momentum).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.standard_normal(3)))
        theirs.bias.copy_(torch.tensor(rng.standard_normal(3)))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        xs, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, yt = ours(xs), theirs(xt)
        np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
        g = rng.standard_normal(shape)
        y.backward(g)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ours.bias.grad.data, theirs.bias.grad.numpy(), rtol=1e-5, atol=1e-5)
        ours.zero_grad()
        theirs.zero_grad()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-5, err_msg=k)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- layer norm, embedding

def test_layer_norm_module_init_and_torch():
    ln = nn.LayerNorm((2, 3))
    np.testing.assert_array_equal(ln.weight.data, np.ones((2, 3)))
    np.testing.assert_array_equal(ln.bias.data, np.zeros((2, 3)))
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    torch = _torch()
    theirs = torch.nn.LayerNorm((2, 3)).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(rng.standard_normal((2, 3))))
        theirs.bias.copy_(torch.tensor(rng.standard_normal((2, 3))))
    ln.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((4, 2, 3))
    xs, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ln(xs), theirs(xt)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ln.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_layer_norm_checks_the_trailing_shape():
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(3,\) must be the trailing dimensions"):
        nn.LayerNorm(3)(np.zeros((3, 2)))


def test_embedding_init_lookup_and_accumulation():
    mg.manual_seed(0)
    emb = nn.Embedding(1000, 8)
    assert emb.weight.shape == (1000, 8) and emb.weight.dtype == mg.get_default_dtype()
    assert abs(emb.weight.data.mean()) < 0.05 and abs(emb.weight.data.std() - 1) < 0.05  # N(0, 1)
    idx = np.array([[3, 3, 7], [0, 3, 999]])
    y = emb(idx)
    assert y.shape == (2, 3, 8)
    np.testing.assert_array_equal(y.data[0, 1], emb.weight.data[3])
    y.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[[3, 7, 0, 999, 1], 0], [3, 1, 1, 1, 0])
    assert repr(emb) == "Embedding(1000, 8)"
    with pytest.raises(IndexError, match="embedding: index 1000 is out of range for 1000 embeddings"):
        emb(np.array([1000]))


def test_embedding_matches_torch_and_accepts_tensor_indices():
    torch = _torch()
    w = rng.standard_normal((5, 3))
    idx = np.array([[0, 4, 4], [2, 0, 1]])
    ws, wt = mg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    y, yt = F.embedding(mg.tensor(idx), ws), torch.nn.functional.embedding(torch.tensor(idx), wt)
    np.testing.assert_array_equal(y.data, yt.detach().numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ws.grad.data, wt.grad.numpy(), rtol=1e-12)


def test_modules_switch_behaviour_with_train_and_eval_inside_a_model():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2))
    x = rng.standard_normal((3, 1, 6, 6))
    model(x)
    assert int(model[1].num_batches_tracked) == 1
    model.eval()
    model(x)
    assert int(model[1].num_batches_tracked) == 1
    keys = list(model.state_dict())
    assert keys == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                    "1.num_batches_tracked"]
