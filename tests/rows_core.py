"""Registry rows for the core ops: arithmetic, math functions, reductions, shape ops, indexing, matmul."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import ops
from minigrad.ops import inplace
from op_registry import ErrorCase, OpSpec, any_shape, axis_params, broadcast_shapes, single

# elements on a 0.1 grid: distinct values are at least 0.1 apart, so no two can tie under a 1e-6 step
grid = st.integers(-50, 50).map(lambda k: k / 10)
grid_offset = st.integers(-50, 50).map(lambda k: k / 10 + 0.05)


@st.composite
def _var_params(draw, shapes):
    p = draw(axis_params(shapes))
    shape = shapes[0]
    axes = range(len(shape)) if p["axis"] is None else np.atleast_1d(p["axis"])
    n = int(np.prod([shape[a] for a in axes])) if len(shape) else 1
    p["ddof"] = draw(st.sampled_from([0, 1] if n > 1 else [0]))
    return p


@st.composite
def _reshape_params(draw, shapes):
    shape = shapes[0]
    size = int(np.prod(shape))
    targets = [(-1,), (size,), (1,) + tuple(shape), tuple(shape) + (1,), tuple(reversed(shape))]
    if size % 2 == 0 and size:
        targets.append((2, -1))
    return {"shape": draw(st.sampled_from(targets))}


@st.composite
def _transpose_params(draw, shapes):
    nd = len(shapes[0])
    return {"axes": draw(st.one_of(st.none(), st.permutations(range(nd)).map(tuple)))}


@st.composite
def _broadcast_params(draw, shapes):
    shape = shapes[0]
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    return {"shape": tuple(lead) + tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)}


@st.composite
def _basic_index(draw, shapes):
    return {"index": draw(hnp.basic_indices(shapes[0], min_dims=0, allow_newaxis=True, allow_ellipsis=True))}


@st.composite
def _int_array_index(draw, shapes):
    n = shapes[0][0]
    idx = draw(hnp.arrays(np.int64, draw(st.integers(1, 6)), elements=st.integers(-n, n - 1)))
    return {"index": idx}  # repeated indices are likely: their gradients must accumulate


@st.composite
def _mask_index(draw, shapes):
    return {"index": draw(hnp.arrays(np.bool_, shapes[0]))}


@st.composite
def _joined_shapes(draw, n=3, same=False):
    base = list(draw(any_shape(min_dims=1, max_dims=3, max_side=3)))
    axis = draw(st.integers(0, len(base) - 1))
    shapes = []
    for _ in range(n):
        s = list(base)
        if not same:
            s[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(s))
    return tuple(shapes)


def _concat_axis(shapes):
    # the axis along which the drawn shapes differ (or any axis when they are all equal)
    nd = len(shapes[0])
    diff = [a for a in range(nd) if len({s[a] for s in shapes}) > 1]
    return st.just({"axis": diff[0]}) if diff else st.integers(-nd, nd - 1).map(lambda a: {"axis": a})


def _stack_axis(shapes):
    nd = len(shapes[0])
    return st.integers(-nd - 1, nd).map(lambda a: {"axis": a})


def _where_cond(shapes):
    return hnp.arrays(np.bool_, shapes[0]).map(lambda c: (c,))


@st.composite
def _affine_shapes(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    return (n, k), (k, m), (m,)


def _matmul_shapes():
    return hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, min_side=1,
                                             max_side=4).map(lambda b: b.input_shapes)


def _squeeze_params(shapes):
    ones = [i for i, n in enumerate(shapes[0]) if n == 1]
    return st.one_of(st.none(), st.sampled_from(ones) if ones else st.none()).map(lambda a: {"axis": a})


def _unsqueeze_params(shapes):
    nd = len(shapes[0])
    return st.integers(-nd - 1, nd).map(lambda a: {"axis": a})


def _swapaxes_params(shapes):
    nd = len(shapes[0])
    return st.tuples(st.integers(-nd, nd - 1), st.integers(-nd, nd - 1)).map(lambda t: {"axis1": t[0], "axis2": t[1]})


def _np_norm(x, p, axis, keepdims):
    a = np.abs(x)
    if p == np.inf:
        return np.max(a, axis=axis, keepdims=keepdims)
    return np.sum(a ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _np_squeeze(x, axis=None):
    return np.squeeze(x, axis=axis)


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis if axis is not None else tuple(range(x.ndim)))


def _np_index_add(g, index, shape):
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


@st.composite
def _index_add_params(draw, shapes):
    n = draw(st.integers(1, 4))
    idx = draw(hnp.arrays(np.int64, shapes[0][0], elements=st.integers(0, n - 1)))
    return {"index": idx, "shape": (n,) + shapes[0][1:]}


pos = (0.2, 3.0)


def _axis_errors(name):
    """Bad axes for a reduction: a wrong type is a TypeError, out of range an IndexError, repeated a ValueError."""
    x = mg.ones(2, 3)
    return [ErrorCase((x,), {"axis": 1.0}, TypeError,
                      rf"^{name}: axis must be None, an int or a tuple of ints, got float"),
            ErrorCase((x,), {"axis": "0"}, TypeError, rf"^{name}: axis must be"),
            ErrorCase((x,), {"axis": 2}, IndexError,
                      rf"^{name}: axis 2 is out of range for a tensor with 2 dimensions"),
            ErrorCase((x,), {"axis": (0, -2)}, ValueError, rf"^{name}: repeated axis"),
            ErrorCase((x,), {"keepdims": "yes"}, TypeError, rf"^{name}: keepdims must be True or False")]


ROWS = [
    # arithmetic (operators), broadcasting over mutually broadcastable shapes
    OpSpec("add", lambda a, b: a + b, np.add, arity=2),
    OpSpec("sub", lambda a, b: a - b, np.subtract, arity=2),
    OpSpec("mul", lambda a, b: a * b, np.multiply, arity=2),
    OpSpec("div", lambda a, b: a / b, np.divide, arity=2, domain=[(-3.0, 3.0), pos],
           error_inputs=[ErrorCase((mg.ones(2), None), None, TypeError, r"^div: expected numbers"),
                         ErrorCase(("a", mg.ones(2)), None, TypeError, r"^div: expected numbers")]),
    OpSpec("pow", lambda a, b: a ** b, np.power, arity=2, domain=[pos, (-2.0, 2.0)],
           error_inputs=[ErrorCase((mg.tensor([1, 2]), -2), None, ValueError,
                                   r"^pow: integers to negative integer powers"),
                         ErrorCase((mg.ones(2), 1j), None, TypeError, r"^pow: expected numbers")]),
    OpSpec("pow", lambda a: a ** 3, lambda a: a ** 3, variant="scalar_exponent"),
    OpSpec("pow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, variant="scalar_base"),
    OpSpec("div", lambda a: 1.5 / a - 2.0, lambda a: 1.5 / a - 2.0, domain=pos, variant="reflected"),
    OpSpec("neg", lambda a: -a, np.negative),
    # math functions
    OpSpec("exp", mg.exp, np.exp, error_inputs=[ErrorCase(("a",), None, TypeError, r"^exp: expected numbers"),
                                                ErrorCase(([None, 1.0],), None, TypeError, r"^exp: expected numbers")]),
    OpSpec("log", mg.log, np.log, domain=pos),
    OpSpec("sqrt", mg.sqrt, np.sqrt, domain=pos),
    OpSpec("abs", mg.abs, np.abs, kinks=(0.0,)),
    OpSpec("sin", mg.sin, np.sin),
    OpSpec("cos", mg.cos, np.cos),
    OpSpec("tan", mg.tan, np.tan, domain=(-1.4, 1.4)),  # inside (-π/2, π/2): away from the poles
    OpSpec("clip", lambda x: mg.clip(x, -1.0, 1.5), lambda x: np.clip(x, -1.0, 1.5), kinks=(-1.0, 1.5),
           aliases=("clamp",)),
    OpSpec("clip", lambda x: x.clip(min=0.5), lambda x: np.maximum(x, 0.5), kinks=(0.5,), variant="min_only"),
    OpSpec("maximum", mg.maximum, np.maximum, arity=2, elements=(grid, grid_offset)),
    OpSpec("minimum", mg.minimum, np.minimum, arity=2, elements=(grid, grid_offset)),
    OpSpec("where", lambda a, b, c: mg.where(c, a, b), lambda a, b, c: np.where(c, a, b), arity=2,
           extra=_where_cond),
    OpSpec("astype", lambda x: x.astype(np.float64), lambda x: x.astype(np.float64), float32=False),
    # reductions
    OpSpec("sum", lambda x, **p: mg.sum(x, **p), lambda x, **p: np.sum(x, **p), params=axis_params,
           error_inputs=_axis_errors("sum")),
    OpSpec("mean", lambda x, **p: mg.mean(x, **p), lambda x, **p: np.mean(x, **p), params=axis_params,
           error_inputs=_axis_errors("mean")),
    OpSpec("max", lambda x, **p: mg.max(x, **p), lambda x, **p: np.max(x, **p), params=axis_params,
           elements=(grid,), unique=True),
    OpSpec("min", lambda x, **p: mg.min(x, **p), lambda x, **p: np.min(x, **p), params=axis_params,
           elements=(grid,), unique=True),
    OpSpec("norm", lambda x, **p: x.norm(**p), _np_norm,
        params=lambda shapes: st.fixed_dictionaries({"p": st.sampled_from([2, 1, 3, np.inf]),
                                                     "axis": st.none() if not shapes[0] else st.sampled_from(
                                                         [None] + list(range(len(shapes[0])))),
                                                     "keepdims": st.booleans()}),
        elements=(grid_offset,), unique=True),
    OpSpec("norm", lambda x, **p: x.norm(2, **p), lambda x, **p: _np_norm(x, 2, **p), params=axis_params,
           elements=(grid_offset,), variant="2"),  # the p = 2 primitive (its gradient is 0 at the zero vector)
    OpSpec("logsumexp", lambda x, **p: mg.logsumexp(x, **p), _np_logsumexp, params=axis_params,
           error_inputs=_axis_errors("logsumexp")),
    OpSpec("var", lambda x, **p: mg.var(x, **p), lambda x, **p: np.var(x, **p), params=_var_params,
           error_inputs=_axis_errors("var") + [ErrorCase((mg.ones(3),), {"ddof": 1.5}, TypeError,
                                                         r"^var: ddof must be an int")]),
    # std is not differentiable at zero variance: every reduced slice holds >= 2 distinct values
    OpSpec("std", lambda x, **p: mg.std(x, **p), lambda x, **p: np.std(x, **p), params=_var_params,
           shapes=single(any_shape(min_dims=1, max_side=3).map(lambda s: tuple(max(n, 2) for n in s))),
           elements=(grid,), unique=True),
    # shape ops
    OpSpec("reshape", lambda x, shape: x.reshape(shape), lambda x, shape: np.reshape(x, shape),
           params=_reshape_params, aliases=("view",),
           error_inputs=[ErrorCase((mg.ones(6), (1.5, -1)), None, TypeError,
                                   r"^reshape: each size in the shape must be an int"),
                         ErrorCase((mg.ones(6), (-1, -1)), None, ValueError, r"^reshape: only one size can be -1")]),
    OpSpec("transpose", lambda x, axes: x.transpose(*(axes or ())), lambda x, axes: np.transpose(x, axes),
           params=_transpose_params, aliases=("permute",)),
    OpSpec("transpose", lambda x: x.T, lambda x: x.T, variant="T"),
    OpSpec("swapaxes", lambda x, **p: x.swapaxes(**p), lambda x, **p: np.swapaxes(x, **p),
           shapes=single(any_shape(min_dims=1)), params=_swapaxes_params,
           error_inputs=[ErrorCase((mg.ones(2, 3),), {"axis1": 0, "axis2": 5}, IndexError,
                                   r"^swapaxes: axis2 5 is out of range"),
                         ErrorCase((mg.ones(2, 3),), {"axis1": "0", "axis2": 1}, TypeError,
                                   r"^swapaxes: axis1 must be an int")]),
    OpSpec("flatten", lambda x: x.flatten(), lambda x: x.reshape(-1)),
    OpSpec("squeeze", lambda x, axis: x.squeeze(axis), _np_squeeze, params=_squeeze_params,
           error_inputs=[ErrorCase((mg.ones(1, 3), "0"), None, TypeError, r"^squeeze: axis must be None, an int"),
                         ErrorCase((mg.ones(1, 3), 2), None, IndexError, r"^squeeze: axis 2 is out of range"),
                         ErrorCase((mg.ones(1, 3), 1), None, ValueError,
                                   r"^squeeze: axis 1 of shape \(1, 3\) does not have size 1")]),
    OpSpec("unsqueeze", lambda x, axis: x.unsqueeze(axis), lambda x, axis: np.expand_dims(x, axis),
           params=_unsqueeze_params,
           error_inputs=[ErrorCase((mg.ones(2), 0.5), None, TypeError, r"^unsqueeze: axis must be an int"),
                         ErrorCase((mg.ones(2), 3), None, IndexError,
                                   r"^unsqueeze: axis 3 is out of range for a result with 2")]),
    OpSpec("broadcast_to", lambda x, shape: x.broadcast_to(shape), lambda x, shape: np.broadcast_to(x, shape),
           params=_broadcast_params, aliases=("expand",)),
    OpSpec("clone", lambda x: x.clone(), np.copy),
    # in-place ops record these when a graph can see the tensor they modify (tests/test_inplace.py)
    OpSpec("fill", lambda x: inplace.fill(x, 2.5), lambda x: np.full_like(x, 2.5)),
    OpSpec("copy", lambda x, src: inplace.copy_from(x, src), lambda x, src: np.broadcast_to(src, x.shape).copy(),
           arity=2, shapes=broadcast_shapes(2).map(lambda s: (np.broadcast_shapes(*s), s[1]))),
    OpSpec("getitem", lambda x, index: x[index], lambda x, index: x[index], params=_basic_index),
    OpSpec("getitem", lambda x, index: x[index], lambda x, index: x[index], variant="int_array",
           shapes=single(any_shape(min_dims=1)), params=_int_array_index),
    OpSpec("getitem", lambda x, index: x[index], lambda x, index: x[index], variant="bool_mask",
           shapes=single(any_shape(min_dims=1)), params=_mask_index),
    OpSpec("index_add", lambda g, index, shape: ops.index_add(g, index=index, shape=shape), _np_index_add,
           shapes=single(any_shape(min_dims=1, max_dims=2)), params=_index_add_params),
    OpSpec("concatenate", lambda a, b, c, axis: mg.concatenate([a, b, c], axis=axis),
           lambda a, b, c, axis: np.concatenate([a, b, c], axis=axis), arity=3, aliases=("cat",),
           shapes=_joined_shapes(), params=_concat_axis,
           error_inputs=[ErrorCase((mg.ones(2), mg.ones(2), mg.ones(2), "0"), None, TypeError,
                                   r"^concatenate: axis must be an int"),
                         ErrorCase((mg.ones(2), mg.ones(2), mg.ones(2), 1), None, IndexError,
                                   r"^concatenate: axis 1 is out of range"),
                         ErrorCase((mg.ones(2), "a", mg.ones(2), 0), None, TypeError,
                                   r"^concatenate: expected numbers")]),
    OpSpec("stack", lambda a, b, c, axis: mg.stack([a, b, c], axis=axis),
           lambda a, b, c, axis: np.stack([a, b, c], axis=axis), arity=3,
           shapes=_joined_shapes(same=True), params=_stack_axis,
           error_inputs=[ErrorCase((mg.ones(2), mg.ones(2), mg.ones(2), 5), None, IndexError,
                                   r"^stack: axis 5 is out of range for the result with 2 dimensions"),
                         ErrorCase((mg.ones(2), mg.ones(3), mg.ones(2), 0), None, ValueError,
                                   r"^stack: all shapes must be equal")]),
    # linear algebra
    OpSpec("matmul", lambda a, b: a @ b, np.matmul, arity=2, shapes=_matmul_shapes()),
    # not public: conv2d's product with its bias (the textbook's Affine layer)
    OpSpec("affine", ops.linalg.affine, lambda x, w, b: x @ w + b, arity=3, shapes=_affine_shapes()),
]

