"""Registry rows for the losses, dense and dropout (minigrad.nn.functional).

References are plain numpy formulas in float64, written independently of the implementation. Float
targets are a second differentiable input (a target that requires grad gets its gradient); class
indices are drawn as `extra`. Every row draws its `reduction`.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad import nn
from minigrad.nn import functional as F
from op_registry import OpSpec, any_shape

REDUCTIONS = ("mean", "sum", "none")

# x on a 0.1 grid and t on the same grid shifted by 0.05: |x − t| >= 0.05 (away from l1's kink at 0),
# and |x − t| is never a multiple of 0.1 (away from huber's kinks at |x − t| = delta for the deltas below)
grid = st.integers(-30, 30).map(lambda k: k / 10)
grid_offset = st.integers(-30, 30).map(lambda k: k / 10 + 0.05)


def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


def _reduction(shapes):
    return st.sampled_from(REDUCTIONS).map(lambda r: {"reduction": r})


def _huber_params(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS), "delta": st.sampled_from([0.3, 1.0, 2.0])})


same_shapes = any_shape().map(lambda s: (s, s))
logits_shape = st.tuples(st.integers(1, 4), st.integers(1, 5))


def _class_targets(shapes):
    n, c = shapes[0]
    return hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)).map(lambda t: (t,))


# ------------------------------------------------------------------------------- references

def _mse(x, t, reduction):
    return _reduce((x - t) ** 2, reduction)


def _l1(x, t, reduction):
    return _reduce(np.abs(x - t), reduction)


def _huber(x, t, reduction, delta):
    d = np.abs(x - t)
    return _reduce(np.where(d < delta, 0.5 * d ** 2, delta * d - 0.5 * delta ** 2), reduction)


def _bce(x, t, reduction):
    return _reduce(-(t * np.log(x) + (1 - t) * np.log(1 - x)), reduction)


def _bce_logits(x, t, reduction):
    p = 1 / (1 + np.exp(-x))
    return _reduce(-(t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)


def _log_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return np.log(e / e.sum(axis=1, keepdims=True))


def _xent(x, t, reduction):
    return _reduce(-_log_softmax(x)[np.arange(len(t)), t], reduction)


def _xent_probs(x, t, reduction):
    return _reduce(-(t * _log_softmax(x)).sum(axis=1), reduction)


def _nll(x, t, reduction):
    return _reduce(-x[np.arange(len(t)), t], reduction)


def _smooth_l1(x, t, reduction, beta):
    d = np.abs(x - t)
    return _reduce(d if beta == 0 else np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction)


def _class_nll(logp, t, reduction, weight=None, ignore_index=-100, label_smoothing=0.0):
    """PyTorch's weighted, ignoring, label-smoothed NLL of log-probabilities logp (N, C, *d) and indices t (N, *d)."""
    c = logp.shape[1]
    rows, flat = np.moveaxis(logp, 1, -1).reshape(-1, c), t.reshape(-1)
    w = np.ones(c) if weight is None else weight
    keep = flat != ignore_index
    safe = np.where(keep, flat, 0)
    nll = -rows[np.arange(len(flat)), safe] * w[safe] * keep
    smooth = -(rows * w).sum(axis=1) * keep
    loss = (1 - label_smoothing) * nll + label_smoothing / c * smooth
    if reduction == "none":
        return loss.reshape(t.shape)
    return loss.sum() if reduction == "sum" else loss.sum() / (w[safe] * keep).sum()


def _log_softmax_axis1(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return np.log(e / e.sum(axis=1, keepdims=True))


def _xent_options(x, t, reduction, **options):
    return _class_nll(_log_softmax_axis1(x), t, reduction, **options)


def _xent_probs_options(x, t, reduction, weight, label_smoothing):
    c = x.shape[1]
    t = t * (1 - label_smoothing) + label_smoothing / c
    w = weight.reshape((c,) + (1,) * (x.ndim - 2))
    return _reduce(-(t * _log_softmax_axis1(x) * w).sum(axis=1), reduction)


def _bce_weighted(x, t, reduction, weight):
    return _reduce(-weight * (t * np.log(x) + (1 - t) * np.log(1 - x)), reduction)


def _bce_logits_weighted(x, t, reduction, weight, pos_weight):
    log_sig, log_one_minus = -np.log1p(np.exp(-x)), -np.log1p(np.exp(x))
    return _reduce(-weight * (pos_weight * t * log_sig + (1 - t) * log_one_minus), reduction)


# ------------------------------------------------------------------------------- loss options (PyTorch's)

@st.composite
def _kdim_logits(draw):
    """(N, C, d1[, d2]) logits: the classes on axis 1, one target per (N, d1, ...) position."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return ((n, c) + tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2))),)


def _kdim_targets(shapes):
    shape = shapes[0]
    return hnp.arrays(np.int64, shape[:1] + shape[2:], elements=st.integers(0, shape[1] - 1)).map(lambda t: (t,))


def _targets_with_ignored(shapes):
    """Class indices with some −1s (ignored by the rows below), but never all of them (the mean would be NaN)."""
    shape = shapes[0]
    arrays = hnp.arrays(np.int64, shape[:1] + shape[2:], elements=st.integers(-1, shape[1] - 1))
    first = lambda t: np.arange(t.size).reshape(t.shape) == 0  # noqa: E731
    return arrays.map(lambda t: (np.where(first(t), np.maximum(t, 0), t),))


def _class_weight(c):
    return hnp.arrays(np.float64, (c,), elements=st.floats(0.25, 3.0))


def _xent_options_params(shapes):
    c = shapes[0][1]
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS), "ignore_index": st.just(-1),
                                  "weight": st.one_of(st.none(), _class_weight(c)),
                                  "label_smoothing": st.sampled_from([0.0, 0.1, 0.6])})


def _nll_options_params(shapes):
    c = shapes[0][1]
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS), "ignore_index": st.just(-1),
                                  "weight": st.one_of(st.none(), _class_weight(c))})


def _probs_options_params(shapes):
    c = shapes[0][1]
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS), "weight": _class_weight(c),
                                  "label_smoothing": st.sampled_from([0.0, 0.2])})


def _broadcast_weight(shapes, name="weight"):
    """A weight of the input's shape or broadcasting to it (its last axis, or one value)."""
    shape = shapes[0]
    options = [shape, shape[-1:], ()]
    return st.sampled_from(options).flatmap(lambda s: hnp.arrays(np.float64, s, elements=st.floats(0.25, 3.0)))


def _bce_weight_params(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS), "weight": _broadcast_weight(shapes)})


def _bce_logits_weight_params(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS), "weight": _broadcast_weight(shapes),
                                  "pos_weight": _broadcast_weight(shapes)})


def _smooth_l1_params(shapes):
    return st.fixed_dictionaries({"reduction": st.sampled_from(REDUCTIONS),
                                  "beta": st.sampled_from([0.0, 0.3, 1.0, 2.0])})


probs_pair = st.tuples(st.integers(1, 3), st.integers(1, 4), st.lists(st.integers(1, 2), max_size=1)).map(
    lambda s: ((s[0], s[1]) + tuple(s[2]),) * 2)


# ------------------------------------------------------------------------------- dense and dropout

@st.composite
def _dense_shapes(draw):
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    lead = draw(st.sampled_from([(), (3,), (2, 3)]))  # a single sample, a batch, a batch of batches
    return lead + (n_in,), (n_in, n_out), (n_out,)


DROPOUT_SEED = 1234


def _dropout_ref(x, p):
    """Inverted dropout with the mask minigrad draws: keep where U[0, 1) >= p, scale by 1/(1 − p)."""
    if p == 1:
        return np.zeros_like(x)
    keep = np.random.default_rng(DROPOUT_SEED).random(x.shape) >= p
    return x * keep / (1 - p)


def _dropout_p(shapes):
    return st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]).map(lambda p: {"p": p})


def _regression_sample(rng):
    return rng.standard_normal((4, 3)), rng.standard_normal((4, 3))


def _bce_sample(rng):
    return rng.uniform(0.05, 0.95, (4, 3)), rng.integers(0, 2, (4, 3)).astype(float)


def _logits_sample(rng):
    return rng.standard_normal((4, 3)), rng.integers(0, 3, 4)


def _log_probs_sample(rng):
    x = rng.standard_normal((4, 3))
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True)), rng.integers(0, 3, 4)


def _probs_sample(rng):
    return rng.standard_normal((4, 3)) * 3, rng.dirichlet(np.ones(3), 4)


def loss(name, fn, ref, **kw):
    """A loss row (category "loss"), `module` its nn class with constructor kwargs."""
    return OpSpec(name, fn, ref, category="loss", **kw)


ROWS = [
    loss("mse_loss", F.mse_loss, _mse, arity=2, shapes=same_shapes, params=_reduction, module=(nn.MSELoss, {}),
         sample=_regression_sample),
    loss("l1_loss", F.l1_loss, _l1, arity=2, shapes=same_shapes, params=_reduction, elements=(grid, grid_offset),
         module=(nn.L1Loss, {}), sample=_regression_sample),
    loss("huber_loss", F.huber_loss, _huber, arity=2, shapes=same_shapes, params=_huber_params,
         elements=(grid, grid_offset), module=(nn.HuberLoss, {"delta": 0.5}), sample=_regression_sample),
    loss("binary_cross_entropy", F.binary_cross_entropy, _bce, arity=2, shapes=same_shapes, params=_reduction,
         domain=[(0.05, 0.95), (0.0, 1.0)], module=(nn.BCELoss, {}), sample=_bce_sample),
    loss("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, _bce_logits, arity=2,
         shapes=same_shapes, params=_reduction, domain=[(-6.0, 6.0), (0.0, 1.0)], module=(nn.BCEWithLogitsLoss, {}),
         sample=lambda rng: (rng.standard_normal((4, 3)), rng.integers(0, 2, (4, 3)).astype(float))),
    loss("cross_entropy", F.cross_entropy, _xent, shapes=logits_shape.map(lambda s: (s,)),
         extra=_class_targets, params=_reduction, domain=(-5.0, 5.0), module=(nn.CrossEntropyLoss, {}),
         sample=_logits_sample),
    loss("cross_entropy", F.cross_entropy, _xent_probs, arity=2, shapes=logits_shape.map(lambda s: (s, s)),
         params=_reduction, domain=[(-5.0, 5.0), (0.0, 1.0)], variant="probs", sample=_probs_sample),
    loss("nll_loss", F.nll_loss, _nll, shapes=logits_shape.map(lambda s: (s,)), extra=_class_targets,
         params=_reduction, module=(nn.NLLLoss, {}), sample=_log_probs_sample),
    # PyTorch's options: class weights, ignored targets (−1 here), label smoothing, K-dimensional inputs
    loss("cross_entropy", F.cross_entropy, _xent_options, shapes=logits_shape.map(lambda s: (s,)),
         extra=_targets_with_ignored, params=_xent_options_params, domain=(-5.0, 5.0), variant="options"),
    loss("cross_entropy", F.cross_entropy, _xent_options, shapes=_kdim_logits(), extra=_kdim_targets,
         params=_reduction, domain=(-5.0, 5.0), variant="kdim"),
    loss("cross_entropy", F.cross_entropy, _xent_probs_options, arity=2, shapes=probs_pair,
         params=_probs_options_params, domain=[(-5.0, 5.0), (0.0, 1.0)], variant="probs_options"),
    loss("nll_loss", F.nll_loss, lambda x, t, reduction, **o: _class_nll(x, t, reduction, **o),
         shapes=logits_shape.map(lambda s: (s,)), extra=_targets_with_ignored, params=_nll_options_params,
         variant="options"),
    loss("binary_cross_entropy", F.binary_cross_entropy, _bce_weighted, arity=2, shapes=same_shapes,
         params=_bce_weight_params, domain=[(0.05, 0.95), (0.0, 1.0)], variant="weight"),
    loss("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, _bce_logits_weighted, arity=2,
         shapes=same_shapes, params=_bce_logits_weight_params, domain=[(-6.0, 6.0), (0.0, 1.0)], variant="pos_weight"),
    loss("smooth_l1_loss", F.smooth_l1_loss, _smooth_l1, arity=2, shapes=same_shapes, params=_smooth_l1_params,
         elements=(grid, grid_offset), sample=_regression_sample, module=(nn.SmoothL1Loss, {"beta": 0.5})),
    OpSpec("dense", F.dense, lambda x, w, b: x @ w + b, arity=3, shapes=_dense_shapes(), category="layer"),
    # eval mode is the identity; the training row fixes the mask's seed so the reference can redraw it
    OpSpec("dropout", lambda x, p: F.dropout(x, p=p, training=False), lambda x, p: x, params=_dropout_p,
           category="layer"),
    OpSpec("dropout", lambda x, p: F.dropout(x, p=p, seed=DROPOUT_SEED), _dropout_ref, params=_dropout_p,
           category="layer", variant="training"),
]
