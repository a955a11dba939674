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
from op_registry import ROWS, op_inputs

ALL = pytest.mark.parametrize("spec", ROWS, ids=[r.id for r in ROWS])
SMOOTH = pytest.mark.parametrize("spec", [r for r in ROWS if r.twice], ids=[r.id for r in ROWS if r.twice])
WITH_ERRORS = [r for r in ROWS if r.error_inputs]


def _tensors(arrays, dtype=np.float64, requires_grad=True):
    return [mg.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays]


def _call(spec, tensors, extra, params):
    return spec.fn(*tensors, *extra, **params)


@ALL
@given(data=st.data())
def test_forward_matches_reference(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    out = _call(spec, _tensors(arrays, requires_grad=False), extra, params)
    expected = spec.ref(*arrays, *extra, **params)
    assert out.shape == np.shape(expected), f"{spec.name}: shape {out.shape} != reference {np.shape(expected)}"
    np.testing.assert_allclose(out.data, expected, rtol=spec.fwd_rtol, atol=1e-12, err_msg=spec.name)


@ALL
@given(data=st.data())
def test_gradcheck(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    assert gradcheck(lambda *ts: _call(spec, ts, extra, params), _tensors(arrays),
                     eps=spec.eps, atol=spec.atol, rtol=spec.rtol)


@SMOOTH
@settings(max_examples=max(5, settings().max_examples // 3))
@given(data=st.data())
def test_gradgradcheck(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    assert gradgradcheck(lambda *ts: _call(spec, ts, extra, params), _tensors(arrays),
                         eps=spec.eps, atol=spec.atol * 10, rtol=spec.rtol * 10)


@ALL
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_dtype_and_shape_preserved(spec, dtype, data):
    if dtype == np.float32 and not spec.float32:
        pytest.skip(f"{spec.name} is float64-only")
    arrays, extra, params = data.draw(op_inputs(spec))
    xs = _tensors(arrays, dtype)
    out = _call(spec, xs, extra, params)
    assert out.dtype == dtype, f"{spec.name}: {np.dtype(dtype)} input gave {out.dtype} output"
    out.backward(np.ones(out.shape, dtype=out.dtype))
    for i, x in enumerate(xs):
        assert x.grad is not None, f"{spec.name}: input {i} got no gradient"
        assert x.grad.dtype == x.dtype and x.grad.shape == x.shape, \
            f"{spec.name}: input {i} {x.dtype}{x.shape} got gradient {x.grad.dtype}{x.grad.shape}"


@ALL
@given(data=st.data())
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
        np.testing.assert_array_equal(x.data, b, err_msg=f"{spec.name}: input {i} was modified")
    for e, b in zip(extra, extra_before):
        np.testing.assert_array_equal(e, b, err_msg=f"{spec.name}: a non-tensor argument was modified")
    np.testing.assert_array_equal(upstream, upstream_before, err_msg=f"{spec.name}: upstream gradient modified")
    grads = [x.grad.data for x in xs]
    for i, g in enumerate(grads):
        assert not np.shares_memory(g, upstream), f"{spec.name}: gradient {i} aliases the upstream gradient"
        assert not np.shares_memory(g, xs[i].data), f"{spec.name}: gradient {i} aliases its input"
        for j in range(i):
            assert not np.shares_memory(g, grads[j]), f"{spec.name}: gradients {j} and {i} share memory"


@pytest.mark.parametrize("spec", WITH_ERRORS, ids=[r.id for r in WITH_ERRORS])
def test_error_inputs_raise_the_declared_error(spec):
    for case in spec.error_inputs:
        with pytest.raises(case.error, match=case.match):
            spec.fn(*case.args, **(case.kwargs or {}))


# --------------------------------------------------------------------------- completeness

NOT_DIFFERENTIABLE = {"argmax", "argmin", "step", "sign", "manual_seed", "tensor"}


def _public_functions():
    """Public differentiable functions: minigrad's top-level functional forms and nn.functional."""
    names = set()
    from minigrad import functions
    for n, f in vars(functions).items():
        if inspect.isfunction(f) and not n.startswith("_") and f.__module__ == functions.__name__:
            names.add(n)
    try:
        F = importlib.import_module("minigrad.nn.functional")
        for n in getattr(F, "__all__", [n for n in dir(F) if not n.startswith("_")]):
            if callable(getattr(F, n)):
                names.add(n)
    except ImportError:
        pass
    return names - NOT_DIFFERENTIABLE


def _primitives():
    """Every differentiable primitive defined in minigrad (objects carrying an `.op`)."""
    found = {}
    import minigrad
    for info in pkgutil.walk_packages(minigrad.__path__, "minigrad."):
        if info.name.endswith(("strategies",)):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            op = getattr(obj, "op", None)
            if callable(obj) and op is not None and getattr(op, "differentiable", False) and hasattr(op, "vjps"):
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


@given(data=st.data())
@settings(max_examples=1)
def test_every_primitive_is_exercised_by_a_row(data):
    covered = set()
    for spec in ROWS:
        arrays, extra, params = data.draw(op_inputs(spec))
        covered |= _graph_op_names(_call(spec, _tensors(arrays), extra, params))
    missing = sorted(set(_primitives()) - covered)
    assert not missing, f"differentiable primitives with no registry row reaching them: {missing}"


def test_every_public_function_has_a_row():
    from rows_core import ALIASES
    row_names = {r.name for r in ROWS}
    missing = sorted(n for n in _public_functions() if ALIASES.get(n, n) not in row_names)
    assert not missing, f"public differentiable functions with no registry row: {missing}"
