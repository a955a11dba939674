"""numpy's functions on tensors (minigrad/interop.py): dispatched to minigrad's ops, recorded and
differentiable; everything else a TypeError pointing to t.numpy().

The registry property: for every row whose op numpy also has (np.exp for exp, np.sum for sum, ...), the
row's numpy reference called on Tensors instead of arrays runs minigrad through numpy's dispatch, and
must agree with the row's own call in value and gradient.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import interop, ops
from op_registry import ROWS, op_inputs

COUNTERPARTS = interop.counterparts()
WITH_NUMPY = [r for r in ROWS if r.name in COUNTERPARTS and r.via_numpy]


def _tensors(arrays):
    return [mg.tensor(a, requires_grad=True) for a in arrays]


def test_rows_with_a_numpy_counterpart_are_many():
    names = {r.name for r in WITH_NUMPY}
    assert {"add", "div", "pow", "exp", "sum", "mean", "var", "std", "max", "reshape", "transpose", "concatenate",
            "stack", "where", "matmul", "maximum", "clip", "squeeze", "unsqueeze", "tanh", "sign"} <= names


@pytest.mark.parametrize("spec", WITH_NUMPY, ids=[r.id for r in WITH_NUMPY])
@settings(max_examples=max(3, settings().max_examples // 5))
@given(data=st.data())
def test_numpy_reference_on_tensors_equals_the_op_in_value_and_gradient(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    mine = _tensors(arrays)
    out = spec.fn(*mine, *extra, **params)
    theirs = _tensors(arrays)
    via_numpy = spec.ref(*theirs, *extra, **params)
    assert isinstance(via_numpy, mg.Tensor), f"{spec.id}: numpy's function gave {type(via_numpy).__name__}"
    np.testing.assert_allclose(via_numpy.data, out.data, rtol=1e-12, atol=1e-12, err_msg=spec.id)
    upstream = np.random.default_rng(0).uniform(-1, 1, out.shape)
    out.backward(upstream)
    via_numpy.backward(upstream)
    for i, (a, b) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(b.grad.data, a.grad.data, rtol=1e-10, atol=1e-12, err_msg=f"{spec.id}: input {i}")


def test_every_public_function_numpy_also_names_is_dispatched():
    public = {**ops.public("T"), **ops.public("M"), **F.FORMS}
    missing = [name for name in public if name not in interop.NOT_NUMPY and callable(getattr(np, name, None))
               and name not in COUNTERPARTS]
    assert not missing, f"numpy functions of minigrad's names that do not dispatch: {missing}"


# --------------------------------------------------------------------------- what dispatches

def test_ufuncs_and_functions_return_recorded_tensors():
    t = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = np.sum(np.exp(t) * np.maximum(t, 0)) + np.mean(np.concatenate([t, np.tanh(t)]))
    assert isinstance(y, mg.Tensor) and y.requires_grad
    y.backward()
    x = t.data
    expected = np.exp(x) * np.maximum(x, 0) + np.exp(x) * (x > 0) + (1 + (1 - np.tanh(x) ** 2)) / 6
    np.testing.assert_allclose(t.grad.data, expected, rtol=1e-6)


def test_numpy_names_that_differ_from_minigrads():
    t = mg.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    pairs = [(np.absolute(t), mg.abs(t)), (np.true_divide(t, 2), t / 2), (np.power(t, 2), t ** 2),
             (np.negative(t), -t), (np.subtract(1, t), 1 - t), (np.amax(t, axis=0), t.max(axis=0)),
             (np.expand_dims(t, 0), t.unsqueeze(0)), (np.transpose(t, (1, 0)), t.T), (np.clip(t, 0, 2), t.clip(0, 2))]
    for got, expected in pairs:
        assert isinstance(got, mg.Tensor) and got.grad_fn is not None
        np.testing.assert_array_equal(got.data, expected.data)


def test_comparisons_give_bool_tensors_without_grad():
    t = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (np.less(t, 2), np.greater_equal(t, 2), np.equal(t, 2), np.ones(3) < t, np.logical_not(t > 1)):
        assert isinstance(r, mg.Tensor) and r.dtype == np.bool_ and not r.requires_grad


def test_ndarray_operator_tensor_gives_a_tensor_in_operand_order():
    t = mg.tensor([1.0, 2.0, 4.0], requires_grad=True)
    a = np.array([2.0, 3.0, 5.0])
    for got, expected in [(a + t, a + t.data), (a - t, a - t.data), (a * t, a * t.data), (a / t, a / t.data),
                          (a ** t, a ** t.data), (a @ t, a @ t.data), (np.float64(2.0) * t, 2.0 * t.data)]:
        assert isinstance(got, mg.Tensor)
        np.testing.assert_allclose(got.data, expected)
    (a / t).sum().backward()
    np.testing.assert_allclose(t.grad.data, -a / t.data ** 2)
    with pytest.raises(ValueError, match=r"^mul: shapes \(4,\) and \(3,\) do not broadcast"):
        np.ones(4) * t


def test_asarray_and_shape_queries_read_the_data():
    t = mg.tensor([[1.0, 2.0]])
    assert np.asarray(t).dtype == np.float32 and np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.shape(t) == (1, 2) and np.ndim(t) == 2 and np.size(t) == 2
    assert np.result_type(t) == np.float32
    np.testing.assert_array_equal(np.array(t), [[1.0, 2.0]])


# --------------------------------------------------------------------------- what does not

@pytest.mark.parametrize("call, named", [
    (lambda t: np.add.reduce(t), r"np\.add\.reduce"),
    (lambda t: np.add.accumulate(t), r"np\.add\.accumulate"),
    (lambda t: np.add.at(t, [0], 1.0), r"np\.add\.at"),
    (lambda t: np.exp(t, out=np.empty(3)), r"np\.exp\(\.\.\., out=\)"),
    (lambda t: np.multiply(t, 2, where=np.ones(3, bool)), r"np\.multiply\(\.\.\., where=\)"),
    (lambda t: np.sum(t, dtype=np.float64), r"np\.sum\(\).*got an unexpected keyword argument 'dtype'"),
    (lambda t: np.unique(t), r"np\.unique\(\)"),
    (lambda t: np.median(t), r"np\.median\(\)"),
    (lambda t: np.fft.fft(t), r"np\.fft\(\)"),
    (lambda t: np.gcd(t, 2), r"np\.gcd"),
], ids=["reduce", "accumulate", "at", "out", "where", "dtype", "unique", "median", "fft", "gcd"])
def test_other_numpy_calls_raise_naming_them_and_pointing_to_numpy(call, named):
    t = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=named) as info:
        call(t)
    assert "t.numpy()" in str(info.value)


def test_inplace_ndarray_update_with_a_tensor_raises():
    a = np.zeros(3)
    with pytest.raises(TypeError, match=r"np\.add\(\.\.\., out=\)"):
        a += mg.ones(3, dtype="float64")
    np.testing.assert_array_equal(a, 0.0)  # untouched
    a += mg.ones(3, dtype="float64").numpy()  # the way that works
    np.testing.assert_array_equal(a, 1.0)
