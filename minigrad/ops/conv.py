"""Convolution and pooling on im2col / col2im, the textbook's trick.

`im2col` lays every receptive field of an image batch x (N, C, H, W) out as one row of a matrix
(N·OH·OW, C·KH·KW): rows ordered (n, oh, ow), columns (c, kh, kw), the order of a weight
(OC, C, KH, KW) reshaped to (OC, C·KH·KW). A convolution is then one matrix product. `col2im` is
its adjoint: it adds every row back into the window it came from (overlapping windows accumulate,
padding is cut off). Being each other's transpose, each is the other's derivative, rule for rule,
so the convolutions built on them (conv2d, conv_transpose2d) are differentiable to any order with no
rule of their own. Pooling is one primitive per kind (see the note above `_max_pool`), whose rules
route gradients back through col2im when they must be differentiable again.

Geometry, per spatial axis, for kernel k, stride s, padding p and dilation d:
the kernel spans d·(k − 1) + 1 pixels and OH = ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.function import primitive
from ..tensor import Tensor
from .linalg import affine, matmul
from .shape import reshape, stack, transpose

Pair = Tuple[int, int]
IntOrPair = Union[int, Tuple[int, int]]


# --------------------------------------------------------------------------- argument checking

def as_pair(value: Any, name: str, op: str, low: int) -> Pair:
    """An int or a pair of ints, each >= low, as a pair (errors name `op` and `name`)."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                                  for v in items):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(items) < low:
        raise ValueError(f"{op}: {name} must be {'positive' if low else 'non-negative'}, got {value!r}")
    return int(items[0]), int(items[1])


def _geometry(op: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> dict:
    """The checked keyword attributes of im2col/col2im, each a pair."""
    return {"kernel_size": as_pair(kernel_size, "kernel_size", op, 1), "stride": as_pair(stride, "stride", op, 1),
            "padding": as_pair(padding, "padding", op, 0), "dilation": as_pair(dilation, "dilation", op, 1)}


def _out_size(shape: tuple, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    """(OH, OW) of the windows over an image of `shape` (..., H, W); assumes the kernel fits."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(shape[-2:], kernel_size, stride, padding, dilation))


def _check_fits(op: str, shape: tuple, kernel_size: Pair, padding: Pair, dilation: Pair) -> None:
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    padded = tuple(n + 2 * p for n, p in zip(shape[-2:], padding))
    if spans[0] > padded[0] or spans[1] > padded[1]:
        dil = "" if dilation == (1, 1) else f" with dilation {dilation} spans {spans} and"
        raise ValueError(f"{op}: kernel size {kernel_size}{dil} is larger than the padded input {padded} "
                         f"(input shape {shape}, padding {padding})")


def _four_d(x: Any, op: str, what: str, layout: str) -> Tensor:
    """x as a float Tensor with 4 axes (an input (N, C, H, W), a weight in `layout`)."""
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d {what} {layout}, got shape {t.shape}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: expected a float {what}, got dtype {t.dtype}")
    return t


def _image(x: Any, op: str) -> Tensor:
    return _four_d(x, op, "input", "(N, C, H, W)")


def _bias(b: Any, channels: int, op: str) -> Optional[Tensor]:
    if b is None:
        return None
    t = b if isinstance(b, Tensor) else Tensor(b)
    if t.shape != (channels,):
        raise ValueError(f"{op}: expected a bias of shape ({channels},) (one per output channel), got shape {t.shape}")
    return t


def _groups(groups: Any, op: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be positive, got {groups}")
    return int(groups)


def _divisible(op: str, what: str, n: int, groups: int, shape: tuple, shape_name: str) -> None:
    if n % groups:
        raise ValueError(f"{op}: {what} {n} ({shape_name} shape {shape}) is not divisible by groups {groups}")


# --------------------------------------------------------------------------- the two primitives

def _im2col(x, kernel_size, stride, padding, dilation):
    """(N·OH·OW, C·KH·KW): row (n, oh, ow) holds the window at (oh, ow), columns ordered (c, kh, kw)."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = _out_size(x.shape, kernel_size, stride, padding, dilation)
    x = _padded(x, padding, 0.0)
    s_n, s_c, s_h, s_w = x.strides
    # every window as a read-only view (no copy), then one copy into the row layout
    windows = as_strided(x, (n, oh, ow, c, kh, kw), (s_n, s_h * sh, s_w * sw, s_c, s_h * dh, s_w * dw),
                         writeable=False)
    col = np.empty((n * oh * ow, c * kh * kw), dtype=x.dtype)
    col.reshape(n, oh, ow, c, kh, kw)[...] = windows
    return col


def _col2im(col, input_shape, kernel_size, stride, padding, dilation):
    """The adjoint of _im2col: add each row back into its window of a zero image of `input_shape`."""
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = _out_size(input_shape, kernel_size, stride, padding, dilation)
    windows = col.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)  # (n, c, kh, kw, oh, ow)
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            img[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += windows[:, :, i, j]
    return img[:, :, ph:ph + h, pw:pw + w] if ph or pw else img


def _im2col_grad(g, y, x, **geometry):
    """d im2col: col2im of the gradient (padding cells are constants and get nothing)."""
    return col2im_op(g, input_shape=tuple(x.shape), **geometry)


def _col2im_grad(g, y, col, input_shape, **geometry):
    """d col2im: im2col of the gradient, zero-padded."""
    return im2col_op(g, **geometry)


im2col_op = primitive("im2col", _im2col, _im2col_grad)
col2im_op = primitive("col2im", _col2im, _col2im_grad)


def im2col(x: Any, kernel_size: IntOrPair, stride: IntOrPair = 1, padding: IntOrPair = 0,
           dilation: IntOrPair = 1) -> Tensor:
    """The textbook's im2col: each KH×KW window of x (N, C, H, W) becomes a row of a (N·OH·OW, C·KH·KW)
    matrix (rows (n, oh, ow), columns (c, kh, kw)), with zero padding; its derivative is col2im."""
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.ndim != 4:
        raise ValueError(f"im2col: expected a 4-d input (N, C, H, W), got shape {t.shape}")
    geo = _geometry("im2col", kernel_size, stride, padding, dilation)
    _check_fits("im2col", t.shape, geo["kernel_size"], geo["padding"], geo["dilation"])
    return im2col_op(t, **geo)


def col2im(col: Any, input_shape: Tuple[int, int, int, int], kernel_size: IntOrPair, stride: IntOrPair = 1,
           padding: IntOrPair = 0, dilation: IntOrPair = 1) -> Tensor:
    """The textbook's col2im, im2col's adjoint: adds each row of col (N·OH·OW, C·KH·KW) back into its
    window of a zero image of `input_shape` (N, C, H, W); overlaps accumulate, padding is dropped."""
    t = col if isinstance(col, Tensor) else Tensor(col)
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else input_shape
    if (not isinstance(shape, tuple) or len(shape) != 4
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in shape)):
        raise ValueError(f"col2im: input_shape must be 4 positive ints (N, C, H, W), got {input_shape!r}")
    shape = tuple(int(v) for v in shape)
    geo = _geometry("col2im", kernel_size, stride, padding, dilation)
    _check_fits("col2im", shape, geo["kernel_size"], geo["padding"], geo["dilation"])
    oh, ow = _out_size(shape, geo["kernel_size"], geo["stride"], geo["padding"], geo["dilation"])
    (kh, kw), (n, c) = geo["kernel_size"], shape[:2]
    expected = (n * oh * ow, c * kh * kw)
    if t.shape != expected:
        raise ValueError(f"col2im: col of shape {t.shape} does not match input_shape {shape} with kernel "
                         f"{(kh, kw)}: expected (N·OH·OW, C·KH·KW) = {expected}")
    return col2im_op(t, input_shape=shape, **geo)


# --------------------------------------------------------------------------- convolution

def _grouped_matmul(a: Any, b: Any, groups: int) -> Any:
    """Per group g: a[:, g-th block of columns] @ b[g]; a is (M, G·K), b is (G, K, P); result (M, G·P)."""
    m = a.shape[0]
    blocks = transpose(reshape(a, shape=(m, groups, a.shape[1] // groups)), axes=(1, 0, 2))
    out = matmul(blocks, b)  # (G, M, P)
    return reshape(transpose(out, axes=(1, 0, 2)), shape=(m, groups * b.shape[2]))


def conv2d(x: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair = 0,
           dilation: IntOrPair = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation, as PyTorch): y[n, o] = Σ_{c,i,j} w[o, c, i, j]·x_pad[n, c', s·h + d·i,
    s·w + d·j] + b[o], c' running over o's group; computed as im2col(x) @ w.reshape(OC, −1)ᵀ.
    x (N, C, H, W), weight (OC, C/groups, KH, KW), bias (OC,) -> (N, OC, OH, OW)."""
    x = _image(x, "conv2d")
    weight = _four_d(weight, "conv2d", "weight", "(out_channels, in_channels // groups, kh, kw)")
    groups = _groups(groups, "conv2d")
    n, c = x.shape[:2]
    oc, cg, kh, kw = weight.shape
    _divisible("conv2d", "in_channels", c, groups, x.shape, "input")
    _divisible("conv2d", "out_channels", oc, groups, weight.shape, "weight")
    if cg * groups != c:
        raise ValueError(f"conv2d: input has {c} channels (shape {x.shape}), but weight of shape {weight.shape} "
                         f"with groups={groups} expects {cg * groups} (= {cg} × {groups})")
    bias = _bias(bias, oc, "conv2d")
    geo = _geometry("conv2d", (kh, kw), stride, padding, dilation)
    _check_fits("conv2d", x.shape, geo["kernel_size"], geo["padding"], geo["dilation"])
    oh, ow = _out_size(x.shape, **geo)
    col = im2col_op(x, **geo)  # (N·OH·OW, C·KH·KW)
    if groups == 1:
        w = reshape(weight, shape=(oc, cg * kh * kw)).T
        y = matmul(col, w) if bias is None else affine(col, w, bias)
    else:
        w = transpose(reshape(weight, shape=(groups, oc // groups, cg * kh * kw)), axes=(0, 2, 1))
        y = _grouped_matmul(col, w, groups)
        if bias is not None:
            y = y + bias
    return transpose(reshape(y, shape=(n, oh, ow, oc)), axes=(0, 3, 1, 2))


def conv_transpose2d(x: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair = 0,
                     output_padding: IntOrPair = 0, groups: int = 1, dilation: IntOrPair = 1) -> Tensor:
    """Transposed convolution (the derivative of conv2d with respect to its input, as PyTorch): every input
    pixel scatters w[c, :, :, :]·x[n, c, h, w] into the output; computed as col2im(x-rows @ w.reshape(C, −1)).
    x (N, C, H, W), weight (C, OC/groups, KH, KW), bias (OC,) -> (N, OC, OH, OW) with
    OH = (H − 1)·s − 2p + d·(KH − 1) + output_padding + 1."""
    x = _image(x, "conv_transpose2d")
    weight = _four_d(weight, "conv_transpose2d", "weight", "(in_channels, out_channels // groups, kh, kw)")
    groups = _groups(groups, "conv_transpose2d")
    n, c, h, w_ = x.shape
    ci, og, kh, kw = weight.shape
    _divisible("conv_transpose2d", "in_channels", c, groups, x.shape, "input")
    if ci != c:
        raise ValueError(f"conv_transpose2d: input has {c} channels (shape {x.shape}), but weight of shape "
                         f"{weight.shape} expects {ci} (weight layout (in_channels, out_channels // groups, kh, kw))")
    oc = og * groups
    bias = _bias(bias, oc, "conv_transpose2d")
    geo = _geometry("conv_transpose2d", (kh, kw), stride, padding, dilation)
    out_pad = as_pair(output_padding, "output_padding", "conv_transpose2d", 0)
    if out_pad[0] >= geo["stride"][0] or out_pad[1] >= geo["stride"][1]:
        raise ValueError(f"conv_transpose2d: output_padding {out_pad} must be smaller than the stride {geo['stride']}")
    out_hw = tuple((m - 1) * s - 2 * p + d * (k - 1) + op + 1 for m, s, p, d, k, op in
                   zip((h, w_), geo["stride"], geo["padding"], geo["dilation"], (kh, kw), out_pad))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: the output would have spatial size {out_hw} (input shape {x.shape}, "
                         f"weight {weight.shape}, stride {geo['stride']}, padding {geo['padding']}); "
                         "padding is too large")
    rows = reshape(transpose(x, axes=(0, 2, 3, 1)), shape=(n * h * w_, c))  # one row per input pixel
    if groups == 1:
        cols = matmul(rows, reshape(weight, shape=(c, og * kh * kw)))
    else:
        cols = _grouped_matmul(rows, reshape(weight, shape=(groups, c // groups, og * kh * kw)), groups)
    y = col2im_op(cols, input_shape=(n, oc) + out_hw, **geo)
    return y if bias is None else y + reshape(bias, shape=(1, oc, 1, 1))


# --------------------------------------------------------------------------- pooling
# A pooling layer reduces each window over its KH·KW elements. Reducing the rows of im2col does that (the
# textbook's way), but numpy reduces a short innermost axis slowly. Measured (CPU time, one thread) for W7's
# 2×2 max pool of a (100, 30, 24, 24) float32 ReLU output: im2col 3.3 ms, the max over each row's window
# 14.8 ms, the max reduction's rule 20.3 ms and col2im 3.4 ms, against 0.9 ms for the elementwise maximum
# of the four strided views of the input, one per kernel offset, and 3.2 ms for the rule below. So each
# pooling is one primitive over those views. Its rule routes the pooled gradient back through the same
# views with constant weights (linear in g): in place for a plain backward, through col2im under
# create_graph, so that the gradient is differentiable again.

def _padded(x: np.ndarray, padding: Pair, value: float) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value) if ph or pw else x


def _offset_views(xp: np.ndarray, kernel_size: Pair, stride: Pair, out_hw: tuple) -> list:
    """For each kernel offset (i, j), row-major: the strided view (N, C, OH, OW) of the padded image xp
    holding, at (oh, ow), the pixel that the window at (oh, ow) has at offset (i, j)."""
    (kh, kw), (sh, sw), (oh, ow) = kernel_size, stride, out_hw
    return [xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] for i in range(kh) for j in range(kw)]


def _max_pool(x, kernel_size, stride, padding):
    views = _offset_views(_padded(x, padding, -np.inf), kernel_size, stride,
                          _out_size(x.shape, kernel_size, stride, padding, (1, 1)))
    y = views[0].copy(order="K")  # "K": keep the input's memory order, so the maxima below run in step
    for v in views[1:]:
        np.maximum(y, v, out=y)
    return y


def _avg_pool(x, kernel_size, stride, padding):
    views = _offset_views(_padded(x, padding, 0.0), kernel_size, stride,
                          _out_size(x.shape, kernel_size, stride, padding, (1, 1)))
    y = views[0].copy(order="K")
    for v in views[1:]:
        y += v
    y /= len(views)
    return y


def _zeros_like_padded(x: np.ndarray, padding: Pair, dtype: Any) -> np.ndarray:
    """Zeros of x's padded shape in x's memory order (channels-last stays channels-last), so that adding
    the strided offset views of x's layout into it runs in step."""
    (n, c, h, w), (ph, pw) = x.shape, padding
    if x.transpose(0, 2, 3, 1).flags.c_contiguous and not x.flags.c_contiguous:
        return np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=dtype).transpose(0, 3, 1, 2)
    return np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dtype)


def _route(share: Any, hits: Optional[list], x: Any, kernel_size: Pair, stride: Pair, padding: Pair) -> Any:
    """The gradient for x when the pixel that kernel offset k sees in window (oh, ow) gets
    share·hits[k] there (or share, with hits None): added into place for ndarrays; for Tensors, laid out as
    im2col rows and summed back by col2im, recorded, so the result is differentiable again."""
    kk = kernel_size[0] * kernel_size[1]
    if isinstance(share, Tensor):
        n, c, oh, ow = share.shape
        parts = [share] * kk if hits is None else [share * hit for hit in hits]
        rows = reshape(transpose(stack(parts, axis=-1), axes=(0, 2, 3, 1, 4)), shape=(n * oh * ow, c * kk))
        return col2im_op(rows, input_shape=tuple(x.shape), kernel_size=kernel_size, stride=stride, padding=padding,
                         dilation=(1, 1))
    dx = _zeros_like_padded(x, padding, share.dtype)
    # windows that do not overlap (stride >= kernel) see each pixel at most once: write, don't add
    # (measured on W7, 2×2 max pool: 37.9 -> 34.3 ms per training step)
    disjoint = stride[0] >= kernel_size[0] and stride[1] >= kernel_size[1]
    for k, view in enumerate(_offset_views(dx, kernel_size, stride, share.shape[2:])):
        if not disjoint:
            view += share if hits is None else share * hits[k]
        elif hits is None:
            view[...] = share
        else:
            np.multiply(share, hits[k], out=view)
    (ph, pw), (h, w) = padding, x.shape[2:]
    return dx[:, :, ph:ph + h, pw:pw + w] if ph or pw else dx


def _aligned(g: Any, like: np.ndarray) -> Any:
    """An ndarray g copied into the memory order of `like` (a Tensor g is left alone): the rule's elementwise
    work then runs in step with the input's views (W7's max-pool rule: 10.0 -> 3.4 ms CPU time)."""
    if isinstance(g, Tensor) or g.strides == like.strides:
        return g
    out = np.empty_like(like, dtype=g.dtype)
    out[...] = g
    return out


def _max_pool_grad(g, y, x, kernel_size, stride, padding):
    """To each window's maximum; ties split the gradient evenly, as the max reduction does."""
    xd, yd = (v.data if isinstance(v, Tensor) else v for v in (x, y))
    views = _offset_views(_padded(xd, padding, -np.inf), kernel_size, stride, yd.shape[2:])
    hits = [v == yd for v in views]
    ties = hits[0].astype(g.dtype)
    for hit in hits[1:]:
        ties += hit
    if not ties.all():  # a window holding a NaN: its maximum is NaN, and the NaN takes the gradient
        hits = [h | (v != v) for h, v in zip(hits, views)]
        ties = sum(h.astype(g.dtype) for h in hits)
    return _route(_aligned(g, yd) / ties, hits, xd, kernel_size, stride, padding)


def _avg_pool_grad(g, y, x, kernel_size, stride, padding):
    """Each pixel of a window gets g / (KH·KW) (padding included in the count)."""
    xd = x.data if isinstance(x, Tensor) else x
    return _route(g / (kernel_size[0] * kernel_size[1]), None, xd, kernel_size, stride, padding)


max_pool_op = primitive("max_pool2d", _max_pool, _max_pool_grad)
avg_pool_op = primitive("avg_pool2d", _avg_pool, _avg_pool_grad)


def _pool_geometry(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any) -> dict:
    geo = _geometry(op, kernel_size, kernel_size if stride is None else stride, padding, 1)
    k, p = geo["kernel_size"], geo["padding"]
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    _check_fits(op, x.shape, k, p, (1, 1))
    del geo["dilation"]
    return geo


def max_pool2d(x: Any, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0) -> Tensor:
    """Max over each KH×KW window (stride defaults to kernel_size; padding counts as −inf). The gradient
    goes to the window's maximum; ties split it evenly, as the max reduction does (PyTorch picks one)."""
    x = _image(x, "max_pool2d")
    return max_pool_op(x, **_pool_geometry("max_pool2d", x, kernel_size, stride, padding))


def avg_pool2d(x: Any, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None, padding: IntOrPair = 0) -> Tensor:
    """Mean over each KH×KW window (stride defaults to kernel_size); zero padding counts in the mean, as
    PyTorch's default count_include_pad=True."""
    x = _image(x, "avg_pool2d")
    return avg_pool_op(x, **_pool_geometry("avg_pool2d", x, kernel_size, stride, padding))


#: Where each op is public: T = Tensor method, M = minigrad.<name>, F = minigrad.nn.functional.
PUBLIC = (
    ("conv2d", conv2d, "F"), ("conv_transpose2d", conv_transpose2d, "F"), ("max_pool2d", max_pool2d, "F"),
    ("avg_pool2d", avg_pool2d, "F"), ("im2col", im2col, "F"), ("col2im", col2im, "F"),
)
