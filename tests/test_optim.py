"""Optimizers: first steps against the published formulas (float64), convergence, state dicts, validation."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.nn import Module, Parameter

RNG = np.random.default_rng(1234)
P0 = RNG.standard_normal((3, 2))
GRADS = [RNG.standard_normal((3, 2)) for _ in range(3)]


def run(opt_cls, steps=3, **kw):
    """Apply `steps` updates with the fixed gradients GRADS; return the parameter's values after each."""
    p = Parameter(P0)
    opt = opt_cls([p], **kw)
    out = []
    for g in GRADS[:steps]:
        p.grad = mg.tensor(g)
        opt.step()
        out.append(p.data.copy())
    return out


def close(got, expected):
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------- formulas, step by step
def test_sgd_plain():
    p, exp = P0.copy(), []
    for g in GRADS:
        p = p - 0.1 * g
        exp.append(p)
    close(run(optim.SGD, lr=0.1), exp)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("wd", [0.0, 0.05])
def test_sgd_momentum_weight_decay_nesterov(nesterov, wd):
    lr, mu = 0.1, 0.9
    p, buf, exp = P0.copy(), None, []
    for g in GRADS:
        d = g + wd * p
        buf = d.copy() if buf is None else mu * buf + d
        d = d + mu * buf if nesterov else buf
        p = p - lr * d
        exp.append(p)
    close(run(optim.SGD, lr=lr, momentum=mu, nesterov=nesterov, weight_decay=wd), exp)


@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam(wd):
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-8
    p, m, v, exp = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), []
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        exp.append(p)
    close(run(optim.Adam, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd), exp)


def test_adamw_decouples_weight_decay():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.3
    p, m, v, exp = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), []
    for t, g in enumerate(GRADS, start=1):
        p = p * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        exp.append(p)
    close(run(optim.AdamW, lr=lr, weight_decay=wd), exp)
    # and it differs from Adam's L2 form
    assert not np.allclose(run(optim.Adam, lr=lr, weight_decay=wd)[-1], exp[-1], rtol=1e-6)


def test_adamw_default_weight_decay():
    assert optim.AdamW([Parameter([1.0])]).param_groups[0]["weight_decay"] == 1e-2
    assert optim.Adam([Parameter([1.0])]).param_groups[0]["weight_decay"] == 0.0


@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_rmsprop(momentum):
    lr, alpha, eps = 0.01, 0.9, 1e-8
    p, v, buf, exp = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), []
    for g in GRADS:
        v = alpha * v + (1 - alpha) * g * g
        if momentum:
            buf = momentum * buf + g / (np.sqrt(v) + eps)
            p = p - lr * buf
        else:
            p = p - lr * g / (np.sqrt(v) + eps)
        exp.append(p)
    close(run(optim.RMSprop, lr=lr, alpha=alpha, eps=eps, momentum=momentum), exp)


# --------------------------------------------------------------------- mechanics
ALL = [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.SGD, dict(lr=0.1, nesterov=True, momentum=0.5)),
       (optim.Adam, dict(lr=0.01)), (optim.AdamW, dict(lr=0.01)), (optim.RMSprop, dict(lr=0.01, momentum=0.5))]


@pytest.mark.parametrize("cls, kw", ALL)
def test_in_place_dtype_kept_and_no_grad_skipped(cls, kw):
    a = Parameter(np.ones((2, 2), np.float32))
    b = Parameter(np.ones(3, np.float16))
    c = Parameter(np.ones(2, np.float32))
    arr = a.data
    opt = cls([a, b, c], **kw)
    a.grad = mg.tensor(np.full((2, 2), 0.5, np.float32))
    b.grad = mg.tensor(np.full(3, 0.5, np.float16))
    for _ in range(2):
        opt.step()
    assert a.data is arr and a.dtype == np.float32 and b.dtype == np.float16
    assert np.all(a.data < 1) and np.all(b.data < 1)
    np.testing.assert_array_equal(c.data, np.ones(2, np.float32))  # no grad: untouched
    assert a.grad_fn is None and a.is_leaf
    opt.zero_grad()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("cls, kw", [
    (optim.SGD, dict(lr=0.1)), (optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)), (optim.Adam, dict(lr=0.05)),
    (optim.AdamW, dict(lr=0.05)), (optim.RMSprop, dict(lr=0.01)), (optim.RMSprop, dict(lr=0.005, momentum=0.5)),
])
def test_least_squares_regression_converges(cls, kw):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((64, 3))
    true_w, true_b = np.array([[1.5], [-2.0], [0.5]]), 0.3
    y = mg.tensor(X @ true_w + true_b)
    X = mg.tensor(X)
    w, b = Parameter(np.zeros((3, 1))), Parameter(np.zeros(1))
    opt = cls([w, b], **kw)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert first > 1.0
    assert loss.item() < 1e-3, loss.item()
    np.testing.assert_allclose(w.data, true_w, atol=0.02)


def test_param_groups_have_their_own_hyperparameters():
    a, b = Parameter([1.0]), Parameter([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = mg.tensor([1.0])
    b.grad = mg.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(a.data, [0.9])
    np.testing.assert_allclose(b.data, [0.5])
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.5]


def test_grad_shape_mismatch_is_reported():
    p = Parameter(np.zeros((2, 3)))
    opt = optim.SGD([p], lr=0.1)
    p.grad = mg.tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(3,\)"):
        opt.step()


def test_step_closure_returns_loss():
    p = Parameter([2.0])
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(p.data, [1.0])


# --------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("cls, kw", ALL)
def test_state_dict_round_trip_continues_identically(cls, kw):
    def make():
        return [Parameter(P0), Parameter(P0[0])]

    ps = make()
    opt = cls(ps, **kw)
    grads = [(RNG.standard_normal((3, 2)), RNG.standard_normal(2)) for _ in range(6)]

    def step(opt, ps, g):
        ps[0].grad, ps[1].grad = mg.tensor(g[0]), mg.tensor(g[1])
        opt.step()

    for g in grads[:3]:
        step(opt, ps, g)
    sd = opt.state_dict()
    assert all(isinstance(i, int) for i in sd["state"])
    ps2 = [Parameter(p.data) for p in ps]
    kw2 = dict(kw, lr=123.0)  # the loaded hyperparameters win
    opt2 = cls(ps2, **kw2)
    opt2.load_state_dict(copy.deepcopy(sd))
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    for g in grads[3:]:
        step(opt, ps, g)
        step(opt2, ps2, g)
    for p, q in zip(ps, ps2):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_holds_copies_and_loading_copies():
    p = Parameter(P0)
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.tensor(GRADS[0])
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["step"] == 1
    sd["state"][0]["exp_avg"][...] = 99.0
    assert not np.any(opt.state[0]["exp_avg"] == 99.0)
    opt.load_state_dict(sd)
    sd["state"][0]["exp_avg"][...] = -1.0
    assert np.all(opt.state[0]["exp_avg"] == 99.0)


def test_load_state_dict_validates_before_changing_anything():
    p = Parameter(P0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = mg.tensor(GRADS[0])
    opt.step()
    good = opt.state_dict()
    bad_shape = copy.deepcopy(good)
    bad_shape["state"][0]["momentum_buffer"] = np.zeros(5)
    bad_shape["param_groups"][0]["lr"] = 7.0
    with pytest.raises(ValueError, match=r"\(5,\).*\(3, 2\)"):
        opt.load_state_dict(bad_shape)
    assert opt.param_groups[0]["lr"] == 0.1
    bad_count = copy.deepcopy(good)
    bad_count["param_groups"][0]["params"] = [0, 1]
    with pytest.raises(ValueError, match="group 0"):
        opt.load_state_dict(bad_count)
    bad_index = copy.deepcopy(good)
    bad_index["state"] = {3: {"momentum_buffer": np.zeros((3, 2))}}
    with pytest.raises(ValueError, match="parameter 3"):
        opt.load_state_dict(bad_index)
    bad_hyper = copy.deepcopy(good)
    bad_hyper["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(bad_hyper)
    with pytest.raises(ValueError, match="lacks"):
        optim.Adam([p]).load_state_dict({"param_groups": [{"params": [0]}], "state": {0: {"step": 1}}})
    np.testing.assert_array_equal(opt.state[0]["momentum_buffer"], good["state"][0]["momentum_buffer"])


# --------------------------------------------------------------------- argument validation
@pytest.mark.parametrize("make, exc", [
    (lambda p: optim.SGD(p, lr=-0.1), ValueError),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-1), ValueError),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1e-3), ValueError),
    (lambda p: optim.Adam(p, lr=float("nan")), ValueError),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError),
    (lambda p: optim.Adam(p, betas=(-0.1, 0.9)), ValueError),
    (lambda p: optim.Adam(p, betas=(0.9, 0.99, 0.1)), ValueError),
    (lambda p: optim.Adam(p, betas=0.9), TypeError),
    (lambda p: optim.AdamW(p, eps=-1.0), ValueError),
    (lambda p: optim.RMSprop(p, alpha=1.5), ValueError),
    (lambda p: optim.RMSprop(p, momentum=-0.5), ValueError),
    (lambda p: optim.RMSprop(p, weight_decay=-0.5), ValueError),
    (lambda p: optim.SGD(p, lr="fast"), TypeError),
    (lambda p: optim.SGD(p, lr=True), TypeError),
])
def test_bad_hyperparameters(make, exc):
    with pytest.raises(exc, match=r"SGD|Adam|RMSprop"):
        make([Parameter([1.0])])


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.Adam(iter([]))
    p = Parameter([1.0])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD([mg.tensor([1, 2])], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD([np.zeros(2)], lr=0.1)

    class Model(Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        optim.SGD(Model(), lr=0.1)


def test_generator_of_parameters_accepted():
    ps = [Parameter([1.0]), Parameter([2.0])]
    opt = optim.SGD((p for p in ps), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


# --------------------------------------------------------------------- PyTorch trajectories (optional)
@pytest.mark.parametrize("name, kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)), ("AdamW", dict(lr=0.01, weight_decay=0.2)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
])
def test_matches_pytorch_trajectory(name, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((4, 3))
    p, tp = Parameter(p0), torch.nn.Parameter(torch.tensor(p0))
    opt, topt = getattr(optim, name)([p], **kw), getattr(torch.optim, name)([tp], **kw)
    for _ in range(10):
        g = rng.standard_normal((4, 3))
        p.grad, tp.grad = mg.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_rmsprop_weight_decay_and_momentum():
    lr, alpha, eps, mu, wd = 0.01, 0.9, 1e-8, 0.6, 0.05
    for momentum in (0.0, mu):
        p, v, buf, exp = P0.copy(), np.zeros_like(P0), np.zeros_like(P0), []
        for g in GRADS:
            g = g + wd * p  # L2 through the gradient
            v = alpha * v + (1 - alpha) * g * g
            step = g / (np.sqrt(v) + eps)
            if momentum:
                buf = momentum * buf + step
                step = buf
            p = p - lr * step
            exp.append(p)
        close(run(optim.RMSprop, lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=wd), exp)


# --------------------------------------------------------------------- param_groups (PyTorch's layout)
def test_param_groups_hold_params_and_every_hyperparameter():
    a, b, c = Parameter([1.0]), Parameter([2.0]), Parameter([3.0])
    opt = optim.Adam([{"params": [a, b]}, {"params": c, "lr": 0.5, "betas": [0.8, 0.9]}], weight_decay=0.1)
    g0, g1 = opt.param_groups
    assert g0["params"] == [a, b] and g1["params"] == [c]  # a lone tensor becomes a one-element list
    assert set(g0) == {"params", "lr", "betas", "eps", "weight_decay"}
    assert (g0["lr"], g0["weight_decay"], g0["betas"]) == (1e-3, 0.1, (0.9, 0.999))
    assert (g1["lr"], g1["weight_decay"], g1["betas"]) == (0.5, 0.1, (0.8, 0.9))
    assert opt.defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)


def test_adam_betas_are_normalised_to_a_tuple_of_floats():
    p = Parameter([1.0])
    opt = optim.Adam([p], betas=[np.float32(0.5), 0.75])
    betas = opt.param_groups[0]["betas"]
    assert type(betas) is tuple and all(type(b) is float for b in betas) and betas == (0.5, 0.75)
    sd = opt.state_dict()
    sd["param_groups"][0]["betas"] = [0.6, 0.7]  # e.g. after a JSON round trip
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["betas"] == (0.6, 0.7) and type(opt.param_groups[0]["betas"]) is tuple
    opt.param_groups[0]["betas"] = [0.5, np.float64(0.5)]  # edited by hand: normalised at the next step
    p.grad = mg.tensor([1.0])
    opt.step()
    assert opt.param_groups[0]["betas"] == (0.5, 0.5) and type(opt.param_groups[0]["betas"]) is tuple


def test_changing_group_lr_changes_the_next_step():
    a, b = Parameter([1.0]), Parameter([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    for lr_a, lr_b in [(0.1, 0.5), (0.2, 0.5), (0.2, 0.25)]:
        opt.param_groups[0]["lr"], opt.param_groups[1]["lr"] = lr_a, lr_b
        before = (a.data.copy(), b.data.copy())
        a.grad, b.grad = mg.tensor([1.0]), mg.tensor([2.0])
        opt.step()
        np.testing.assert_allclose(a.data, before[0] - lr_a * 1.0, rtol=1e-6)
        np.testing.assert_allclose(b.data, before[1] - lr_b * 2.0, rtol=1e-6)


@pytest.mark.parametrize("key, value, exc, match", [
    ("lr", -1.0, ValueError, r"lr.*group 1"),
    ("lr", "big", TypeError, r"lr.*group 1"),
    ("momentum", float("nan"), ValueError, r"momentum.*group 1"),
    ("momentun", 0.9, ValueError, r"unknown key.*'momentun'.*group 1"),
])
def test_a_bad_edited_hyperparameter_is_caught_at_the_next_step(key, value, exc, match):
    a, b = Parameter([1.0]), Parameter([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    opt.param_groups[1][key] = value
    b.grad = mg.tensor([1.0])
    with pytest.raises(exc, match=match):
        opt.step()
    np.testing.assert_array_equal(b.data, [1.0])


def test_a_deleted_hyperparameter_is_caught_at_the_next_step():
    p = Parameter([1.0])
    opt = optim.SGD([p], lr=0.1)
    del opt.param_groups[0]["lr"]
    with pytest.raises(KeyError, match=r"group 0 lacks \['lr'\]"):
        opt.step()


def test_add_param_group_after_steps():
    a, b = Parameter([1.0]), Parameter([1.0])
    opt = optim.SGD([a], lr=0.1, momentum=0.5)
    a.grad = mg.tensor([1.0])
    opt.step()
    opt.add_param_group({"params": [b], "lr": 0.3})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["momentum"] == 0.5
    b.grad = mg.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(b.data, [0.7])
    np.testing.assert_allclose(a.data, [1.0 - 0.1 - 0.1 * 1.5])  # a's momentum buffer kept its place
    assert sorted(opt.state_dict()["state"]) == [0, 1]
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match=r"unknown key.*'betas'"):
        opt.add_param_group({"params": [Parameter([1.0])], "betas": (0.9, 0.9)})
    with pytest.raises(TypeError, match="add_param_group.*'params'"):
        opt.add_param_group([Parameter([1.0])])
    with pytest.raises(TypeError, match="set"):
        opt.add_param_group({"params": {Parameter([1.0])}})
    with pytest.raises(ValueError, match="empty"):
        opt.add_param_group({"params": []})
    assert len(opt.param_groups) == 2  # failed additions leave nothing behind


def test_params_must_be_all_tensors_or_all_groups():
    a, b = Parameter([1.0]), Parameter([1.0])
    with pytest.raises(TypeError, match="all Tensors or all dicts"):
        optim.SGD([a, {"params": [b]}], lr=0.1)


# --------------------------------------------------------------------- zero_grad
@pytest.mark.parametrize("cls, kw", ALL)
def test_zero_grad_sets_to_none_by_default_and_zeroes_in_place_on_request(cls, kw):
    a, b, c = Parameter(np.ones((2, 2))), Parameter(np.ones(3)), Parameter(np.ones(1))
    opt = cls([a, b, c], **kw)
    (a.sum() * 2 + (b * b).sum()).backward()
    grad_a, arr_a = a.grad, a.grad.data
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad_a and a.grad.data is arr_a  # the same Tensor, the same array
    np.testing.assert_array_equal(a.grad.data, np.zeros((2, 2)))
    np.testing.assert_array_equal(b.grad.data, np.zeros(3))
    assert c.grad is None  # never had a gradient: stays None
    (a.sum() * 3).backward()  # accumulates into the zeroed gradient
    np.testing.assert_array_equal(a.grad.data, np.full((2, 2), 3.0))
    opt.zero_grad()
    assert a.grad is None and b.grad is None and c.grad is None


def test_zero_grad_in_place_on_a_read_only_or_graph_gradient():
    p = Parameter(np.ones(3))
    ro = np.ones(3)
    ro.flags.writeable = False
    p.grad = mg.tensor(ro)
    p.grad.data.flags.writeable = False
    grad = p.grad
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad is grad and np.array_equal(grad.data, np.zeros(3))
    q = Parameter(np.array([1.0, 2.0]))
    (q ** 3).sum().backward(create_graph=True)  # q.grad = 3 q^2, recorded
    g = q.grad
    assert not g.is_leaf
    optim.SGD([q], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(q.grad.data, [0.0, 0.0])
    np.testing.assert_array_equal(g.data, [3.0, 12.0])  # the recorded gradient's values are untouched


# --------------------------------------------------------------------- load_state_dict: what does not fit
def test_load_state_dict_unknown_and_missing_keys_are_named():
    p = Parameter(P0)
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.tensor(GRADS[0])
    opt.step()
    sd = opt.state_dict()
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['extra'\]"):
        opt.load_state_dict(dict(sd, extra=1))
    with pytest.raises(ValueError, match=r"missing \['state'\]"):
        opt.load_state_dict({"param_groups": sd["param_groups"]})
    bad_group = copy.deepcopy(sd)
    bad_group["param_groups"][0]["momentum"] = 0.9  # an SGD hyperparameter in an Adam state
    with pytest.raises(ValueError, match=r"unknown key.*'momentum'.*group 0"):
        opt.load_state_dict(bad_group)
    bad_entry = copy.deepcopy(sd)
    bad_entry["state"][0]["momentum_buffer"] = np.zeros_like(P0)
    with pytest.raises(ValueError, match=r"unknown state entry 'momentum_buffer'.*exp_avg"):
        opt.load_state_dict(bad_entry)
    bad_step = copy.deepcopy(sd)
    bad_step["state"][0]["step"] = -2
    with pytest.raises(ValueError, match="step"):
        opt.load_state_dict(bad_step)
    with pytest.raises(TypeError, match="expected a dict"):
        opt.load_state_dict([sd])
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])


def test_initial_lr_from_a_scheduler_survives_a_state_round_trip():
    p = Parameter([1.0])
    opt = optim.SGD([p], lr=0.1)
    optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5).step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["initial_lr"] == 0.1 and sd["param_groups"][0]["lr"] == 0.05
    opt2 = optim.SGD([Parameter([1.0])], lr=1.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["initial_lr"] == 0.1 and opt2.param_groups[0]["lr"] == 0.05


# --------------------------------------------------------------------- PyTorch, with two groups
@pytest.mark.parametrize("name, kw, group_kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01), dict(lr=0.02, nesterov=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1), dict(lr=0.003, betas=(0.8, 0.95))),
    ("AdamW", dict(lr=0.01, weight_decay=0.2), dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, weight_decay=0.1), dict(lr=0.002, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, weight_decay=0.05), dict(lr=0.03, momentum=0.3)),
])
def test_matches_pytorch_with_two_param_groups(name, kw, group_kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    p0, q0 = rng.standard_normal((4, 3)), rng.standard_normal(5)
    p, q = Parameter(p0), Parameter(q0)
    tp, tq = torch.nn.Parameter(torch.tensor(p0)), torch.nn.Parameter(torch.tensor(q0))
    opt = getattr(optim, name)([{"params": [p]}, dict(group_kw, params=[q])], **kw)
    topt = getattr(torch.optim, name)([{"params": [tp]}, dict(group_kw, params=[tq])], **kw)
    for step in range(6):
        if step == 3:  # a changed rate takes effect at the next step in both
            opt.param_groups[1]["lr"] = topt.param_groups[1]["lr"] = group_kw["lr"] * 3
        gp, gq = rng.standard_normal((4, 3)), rng.standard_normal(5)
        p.grad, q.grad = mg.tensor(gp), mg.tensor(gq)
        tp.grad, tq.grad = torch.tensor(gp), torch.tensor(gq)
        opt.step()
        topt.step()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(q.data, tq.detach().numpy(), rtol=1e-12, atol=1e-13)
