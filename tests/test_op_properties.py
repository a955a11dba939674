"""Generic property tests over the op registry: every row gets every applicable check.

forward vs numpy reference; gradcheck and (for smooth ops) gradgradcheck in float64 against central
differences along a random upstream gradient; dtype preservation for float32 and float64; inputs
and the upstream gradient left unmodified and gradients never aliasing them; and a completeness
test that fails when a public differentiable op has no row.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad.testing import gradcheck, gradgradcheck
from op_registry import ROWS, op_inputs, row_examples

ALL = pytest.mark.parametrize("spec", ROWS, ids=[r.id for r in ROWS])
SMOOTH = pytest.mark.parametrize("spec", [r for r in ROWS if r.twice], ids=[r.id for r in ROWS if r.twice])
WITH_ERRORS = [r for r in ROWS if r.error_inputs]


def _tensors(arrays, dtype=np.float64, requires_grad=True):
    return [mg.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays]


def _call(spec, tensors, extra, params):
    return spec.fn(*tensors, *extra, **params)


@ALL
@row_examples()
def test_forward_matches_reference(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    out = _call(spec, _tensors(arrays, requires_grad=False), extra, params)
    expected = spec.ref(*arrays, *extra, **params)
    assert out.shape == np.shape(expected), f"{spec.id}: shape {out.shape} != reference {np.shape(expected)}"
    np.testing.assert_allclose(out.data, expected, rtol=spec.fwd_rtol, atol=1e-12, err_msg=spec.id)


@ALL
@row_examples()
def test_gradcheck(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    assert gradcheck(lambda *ts: _call(spec, ts, extra, params), _tensors(arrays),
                     eps=spec.eps, atol=spec.atol, rtol=spec.rtol)


@SMOOTH
@row_examples(max(5, settings().max_examples // 3))
def test_gradgradcheck(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    assert gradgradcheck(lambda *ts: _call(spec, ts, extra, params), _tensors(arrays),
                         eps=spec.eps, atol=spec.atol * 10, rtol=spec.rtol * 10)


@ALL
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@row_examples()
def test_dtype_and_shape_preserved(spec, dtype, data):
    if dtype == np.float32 and not spec.float32:
        pytest.skip(f"{spec.id} is float64-only")
    arrays, extra, params = data.draw(op_inputs(spec))
    xs = _tensors(arrays, dtype)
    out = _call(spec, xs, extra, params)
    assert out.dtype == dtype, f"{spec.id}: {np.dtype(dtype)} input gave {out.dtype} output"
    out.backward(np.ones(out.shape, dtype=out.dtype))
    for i, x in enumerate(xs):
        assert x.grad is not None, f"{spec.id}: input {i} got no gradient"
        assert x.grad.dtype == x.dtype and x.grad.shape == x.shape, \
            f"{spec.id}: input {i} {x.dtype}{x.shape} got gradient {x.grad.dtype}{x.grad.shape}"


@ALL
@row_examples()
def test_inputs_and_upstream_unmodified_and_not_aliased(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    xs = _tensors(arrays)
    before = [x.data.copy() for x in xs]
    extra_before = [np.copy(e) for e in extra]
    out = _call(spec, xs, extra, params)
    upstream = np.random.default_rng(0).uniform(-1, 1, out.shape)
    upstream_before = upstream.copy()
    out.backward(upstream)
    for i, (x, b) in enumerate(zip(xs, before)):
        np.testing.assert_array_equal(x.data, b, err_msg=f"{spec.id}: input {i} was modified")
    for e, b in zip(extra, extra_before):
        np.testing.assert_array_equal(e, b, err_msg=f"{spec.id}: a non-tensor argument was modified")
    np.testing.assert_array_equal(upstream, upstream_before, err_msg=f"{spec.id}: upstream gradient modified")
    grads = [x.grad.data for x in xs]
    for i, g in enumerate(grads):
        assert not np.shares_memory(g, upstream), f"{spec.id}: gradient {i} aliases the upstream gradient"
        assert not np.shares_memory(g, xs[i].data), f"{spec.id}: gradient {i} aliases its input"
        for j in range(i):
            assert not np.shares_memory(g, grads[j]), f"{spec.id}: gradients {j} and {i} share memory"


@ALL
@row_examples(max(3, settings().max_examples // 5))
def test_create_graph_gives_the_plain_backward_gradient(spec, data):
    """The first derivative computed on Tensors (create_graph=True) must equal the one computed on
    ndarrays: rules with a separate Tensor branch (cross-entropy's) are checked here, not by gradgradcheck."""
    arrays, extra, params = data.draw(op_inputs(spec))
    xs = _tensors(arrays)
    out = _call(spec, xs, extra, params)
    upstream = np.random.default_rng(3).uniform(-1, 1, out.shape)
    plain = mg.grad(out, xs, upstream, retain_graph=True, allow_unused=True)
    recorded = mg.grad(out, xs, mg.tensor(upstream), create_graph=True, allow_unused=True)
    for i, (p, r) in enumerate(zip(plain, recorded)):
        assert (p is None) == (r is None), f"{spec.id}: input {i}"
        if p is not None:
            np.testing.assert_allclose(r.data, p.data, rtol=1e-12, atol=1e-13, err_msg=f"{spec.id}: input {i}")


def _piecewise(spec) -> bool:
    """A row whose derivative is chosen by comparisons: declared kinks, or inputs drawn on a grid to avoid ties."""
    return bool(spec.kinks) or spec.elements is not None


def _domain(spec, i):
    return spec.domain[i] if isinstance(spec.domain[0], (tuple, list)) else spec.domain


@ALL
@settings(max_examples=max(3, settings().max_examples // 5))
@given(data=st.data())
def test_nan_in_nan_out(spec, data):
    """The convention of README.md, "Gradients at NaN": with a NaN in one input element, the gradient at that
    element is NaN wherever the derivative depends on the element's value; where it does not (add, sum,
    indexing, matmul, ...: the same derivative at two other values), that derivative or NaN. Ops whose
    derivative is chosen by comparing the input with a kink (relu, abs, clip, max, ...) take the derivative
    of the piece a NaN falls in: NaN or a finite slope. Never an error or a warning in backward; an op may
    refuse a NaN input at the entry, naming itself (binary_cross_entropy takes probabilities only)."""
    arrays, extra, params = data.draw(op_inputs(spec))
    sized = [i for i, a in enumerate(arrays) if a.size]
    if not sized:
        return
    i = data.draw(st.sampled_from(sized))
    k = data.draw(st.integers(0, arrays[i].size - 1))

    def grad_at(value):
        xs = [a.copy() for a in arrays]
        xs[i].flat[k] = value
        ts = _tensors(xs)
        out = _call(spec, ts, extra, params)
        out.backward(np.ones(out.shape, dtype=out.dtype))
        return ts[i].grad.data.flat[k]

    try:
        at_nan = grad_at(np.nan)
    except ValueError as e:  # refused at the entry
        assert str(e).startswith(spec.name + ":"), f"{spec.id}: {e}"
        return
    if _piecewise(spec):
        assert np.isnan(at_nan) or np.isfinite(at_nan), f"{spec.id}: input {i} got {at_nan} at NaN"
        return
    v = arrays[i].flat[k]
    lo, hi = _domain(spec, i)
    other = (v + hi) / 2 if hi - v > 1e-3 else (v + lo) / 2
    at_v, at_other = grad_at(v), grad_at(other)
    if at_v == at_other:
        assert np.isnan(at_nan) or at_nan == at_v, f"{spec.id}: input {i}: {at_nan} at NaN, {at_v} elsewhere"
    else:
        assert np.isnan(at_nan), f"{spec.id}: input {i}: the gradient at NaN is {at_nan}, not NaN"


@pytest.mark.parametrize("spec", WITH_ERRORS, ids=[r.id for r in WITH_ERRORS])
def test_error_inputs_raise_the_declared_error(spec):
    for case in spec.error_inputs:
        with pytest.raises(case.error, match=case.match):
            spec.fn(*case.args, **(case.kwargs or {}))


# --------------------------------------------------------------------------- completeness

# Public names with no row of their own: integer and bool results, in-place updates (tests/test_inplace.py)
# and conversions (the `astype` row covers them).
NOT_DIFFERENTIABLE = {"argmax", "argmin", "any", "all", "long", "int", "bool"}
CONVERSIONS = {"float", "double", "to"}


def _public_functions():
    """{name: implementation} of every public op (Tensor methods, minigrad.<name>, nn.functional.<name>)
    from the ops' PUBLIC tables."""
    from minigrad import ops
    from minigrad.nn import losses
    impl = {}
    for where in ("T", "M", "F"):
        impl.update(ops.public(where, ops.MODULES + (losses,)))
    return {n: f for n, f in impl.items() if not (n.endswith("_") or n.startswith("__i"))}


def _primitives():
    """Every differentiable primitive defined in minigrad (functions carrying an `.op` with a rule)."""
    found = {}
    import minigrad
    for info in pkgutil.walk_packages(minigrad.__path__, "minigrad."):
        if info.name.endswith(("strategies",)):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            op = getattr(obj, "op", None)
            if callable(obj) and any(r is not None for r in getattr(op, "rules", ())):
                found[op.name] = obj
    return found


def _graph_op_names(t):
    names, stack, seen = set(), [t], set()
    while stack:
        t = stack.pop()
        if id(t) in seen or not isinstance(t, mg.Tensor) or t.grad_fn is None:
            continue
        seen.add(id(t))
        names.add(t.grad_fn.name)
        stack.extend(t.grad_fn.inputs)
    return names


def _ops_reached(spec):
    """The op names in the graph of one drawn call of the row (one example per row: drawing every row in one
    example would exceed hypothesis's data budget)."""
    reached = set()

    @given(data=st.data())
    @settings(max_examples=1)
    def draw(data):
        arrays, extra, params = data.draw(op_inputs(spec))
        reached.update(_graph_op_names(_call(spec, _tensors(arrays), extra, params)))
    draw()
    return reached


def test_every_primitive_is_exercised_by_a_row():
    covered = set().union(*(_ops_reached(spec) for spec in ROWS))
    missing = sorted(set(_primitives()) - covered)
    assert not missing, f"differentiable primitives with no registry row reaching them: {missing}"


def test_every_public_function_has_a_row_and_aliases_are_the_same_op():
    public = _public_functions()
    named = {r.name for r in ROWS} | {a for r in ROWS for a in r.aliases}
    missing = sorted(set(public) - named - NOT_DIFFERENTIABLE - CONVERSIONS)
    assert not missing, f"public functions with no registry row: {missing}"
    for r in ROWS:
        for alias in r.aliases:
            assert public[alias] is public[r.name], f"{alias} is not {r.name}"
