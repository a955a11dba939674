"""Registry rows for convolution, pooling, normalization and embedding (minigrad.nn.functional).

References are float64 numpy written from the definitions, independently of im2col: a convolution
sums, kernel offset by kernel offset, the strided slice of the padded input that the offset sees;
pooling reduces windows cut out one output position at a time; col2im and the transposed
convolution scatter-add pixel by pixel. Shapes stay tiny (at most a few dozen elements per input)
so that gradcheck and gradgradcheck, which evaluate the op twice per input element, stay fast.

The geometry (kernel, stride, padding, dilation, groups) is drawn with the shapes: `params` sees
only the drawn shapes, so it enumerates every geometry of a small space that fits them, per
spatial axis, and samples one.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad.nn import functional as F
from op_registry import ErrorCase, OpSpec

KERNELS, STRIDES, PADDINGS, DILATIONS = (1, 2, 3), (1, 2), (0, 1), (1, 2)
# distinct values 0.01 apart: no ties under gradcheck's 1e-6 steps (max pooling), and never a zero variance
fine_grid = st.integers(-300, 300).map(lambda k: k / 100)


def _span(k, d):
    return d * (k - 1) + 1


def _out(n, k, s, p, d):
    return (n + 2 * p - _span(k, d)) // s + 1


# --------------------------------------------------------------------------- geometry per axis

def _window_options(n, kernels=KERNELS):
    """(k, s, p, d) along one axis of size n for which the dilated kernel fits the padded input."""
    return [(k, s, p, d) for k in kernels for s in STRIDES for p in PADDINGS for d in DILATIONS
            if _span(k, d) <= n + 2 * p]


def _geometry(draw, h, w, kernel=None):
    """Draw kernel_size, stride, padding, dilation (pairs) valid for an h × w input (kernel fixed if given)."""
    along_h = draw(st.sampled_from(_window_options(h, (kernel[0],) if kernel else KERNELS)))
    along_w = draw(st.sampled_from(_window_options(w, (kernel[1],) if kernel else KERNELS)))
    return dict(zip(("kernel_size", "stride", "padding", "dilation"), zip(along_h, along_w)))


@st.composite
def _image_shape(draw, max_side=4):
    return ((draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, max_side)),
             draw(st.integers(1, max_side))),)


@st.composite
def _im2col_params(draw, shapes):
    h, w = shapes[0][2:]
    return _geometry(draw, h, w)


# col2im's input is a matrix whose shape does not determine the geometry: tabulate the small space
@functools.lru_cache(maxsize=None)
def _col2im_cases():
    cases = {}
    for n, c, h, w in itertools.product((1, 2), (1, 2), range(1, 5), range(1, 5)):
        for gh, gw in itertools.product(_window_options(h), _window_options(w)):
            (kh, sh, ph, dh), (kw, sw, pw, dw) = gh, gw
            rows = n * _out(h, kh, sh, ph, dh) * _out(w, kw, sw, pw, dw)
            params = {"input_shape": (n, c, h, w), "kernel_size": (kh, kw), "stride": (sh, sw),
                      "padding": (ph, pw), "dilation": (dh, dw)}
            cases.setdefault((rows, c * kh * kw), []).append(params)
    return cases


def _col2im_shapes():
    return st.sampled_from(sorted(k for k in _col2im_cases() if k[0] * k[1] <= 48)).map(lambda s: (s,))


def _col2im_params(shapes):
    return st.sampled_from(_col2im_cases()[shapes[0]])


@st.composite
def _conv_shapes(draw):
    """x (N, C, H, W), weight (OC, C/groups, KH, KW), bias (OC,), at most 2 input channels."""
    groups, cg = draw(st.sampled_from([(1, 1), (1, 2), (2, 1)]))
    ocg = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, min(3, h + 2))), draw(st.integers(1, min(3, w + 2)))
    oc = groups * ocg
    return (draw(st.integers(1, 2)), groups * cg, h, w), (oc, cg, kh, kw), (oc,)


@st.composite
def _conv_params(draw, shapes):
    x, w, _ = shapes
    geo = _geometry(draw, x[2], x[3], kernel=w[2:])
    del geo["kernel_size"]  # conv2d reads it from the weight
    return dict(geo, groups=x[1] // w[1])


@st.composite
def _conv_t_shapes(draw):
    """x (N, C, H, W), weight (C, OC/groups, KH, KW), bias (OC,): groups is OC / weight.shape[1]."""
    groups, cg = draw(st.sampled_from([(1, 1), (1, 2), (2, 1)]))
    og = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (draw(st.integers(1, 2)), groups * cg, h, w), (groups * cg, og, kh, kw), (groups * og,)


def _transpose_options(n, k):
    """(s, p, d, output_padding) along one axis for which the transposed convolution's output is non-empty."""
    return [(s, p, d, op) for s in STRIDES for p in PADDINGS for d in DILATIONS for op in range(s)
            if (n - 1) * s - 2 * p + _span(k, d) + op >= 1]


@st.composite
def _conv_t_params(draw, shapes):
    x, w, b = shapes
    along_h = draw(st.sampled_from(_transpose_options(x[2], w[2])))
    along_w = draw(st.sampled_from(_transpose_options(x[3], w[3])))
    params = dict(zip(("stride", "padding", "dilation", "output_padding"), zip(along_h, along_w)))
    return dict(params, groups=b[0] // w[1])


@st.composite
def _pool_shapes(draw):
    return ((draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 5))),)


def _pool_axis_options(n):
    """(k, s, p) along one axis: padding at most half the kernel, the kernel inside the padded input;
    s None means the default stride (the kernel size)."""
    return [(k, s, p) for k in KERNELS for s in (None,) + STRIDES for p in PADDINGS
            if p <= k // 2 and k <= n + 2 * p]


@st.composite
def _pool_params(draw, shapes):
    h, w = shapes[0][2:]
    (kh, sh, ph), (kw, sw, pw) = (draw(st.sampled_from(_pool_axis_options(n))) for n in (h, w))
    stride = None if sh is None and sw is None else (sh or kh, sw or kw)
    return {"kernel_size": (kh, kw), "stride": stride, "padding": (ph, pw)}


@st.composite
def _bn_shapes(draw):
    """x (N, C, ...) of 2 to 4 dimensions with at least 2 values per channel; weight and bias (C,)."""
    c = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    n = draw(st.integers(1 if np.prod(spatial) > 1 else 2, 3))
    return (n, c) + spatial, (c,), (c,)


def _bn_running_stats(shapes):
    c = shapes[0][1]
    return st.tuples(hnp.arrays(np.float64, (c,), elements=st.floats(-1, 1)),
                     hnp.arrays(np.float64, (c,), elements=st.floats(0.5, 2)))


@st.composite
def _ln_shapes(draw):
    """x of 1 to 3 dimensions; weight and bias of its trailing `normalized_shape` (at least 2 elements)."""
    x = tuple(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)))
    k = draw(st.integers(1, len(x)))
    norm = x[len(x) - k:]
    if np.prod(norm) < 2:
        x = x[:len(x) - 1] + (2,)
        norm = norm[:-1] + (2,)
    return x, norm, norm


@st.composite
def _embedding_shapes(draw):
    return ((draw(st.integers(1, 4)), draw(st.integers(1, 3))),)


def _embedding_indices(shapes):
    v = shapes[0][0]
    idx_shape = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4)
    return idx_shape.flatmap(lambda s: hnp.arrays(np.int64, s, elements=st.integers(0, v - 1))).map(lambda i: (i,))


# --------------------------------------------------------------------------- references

def _padded(x, padding, value=0.0):
    (ph, pw) = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _windows(x, kernel_size, stride, padding, dilation=(1, 1), value=0.0):
    """(N, C, OH, OW, KH, KW): the window of every output position, cut out one position at a time."""
    xp = _padded(x, padding, value)
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    oh, ow = (xp.shape[2] - _span(kh, dh)) // sh + 1, (xp.shape[3] - _span(kw, dw)) // sw + 1
    out = np.empty(x.shape[:2] + (oh, ow, kh, kw))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + _span(kh, dh):dh, j * sw:j * sw + _span(kw, dw):dw]
    return out


def _ref_im2col(x, kernel_size, stride, padding, dilation):
    win = _windows(x, kernel_size, stride, padding, dilation)
    n, c, oh, ow, kh, kw = win.shape
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)


def _ref_col2im(col, input_shape, kernel_size, stride, padding, dilation):
    """Scatter-add entry by entry: col[(n, i, j), (c, k, l)] lands on x_pad[n, c, i·s + k·d, j·s + l·d]."""
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh, ow = _out(h, kh, sh, ph, dh), _out(w, kw, sw, pw, dw)
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for b, i, j in itertools.product(range(n), range(oh), range(ow)):
        row = col[(b * oh + i) * ow + j].reshape(c, kh, kw)
        for k, l in itertools.product(range(kh), range(kw)):
            img[b, :, i * sh + k * dh, j * sw + l * dw] += row[:, k, l]
    return img[:, :, ph:ph + h, pw:pw + w]


def _ref_conv2d(x, w, b, stride, padding, dilation, groups):
    """Σ over kernel offsets (k, l) of w[:, :, k, l] applied to the strided slice of x_pad that offset sees."""
    (sh, sw), (dh, dw) = stride, dilation
    xp = _padded(x, padding)
    oc, cg, kh, kw = w.shape
    oh, ow = (xp.shape[2] - _span(kh, dh)) // sh + 1, (xp.shape[3] - _span(kw, dw)) // sw + 1
    y = np.zeros((x.shape[0], oc, oh, ow)) + b[None, :, None, None]
    ocg = oc // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for k, l in itertools.product(range(kh), range(kw)):
            seen = xs[:, :, k * dh:k * dh + sh * (oh - 1) + 1:sh, l * dw:l * dw + sw * (ow - 1) + 1:sw]
            y[:, g * ocg:(g + 1) * ocg] += np.einsum("ncij,oc->noij", seen, w[g * ocg:(g + 1) * ocg, :, k, l])
    return y


def _ref_conv_transpose2d(x, w, b, stride, padding, dilation, output_padding, groups):
    """Every input pixel x[n, c, i, j] adds x·w[c, :, k, l] at output (i·s + k·d, j·s + l·d); then the padding is cut."""
    (sh, sw), (ph, pw), (dh, dw), (oph, opw) = stride, padding, dilation, output_padding
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    full = np.zeros((n, og * groups, (h - 1) * sh + _span(kh, dh) + oph, (wd - 1) * sw + _span(kw, dw) + opw))
    cg = c // groups
    for g in range(groups):
        for i, j, k, l in itertools.product(range(h), range(wd), range(kh), range(kw)):
            full[:, g * og:(g + 1) * og, i * sh + k * dh, j * sw + l * dw] += \
                x[:, g * cg:(g + 1) * cg, i, j] @ w[g * cg:(g + 1) * cg, :, k, l]
    oh, ow = full.shape[2] - 2 * ph, full.shape[3] - 2 * pw
    return full[:, :, ph:ph + oh, pw:pw + ow] + b[None, :, None, None]


def _ref_pool(reduce, value):
    def ref(x, kernel_size, stride, padding):
        return reduce(_windows(x, kernel_size, stride or kernel_size, padding, value=value), axis=(4, 5))
    return ref


def _ref_normalize(x, axes, eps=1e-5):
    mu = x.mean(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=axes, keepdims=True) + eps)


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _ref_bn_train(x, w, b):
    axes = (0,) + tuple(range(2, x.ndim))
    return _ref_normalize(x, axes) * _channel(w, x.ndim) + _channel(b, x.ndim)


def _ref_bn_eval(x, w, b, rm, rv):
    return (x - _channel(rm, x.ndim)) / np.sqrt(_channel(rv, x.ndim) + 1e-5) * _channel(w, x.ndim) + _channel(b, x.ndim)


def _ref_ln(x, w, b):
    return _ref_normalize(x, tuple(range(x.ndim - w.ndim, x.ndim))) * w + b


# --------------------------------------------------------------------------- calls under test

def _bn_train(x, w, b):
    c = x.shape[1] if x.ndim > 1 else 1  # fresh running statistics each call: no update leaks between calls
    return F.batch_norm(x, np.zeros(c), np.ones(c), w, b, training=True)


def _bn_eval(x, w, b, rm, rv):
    return F.batch_norm(x, rm, rv, w, b, training=False)


def _zeros(*shape):
    return np.zeros(shape)


CONV_ERRORS = [
    ErrorCase((_zeros(1, 3, 5, 5), _zeros(2, 2, 3, 3), _zeros(2)), {}, ValueError,
              r"conv2d: input has 3 channels \(shape \(1, 3, 5, 5\)\), but weight of shape \(2, 2, 3, 3\)"),
    ErrorCase((_zeros(1, 1, 2, 2), _zeros(1, 1, 3, 3), _zeros(1)), {}, ValueError,
              r"conv2d: kernel size \(3, 3\) is larger than the padded input \(2, 2\)"),
    ErrorCase((_zeros(1, 1, 4, 4), _zeros(1, 1, 3, 3), _zeros(1)), {"dilation": 2}, ValueError,
              r"conv2d: kernel size \(3, 3\) with dilation \(2, 2\) spans \(5, 5\)"),
    ErrorCase((_zeros(1, 3, 5, 5), _zeros(2, 1, 3, 3), _zeros(2)), {"groups": 2}, ValueError,
              r"conv2d: in_channels 3 \(input shape \(1, 3, 5, 5\)\) is not divisible by groups 2"),
    ErrorCase((_zeros(1, 2, 5, 5), _zeros(3, 1, 3, 3), _zeros(3)), {"groups": 2}, ValueError,
              r"conv2d: out_channels 3 \(weight shape \(3, 1, 3, 3\)\) is not divisible by groups 2"),
    ErrorCase((_zeros(1, 2, 5, 5), _zeros(2, 2, 3, 3), _zeros(2)), {"groups": 0}, ValueError, r"conv2d: groups must be positive"),
    ErrorCase((_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), _zeros(1)), {"stride": 0}, ValueError, r"conv2d: stride must be positive"),
    ErrorCase((_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), _zeros(1)), {"padding": -1}, ValueError,
              r"conv2d: padding must be non-negative"),
    ErrorCase((_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), _zeros(1)), {"dilation": (1, 0)}, ValueError,
              r"conv2d: dilation must be positive"),
    ErrorCase((_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), _zeros(1)), {"stride": 1.5}, TypeError,
              r"conv2d: stride must be an int or a pair of ints"),
    ErrorCase((_zeros(1, 5, 5), _zeros(1, 1, 3, 3), _zeros(1)), {}, ValueError,
              r"conv2d: expected a 4-d input \(N, C, H, W\), got shape \(1, 5, 5\)"),
    ErrorCase((_zeros(1, 1, 5, 5), _zeros(1, 3, 3), _zeros(1)), {}, ValueError, r"conv2d: expected a 4-d weight"),
    ErrorCase((_zeros(1, 1, 5, 5), _zeros(2, 1, 3, 3), _zeros(3)), {}, ValueError,
              r"conv2d: expected a bias of shape \(2,\)"),
]

CONV_T_ERRORS = [
    ErrorCase((_zeros(1, 3, 4, 4), _zeros(2, 2, 3, 3), _zeros(2)), {}, ValueError,
              r"conv_transpose2d: input has 3 channels \(shape \(1, 3, 4, 4\)\), but weight of shape \(2, 2, 3, 3\)"),
    ErrorCase((_zeros(1, 3, 4, 4), _zeros(3, 1, 3, 3), _zeros(2)), {"groups": 2}, ValueError,
              r"conv_transpose2d: in_channels 3 .* is not divisible by groups 2"),
    ErrorCase((_zeros(1, 1, 4, 4), _zeros(1, 1, 3, 3), _zeros(1)), {"stride": 2, "output_padding": 2}, ValueError,
              r"conv_transpose2d: output_padding \(2, 2\) must be smaller than the stride \(2, 2\)"),
    ErrorCase((_zeros(1, 1, 1, 1), _zeros(1, 1, 1, 1), _zeros(1)), {"padding": 1}, ValueError,
              r"conv_transpose2d: the output would have spatial size \(-1, -1\)"),
    ErrorCase((_zeros(1, 1, 4), _zeros(1, 1, 3, 3), _zeros(1)), {}, ValueError, r"conv_transpose2d: expected a 4-d input"),
]


def _pool_errors(op):
    return [
        ErrorCase((_zeros(1, 1, 2, 2),), {"kernel_size": 3, "padding": 0}, ValueError,
                  rf"{op}: kernel size \(3, 3\) is larger than the padded input \(2, 2\)"),
        ErrorCase((_zeros(1, 1, 4, 4),), {"kernel_size": 2, "padding": 2}, ValueError,
                  rf"{op}: padding \(2, 2\) must be at most half the kernel size \(2, 2\)"),
        ErrorCase((_zeros(1, 1, 4, 4),), {"kernel_size": 0}, ValueError, rf"{op}: kernel_size must be positive"),
        ErrorCase((_zeros(1, 1, 4, 4),), {"kernel_size": 2, "stride": 0}, ValueError, rf"{op}: stride must be positive"),
        ErrorCase((_zeros(4, 4),), {"kernel_size": 2}, ValueError, rf"{op}: expected a 4-d input \(N, C, H, W\), got shape \(4, 4\)"),
        ErrorCase((np.zeros((1, 1, 4, 4), dtype=np.int64),), {"kernel_size": 2}, TypeError, rf"{op}: expected a float input"),
    ]


ROWS = [
    OpSpec("im2col", lambda x, **p: F.im2col(x, **p), _ref_im2col, shapes=_image_shape(), params=_im2col_params,
           error_inputs=[
               ErrorCase((_zeros(1, 1, 2, 2),), {"kernel_size": 3}, ValueError,
                         r"im2col: kernel size \(3, 3\) is larger than the padded input \(2, 2\)"),
               ErrorCase((_zeros(2, 2),), {"kernel_size": 1}, ValueError, r"im2col: expected a 4-d input"),
               ErrorCase((_zeros(1, 1, 3, 3),), {"kernel_size": (1, 2, 3)}, TypeError,
                         r"im2col: kernel_size must be an int or a pair of ints"),
           ]),
    OpSpec("col2im", lambda col, **p: F.col2im(col, **p), _ref_col2im, shapes=_col2im_shapes(), params=_col2im_params,
           error_inputs=[
               ErrorCase((_zeros(5, 9),), {"input_shape": (1, 1, 4, 4), "kernel_size": 3}, ValueError,
                         r"col2im: col of shape \(5, 9\) does not match input_shape \(1, 1, 4, 4\) with kernel "
                         r"\(3, 3\): expected \(N·OH·OW, C·KH·KW\) = \(4, 9\)"),
               ErrorCase((_zeros(4, 9),), {"input_shape": (1, 4, 4), "kernel_size": 3}, ValueError,
                         r"col2im: input_shape must be 4 positive ints"),
           ]),
    OpSpec("conv2d", lambda x, w, b, **p: F.conv2d(x, w, b, **p), _ref_conv2d, arity=3, shapes=_conv_shapes(),
           params=_conv_params, error_inputs=CONV_ERRORS),
    OpSpec("conv_transpose2d", lambda x, w, b, **p: F.conv_transpose2d(x, w, b, **p), _ref_conv_transpose2d, arity=3,
           shapes=_conv_t_shapes(), params=_conv_t_params, error_inputs=CONV_T_ERRORS),
    OpSpec("max_pool2d", lambda x, **p: F.max_pool2d(x, **p), _ref_pool(np.max, -np.inf), shapes=_pool_shapes(),
           params=_pool_params, elements=(fine_grid,), unique=True, error_inputs=_pool_errors("max_pool2d")),
    OpSpec("avg_pool2d", lambda x, **p: F.avg_pool2d(x, **p), _ref_pool(np.mean, 0.0), shapes=_pool_shapes(),
           params=_pool_params, error_inputs=_pool_errors("avg_pool2d")),
    OpSpec("batch_norm", _bn_train, _ref_bn_train, arity=3, shapes=_bn_shapes(), elements=(fine_grid,) * 3,
           unique=True, variant="training", error_inputs=[
               ErrorCase((_zeros(1, 3), _zeros(3), _zeros(3)), {}, ValueError,
                         r"batch_norm: expected more than 1 value per channel when training, got input of shape \(1, 3\)"),
               ErrorCase((_zeros(2, 3), _zeros(2), _zeros(3)), {}, ValueError,
                         r"batch_norm: expected weight of shape \(3,\) \(one per channel of input shape \(2, 3\)\), got shape \(2,\)"),
               ErrorCase((_zeros(4), _zeros(1), _zeros(1)), {}, ValueError,
                         r"batch_norm: expected an input of shape \(N, C\) or \(N, C, \.\.\.\), got shape \(4,\)"),
           ]),
    OpSpec("batch_norm", _bn_eval, _ref_bn_eval, arity=3, shapes=_bn_shapes(), extra=_bn_running_stats,
           variant="eval", error_inputs=[
               ErrorCase((_zeros(2, 3), _zeros(3), _zeros(3), _zeros(4), np.ones(3)), {}, ValueError,
                         r"batch_norm: expected running_mean of shape \(3,\)"),
               ErrorCase((_zeros(2, 3), _zeros(3), _zeros(3), None, None), {}, ValueError,
                         r"batch_norm: running_mean and running_var are needed when training=False"),
           ]),
    OpSpec("layer_norm", lambda x, w, b: F.layer_norm(x, w.shape, w, b), _ref_ln, arity=3, shapes=_ln_shapes(),
           elements=(fine_grid,) * 3, unique=True, error_inputs=[
               ErrorCase((_zeros(2, 3), _zeros(2), _zeros(2)), {}, ValueError,
                         r"layer_norm: normalized_shape \(2,\) must be the trailing dimensions of the input, "
                         r"got input shape \(2, 3\)"),
           ]),
    OpSpec("embedding", lambda w, idx: F.embedding(idx, w), lambda w, idx: w[idx], shapes=_embedding_shapes(),
           extra=_embedding_indices, error_inputs=[
               ErrorCase((_zeros(3, 2), np.array([0, 3])), {}, IndexError,
                         r"embedding: index 3 is out of range for 3 embeddings \(weight shape \(3, 2\)\)"),
               ErrorCase((_zeros(3, 2), np.array([-1])), {}, IndexError, r"embedding: index -1 is out of range"),
               ErrorCase((_zeros(3, 2), np.array([0.0])), {}, TypeError, r"embedding: expected integer indices"),
               ErrorCase((_zeros(3), np.array([0])), {}, ValueError,
                         r"embedding: expected weight of shape \(num_embeddings, embedding_dim\)"),
           ]),
]
