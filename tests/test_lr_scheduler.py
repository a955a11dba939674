"""minigrad.optim.lr_scheduler: hand-computed schedules, PyTorch's schedules (when torch is installed),
state dicts, and errors for bad arguments."""
import copy
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.nn import Parameter
from minigrad.optim import lr_scheduler as S

LRS = (0.1, 0.03)  # two parameter groups with different rates


def make_opt(cls=optim.SGD, lrs=LRS, **kw):
    groups = [{"params": [Parameter([1.0])], "lr": lr} for lr in lrs]
    return cls(groups, **kw) if cls is not optim.SGD else cls(groups, lr=lrs[0], **kw)


def trace(sched, opt, epochs, metrics=None):
    """[rates at epoch 0, 1, ...]: the optimizer's group rates, checked equal to get_last_lr()."""
    out = []
    for e in range(epochs):
        rates = [g["lr"] for g in opt.param_groups]
        assert sched.get_last_lr() == rates
        out.append(rates)
        sched.step() if metrics is None else sched.step(metrics[e])
    return out


def single(sched_factory, lr=1.0, epochs=10):
    opt = make_opt(lrs=(lr,))
    return [r[0] for r in trace(sched_factory(opt), opt, epochs)]


# --------------------------------------------------------------------- hand-computed schedules
def test_step_lr():
    got = single(lambda o: S.StepLR(o, step_size=3, gamma=0.5), epochs=9)
    np.testing.assert_allclose(got, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25], rtol=1e-15)


def test_multistep_lr_with_a_repeated_milestone():
    got = single(lambda o: S.MultiStepLR(o, milestones=[4, 2, 4], gamma=0.1), epochs=7)
    np.testing.assert_allclose(got, [1, 1, 0.1, 0.1, 1e-3, 1e-3, 1e-3], rtol=1e-14)


def test_exponential_lr():
    got = single(lambda o: S.ExponentialLR(o, gamma=0.5), epochs=6)
    np.testing.assert_allclose(got, [0.5 ** e for e in range(6)], rtol=1e-15)


@pytest.mark.parametrize("T_max, eta_min", [(5, 0.0), (4, 0.1), (1, 0.05)])
def test_cosine_annealing_follows_the_closed_form_over_three_periods(T_max, eta_min):
    base = 1.0
    got = single(lambda o: S.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), lr=base, epochs=3 * T_max + 1)
    expected = [eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2 for e in range(3 * T_max + 1)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    assert got[T_max] == pytest.approx(eta_min, abs=1e-15) and got[2 * T_max] == pytest.approx(base)


def test_lambda_lr_one_function_and_one_per_group():
    got = single(lambda o: S.LambdaLR(o, lambda e: 1.0 / (e + 1)), lr=0.2, epochs=5)
    np.testing.assert_allclose(got, [0.2 / (e + 1) for e in range(5)], rtol=1e-15)
    opt = make_opt()
    rates = trace(S.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: e + 1]), opt, 4)
    np.testing.assert_allclose(rates, [[0.1 * 0.5 ** e, 0.03 * (e + 1)] for e in range(4)], rtol=1e-15)


def test_lambda_lr_sets_the_epoch_0_rate_on_construction():
    opt = make_opt(lrs=(0.1,))
    S.LambdaLR(opt, lambda e: 0.25)
    assert opt.param_groups[0]["lr"] == 0.025 and opt.param_groups[0]["initial_lr"] == 0.1


def test_reduce_on_plateau_min_mode():
    opt = make_opt(lrs=(1.0,))
    sched = S.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    metrics = [5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.5, 3.5, 3.5, 3.5]
    # best 5, 4 (better); three epochs at 4 are bad: the third exceeds patience 2 -> 0.5; then 3 is better;
    # 3.5 x3 -> reduce again after the third.
    rates = [r[0] for r in trace(sched, opt, len(metrics), metrics)] + [opt.param_groups[0]["lr"]]
    assert rates == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_reduce_on_plateau_max_mode_threshold_cooldown_and_min_lr():
    opt = make_opt(lrs=(1.0, 0.2))
    sched = S.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5, threshold=0.1, threshold_mode="abs",
                                cooldown=1, min_lr=[0.3, 0.0])
    for m in [1.0, 1.05]:  # 1.05 is not better than 1.0 + 0.1: a bad epoch, patience 0 -> reduce
        sched.step(m)
    assert sched.get_last_lr() == [0.5, 0.1]
    sched.step(1.0)  # cooldown: not counted
    assert sched.get_last_lr() == [0.5, 0.1]
    sched.step(1.0)  # counted -> reduce; group 0 stops at min_lr 0.3
    assert sched.get_last_lr() == [0.3, 0.05]
    sched.step(2.0)  # better
    assert sched.best == 2.0 and sched.num_bad_epochs == 0


def test_reduce_on_plateau_skips_reductions_smaller_than_eps_and_accepts_tensors():
    opt = make_opt(lrs=(1e-9,))
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(mg.tensor(1.0))
    sched.step(np.float32(2.0))
    assert opt.param_groups[0]["lr"] == 1e-9  # 1e-9 - 1e-10 < eps = 1e-8
    sched.step(float("nan"))  # nan is never an improvement
    assert sched.num_bad_epochs == 0 and sched.last_epoch == 3


def test_a_rate_changed_by_hand_is_carried_along():
    opt = make_opt(lrs=(1.0,))
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 0.8
    sched.step()  # epoch 2: decays the current rate, as PyTorch's StepLR does
    assert opt.param_groups[0]["lr"] == 0.4


def test_scheduler_records_initial_lr_once():
    opt = make_opt(lrs=(0.1,))
    opt.param_groups[0]["initial_lr"] = 0.5  # e.g. from a loaded optimizer state
    sched = S.ExponentialLR(opt, gamma=0.5)
    assert sched.base_lrs == [0.5] and opt.param_groups[0]["lr"] == 0.1
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.05


def test_schedules_drive_the_optimizer_steps():
    p = Parameter([0.0])
    opt = optim.SGD([p], lr=1.0)
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = mg.tensor([-1.0])
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, [1.0 + 0.5 + 0.25])


def test_get_last_lr_is_a_copy():
    opt = make_opt()
    sched = S.StepLR(opt, 2)
    sched.get_last_lr()[0] = 123.0
    assert sched.get_last_lr() == list(LRS)


def test_a_group_added_after_the_scheduler_is_an_error():
    opt = make_opt()
    sched = S.CosineAnnealingLR(opt, T_max=3)
    opt.add_param_group({"params": [Parameter([1.0])], "lr": 0.5})
    with pytest.raises(RuntimeError, match="3 parameter groups.*made for 2"):
        sched.step()


# --------------------------------------------------------------------- state dicts
FACTORIES = [
    lambda o: S.StepLR(o, step_size=2, gamma=0.5),
    lambda o: S.MultiStepLR(o, milestones=[1, 3, 3, 6], gamma=0.3),
    lambda o: S.ExponentialLR(o, gamma=0.9),
    lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    lambda o: S.LambdaLR(o, lambda e: 0.9 ** e),
    lambda o: S.ReduceLROnPlateau(o, patience=1, cooldown=1, factor=0.5),
]
METRICS = [3.0, 2.0, 2.5, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]


def _advance(sched, epochs, start=0):
    for e in range(start, start + epochs):
        sched.step(METRICS[e]) if isinstance(sched, S.ReduceLROnPlateau) else sched.step()


@pytest.mark.parametrize("factory", FACTORIES)
def test_state_dict_round_trip_continues_identically(factory):
    opt = make_opt()
    sched = factory(opt)
    _advance(sched, 5)
    sd = sched.state_dict()
    opt_sd = opt.state_dict()
    snapshot = copy.deepcopy(sd)
    _advance(sched, 5, start=5)
    expected = sched.get_last_lr()
    opt2 = make_opt(lrs=(7.0, 7.0))
    opt2.load_state_dict(opt_sd)
    sched2 = factory(opt2)
    sched2.load_state_dict(sd)
    _advance(sched2, 5, start=5)
    assert sched2.get_last_lr() == expected and sched2.last_epoch == 10
    assert [g["lr"] for g in opt2.param_groups] == expected
    assert sd == snapshot  # loading did not modify the dict


@pytest.mark.parametrize("factory", FACTORIES)
def test_checkpoint_through_save_and_load(factory, tmp_path):
    opt = make_opt()
    sched = factory(opt)
    _advance(sched, 4)
    path = tmp_path / "ckpt.npz"
    mg.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, path)
    _advance(sched, 4, start=4)
    ckpt = mg.load(path)
    opt2 = make_opt()
    sched2 = factory(opt2)
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    _advance(sched2, 4, start=4)
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_lambda_lr_state_dict_saves_callable_objects():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, e):
            return min(1.0, (e + 1) / self.n)

    opt = make_opt()
    fn = Warmup(4)
    sched = S.LambdaLR(opt, [fn, lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"n": 4}, None]
    sd["lr_lambdas"][0]["n"] = 2
    sched.load_state_dict(sd)
    assert fn.n == 2 and sched.lr_lambdas[0] is fn


@pytest.mark.parametrize("factory", FACTORIES)
def test_load_state_dict_refuses_what_does_not_fit(factory):
    opt = make_opt()
    sched = factory(opt)
    sd = sched.state_dict()
    before = sched.state_dict()
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['bogus'\]"):
        sched.load_state_dict(dict(sd, bogus=1))
    with pytest.raises(ValueError, match="last_epoch"):
        sched.load_state_dict({k: v for k, v in sd.items() if k != "last_epoch"})
    with pytest.raises(ValueError, match="last_epoch"):
        sched.load_state_dict(dict(sd, last_epoch=-3))
    with pytest.raises(ValueError, match="_last_lr"):
        sched.load_state_dict(dict(sd, _last_lr=[0.1]))
    with pytest.raises(TypeError, match="expected a dict"):
        sched.load_state_dict([sd])
    assert sched.state_dict().keys() == before.keys()
    assert repr(sched.state_dict()) == repr(before)


def test_load_state_dict_revalidates_hyperparameters_and_keeps_the_old_ones():
    opt = make_opt()
    sched = S.StepLR(opt, step_size=3)
    sd = sched.state_dict()
    with pytest.raises(ValueError, match="step_size"):
        sched.load_state_dict(dict(sd, step_size=0))
    assert sched.step_size == 3
    with pytest.raises(ValueError, match=r"unknown key.*'T_max'"):
        sched.load_state_dict(S.CosineAnnealingLR(make_opt(), T_max=3).state_dict())


# --------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("make, exc, match", [
    (lambda o: S.StepLR(o, step_size=-1), ValueError, "StepLR: step_size must be >= 1"),
    (lambda o: S.StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: S.StepLR(o, step_size=2.5), TypeError, "StepLR: step_size must be an int"),
    (lambda o: S.StepLR(o, step_size=2, gamma=-0.1), ValueError, "gamma"),
    (lambda o: S.StepLR(o, step_size=2, gamma="0.1"), TypeError, "gamma"),
    (lambda o: S.MultiStepLR(o, milestones=30), TypeError, "MultiStepLR: milestones"),
    (lambda o: S.MultiStepLR(o, milestones=[3, -1]), ValueError, "milestone"),
    (lambda o: S.MultiStepLR(o, milestones=[3.5]), TypeError, "milestone"),
    (lambda o: S.ExponentialLR(o, gamma=float("nan")), ValueError, "ExponentialLR: gamma"),
    (lambda o: S.ExponentialLR(o, gamma=None), TypeError, "gamma"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), ValueError, "CosineAnnealingLR: T_max"),
    (lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), ValueError, "eta_min"),
    (lambda o: S.LambdaLR(o, lr_lambda=0.5), TypeError, "LambdaLR: lr_lambda must be a function"),
    (lambda o: S.LambdaLR(o, lr_lambda=[lambda e: 1.0]), ValueError, "1 lr_lambda functions for 2"),
    (lambda o: S.LambdaLR(o, lr_lambda=[lambda e: 1.0, "x"]), TypeError, "group 1"),
    (lambda o: S.LambdaLR(o, lr_lambda=lambda e: "fast"), TypeError, r"lr_lambda\(0\).*must return a number"),
    (lambda o: S.ReduceLROnPlateau(o, mode="minimum"), ValueError, "mode must be 'min' or 'max'"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="relative"), ValueError, "threshold_mode"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor must be < 1.0"),
    (lambda o: S.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
    (lambda o: S.ReduceLROnPlateau(o, cooldown=1.5), TypeError, "cooldown"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "1 min_lr values for 2"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=-1.0), ValueError, "min_lr"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(make_opt())


@pytest.mark.parametrize("cls, args", [(S.StepLR, (2,)), (S.LambdaLR, (lambda e: 1.0,)), (S.ReduceLROnPlateau, ())])
def test_scheduler_needs_an_optimizer(cls, args):
    with pytest.raises(TypeError, match=f"{cls.__name__}: expected a minigrad.optim optimizer, got list"):
        cls([Parameter([1.0])], *args)


@pytest.mark.parametrize("metric, exc", [("low", TypeError), (None, TypeError), (np.ones(2), ValueError),
                                         (mg.ones(3), ValueError), (True, TypeError)])
def test_reduce_on_plateau_bad_metric(metric, exc):
    sched = S.ReduceLROnPlateau(make_opt())
    with pytest.raises(exc, match="ReduceLROnPlateau.step: metrics"):
        sched.step(metric)
    assert sched.last_epoch == 0


# --------------------------------------------------------------------- PyTorch's schedules
@pytest.mark.parametrize("name, kw, epochs", [
    ("StepLR", dict(step_size=3, gamma=0.5), 20),
    ("StepLR", dict(step_size=1), 8),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3), 15),
    ("ExponentialLR", dict(gamma=0.9), 30),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), 21),
    ("CosineAnnealingLR", dict(T_max=10), 30),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.01), 6),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (e + 1) + 0.1 * (e % 3)), 12),
])
def test_matches_pytorch_schedule(name, kw, epochs):
    torch = pytest.importorskip("torch", reason="torch is needed to compare with PyTorch's schedulers")
    opt = make_opt()
    topt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in LRS], lr=LRS[0])
    sched = getattr(S, name)(opt, **kw)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    for epoch in range(epochs):
        if epoch == epochs // 2 and name != "LambdaLR":  # a rate changed by hand: both carry it along
            opt.param_groups[0]["lr"] = topt.param_groups[0]["lr"] = opt.param_groups[0]["lr"] * 1.5
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13, atol=1e-16,
                                   err_msg=f"epoch {epoch}")
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [g["lr"] for g in topt.param_groups],
                                   rtol=1e-13, atol=1e-16)
        topt.step()
        sched.step()
        tsched.step()


@pytest.mark.parametrize("kw", [
    dict(),
    dict(mode="max", patience=1, factor=0.5, threshold=0.05, threshold_mode="abs"),
    dict(patience=0, factor=0.3, cooldown=2, min_lr=[0.01, 0.005]),
    dict(patience=2, factor=0.5, threshold=0.2),
])
def test_reduce_on_plateau_matches_pytorch(kw):
    torch = pytest.importorskip("torch", reason="torch is needed to compare with PyTorch's schedulers")
    opt = make_opt()
    topt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr} for lr in LRS], lr=LRS[0])
    sched = S.ReduceLROnPlateau(opt, **kw)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    rng = np.random.default_rng(5)
    metrics = np.concatenate([np.linspace(3, 1, 8), 1 + 0.1 * rng.random(20), [float("nan")], np.linspace(1, 2, 10)])
    for m in metrics:
        sched.step(float(m))
        tsched.step(float(m))
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13)
        assert (sched.num_bad_epochs, sched.cooldown_counter) == (tsched.num_bad_epochs, tsched.cooldown_counter)
