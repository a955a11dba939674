"""Registry rows for the contract's "more functions" (issue 15): elementwise math, prod and the cumulative
ops, einsum, the shape functions and clip with tensor bounds.

References are independent of minigrad: numpy's own functions, or Python's math module element by element
(math.erf, math.floor, round half to even). Domains keep every element where the op is differentiable
(arcsin inside (−1, 1), logs positive, ...), and kinks keep central differences away from jumps. Rows whose
examples are costly draw fewer of them (`max_examples`) to keep the suite's time in check.
"""
from __future__ import annotations

import builtins
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from op_registry import ErrorCase, OpSpec, any_shape, axis_params, broadcast_shapes, single

FEW = 8  # examples per generic test for the rows below (the profile's default is 25) ...
FEWER = 5  # ... and for the one-input elementwise functions, whose inputs vary only in shape and values

pos = (0.2, 3.0)
# elements on shifted 0.1 grids: values from different grids are at least 0.03 apart, never tied
grid = st.integers(-30, 30).map(lambda k: k / 10)
grid_low = st.integers(-30, 30).map(lambda k: k / 10 + 0.03)
grid_high = st.integers(-30, 30).map(lambda k: k / 10 + 0.07)
# piecewise-constant ops: values 0.05 from every integer and every half-integer (their jumps)
between_jumps = st.integers(-29, 29).map(lambda k: k / 10 + 0.05)
away_from_zero = st.one_of(st.floats(0.3, 3.0), st.floats(-3.0, -0.3))
# products: small values with zeros likely, often two in one slice
with_zeros = st.sampled_from([0.0, 0.0, -1.5, -0.75, 0.5, 1.25, 2.0])

_T = mg.tensor([[1.0, 2.0], [3.0, 4.0]])  # a fixed input for error cases


def _elementwise(name, ref, **kw):
    """A row for a one-input elementwise op public as minigrad.<name>, with a type error case."""
    fn = getattr(mg, name)
    return OpSpec(name, fn, ref, max_examples=FEWER,
                  error_inputs=[ErrorCase((np.array(["a", "b"]),), error=TypeError, match=f"^{name}:")], **kw)


def _per_element(f):
    return np.vectorize(f, otypes=[np.float64])


# --------------------------------------------------------------------------- parameter strategies

def _axis_or_none(shapes):
    nd = len(shapes[0])
    return st.one_of(st.none(), st.integers(-nd, nd - 1)) if nd else st.none()


def _cumulative_params(shapes):
    return _axis_or_none(shapes).map(lambda a: {"axis": a})


@st.composite
def _pad_params(draw, shapes):
    nd = len(shapes[0])
    width = st.integers(0, 2)
    form = draw(st.sampled_from(["int", "pair", "per_axis"] if nd else ["int", "pair"]))  # numpy: () is no form
    if form == "int":
        pad_width = draw(width)
    elif form == "pair":
        pad_width = (draw(width), draw(width))
    else:
        pad_width = tuple((draw(width), draw(width)) for _ in range(nd))
    return {"pad_width": pad_width, "value": draw(st.sampled_from([0.0, 1.5, -2.0]))}


@st.composite
def _axes_params(draw, shapes):
    nd = len(shapes[0])
    choices = [st.none()]
    if nd:
        choices += [st.integers(-nd, nd - 1), st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple)]
    return {"axis": draw(st.one_of(*choices))}


@st.composite
def _roll_params(draw, shapes):
    nd = len(shapes[0])
    if nd and draw(st.booleans()):
        axes = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda a: a % nd)))
        return {"shift": tuple(draw(st.integers(-5, 5)) for _ in axes), "axis": axes}
    return {"shift": draw(st.integers(-5, 5)), "axis": draw(_axis_or_none(shapes))}


@st.composite
def _repeat_params(draw, shapes):
    return {"repeats": draw(st.integers(0, 3)), "axis": draw(_axis_or_none(shapes))}


@st.composite
def _repeat_each_params(draw, shapes):
    shape = shapes[0]
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return {"repeats": draw(st.lists(st.integers(0, 3), min_size=shape[axis], max_size=shape[axis])), "axis": axis}


def _tile_params(shapes):
    return st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), max_size=4).map(tuple)).map(lambda r: {"reps": r})


def _triangle_params(shapes):
    return st.integers(-3, 3).map(lambda k: {"k": k})


@st.composite
def _split_params(draw, shapes):
    shape = shapes[0]
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    sections = st.sampled_from([d for d in range(1, n + 1) if n % d == 0])
    indices = st.lists(st.integers(-n, n), max_size=3)  # unsorted and negative ones included, as numpy allows
    return {"indices_or_sections": draw(st.one_of(sections, indices)), "axis": axis}


def _split_joined(x, indices_or_sections, axis, split, concatenate):
    """Every part, in reverse order, joined back: each part's gradient reaches its own slice of x."""
    return concatenate(split(x, indices_or_sections, axis=axis)[::-1], axis=axis)


@st.composite
def _take_params(draw, shapes):
    shape = shapes[0]
    if len(shape) == 1 and draw(st.booleans()):
        axis, n = None, shape[0]
        idx_shape = (draw(st.integers(1, 5)),)
    else:
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        n = shape[axis]
        idx_shape = tuple(draw(st.integers(1, 5)) if i == axis % len(shape) else draw(st.sampled_from([1, m]))
                          for i, m in enumerate(shape))
    indices = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, n - 1)))  # repeats likely
    return {"indices": indices, "axis": axis}


@st.composite
def _einsum_shapes(draw, subscripts):
    """Shapes for `subscripts`: one size per letter (1 to 3), mutually broadcastable shapes for '...'."""
    terms = subscripts.split("->")[0].split(",")
    sizes = {c: draw(st.integers(1, 3)) for c in sorted(set("".join(terms)) - {"."})}
    batch = draw(broadcast_shapes(len(terms), max_dims=2, max_side=3))
    return tuple((batch[i] if "..." in t else ()) + tuple(sizes[c] for c in t.replace("...", ""))
                 for i, t in enumerate(terms))


def _einsum_row(subscripts, variant, arity):
    return OpSpec("einsum", lambda *ts: mg.einsum(subscripts, *ts), lambda *a: np.einsum(subscripts, *a),
                  arity=arity, shapes=_einsum_shapes(subscripts), variant=variant, max_examples=FEW,
                  error_inputs=[ErrorCase((np.ones((2, 3)),) * arity, error=ValueError, match="^einsum:")])


def _clip_array_max(shapes):
    return hnp.arrays(np.float64, shapes[0], elements=grid_high).map(lambda hi: (hi,))


def _np_round(x):
    return _per_element(builtins.round)(x)  # Python's round: half to even, independent of numpy


_AXIS_ERROR = ErrorCase((_T,), {"axis": 2}, IndexError, "axis 2 is out of range")


ROWS = [
    # elementwise math
    _elementwise("sinh", np.sinh),
    _elementwise("cosh", np.cosh),
    _elementwise("arcsin", np.arcsin, domain=(-0.9, 0.9)),  # inside (−1, 1): the derivative is infinite at ±1
    _elementwise("arccos", np.arccos, domain=(-0.9, 0.9)),
    _elementwise("arctan", np.arctan),
    # away from a = 0 and b = 0: the origin, and the cut along a = 0, b < 0 where the angle jumps by 2π
    OpSpec("arctan2", mg.arctan2, np.arctan2, arity=2, elements=(away_from_zero, away_from_zero), max_examples=FEW,
           error_inputs=[ErrorCase((mg.ones(2), mg.ones(3)), error=ValueError, match="arctan2: shapes")]),
    _elementwise("log2", np.log2, domain=pos),
    _elementwise("log10", np.log10, domain=pos),
    _elementwise("log1p", np.log1p, domain=(-0.8, 3.0)),
    _elementwise("expm1", np.expm1),
    _elementwise("square", np.square),
    _elementwise("reciprocal", lambda x: 1.0 / x, elements=(away_from_zero,)),
    _elementwise("rsqrt", lambda x: 1.0 / np.sqrt(x), domain=pos),
    _elementwise("erf", _per_element(math.erf)),
    # piecewise constant: derivative 0 away from the jumps (and declared 0 at them)
    _elementwise("floor", _per_element(math.floor), elements=(between_jumps,), via_numpy=False),
    _elementwise("ceil", _per_element(math.ceil), elements=(between_jumps,), via_numpy=False),
    _elementwise("trunc", _per_element(math.trunc), elements=(between_jumps,), via_numpy=False),
    _elementwise("round", _np_round, elements=(between_jumps,), via_numpy=False),
    # clip with tensor bounds: x, min and max on grids that never tie (ties are the kinks)
    OpSpec("clip", lambda x, lo, hi: mg.clip(x, lo, hi), lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
           arity=3, elements=(grid, grid_low, grid_high), variant="tensor_bounds", max_examples=FEW,
           error_inputs=[ErrorCase((mg.ones(2), mg.ones(3), mg.ones(2)), error=ValueError, match="clip: shapes")]),
    OpSpec("clip", lambda x, lo: x.clip(min=lo), np.maximum, arity=2, elements=(grid, grid_low),
           variant="tensor_min", max_examples=FEW),
    OpSpec("clip", lambda x, hi: mg.clamp(x, max=hi), np.minimum, arity=2, elements=(grid, grid_high),
           variant="tensor_max", max_examples=FEW),
    # an array-like bound (a list: minigrad's dtype rules, so float32 x stays float32) beside a number
    OpSpec("clip", lambda x, hi: mg.clip(x, -1.0, hi.tolist()), lambda x, hi: np.minimum(np.maximum(x, -1.0), hi),
           elements=(grid.filter(lambda v: v != -1.0),), extra=_clip_array_max, variant="list_max",
           max_examples=FEW, compiles=False, via_numpy=False),
    # reductions and cumulative ops
    OpSpec("prod", lambda x, **p: mg.prod(x, **p), lambda x, **p: np.prod(x, **p), params=axis_params,
           domain=(-2.0, 2.0), max_examples=FEW, error_inputs=[_AXIS_ERROR]),
    OpSpec("prod", lambda x, **p: x.prod(**p), lambda x, **p: np.prod(x, **p), params=axis_params,
           elements=(with_zeros,), variant="zeros", max_examples=FEW),
    OpSpec("cumsum", lambda x, **p: mg.cumsum(x, **p), lambda x, **p: np.cumsum(x, **p),
           params=_cumulative_params, max_examples=FEW, error_inputs=[_AXIS_ERROR]),
    OpSpec("cumprod", lambda x, **p: mg.cumprod(x, **p), lambda x, **p: np.cumprod(x, **p),
           params=_cumulative_params, domain=(-2.0, 2.0), max_examples=FEW, error_inputs=[_AXIS_ERROR]),
    OpSpec("cumprod", lambda x, **p: x.cumprod(**p), lambda x, **p: np.cumprod(x, **p),
           params=_cumulative_params, elements=(with_zeros,), variant="zeros", max_examples=FEW),
    # einsum: a product with a sum, broadcast batch axes, and diagonals with an index only one operand has
    _einsum_row("ij,jk->ik", "matmul", 2),
    _einsum_row("...ij,...jk", "ellipsis", 2),
    _einsum_row("iik,kj,l->j", "diagonal_and_summed", 3),
    # shape functions
    OpSpec("pad", lambda x, **p: mg.pad(x, **p), lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
           params=_pad_params, max_examples=FEW, via_numpy=False,
           error_inputs=[ErrorCase((_T,), {"pad_width": -1}, ValueError, "pad: pad_width must be non-negative"),
                         ErrorCase((_T,), {"pad_width": 1.5}, TypeError, "pad: pad_width must be integers"),
                         ErrorCase((_T,), {"pad_width": ((1, 1),) * 3}, ValueError, "pad: pad_width")]),
    OpSpec("flip", lambda x, **p: mg.flip(x, **p), lambda x, **p: np.flip(x, **p), params=_axes_params,
           max_examples=FEW, error_inputs=[_AXIS_ERROR, ErrorCase((_T,), {"axis": (0, 0)}, ValueError, "flip: repeated")]),
    OpSpec("roll", lambda x, **p: x.roll(**p), lambda x, **p: np.roll(x, **p), params=_roll_params,
           max_examples=FEW, error_inputs=[ErrorCase((_T,), {"shift": 1.5}, TypeError, "roll: shift"),
                                           ErrorCase((_T,), {"shift": (1, 2), "axis": (0, 1, 0)}, ValueError, "roll")]),
    OpSpec("repeat", lambda x, **p: mg.repeat(x, **p), lambda x, **p: np.repeat(x, **p), params=_repeat_params,
           max_examples=FEW, error_inputs=[ErrorCase((_T,), {"repeats": -1}, ValueError, "repeat: repeats"),
                                           ErrorCase((_T,), {"repeats": [1, 2, 3], "axis": 0}, ValueError, "repeat: 3")]),
    OpSpec("repeat", lambda x, **p: mg.repeat(x, **p), lambda x, **p: np.repeat(x, **p), variant="per_element",
           shapes=single(any_shape(min_dims=1)), params=_repeat_each_params, max_examples=FEW),
    OpSpec("tile", lambda x, **p: mg.tile(x, **p), lambda x, reps: np.tile(x, reps), params=_tile_params,
           max_examples=FEW, error_inputs=[ErrorCase((_T,), {"reps": -1}, ValueError, "tile: reps"),
                                           ErrorCase((_T,), {"reps": 1.5}, TypeError, "tile: reps")]),
    OpSpec("tril", lambda x, k: mg.tril(x, k=k), lambda x, k: np.tril(x, k), params=_triangle_params,
           shapes=single(any_shape(min_dims=2)), max_examples=FEW,
           error_inputs=[ErrorCase((mg.ones(3),), {"k": 0}, ValueError, "tril: expected a tensor with at least 2")]),
    OpSpec("triu", lambda x, k: x.triu(k), lambda x, k: np.triu(x, k), params=_triangle_params,
           shapes=single(any_shape(min_dims=2)), max_examples=FEW,
           error_inputs=[ErrorCase((_T,), {"k": 0.5}, TypeError, "triu: k must be an int")]),
    OpSpec("split", lambda x, **p: _split_joined(x, **p, split=mg.split, concatenate=mg.concatenate),
           lambda x, **p: _split_joined(x, **p, split=np.split, concatenate=np.concatenate),
           shapes=single(any_shape(min_dims=1)), params=_split_params, max_examples=FEW,
           error_inputs=[ErrorCase((_T,), {"indices_or_sections": 3, "axis": 0}, ValueError, "split: axis 0 of size 2"),
                         ErrorCase((_T,), {"indices_or_sections": 2, "axis": 2}, IndexError, "split: axis 2")]),
    OpSpec("take_along_axis", lambda x, **p: mg.take_along_axis(x, **p), lambda x, **p: np.take_along_axis(x, **p),
           shapes=single(any_shape(min_dims=1)), params=_take_params, max_examples=FEW,
           error_inputs=[ErrorCase((_T,), {"indices": np.array([[2]]), "axis": 1}, IndexError, "take_along_axis: index 2"),
                         ErrorCase((_T,), {"indices": np.array([[0.5]]), "axis": 1}, TypeError, "take_along_axis: indices"),
                         ErrorCase((_T,), {"indices": np.array([0]), "axis": 1}, ValueError, "take_along_axis: indices of shape")]),
]
