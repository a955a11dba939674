"""Fixed tests for the autograd engine: graph shapes, accumulation, hooks, grad modes, custom
Functions, anomaly detection, higher-order derivatives, `grad()`, deep graphs, dtypes and aliasing."""
import gc
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad.tensor import Tensor
from custom_functions import Cube, CubeArrayBackward, ExpSavesOutput


def f64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------------------- graph shapes

def test_tensor_used_twice_in_mul_gets_both_contributions():
    x = f64(3.0)
    (x * x).backward()
    assert x.grad.item() == 6.0


def test_tensor_used_twice_in_add_gets_both_contributions():
    x = f64([1.0, -2.0])
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_diamond_graph_sums_both_paths():
    # y = a*b + exp(a) with a = 2x and b = x**2, so y = 2x³ + e^(2x) and dy/dx = 6x² + 2e^(2x)
    x = f64(0.5)
    a = x * 2
    b = x ** 2
    y = a * b + mg.exp(a)
    y.backward()
    assert x.grad.item() == pytest.approx(6 * 0.25 + 2 * np.exp(1.0), rel=1e-12)


def test_diamond_graph_visits_shared_node_once():
    # the shared node h = x*3 feeds two branches; a wrong topological order would run h's rule
    # before both contributions arrive and give 3*1 instead of 3*(1+2)
    calls = []
    x = f64([1.0, 2.0])
    h = x * 3
    h.register_hook(lambda g: calls.append(g.data.copy()))
    y = (h + 2 * h).sum()
    y.backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.data, [9.0, 9.0])


def test_grad_fn_exposes_op_name_inputs_attrs_and_output():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    y = x * 2.0
    assert y.grad_fn.name == "mul"
    assert y.grad_fn.inputs[0] is x and y.grad_fn.inputs[1] == 2.0
    assert y.grad_fn.output is y
    s = y.sum(axis=1, keepdims=True)
    assert s.grad_fn.name == "sum"
    assert s.grad_fn.attrs == {"axis": 1, "keepdims": True}
    assert s.grad_fn.inputs == (y,)
    assert x.grad_fn is None and x.is_leaf and not y.is_leaf


# --------------------------------------------------------------------------- accumulation, retain

def test_gradients_accumulate_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])


def test_grad_can_be_reset_to_none_and_starts_fresh():
    x = f64(2.0)
    (x * 5).backward()
    x.grad = None
    (x * 7).backward()
    assert x.grad.item() == 7.0


def test_non_leaf_grad_is_kept_only_after_retain_grad():
    x = f64([1.0, 2.0])
    y = x * 3
    z = y * y
    z.sum().backward()
    assert y.grad is None
    x2 = f64([1.0, 2.0])
    y2 = x2 * 3
    y2.retain_grad()
    (y2 * y2).sum().backward()
    np.testing.assert_allclose(y2.grad.data, [6.0, 12.0])  # d(y²)/dy = 2y
    np.testing.assert_allclose(x2.grad.data, [18.0, 36.0])


def test_second_backward_without_retain_graph_raises():
    x = f64(3.0)
    y = mg.exp(x * x)
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_second_backward_with_retain_graph_doubles_the_gradient():
    x = f64(3.0)
    y = x * x
    y.backward(retain_graph=True)
    assert x.grad.item() == 6.0
    y.backward()
    assert x.grad.item() == 12.0


def test_backward_on_a_leaf_gives_its_upstream_gradient():
    x = f64([1.0, 2.0])
    x.backward(np.array([3.0, -1.0]))
    np.testing.assert_array_equal(x.grad.data, [3.0, -1.0])


# --------------------------------------------------------------------------- hooks

def test_hook_on_leaf_sees_the_gradient():
    seen = []
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: seen.append(g.data.copy()))
    (x * x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])


def test_hook_on_leaf_can_replace_the_gradient():
    x = f64([1.0, 2.0])
    x.register_hook(lambda g: g * 0 + 7)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [7.0, 7.0])


def test_hook_on_non_leaf_replaces_what_flows_upstream():
    x = f64([1.0, 2.0])
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.data.copy()))
    y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])  # the hook sees dL/dy = 2y
    np.testing.assert_array_equal(x.grad.data, [180.0, 360.0])  # 10 * 2y * 3


def test_hook_removed_through_its_handle_no_longer_runs():
    x = f64(1.0)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1) or g * 100)
    (x * 2).backward()
    assert x.grad.item() == 200.0 and len(calls) == 1
    handle.remove()
    x.grad = None
    (x * 2).backward()
    assert x.grad.item() == 2.0 and len(calls) == 1


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="register_hook"):
        mg.tensor([1.0]).register_hook(lambda g: g)


# --------------------------------------------------------------------------- grad modes

def test_no_grad_results_are_leaves_that_do_not_require_grad():
    x = f64([1.0, 2.0])
    with mg.no_grad():
        y = x * 2 + 1
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    np.testing.assert_array_equal(y.data, [3.0, 5.0])


def test_no_grad_as_decorator():
    @mg.no_grad()
    def double(t):
        assert not mg.is_grad_enabled()
        return t * 2

    y = double(f64([1.0]))
    assert not y.requires_grad and y.grad_fn is None
    assert mg.is_grad_enabled()
    assert double.__name__ == "double"


def test_enable_grad_nested_in_no_grad_records():
    x = f64([1.0, 2.0])
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
            assert mg.is_grad_enabled()
        z = x * 2
        assert not mg.is_grad_enabled()
    assert y.requires_grad and y.grad_fn.name == "mul"
    assert not z.requires_grad


def test_enable_grad_as_decorator_inside_no_grad():
    @mg.enable_grad()
    def record(t):
        return t * 2

    x = f64(1.0)
    with mg.no_grad():
        y = record(x)
    assert y.requires_grad


def test_grad_mode_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()


def test_no_grad_in_one_thread_does_not_affect_another():
    entered, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with mg.no_grad():
            seen["worker"] = mg.is_grad_enabled()
            entered.set()
            release.wait(30)

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert entered.wait(30)
        assert mg.is_grad_enabled()
        y = f64([1.0]) * 2
        assert y.requires_grad and y.grad_fn is not None
    finally:
        release.set()
        th.join(30)
    assert seen["worker"] is False


def test_new_thread_starts_with_grad_enabled_even_inside_no_grad():
    seen = {}

    def worker():
        seen["enabled"] = mg.is_grad_enabled()
        seen["requires_grad"] = (f64([1.0]) * 2).requires_grad

    with mg.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join(30)
    assert seen == {"enabled": True, "requires_grad": True}


def test_nothing_recorded_when_no_input_requires_grad():
    a = mg.tensor([1.0, 2.0])
    b = mg.tensor([3.0, 4.0])
    for y in (a * b, mg.exp(a), a.sum(), a @ b, a[0], mg.stack([a, b])):
        assert y.grad_fn is None and y.is_leaf and not y.requires_grad


def test_detach_shares_data_and_cuts_the_graph():
    x = f64([1.0, 2.0])
    y = x * 3
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 6.0])  # d is a constant


def test_requires_grad_():
    x = mg.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    x.requires_grad_(False)
    assert not x.requires_grad and (x * 2).grad_fn is None
    with pytest.raises(TypeError):
        mg.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError):
        (f64([1.0]) * 2).requires_grad_(False)


# --------------------------------------------------------------------------- custom Function

class ScaledSquare(mg.Function):
    """k * x², with k a plain Python number passed through to forward."""

    seen = {}

    @staticmethod
    def forward(ctx, x, k):
        ScaledSquare.seen["forward"] = (type(x), type(k))
        ctx.save_for_backward(x)
        ctx.k = k
        return k * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ScaledSquare.seen["backward"] = (type(g), type(x))
        return g * 2 * ctx.k * x, None


def test_function_forward_gets_ndarrays_and_backward_gets_tensors():
    x = f64([1.0, -2.0])
    y = ScaledSquare.apply(x, 3.0)
    assert y.grad_fn is not None and y.grad_fn.name == "ScaledSquare"
    np.testing.assert_allclose(y.data, [3.0, 12.0])
    y.sum().backward()
    assert ScaledSquare.seen["forward"] == (np.ndarray, float)
    assert ScaledSquare.seen["backward"] == (Tensor, Tensor)
    np.testing.assert_allclose(x.grad.data, [6.0, -12.0])


def test_function_double_backward_through_tensor_ops():
    x = f64([1.0, -2.0, 0.5])
    y = ScaledSquare.apply(x, 3.0)
    (g,) = mg.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 6 * x.data)
    (gg,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, [6.0, 6.0, 6.0])


def test_function_third_derivative():
    x = f64(1.5)
    (d1,) = mg.grad(Cube.apply(x), x, create_graph=True)
    (d2,) = mg.grad(d1, x, create_graph=True)
    (d3,) = mg.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((3 * 1.5 ** 2, 6 * 1.5, 6.0))


def test_function_backward_returning_ndarray():
    x = f64([1.0, 2.0])
    CubeArrayBackward.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 12.0])
    (g,) = mg.grad(CubeArrayBackward.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    assert not g.requires_grad  # an ndarray gradient is a constant: nothing to differentiate again


class MulBoth(mg.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, None  # deliberately no gradient for b


def test_function_backward_returning_none_leaves_input_without_grad():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    MulBoth.apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])
    assert b.grad is None


SaveDerived = ExpSavesOutput  # saves an array computed in forward (not an input)


def test_function_saved_tensors_hold_saved_values():
    x = f64([0.0, 1.0])
    y = SaveDerived.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.0, 1.0]))


def test_function_second_backward_needs_retain_graph():
    x = f64(2.0)
    y = Cube.apply(x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    x2 = f64(2.0)
    y2 = Cube.apply(x2)
    y2.backward(retain_graph=True)
    y2.backward()
    assert x2.grad.item() == 24.0


def test_function_without_grad_inputs_records_nothing():
    y = Cube.apply(mg.tensor([2.0]))
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_array_equal(y.data, [8.0])


# --------------------------------------------------------------------------- detect_anomaly

def test_detect_anomaly_names_sqrt_at_zero():
    x = f64([0.0, 1.0])
    with mg.detect_anomaly():
        y = mg.sqrt(x).sum()
        with pytest.raises(RuntimeError, match="sqrt") as info:
            y.backward()
    assert "inf" in str(info.value)
    assert np.geterr()["divide"] == "warn"  # numpy's error state is restored


class NaNBackward(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * np.nan


def test_detect_anomaly_names_custom_function_producing_nan():
    x = f64([1.0, 2.0])
    with mg.detect_anomaly():
        y = (NaNBackward.apply(x) * 3).sum()
        with pytest.raises(RuntimeError, match="NaNBackward") as info:
            y.backward()
    assert "NaN" in str(info.value)


def test_without_detect_anomaly_nan_gradient_is_stored():
    x = f64([1.0, 2.0])
    NaNBackward.apply(x).sum().backward()
    assert np.isnan(x.grad.data).all()


# --------------------------------------------------------------------------- higher order

@pytest.mark.parametrize("point", [-2.0, -0.5, 0.0, 0.7, 3.0])
def test_derivatives_of_sin_up_to_third_order(point):
    x = f64(point)
    y = mg.sin(x)
    (d1,) = mg.grad(y, x, create_graph=True)
    (d2,) = mg.grad(d1, x, create_graph=True)
    (d3,) = mg.grad(d2, x)
    assert d1.item() == pytest.approx(np.cos(point), abs=1e-12)
    assert d2.item() == pytest.approx(-np.sin(point), abs=1e-12)
    assert d3.item() == pytest.approx(-np.cos(point), abs=1e-12)


def test_backward_with_create_graph_gives_differentiable_grad():
    x = f64([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    np.testing.assert_allclose(g.data, [3.0, 12.0])
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [6.0, 12.0])


def test_hessian_of_quadratic_form_row_by_row():
    A = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 4.0], [0.5, 0.0, -2.0]])
    x = f64([0.3, -1.2, 2.0])
    f = x @ (mg.tensor(A) @ x)
    (g,) = mg.grad(f, x, create_graph=True)
    np.testing.assert_allclose(g.data, (A + A.T) @ x.data)
    rows = [mg.grad(g[i], x, retain_graph=True)[0].data for i in range(3)]
    np.testing.assert_allclose(np.stack(rows), A + A.T, atol=1e-12)


def test_hessian_vector_products():
    A = np.array([[2.0, 1.0], [0.0, -3.0]])
    x = f64([0.5, 1.5])
    v = np.array([1.0, -2.0])
    f = x @ (mg.tensor(A) @ x)
    (g,) = mg.grad(f, x, create_graph=True)
    (hv,) = mg.grad(g, x, grad_outputs=mg.tensor(v))
    np.testing.assert_allclose(hv.data, (A + A.T) @ v)
    # a non-quadratic: f = sum(x³) has Hessian diag(6x)
    y = f64([1.0, -2.0, 0.5])
    (gy,) = mg.grad((y ** 3).sum(), y, create_graph=True)
    u = np.array([0.5, 1.0, -4.0])
    (hu,) = mg.grad(gy, y, grad_outputs=u)
    np.testing.assert_allclose(hu.data, 6 * y.data * u)


# --------------------------------------------------------------------------- grad()

def test_grad_unused_input_none_with_allow_unused_else_error():
    x, unused = f64([1.0]), f64([2.0])
    y = (x * 2).sum()
    gx, gu = mg.grad(y, [x, unused], retain_graph=True, allow_unused=True)
    np.testing.assert_array_equal(gx.data, [2.0])
    assert gu is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad(y, [x, unused])


def test_grad_with_grad_outputs_weights_the_output():
    x = f64([1.0, 2.0, 3.0])
    y = x * x
    (g,) = mg.grad(y, x, grad_outputs=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(g.data, [2.0, 0.0, -6.0])


def test_grad_multiple_outputs_and_inputs():
    a, b = f64(2.0), f64(-3.0)
    out1 = a * b
    out2 = a + b * b
    ga, gb = mg.grad([out1, out2], [a, b], grad_outputs=[mg.tensor(1.0), mg.tensor(2.0)])
    # d(out1 + 2*out2)/da = b + 2 ; d/db = a + 4b
    assert ga.item() == pytest.approx(-3.0 + 2.0)
    assert gb.item() == pytest.approx(2.0 - 12.0)
    assert isinstance(ga, Tensor) and isinstance(gb, Tensor)


def test_grad_returns_tuple_and_leaves_dot_grad_untouched():
    x = f64([1.0, 2.0])
    res = mg.grad((x * 5).sum(), x)
    assert isinstance(res, tuple) and len(res) == 1
    assert x.grad is None
    x.grad = mg.tensor(np.array([9.0, 9.0]))
    y = f64([3.0])
    y.retain_grad()
    mg.grad((x * y).sum(), [x])
    np.testing.assert_array_equal(x.grad.data, [9.0, 9.0])
    assert y.grad is None


def test_grad_on_non_differentiable_output_raises():
    with pytest.raises(RuntimeError):
        mg.grad(mg.tensor(1.0), f64(1.0))


# --------------------------------------------------------------------------- deep graphs

def test_million_op_chain_backprops_without_recursion():
    # x_{k+1} = 1.0001 x_k + 0.0001, 500,000 times (1,000,000 ops): dx_n/dx_0 = 1.0001^n
    n = 500_000
    x0 = f64([1.0])
    x = x0
    for _ in range(n):
        x = x * 1.0001 + 0.0001
    x.backward(np.ones(1))
    assert x0.grad.item() == pytest.approx(1.0001 ** n, rel=1e-8)
    np.testing.assert_allclose(x.data, [2.0 * 1.0001 ** n - 1.0], rtol=1e-8)
    del x
    gc.collect()
    assert x0.grad.shape == (1,)


def test_deep_chain_repr_and_collection():
    x = f64(0.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    assert repr(y).startswith("tensor(100000.") and "grad_fn=<add>" in repr(y)
    del y
    gc.collect()
    assert x.grad is None


# --------------------------------------------------------------------------- dtypes and shapes

def test_float32_gradients_stay_float32_with_python_float_constants():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert x.dtype == np.float32
    y = ((x * 2.5 + 1.0) ** 2 / 3.0 - 0.5).exp().mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (3,)


def test_float32_gradient_with_float64_ndarray_constant_is_cast_back():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * np.array([2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0])


def test_float64_gradients_stay_float64():
    x = f64([[1.0, 2.0]])
    (mg.sin(x) * 2.0).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.shape == (1, 2)


def test_mixed_precision_gives_each_input_its_own_dtype():
    a = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = mg.tensor(np.array([[3.0], [4.0]], dtype=np.float64), requires_grad=True)
    y = a * b
    assert y.dtype == np.float64 and y.shape == (2, 2)
    y.sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.shape == (2,)
    assert b.grad.dtype == np.float64 and b.grad.shape == (2, 1)
    np.testing.assert_array_equal(a.grad.data, [7.0, 7.0])
    np.testing.assert_array_equal(b.grad.data, [[3.0], [3.0]])


def test_backward_accepts_upstream_gradient_of_another_float_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True)  # float32
    (x * 2).backward(np.array([1.0, 0.5]))  # float64 upstream gradient
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0])


# --------------------------------------------------------------------------- aliasing, mutation

def test_leaf_grads_never_alias_the_upstream_gradient_or_each_other():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    g = np.array([1.0, -1.0])
    (a + b).backward(g)
    arrays = [g, a.grad.data, b.grad.data]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.shares_memory(arrays[i], arrays[j])
    g[:] = 100.0
    np.testing.assert_array_equal(a.grad.data, [1.0, -1.0])
    a.grad.data[:] = -5.0
    np.testing.assert_array_equal(b.grad.data, [1.0, -1.0])


def test_leaf_backward_does_not_alias_the_given_gradient():
    x = f64([1.0, 2.0])
    g = np.array([4.0, 5.0])
    x.backward(g)
    assert not np.shares_memory(x.grad.data, g)


def test_grad_results_do_not_alias_grad_outputs():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    g = np.array([1.0, -1.0])
    ga, gb = mg.grad(a + b, [a, b], grad_outputs=g)
    assert not np.shares_memory(ga.data, g) and not np.shares_memory(gb.data, g)
    assert not np.shares_memory(ga.data, gb.data)


def test_accumulated_grad_does_not_alias_previous_upstream():
    x = f64([1.0, 2.0])
    g1, g2 = np.array([1.0, 1.0]), np.array([2.0, 2.0])
    (x + 0).backward(g1)
    (x + 0).backward(g2)
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    np.testing.assert_array_equal(g1, [1.0, 1.0])
    np.testing.assert_array_equal(g2, [2.0, 2.0])


def test_backward_modifies_neither_inputs_nor_upstream_gradient():
    x = f64([[1.0, 2.0], [3.0, 4.0]])
    w = f64([0.5, -1.0])
    x0, w0 = x.data.copy(), w.data.copy()
    y = (x * w + x) * mg.exp(w) + x  # x used three times, broadcasting w
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    g0 = g.copy()
    y.backward(g)
    np.testing.assert_array_equal(x.data, x0)
    np.testing.assert_array_equal(w.data, w0)
    np.testing.assert_array_equal(g, g0)


def test_a_backward_that_fails_midway_leaves_no_stale_state():
    """A hook that raises stops the backward; the next backward must not see half-summed gradients."""
    x = mg.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = x * 3.0
    z = (y * y).sum() + y.sum()
    calls = []

    def fail_once(g):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("boom")

    y.register_hook(fail_once)
    with pytest.raises(ValueError, match="boom"):
        z.backward(retain_graph=True)
    assert x.grad is None
    z.backward()
    np.testing.assert_allclose(x.grad.data, 3.0 * (2 * 3.0 * np.array([1.0, 2.0]) + 1.0))


def test_saved_values_survive_retain_graph_and_are_released_after():
    """An op that saves forward values (fused cross-entropy saves the softmax) must not let a backward
    modify them, must keep them under retain_graph=True, and must drop them after the last backward."""
    import minigrad.nn.functional as F
    from minigrad.autograd.graph import RELEASED

    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    loss = F.cross_entropy(x, mg.tensor([0, 2, 1, 2]))
    assert isinstance(loss._saved, np.ndarray)
    loss.backward(retain_graph=True)
    first = x.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)
    assert loss._saved is RELEASED
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_grad_runs_only_the_rules_on_paths_to_the_requested_inputs():
    calls = []

    class Spy(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * 2

    a, b = f64([1.0, 2.0]), f64([3.0])
    out = (a * 3.0).sum() + Spy.apply(b).sum()
    (ga,) = mg.grad(out, a, retain_graph=True)
    np.testing.assert_allclose(ga.data, [3.0, 3.0])
    assert calls == []  # b's branch cannot reach a: its rule never ran
    (gb,) = mg.grad(out, b)
    np.testing.assert_allclose(gb.data, [2.0])
    assert calls == [1]
