"""Convolution and pooling as functions: what the registry rows (tests/rows_conv.py) do not pin down.

The rows check every op against an independent numpy reference with gradcheck and gradgradcheck;
here: the textbook's im2col/col2im layout and their adjointness, the conventions (ties in max
pooling, padding in both poolings), argument forms, float32 end to end, and values and gradients
against PyTorch where it is installed.
"""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.testing import gradcheck, gradgradcheck

rng = np.random.default_rng(11)


def _t(a, requires_grad=False):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------------------- im2col / col2im

def _textbook_im2col(x, fh, fw, stride=1, pad=0):
    """The book's im2col, verbatim in its logic: zero-padded image, one strided copy per kernel offset."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((n, c, fh, fw, oh, ow))
    for y in range(fh):
        for x_ in range(fw):
            col[:, :, y, x_, :, :] = img[:, :, y:y + stride * oh:stride, x_:x_ + stride * ow:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


@pytest.mark.parametrize("fh, fw, stride, pad", [(5, 5, 1, 0), (3, 3, 2, 1), (2, 2, 2, 0), (3, 2, 1, 2)])
def test_im2col_is_the_textbook_layout(fh, fw, stride, pad):
    x = rng.standard_normal((2, 3, 7, 6))
    np.testing.assert_array_equal(F.im2col(x, (fh, fw), stride, pad).data, _textbook_im2col(x, fh, fw, stride, pad))


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), c> = <x, col2im(c)> for every geometry: each is the other's transpose."""
    x = rng.standard_normal((2, 3, 6, 5))
    for kw in [dict(kernel_size=3), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 2), dilation=(2, 1))]:
        col = F.im2col(x, **kw).data
        c = rng.standard_normal(col.shape)
        back = F.col2im(c, x.shape, **kw).data
        assert back.shape == x.shape
        np.testing.assert_allclose(np.sum(col * c), np.sum(x * back), rtol=1e-12)


def test_im2col_and_col2im_differentiate_into_each_other():
    x = _t(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    col = F.im2col(x, 3, padding=1)
    assert col.grad_fn.name == "im2col"
    v = mg.tensor(np.ones(col.shape), requires_grad=True)
    (g,) = mg.grad(col, x, grad_outputs=v, create_graph=True)
    assert g.grad_fn.name == "col2im"
    (gv,) = mg.grad(g, v, grad_outputs=np.ones(x.shape))  # and back: col2im's derivative is im2col
    np.testing.assert_array_equal(gv.data, F.im2col(np.ones(x.shape), 3, padding=1).data)
    # every pixel is counted once per window that sees it: 4 in the corners, 6 on the edges, 9 inside
    np.testing.assert_array_equal(g.data[0, 0], [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]])


def test_im2col_output_is_a_fresh_writable_array():
    x = rng.standard_normal((1, 1, 3, 3))
    col = F.im2col(x, 1).data  # a 1×1 kernel: the same numbers as x, but never x's memory
    assert col.flags.writeable and not np.shares_memory(col, x)


# --------------------------------------------------------------------------- conv2d / conv_transpose2d

def test_conv2d_takes_ints_or_pairs_and_lists():
    x, w = rng.standard_normal((1, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    a = F.conv2d(x, w, stride=2, padding=1, dilation=1)
    b = F.conv2d(x.tolist(), w, stride=(2, 2), padding=[1, 1], dilation=(1, 1))  # a list of floats: float32
    np.testing.assert_allclose(a.data, b.data, rtol=1e-5, atol=1e-6)
    assert a.shape == (1, 3, 3, 3)


def test_conv2d_keeps_float32_and_gives_float32_gradients():
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    conv = mg.nn.Conv2d(3, 4, 3, padding=1)
    y = F.max_pool2d(F.relu(conv(x)), 2)
    assert y.dtype == np.float32 and y.shape == (2, 4, 4, 4)
    y.sum().backward()
    assert x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == np.float32


def test_conv_transpose2d_is_the_input_derivative_of_conv2d():
    """conv_transpose2d(g, w) = d<conv2d(x, w), g>/dx: the definition, checked through autodiff."""
    x = _t(rng.standard_normal((2, 4, 7, 6)), requires_grad=True)
    w = rng.standard_normal((6, 2, 3, 2))
    kw = dict(stride=2, padding=1, dilation=(1, 2), groups=2)
    y = F.conv2d(x, w, **kw)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    out_pad = tuple(n - m for n, m in zip(x.shape[2:], F.conv_transpose2d(g, w, **kw).shape[2:]))
    np.testing.assert_allclose(F.conv_transpose2d(g, w, output_padding=out_pad, **kw).data, x.grad.data, rtol=1e-12)


def test_conv2d_second_derivative_through_a_small_net():
    """gradgradcheck through conv -> tanh -> pool -> conv: the double-backward of every piece composes."""
    x = _t(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w1 = _t(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)
    w2 = _t(rng.standard_normal((1, 2, 2, 2)), requires_grad=True)

    def net(x, w1, w2):
        return F.conv2d(F.avg_pool2d(F.conv2d(x, w1, padding=1).tanh(), 2, stride=1), w2, stride=2)
    assert gradcheck(net, [x, w1, w2]) and gradgradcheck(net, [x, w1, w2])


# --------------------------------------------------------------------------- pooling conventions

def test_max_pool2d_splits_the_gradient_evenly_among_ties():
    x = _t([[[[1.0, 3.0], [3.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).backward(np.array([[[[1.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 0.5], [0.5, 0.0]]]])


def test_max_pool2d_overlapping_windows_accumulate_at_a_shared_maximum():
    x = _t([[[[0.0, 9.0, 0.0]]]], requires_grad=True)
    y = F.max_pool2d(x, (1, 2), stride=1)
    np.testing.assert_array_equal(y.data, [[[[9.0, 9.0]]]])
    y.backward(np.array([[[[1.0, 2.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 3.0, 0.0]]]])


def test_max_pool2d_padding_never_wins():
    """Padding is −inf for the max: an all-negative input keeps its own maximum at the border."""
    x = -1 - rng.random((1, 1, 3, 3))
    y = F.max_pool2d(x, 3, stride=1, padding=1)
    assert y.data.max() < -1
    np.testing.assert_allclose(y.data[0, 0, 0, 0], x[0, 0, :2, :2].max())


def test_avg_pool2d_counts_the_padding():
    y = F.avg_pool2d(np.ones((1, 1, 2, 2)), 2, stride=2, padding=1)
    np.testing.assert_allclose(y.data, np.full((1, 1, 2, 2), 0.25))  # one real pixel in each 2x2 window


def test_pool_stride_defaults_to_the_kernel_size():
    x = rng.standard_normal((1, 1, 6, 6))
    assert F.max_pool2d(x, 3).shape == (1, 1, 2, 2)
    assert F.avg_pool2d(x, (2, 3)).shape == (1, 1, 3, 2)


# --------------------------------------------------------------------------- against PyTorch

CONV_CASES = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1)),
    dict(padding=1, groups=2),
    dict(stride=2, dilation=2, groups=4),
]


@pytest.mark.parametrize("kw", CONV_CASES, ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_matches_torch(kw, with_bias):
    torch = pytest.importorskip("torch")
    groups = kw.get("groups", 1)
    x = rng.standard_normal((3, 4, 9, 8))
    w = rng.standard_normal((8, 4 // groups, 3, 2))
    b = rng.standard_normal(8) if with_bias else None
    xs, ws, bs = _t(x, True), _t(w, True), (_t(b, True) if with_bias else None)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True) if with_bias else None
    y, yt = F.conv2d(xs, ws, bs, **kw), torch.nn.functional.conv2d(xt, wt, bt, **kw)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for ours, theirs in [(xs, xt), (ws, wt)] + ([(bs, bt)] if with_bias else []):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(3, 2), dilation=(1, 2), output_padding=(2, 0), groups=2)], ids=str)
def test_conv_transpose2d_matches_torch(kw):
    torch = pytest.importorskip("torch")
    groups = kw.get("groups", 1)
    x, w, b = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(3 * groups)
    ours = [_t(v, True) for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    y, yt = F.conv_transpose2d(*ours, **kw), torch.nn.functional.conv_transpose2d(*theirs, **kw)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(2, 3), stride=1, padding=(1, 0))], ids=str)
def test_pooling_matches_torch(op, kw):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 7, 6))  # continuous values: no ties, where PyTorch would pick one
    xs, xt = _t(x, True), torch.tensor(x, requires_grad=True)
    y, yt = getattr(F, op)(xs, **kw), getattr(torch.nn.functional, op)(xt, **kw)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- errors the rows do not cover

def test_errors_name_the_op_and_the_shapes():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"col2im: col of shape \(4, 8\)"):
        F.col2im(np.zeros((4, 8)), (1, 1, 4, 4), 3)
    with pytest.raises(TypeError, match="conv2d: expected a float input, got dtype int64"):
        F.conv2d(x.astype(np.int64), np.zeros((1, 1, 1, 1)))
    with pytest.raises(TypeError, match="conv2d: groups must be an int"):
        F.conv2d(x, np.zeros((1, 1, 1, 1)), groups=1.0)
    with pytest.raises(ValueError, match=r"conv_transpose2d: expected a bias of shape \(4,\)"):
        F.conv_transpose2d(np.zeros((1, 2, 4, 4)), np.zeros((2, 2, 1, 1)), np.zeros(2), groups=2)
