"""End-to-end training through the public API: the seeds' networks learn, and training does not leak.

Every run is seeded (manual_seed for the initial weights and the dropout masks, seeded loaders and
splits), so each test is deterministic.
"""
from __future__ import annotations

import gc

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import DataLoader, planar_flower


def _accuracy(logits: mg.Tensor, y: np.ndarray) -> float:
    return float((logits.argmax(axis=1).numpy() == y).mean())


def test_two_layer_sigmoid_network_learns_digits():
    """The seeds' 64-50-10 network (Linear, Sigmoid, Linear) with cross-entropy and SGD: >= 90% held out."""
    pytest.importorskip("sklearn")
    from minigrad.data import load_digits

    X, y = load_digits()
    X = X.astype(np.float32)
    order = np.random.default_rng(0).permutation(len(X))
    test, train = order[:len(X) // 5], order[len(X) // 5:]
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 50), nn.Sigmoid(), nn.Linear(50, 10))
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=0.5)
    loader = DataLoader(X[train], y[train], batch_size=32, shuffle=True, seed=0)
    with mg.no_grad():
        before = _accuracy(model(mg.tensor(X[test])), y[test])
    for epoch in range(15):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
    model.eval()
    with mg.no_grad():
        after = _accuracy(model(mg.tensor(X[test])), y[test])
    assert before < 0.3
    assert after >= 0.90, f"held-out accuracy {after:.3f} after 15 epochs"


def test_small_tanh_network_learns_the_planar_flower():
    """A 2-4-1 tanh network with BCEWithLogitsLoss, full-batch gradient descent: >= 85% training accuracy
    on a data set no straight line separates (logistic regression gets about half of it)."""
    X, y = planar_flower(400, seed=1)
    X = mg.tensor(X.astype(np.float32))
    target = y.astype(np.float32).reshape(-1, 1)
    mg.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    loss_fn = nn.BCEWithLogitsLoss()
    opt = optim.SGD(model.parameters(), lr=1.2)
    for step in range(3000):
        opt.zero_grad()
        loss = loss_fn(model(X), target)
        loss.backward()
        opt.step()
    with mg.no_grad():
        accuracy = float(((model(X).numpy()[:, 0] > 0) == y).mean())
    assert accuracy >= 0.85, f"training accuracy {accuracy:.3f}, final loss {loss.item():.4f}"


def _live_tensors() -> int:
    # type() rather than isinstance(): isinstance reads __class__, which some objects (torch's lazy
    # modules, if torch was imported by another test) turn into a deprecation warning
    return sum(1 for o in gc.get_objects() if issubclass(type(o), mg.Tensor))


def _train_and_count(steps: int, every: int, keep: list = None) -> list:
    """Train a small MLP with a parameter hook, dropout and Adam's state; count live Tensors every
    `every` steps with the cycle collector off, so that a reference cycle per step would show up
    as growth too (the graph is meant to be freed by reference counting alone)."""
    gen = np.random.default_rng(0)
    X = gen.standard_normal((64, 8)).astype(np.float32)
    y = gen.integers(0, 3, 64)
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3))
    scale = 1.0
    model[0].weight.register_hook(lambda g: g * scale)  # a closure that lives as long as the model
    opt = optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    counts = []
    gc.collect()
    gc.disable()
    try:
        for step in range(1, steps + 1):
            opt.zero_grad()
            hidden = model[1](model[0](mg.tensor(X)))
            hidden.register_hook(lambda g: g)  # a per-step hook on a non-leaf: must die with its graph
            loss = loss_fn(model[3](model[2](hidden)), y)
            loss.backward()
            opt.step()
            if keep is not None:
                keep.append(loss)
            if step % every == 0:
                counts.append(_live_tensors())
    finally:
        gc.enable()
    return counts


def test_training_does_not_leak_tensors():
    counts = _train_and_count(2000, 200)
    assert len(counts) == 10
    assert max(counts) <= counts[0], f"live Tensor count grew during training: {counts}"


def test_the_leak_check_detects_a_leak():
    # keeping each step's loss keeps its whole graph alive: the count must grow
    counts = _train_and_count(60, 20, keep=[])
    assert counts[0] < counts[1] < counts[2]
