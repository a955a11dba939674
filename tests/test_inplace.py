"""In-place updates: they modify the tensor itself, bump its version, are refused on leaves that require
grad while grad mode is on, are recorded on everything else a graph can see, and a backward that needs
a value overwritten in place raises instead of returning a wrong gradient."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.testing import gradcheck


def f64(values, requires_grad=True):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# --------------------------------------------------------------------------- the manual update works

def test_manual_sgd_updates_the_model_like_optim_sgd():
    """The loop from the issue: before, `p -= ...` rebound the loop variable and nothing trained."""
    def train(manual):
        mg.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
        opt = None if manual else optim.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(1)
        for _ in range(5):
            x, t = mg.tensor(rng.standard_normal((4, 3))), mg.tensor(rng.standard_normal((4, 1)))
            model.zero_grad()
            F.mse_loss(model(x), t).backward()
            if manual:
                with mg.no_grad():
                    for p in model.parameters():
                        p -= 0.1 * p.grad
            else:
                opt.step()
        return [p.data.copy() for p in model.parameters()]

    for a, b in zip(train(True), train(False)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_in_place_ops_modify_the_same_object_and_array_and_return_it():
    x = mg.tensor([1.0, 2.0, 3.0])
    arr = x.data
    assert x.add_(1) is x and x.data is arr
    np.testing.assert_array_equal(x.data, [2.0, 3.0, 4.0])
    x.sub_(mg.tensor([1.0, 1.0, 1.0])).mul_(2).div_(4)
    np.testing.assert_array_equal(x.data, [0.5, 1.0, 1.5])
    x.pow_(2).clamp_(0.5, 2.0)
    np.testing.assert_array_equal(x.data, [0.5, 1.0, 2.0])
    x.fill_(7)
    np.testing.assert_array_equal(x.data, [7.0, 7.0, 7.0])
    x.copy_(mg.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    x.copy_(5.0)  # broadcasts
    x.zero_()
    np.testing.assert_array_equal(x.data, [0.0, 0.0, 0.0])
    y = x
    y += 3
    y *= 2
    y -= 1
    y /= 5
    assert y is x and x.data is arr
    np.testing.assert_array_equal(x.data, [1.0, 1.0, 1.0])


def test_grad_zero_works_and_keeps_the_array():
    w = f64([1.0, 2.0])
    (w * w).sum().backward()
    g = w.grad
    assert g.zero_() is g
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])


def test_every_in_place_write_bumps_the_version():
    x = mg.tensor([1.0, 2.0])
    assert x.version == x._version == 0
    x.add_(1)
    x += 1
    x.zero_()
    x[0] = 5.0
    x.data = np.array([3.0, 4.0])
    assert x.version == 5


def test_optimizer_steps_and_state_dict_loads_bump_versions():
    model = nn.Linear(2, 1)
    w = model.weight
    model(mg.ones(1, 2)).sum().backward()
    before = w.version
    optim.SGD(model.parameters(), lr=0.1).step()
    assert w.version == before + 1
    model.load_state_dict(model.state_dict())
    assert w.version == before + 2


# --------------------------------------------------------------------------- refused with grad mode on

def test_leaf_that_requires_grad_refuses_in_place_ops_with_grad_mode_on():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.copy_(mg.zeros(2))):
        with pytest.raises(RuntimeError, match="no_grad"):
            op()
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    assert w.is_leaf and w.version == 0
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    with mg.no_grad():
        w += 1
    assert w.is_leaf and w.version == 1


def test_errors_name_the_op_shape_dtype_and_read_only_data():
    x = mg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="add_: .*float64.*int64"):
        x.add_(0.5)
    with pytest.raises(ValueError, match=r"add_: .*\(2, 3\).*\(3,\)"):
        x.add_(np.ones((2, 3), dtype=np.int64))
    v = mg.zeros(3)
    v.data.setflags(write=False)  # e.g. a broadcast view handed over without a copy
    with pytest.raises(ValueError, match="add_: .*read-only"):
        v.add_(1)
    with pytest.raises(ValueError, match="copy_: .*does not broadcast"):
        mg.zeros(3).copy_(mg.zeros(4))


# --------------------------------------------------------------------------- recorded when a graph can see it

def test_in_place_on_a_non_leaf_is_recorded():
    x = f64([1.0, 2.0])
    h = x * 3
    h += x  # h = 3x + x
    h *= x  # h = 4x²
    assert h.grad_fn.name == "mul" and not h.is_leaf
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_in_place_with_an_input_that_requires_grad_records_into_a_plain_tensor():
    w = f64([1.0, 2.0])
    buf = mg.zeros(2, dtype="float64")
    buf += w * 2
    assert buf.requires_grad and buf.grad_fn.name == "add"
    buf.mul_(w)  # 2w²
    buf.sum().backward()
    np.testing.assert_allclose(w.grad.data, 4 * w.data)
    w.grad = None
    buf.copy_(w * 3)
    buf.sum().backward()
    np.testing.assert_allclose(w.grad.data, [3.0, 3.0])


def test_recorded_in_place_ops_pass_gradcheck():
    def f(x, y):
        h = x * 1.0
        h.mul_(y)
        h.add_(y)
        h.pow_(2)
        h.clamp_(max=50.0)
        return h

    assert gradcheck(f, [f64([0.3, -1.2, 2.0]), f64([1.5, 0.5, -0.7])])


def test_fill_and_zero_on_a_non_leaf_cut_the_gradient():
    x = f64([1.0, 2.0])
    h = x * 2
    h.zero_()
    (h + x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


# --------------------------------------------------------------------------- never a silently wrong gradient

def test_modifying_a_saved_input_between_forward_and_backward_raises():
    w = f64([1.0, 2.0])
    x = f64([3.0, 4.0], requires_grad=False)
    y = (w * x).sum()  # the rule for w reads x
    x.add_(1)
    with pytest.raises(RuntimeError, match=r"input 1 .*modified by an in-place operation.*'mul'"):
        y.backward()
    assert w.grad is None


def test_updating_a_parameter_before_backward_raises():
    w = f64([[1.0, 2.0], [3.0, 4.0]])
    x = f64([[1.0, 1.0]])
    loss = (x @ w.T).sum()  # w.T is a view of w's array: writing w changes what matmul's rule reads
    with mg.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="matmul"):
        loss.backward()


def test_step_between_two_backwards_of_a_retained_graph_raises():
    model = nn.Linear(3, 2)
    loss = model(mg.ones(4, 3)).tanh().sum()
    loss.backward(retain_graph=True)
    optim.SGD(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_modifying_an_output_whose_value_the_rule_reads_raises():
    x = f64([0.0, 1.0])
    y = x.exp()  # exp's rule reads its output
    with mg.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="its output .*'exp'"):
        y.backward(np.ones(2))


def test_the_check_is_conservative_every_input_counts():
    """Any value a node could read counts (PyTorch tracks only what each rule saved): modifying an
    input of add raises too. Stricter than needed, never wrong; the message says what to do."""
    x, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    y = (x + b).sum()
    with mg.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match="clone"):
        y.backward()


def test_assigning_data_counts_as_an_in_place_write():
    w = f64([1.0, 2.0])
    x = f64([3.0, 4.0], requires_grad=False)
    y = (w * x).sum()
    x.data = np.array([0.0, 0.0])
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_setitem_counts_as_an_in_place_write():
    w = f64([1.0, 2.0])
    x = f64([3.0, 4.0], requires_grad=False)
    y = (w * x).sum()
    x[0] = 10.0
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_writes_after_backward_or_to_other_tensors_are_fine():
    w = f64([1.0, 2.0])
    other = mg.tensor([5.0, 5.0])
    y = (w * w).sum()
    other.add_(1)
    y.backward()
    with mg.no_grad():
        w -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, [0.8, 1.6])


# --------------------------------------------------------------------------- DLPack

def test_dlpack_round_trip_with_numpy_shares_memory():
    t = mg.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.data)
    back = mg.from_dlpack(a)
    assert np.shares_memory(back.data, t.data) and back.dtype == t.dtype
    with mg.no_grad():
        t.add_(1)
    np.testing.assert_array_equal(back.data, [2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match="from_dlpack"):
        mg.from_dlpack([1.0, 2.0])


def test_dlpack_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    t = mg.tensor(np.arange(6.0).reshape(2, 3))
    pt = torch.from_dlpack(t)
    assert pt.shape == (2, 3) and pt.dtype == torch.float64
    pt[0, 0] = 42.0
    assert t.data[0, 0] == 42.0
    back = mg.from_dlpack(torch.ones(2, 2))
    np.testing.assert_array_equal(back.data, np.ones((2, 2), dtype=np.float32))
