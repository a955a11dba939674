"""Losses, dense and dropout: hand-computed values, PyTorch agreement, reductions, stability, errors.

Generic properties (reference formulas, gradcheck, gradgradcheck, dtypes, aliasing) come from the
registry rows in rows_losses.py; this file pins the conventions and the edge cases.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.testing import gradcheck, gradgradcheck
from op_registry import rows

SAMPLES = {r.id: r.sample for r in rows("loss")}  # one valid (input, target) maker per loss row
LOSSES = [r.name for r in rows("loss") if not r.variant]


def _t(a, dtype=np.float64, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


def _valid_args(name, rng=None):
    """A small valid (input, target) for a loss row, in float64."""
    return SAMPLES[name](rng or np.random.default_rng(0))


# ----------------------------------------------------------------------------- hand-computed values

def test_mse_l1_huber_values_and_reductions():
    x, t = [1.0, 2.0, 3.0], [1.0, 0.0, 2.5]  # d = 0, 2, 0.5
    np.testing.assert_allclose(F.mse_loss(_t(x), t, reduction="none").data, [0.0, 4.0, 0.25])
    assert F.mse_loss(_t(x), t).item() == pytest.approx(4.25 / 3)
    assert F.mse_loss(_t(x), t, reduction="sum").item() == pytest.approx(4.25)
    np.testing.assert_allclose(F.l1_loss(_t(x), t, reduction="none").data, [0.0, 2.0, 0.5])
    assert F.l1_loss(_t(x), t).item() == pytest.approx(2.5 / 3)
    # huber, delta 1: ½·0², 1·(2 − ½), ½·0.5²; delta 3: all quadratic
    np.testing.assert_allclose(F.huber_loss(_t(x), t, reduction="none").data, [0.0, 1.5, 0.125])
    np.testing.assert_allclose(F.huber_loss(_t(x), t, delta=3.0, reduction="none").data, [0.0, 2.0, 0.125])
    np.testing.assert_allclose(F.huber_loss(_t(x), t, 0.25, "none").data, [0.0, 0.25 * 1.875, 0.25 * 0.375])


def test_regression_gradients_by_hand():
    x = _t([1.0, 2.0, 3.0])
    F.mse_loss(x, [1.0, 0.0, 2.5]).backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 4.0 / 3, 1.0 / 3])  # 2d/N
    x = _t([1.0, 2.0, 3.0])
    F.l1_loss(x, [1.0, 0.0, 2.5], reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0, 1.0])  # sign(d), sign(0) = 0
    x = _t([1.0, 2.0, 3.0, -5.0])
    F.huber_loss(x, [1.0, 0.0, 2.5, 0.0], reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0, 0.5, -1.0])  # d inside, delta·sign(d) outside


def test_binary_cross_entropy_values():
    out = F.binary_cross_entropy(_t([0.5, 0.9, 0.2]), [1.0, 0.0, 0.0], reduction="none")
    np.testing.assert_allclose(out.data, [math.log(2), -math.log(0.1), -math.log(0.8)])
    out = F.binary_cross_entropy_with_logits(_t([0.0, 2.0, -3.0]), [1.0, 0.0, 1.0], reduction="none")
    np.testing.assert_allclose(out.data, [math.log(2), math.log(1 + math.e ** 2), math.log(1 + math.e ** 3)])


def test_binary_cross_entropy_with_logits_gradient_is_sigmoid_minus_target_even_at_zero():
    # a composition max(x, 0) + log(1 + e^−|x|) would give −t instead of ½ − t at x = 0
    x = _t([0.0, 0.0, 2.0])
    F.binary_cross_entropy_with_logits(x, [1.0, 0.0, 1.0], reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [-0.5, 0.5, 1 / (1 + math.e ** -2) - 1])


def test_cross_entropy_and_nll_values_and_gradient():
    x = _t([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    out = F.cross_entropy(x, np.array([1, 2]), reduction="none")
    lse = math.log(math.e + math.e ** 2 + math.e ** 3)
    np.testing.assert_allclose(out.data, [math.log(3), lse - 3.0])
    F.cross_entropy(x, np.array([1, 2])).backward()
    p = np.exp([1.0, 2.0, 3.0] - np.float64(lse))
    expected = np.array([[1 / 3, 1 / 3 - 1, 1 / 3], [p[0], p[1], p[2] - 1]]) / 2  # (softmax − onehot)/N
    np.testing.assert_allclose(x.grad.data, expected)
    logp = _t([[-1.0, -2.0], [-3.0, -4.0]])
    assert F.nll_loss(logp, np.array([1, 0])).item() == pytest.approx(2.5)
    assert F.nll_loss(logp, np.array([1, 0]), reduction="sum").item() == pytest.approx(5.0)
    F.nll_loss(logp, np.array([1, 0])).backward()
    np.testing.assert_allclose(logp.grad.data, [[0.0, -0.5], [-0.5, 0.0]])


def test_cross_entropy_with_probabilities_matches_indices_for_one_hot_targets():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4))
    idx = rng.integers(0, 4, 5)
    onehot = np.eye(4)[idx]
    a, b = _t(x), _t(x)
    la, lb = F.cross_entropy(a, idx), F.cross_entropy(b, onehot)
    assert la.item() == pytest.approx(lb.item())
    la.backward()
    lb.backward()
    np.testing.assert_allclose(a.grad.data, b.grad.data, atol=1e-12)
    # soft targets need not sum to one: −Σ t·log_softmax(x)
    t = np.full((5, 4), 0.5)
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    assert F.cross_entropy(_t(x), t, reduction="sum").item() == pytest.approx(-(t * logp).sum())


def test_cross_entropy_is_one_fused_op_with_a_differentiable_rule():
    x = _t(np.random.default_rng(0).standard_normal((3, 4)))
    loss = F.cross_entropy(x, np.array([0, 3, 1]), reduction="none")
    assert loss.grad_fn.name == "cross_entropy"
    # second derivative: the Hessian of the per-sample loss is diag(p) − p pᵀ; its trace is 1 − Σp²
    (g,) = mg.grad(loss.sum(), x, create_graph=True)
    v = np.random.default_rng(1).standard_normal((3, 4))
    (hv,) = mg.grad((g * v).sum(), x)
    p = np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)
    expected = p * v - p * (p * v).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(hv.data, expected, atol=1e-12)


@pytest.mark.parametrize("name", LOSSES)
def test_mean_is_sum_over_count_and_none_keeps_shape(name):
    x, t = _valid_args(name)
    f = getattr(F, name)
    none = f(_t(x), t, reduction="none")
    n = x.shape[0] if name in ("cross_entropy", "nll_loss") else x.size
    assert none.shape == ((x.shape[0],) if name in ("cross_entropy", "nll_loss") else x.shape)
    assert f(_t(x), t, reduction="sum").item() == pytest.approx(none.data.sum())
    assert f(_t(x), t).item() == pytest.approx(none.data.sum() / n)
    assert f(_t(x), t).shape == ()


@pytest.mark.parametrize("name", LOSSES)
def test_bad_reduction_names_the_valid_values(name):
    x, t = _valid_args(name)
    with pytest.raises(ValueError, match=rf"{name}: reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        getattr(F, name)(_t(x), t, reduction="avg")


@pytest.mark.parametrize("name", LOSSES)
def test_float32_stays_float32_and_array_targets_are_accepted(name):
    x, t = _valid_args(name)
    xt = _t(x, np.float32)
    loss = getattr(F, name)(xt, t)  # a float64 target is cast to the input's dtype
    assert loss.dtype == np.float32
    loss.backward()
    assert xt.grad.dtype == np.float32
    loss2 = getattr(F, name)(_t(x, np.float32), mg.tensor(t))  # a Tensor target that needs no grad
    assert loss2.item() == pytest.approx(loss.item())


# ----------------------------------------------------------------------------- PyTorch agreement

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSSES + ["cross_entropy.probs"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(name, reduction, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(zlib.crc32(f"{name} {reduction}".encode()))  # str hash() varies per run
    kwargs = {}
    if name == "cross_entropy.probs":
        x, t = _valid_args(name, rng)
        name = "cross_entropy"
    else:
        x, t = _valid_args(name, rng)
        x = x * 3 if name in ("cross_entropy", "binary_cross_entropy_with_logits", "huber_loss") else x
    if name == "huber_loss":
        kwargs["delta"] = 0.8
    x = x.astype(dtype)
    tt = torch.tensor(t.astype(dtype) if t.dtype.kind == "f" else t)
    tx = torch.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(tx, tt, reduction=reduction, **kwargs)
    upstream = rng.uniform(-1, 1, expected.shape).astype(dtype)
    expected.backward(torch.tensor(upstream))
    mx = mg.tensor(x, requires_grad=True)
    got = getattr(F, name)(mx, t, reduction=reduction, **kwargs)
    got.backward(upstream)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **tol)
    np.testing.assert_allclose(mx.grad.data, tx.grad.numpy(), **tol)


def test_cross_entropy_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, idx, v = rng.standard_normal((4, 6)), rng.integers(0, 6, 4), rng.standard_normal((4, 6))
    tx = torch.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tx, torch.tensor(idx)), tx, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tx)
    mx = _t(x)
    (g,) = mg.grad(F.cross_entropy(mx, idx), mx, create_graph=True)
    (hv,) = mg.grad((g * v).sum(), mx)
    np.testing.assert_allclose(hv.data, thv.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- stability

STRICT = dict(over="raise", invalid="raise", divide="raise")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_finite_for_huge_logits(dtype):
    x = _t([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], dtype)
    with np.errstate(**STRICT):
        loss = F.cross_entropy(x, np.array([1, 1]), reduction="none")
        loss.sum().backward()
        np.testing.assert_allclose(loss.data, [2e4, 0.0])
        np.testing.assert_allclose(x.grad.data, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])
        y = _t([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], dtype)
        soft = F.cross_entropy(y, np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]), reduction="none")
        soft.sum().backward()
        np.testing.assert_allclose(soft.data, [1e4, 1e4 - 3.0])
        assert np.all(np.isfinite(y.grad.data))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_is_finite_at_exactly_zero_and_one(dtype):
    x = _t([0.0, 1.0, 0.0, 1.0], dtype)
    with np.errstate(**STRICT):
        loss = F.binary_cross_entropy(x, [0.0, 1.0, 1.0, 0.0], reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 100.0, 100.0])  # each log clamped at −100
    g = x.grad.data
    assert np.all(np.isfinite(g))
    # PyTorch's (x − t)/max(x(1 − x), 1e−12): a right answer gets 0, a wrong one a huge push the right way
    np.testing.assert_allclose(g, [0.0, 0.0, -1e12, 1e12], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_logits_is_finite_for_huge_logits(dtype):
    x = _t([1e4, -1e4, 1e4, -1e4, 800.0], dtype)
    with np.errstate(**STRICT):
        loss = F.binary_cross_entropy_with_logits(x, [1.0, 0.0, 0.0, 1.0, 1.0], reduction="none")
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1e4, 1e4, 0.0])
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0, 0.0])


def test_binary_cross_entropy_second_derivative_near_the_edges():
    x = _t([0.01, 0.3, 0.99])
    assert gradgradcheck(lambda v: F.binary_cross_entropy(v, [1.0, 0.0, 0.5]), [x], atol=1e-4, rtol=1e-3)


# ----------------------------------------------------------------------------- targets

def test_float_target_that_requires_grad_gets_its_gradient():
    x, t = _t([1.0, 2.0]), _t([0.5, 3.0])
    F.mse_loss(x, t, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [1.0, -2.0])
    np.testing.assert_allclose(t.grad.data, [-1.0, 2.0])
    for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        x, t = _valid_args(name)
        assert gradcheck(lambda a, b: getattr(F, name)(a, b), [_t(x), _t(np.clip(t, 0.2, 0.8))])


def test_class_index_targets_never_get_a_gradient_and_are_not_modified():
    idx = np.array([2, 0, 1])
    before = idx.copy()
    x = _t(np.zeros((3, 3)))
    F.cross_entropy(x, mg.tensor(idx)).backward()
    np.testing.assert_array_equal(idx, before)
    assert x.grad is not None


def test_integer_labels_work_as_binary_targets():
    y = np.array([0, 1, 1])
    a = F.binary_cross_entropy_with_logits(_t([0.3, -0.2, 1.0]), y)
    b = F.binary_cross_entropy_with_logits(_t([0.3, -0.2, 1.0]), y.astype(float))
    assert a.item() == b.item()


# ----------------------------------------------------------------------------- errors

def test_cross_entropy_target_shape_error_names_both_shapes():
    msg = "cross_entropy: expected target of shape (N,) = (4,) with class indices, or (N, C) = (4, 3) probabilities; got (5,)"
    with pytest.raises(ValueError) as e:
        F.cross_entropy(_t(np.zeros((4, 3))), np.zeros(5, dtype=np.int64))
    assert str(e.value) == msg
    with pytest.raises(ValueError, match=r"got \(4, 2\)"):
        F.cross_entropy(_t(np.zeros((4, 3))), np.zeros((4, 2)))


def test_cross_entropy_input_and_target_dtype_errors():
    with pytest.raises(ValueError, match=r"cross_entropy: expected input logits of shape \(N, C\), got shape \(3,\)"):
        F.cross_entropy(_t(np.zeros(3)), np.array(1))
    with pytest.raises(TypeError, match=r"cross_entropy: .*must be float, got dtype int64"):
        F.cross_entropy(_t(np.zeros((2, 3))), np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="expected integer class indices as target, got dtype float64"):
        F.cross_entropy(_t(np.zeros((2, 3))), np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="cross_entropy: expected a float input, got dtype int64"):
        F.cross_entropy(mg.tensor([[1, 2]]), np.array([0]))


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [3, -1])
def test_class_index_out_of_range_names_the_index(name, bad):
    with pytest.raises(ValueError, match=rf"{name}: target {bad} at position 1 is not a class index in \[0, 3\)"):
        getattr(F, name)(_t(np.zeros((2, 3))), np.array([0, bad]))


def test_nll_loss_shape_errors():
    with pytest.raises(ValueError, match=r"nll_loss: expected target of shape \(N,\) = \(2,\) .* got \(3,\)"):
        F.nll_loss(_t(np.zeros((2, 3))), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"nll_loss: expected input log-probabilities of shape \(N, C\)"):
        F.nll_loss(_t(np.zeros((2, 3, 4))), np.array([0, 1]))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_elementwise_losses_refuse_mismatched_shapes(name):
    with pytest.raises(ValueError, match=rf"{name}: input shape \(4, 1\) and target shape \(4,\) differ"):
        getattr(F, name)(_t(np.full((4, 1), 0.5)), np.ones(4))


def test_binary_cross_entropy_refuses_values_outside_zero_one():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold probabilities in \[0, 1\], found 1.5"):
        F.binary_cross_entropy(_t([0.5, 1.5]), [1.0, 0.0])
    with pytest.raises(ValueError, match="found nan"):
        F.binary_cross_entropy(_t([np.nan, 0.5]), [1.0, 0.0])


def test_huber_delta_must_be_positive():
    with pytest.raises(ValueError, match="huber_loss: delta must be positive, got 0"):
        F.huber_loss(_t([1.0]), [0.0], delta=0)


# ----------------------------------------------------------------------------- dense and dropout

def test_dense_is_x_at_weight_plus_bias():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 3)), _t(rng.standard_normal((3, 2))), _t(rng.standard_normal(2))
    y = F.dense(x, w, b)  # an ndarray batch with tensor parameters still records the graph
    np.testing.assert_allclose(y.data, x @ w.data + b.data)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.data, x.T @ np.ones((5, 2)))
    np.testing.assert_allclose(b.grad.data, [5.0, 5.0])
    np.testing.assert_allclose(F.dense(x, w).data, x @ w.data)
    with pytest.raises(ValueError, match="matmul"):
        F.dense(x, _t(np.zeros((4, 2))))


@pytest.mark.parametrize("p", [-0.1, 1.5, True, "0.5", float("nan")])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="dropout: p must be a probability in \\[0, 1\\]"):
        F.dropout(_t([1.0]), p=p)


def test_dropout_identity_when_not_training_or_p_zero():
    x = _t(np.ones(10))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_p_one_gives_zeros_and_zero_gradient():
    x = _t(np.ones(6))
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.data, np.zeros(6))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(6))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_scales_kept_units_and_drops_about_p(p):
    x = _t(np.ones(20000), np.float32)
    y = F.dropout(x, p, seed=7)
    assert y.dtype == np.float32
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.02  # fixed seed: deterministic, 4+ standard deviations of room
    y.backward(np.full(20000, 2.0, dtype=np.float32))
    np.testing.assert_allclose(x.grad.data, 2 * y.data)  # the gradient goes through the same mask


def test_dropout_mask_follows_manual_seed_and_not_numpys_global_state():
    x = _t(np.ones(50))
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    mg.manual_seed(11)
    a = F.dropout(x).data
    b = F.dropout(x).data
    mg.manual_seed(11)
    c = F.dropout(x).data
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # successive calls draw fresh masks
    np.testing.assert_array_equal(np.random.get_state()[1], state)
