"""Engine v2's promises: gradient state local to each backward call (threads, retries after failures),
grad modes that nest and decorate, one op per name, import hygiene, and the behaviours that no test
pinned before (each found by injecting a bug that no test caught)."""
from __future__ import annotations

import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.testing import GradcheckError, gradcheck, gradgradcheck
from custom_functions import ExpSavesOutput


def f64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


class Boom(Exception):
    pass


# --------------------------------------------------------------------------- a failed backward changes nothing

def test_retry_after_a_raising_hook_gives_the_right_gradient():
    """The issue's example: before v2 the retry gave w.grad = None."""
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    z = (w * 3) * 2
    fail = {"on": True}

    def hook(g):
        if fail["on"]:
            raise Boom()

    z.register_hook(hook)
    loss = z.sum()
    with pytest.raises(Boom):
        loss.backward(retain_graph=True)
    assert w.grad is None
    fail["on"] = False
    loss.backward()
    np.testing.assert_array_equal(w.grad.data, [6.0, 6.0])


def test_retry_after_a_hook_raising_between_two_paths():
    """The second form: the hook fires after one path's gradient already reached x (before v2: [4, 4])."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    a, b = (x * 2).sum(), (x * 3).sum()
    fail = {"on": True}
    b.register_hook(lambda g: (_ for _ in ()).throw(Boom()) if fail["on"] else None)
    z = a + b
    with pytest.raises(Boom):
        z.backward(retain_graph=True)
    assert x.grad is None
    fail["on"] = False
    z.backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_a_raising_leaf_hook_updates_no_leaf():
    a, b, c = f64([1.0]), f64([2.0]), f64([3.0])
    b.register_hook(lambda g: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        (a * b * c).sum().backward()
    assert a.grad is None and b.grad is None and c.grad is None


class FailingOnce(mg.Function):
    failures = 1

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        if FailingOnce.failures:
            FailingOnce.failures -= 1
            raise Boom()
        return g * 2


def test_retry_after_a_raising_custom_function():
    FailingOnce.failures = 1
    x = f64([1.0, 2.0])
    y = FailingOnce.apply(x * 3) + x
    loss = y.sum()
    with pytest.raises(Boom):
        loss.backward(retain_graph=True)
    assert x.grad is None
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [7.0, 7.0])


def test_retry_after_a_raising_rule_without_retain_graph():
    """A failed backward releases nothing: retrying works even without retain_graph on the first call."""
    FailingOnce.failures = 1
    x = f64([1.0, 2.0])
    loss = (FailingOnce.apply(x) * x).sum()
    with pytest.raises(Boom):
        loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_retry_after_keyboard_interrupt_in_a_hook():
    x = f64([1.0])
    y = x * 5
    state = {"n": 0}

    def hook(g):
        state["n"] += 1
        if state["n"] == 1:
            raise KeyboardInterrupt

    y.register_hook(hook)
    with pytest.raises(KeyboardInterrupt):
        y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0])


def test_retained_grads_are_not_half_delivered_when_backward_fails():
    x = f64([1.0])
    h = x * 2
    h.retain_grad()
    out = h * 3
    out.register_hook(lambda g: None)
    x.register_hook(lambda g: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        out.sum().backward()
    assert h.grad is None and x.grad is None


# --------------------------------------------------------------------------- threads

def _model():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))


def _batches(n, seed):
    rng = np.random.default_rng(seed)
    return [(mg.tensor(rng.standard_normal((5, 4))), mg.tensor(rng.standard_normal((5, 1)))) for _ in range(n)]


def test_two_threads_backpropagating_through_a_shared_model_sum_exactly():
    """Data parallel habit: each thread runs backward on its own batches into the same parameters.
    The result must be exactly the sum of the same backwards run one after the other."""
    mg.set_default_dtype(np.float64)
    try:
        model = _model()
        work = [_batches(40, 1), _batches(40, 2)]
        for runs in range(3):
            for p in model.parameters():
                p.grad = None
            barrier = threading.Barrier(2)
            errors = []

            def run(batches):
                try:
                    barrier.wait()
                    for x, t in batches:
                        F.mse_loss(model(x), t, reduction="sum").backward()
                except BaseException as e:  # pragma: no cover - reported below
                    errors.append(e)

            threads = [threading.Thread(target=run, args=(b,)) for b in work]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors
            concurrent = [p.grad.data.copy() for p in model.parameters()]
            for p in model.parameters():
                p.grad = None
            for batches in work:
                for x, t in batches:
                    F.mse_loss(model(x), t, reduction="sum").backward()
            for got, want in zip(concurrent, (p.grad.data for p in model.parameters())):
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    finally:
        mg.set_default_dtype(np.float32)


def test_threads_share_an_intermediate_tensor():
    """Before v2, sharing an intermediate raised TypeError from the engine's scratch slots."""
    x = f64(np.linspace(-1, 1, 8))
    shared = (x * 2).tanh()
    results, errors = [], []

    def run(k):
        try:
            for _ in range(200):
                (g,) = mg.grad((shared * k).sum(), x, retain_graph=True)
                results.append((k, g.data.copy()))
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in (1.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    base = 2 * (1 - np.tanh(2 * x.data) ** 2)
    for k, g in results:
        np.testing.assert_allclose(g, k * base, rtol=1e-12)


# --------------------------------------------------------------------------- grad modes

def test_set_grad_enabled_works_as_a_decorator():
    @mg.set_grad_enabled(False)
    def inner():
        return mg.is_grad_enabled()

    assert inner() is False and mg.is_grad_enabled()


def test_one_no_grad_object_entered_twice_restores_grad_mode():
    ng = mg.no_grad()
    with ng:
        with ng:
            assert not mg.is_grad_enabled()
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_one_no_grad_object_shared_by_two_threads():
    ng = mg.no_grad()
    inside, leave = threading.Event(), threading.Event()
    seen = {}

    def other():
        with ng:
            inside.set()
            leave.wait()
        seen["after"] = mg.is_grad_enabled()

    t = threading.Thread(target=other)
    t.start()
    inside.wait()
    with ng:
        assert not mg.is_grad_enabled()
    leave.set()
    t.join()
    assert mg.is_grad_enabled() and seen["after"] is True


def test_no_grad_decorator_can_be_reused_and_nested():
    ng = mg.no_grad()

    @ng
    def f(depth):
        return f(depth - 1) if depth else mg.is_grad_enabled()

    assert f(3) is False and mg.is_grad_enabled()


# --------------------------------------------------------------------------- one op per name, imports

def test_sign_is_one_op_with_a_zero_derivative():
    x = f64([-2.0, 0.0, 3.0])
    for y in (x.sign(), F.sign(x)):
        assert y.grad_fn.name == "sign" and y.requires_grad
    F.sign(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
    assert F.sign.__wrapped__ is mg.Tensor.sign


def test_importing_minigrad_needs_numpy_only():
    code = ("import sys, minigrad, minigrad.nn, minigrad.optim, minigrad.data, minigrad.func, minigrad.testing; "
            "print(sorted(m for m in ('graphviz', 'hypothesis', 'matplotlib', 'sklearn', 'torch', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------- anomaly detection

def test_detect_anomaly_catches_inf_from_summing_a_leafs_finite_gradients():
    x = mg.tensor([1e-30], dtype="float32", requires_grad=True)
    big = np.float32(3e38)
    y = x * big + x * big  # each path's gradient is finite; their sum overflows float32
    with mg.detect_anomaly(), pytest.raises(RuntimeError, match="inf"):
        y.sum().backward()
    assert x.grad is None


def test_detect_anomaly_catches_inf_from_summing_into_an_existing_grad():
    x = mg.tensor([1e-30], dtype="float32", requires_grad=True)
    (x * np.float32(3e38)).sum().backward()
    with mg.detect_anomaly(), pytest.raises(RuntimeError, match="inf"):
        (x * np.float32(3e38)).sum().backward()


def test_detect_anomaly_catches_inf_summed_inside_the_graph():
    x = mg.tensor([1e-30], dtype="float32", requires_grad=True)
    h = x * 1.0
    y = h * np.float32(3e38) + h * np.float32(3e38)
    with mg.detect_anomaly(), pytest.raises(RuntimeError, match="inf"):
        y.sum().backward()


# --------------------------------------------------------------------------- the node view

def test_vjp_of_a_released_node_says_to_retain_the_graph():
    x = f64(np.random.default_rng(0).standard_normal((3, 4)))
    loss = F.cross_entropy(x, mg.tensor([0, 1, 2]))
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.grad_fn.vjp(1.0)


def test_vjp_runs_one_nodes_rules_summed_to_input_shapes():
    a, b = f64(np.ones((2, 3))), f64([1.0, 2.0, 3.0])
    y = a * b
    ga, gb = y.grad_fn.vjp(np.ones((2, 3)))
    np.testing.assert_array_equal(ga, np.broadcast_to([1.0, 2.0, 3.0], (2, 3)))
    np.testing.assert_array_equal(gb, [2.0, 2.0, 2.0])
    assert a.grad is None and b.grad is None


# --------------------------------------------------------------------------- behaviours no test pinned before

def test_grad_with_tensor_grad_outputs_and_create_graph():
    x = f64([1.0, 2.0])
    v = f64([3.0, -1.0])
    (g,) = mg.grad(x * x, x, grad_outputs=v, create_graph=True)
    np.testing.assert_array_equal(g.data, [6.0, -4.0])  # 2x·v
    (gv,) = mg.grad(g.sum(), v)  # the result depends on v: d(2x·v)/dv = 2x
    np.testing.assert_array_equal(gv.data, [2.0, 4.0])


def test_backward_with_a_tensor_gradient_on_a_float32_output():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    g = mg.tensor([1.0, 0.5], dtype="float64")
    y.backward(g)
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 1.5])
    assert not np.shares_memory(x.grad.data, g.data)
    z = x * 1
    g32 = mg.tensor([1.0, 1.0])
    z.backward(g32)
    assert not np.shares_memory(x.grad.data, g32.data)


def test_sum_of_two_leaves_gives_gradients_that_do_not_share_memory():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0] = 7.0
    assert b.grad.data[0] == 1.0


def test_where_with_a_float_condition_that_requires_grad():
    c = f64([1.0, 0.0, 2.0])
    a, b = f64([1.0, 2.0, 3.0]), f64([4.0, 5.0, 6.0])
    y = mg.where(c, a, b)
    np.testing.assert_array_equal(y.data, [1.0, 5.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 1.0, 0.0])
    assert c.grad is None  # the condition selects; it gets no gradient


def test_x_to_the_zero_at_zero_has_gradient_zero():
    x = f64([0.0, 2.0])
    y = x ** 0
    np.testing.assert_array_equal(y.data, [1.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_swish_with_beta_zero_is_half_x():
    x = f64([-2.0, 1.0, 3.0])
    y = F.swish(x, beta=0.0)
    np.testing.assert_allclose(y.data, x.data / 2)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.5, 0.5])


def test_softplus_threshold_with_beta_is_linear_above_threshold_over_beta():
    x = f64([1.0, 1.6, 5.0])
    y = F.softplus(x, beta=2.0, threshold=3.0)  # linear where 2x > 3
    np.testing.assert_allclose(y.data, [np.log1p(np.exp(2.0)) / 2, 1.6, 5.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1 / (1 + np.exp(-2.0)), 1.0, 1.0])


def test_broadcast_to_results_larger_than_4096_elements():
    x = f64(np.arange(100.0))
    y = x.broadcast_to(50, 100)
    assert y.shape == (50, 100)
    np.testing.assert_array_equal(y.data[7], np.arange(100.0))
    w = np.random.default_rng(0).standard_normal((50, 100))
    (y * w).sum().backward()
    np.testing.assert_allclose(x.grad.data, w.sum(axis=0))


class BroadcastGrad(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return mg.tensor(np.full((1, 3), 2.0))  # broadcasts to the input's (4, 3)


class NumberGrad(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum(keepdims=True) * 0 + 1.0

    @staticmethod
    def backward(ctx, g):
        return 0.5


class ListGrad(mg.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, g):
        return [3.0, 3.0]


def test_custom_function_gradients_broadcast_numbers_and_lists():
    x = f64(np.ones((4, 3)))
    BroadcastGrad.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((4, 3), 2.0))
    x = f64([1.0, 2.0])
    NumberGrad.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.5])
    x = f64([1.0, 2.0])
    ListGrad.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_custom_function_saving_its_own_output_is_differentiable_twice():
    x = f64([0.5, -1.0])
    assert gradcheck(ExpSavesOutput.apply, [x]) and gradgradcheck(ExpSavesOutput.apply, [x])
    y = ExpSavesOutput.apply(x)
    assert y.grad_fn.name == "ExpSavesOutput"
    (g,) = mg.grad(y.sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, np.exp(x.data))


def test_gradcheck_with_plain_ints_and_integer_tensors_among_its_arguments():
    x = f64([0.3, -0.7])
    idx = mg.tensor([1, 0])
    assert gradcheck(lambda t, k, i: (t * k)[i], [x, 3, idx])
    assert gradgradcheck(lambda t, k, i: (t * t * k)[i], [x, 3, idx])


def test_gradcheck_tolerance_boundary():
    class Off(mg.Function):  # gradient off by exactly 1e-3 relative
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * (1 + 1e-3)

    x = f64([1.0])
    assert gradcheck(Off.apply, [x], atol=0, rtol=2e-3)
    with pytest.raises(GradcheckError):
        gradcheck(Off.apply, [x], atol=0, rtol=5e-4)


def test_gradgradcheck_default_rtol_is_gradchecks():
    import inspect
    assert inspect.signature(gradgradcheck).parameters["rtol"].default == 1e-3
    assert inspect.signature(gradgradcheck).parameters["atol"].default == 1e-5


def test_data_of_reductions_and_losses_is_a_0d_ndarray():
    x = f64(np.ones((3, 2)))
    for y in (x.sum(), x.mean(), x.max(), x.logsumexp(), x.var(), F.mse_loss(x, np.zeros((3, 2))),
              F.cross_entropy(x, mg.tensor([0, 1, 1]))):
        assert type(y.data) is np.ndarray and y.data.shape == (), type(y.data)


def test_numpy_warnings_from_a_ufunc_forward_name_the_op():
    """log(-1) warns from the recording function of 'log', not from a line of the engine."""
    for call in (lambda: mg.log(mg.tensor([-1.0])), lambda: mg.tensor([-1.0]).log(),
                 lambda: mg.tensor([-1.0], requires_grad=True).sqrt()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert [w.category for w in caught] == [RuntimeWarning]
        assert caught[0].filename.startswith("<minigrad op "), caught[0].filename
