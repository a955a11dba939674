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
    OpSpec("dense", F.dense, lambda x, w, b: x @ w + b, arity=3, shapes=_dense_shapes(), category="layer"),
    # eval mode is the identity; the training row fixes the mask's seed so the reference can redraw it
    OpSpec("dropout", lambda x, p: F.dropout(x, p=p, training=False), lambda x, p: x, params=_dropout_p,
           category="layer"),
    OpSpec("dropout", lambda x, p: F.dropout(x, p=p, seed=DROPOUT_SEED), _dropout_ref, params=_dropout_p,
           category="layer", variant="training"),
]
