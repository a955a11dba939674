"""Learning-rate schedulers: PyTorch's schedules, written into each optimizer group's "lr".

Use as in PyTorch: make the scheduler after the optimizer, call `optimizer.step()` for each batch and
`scheduler.step()` once per epoch (ReduceLROnPlateau: `scheduler.step(val_loss)`). `last_epoch` counts
the scheduler's steps. On construction a scheduler records each group's starting rate as
`group["initial_lr"]` (kept if already there, e.g. from a loaded optimizer state) and sets the rate for
epoch 0. The schedules are computed the way PyTorch computes them (recursively from the group's current
rate where PyTorch does so), so they agree with `torch.optim.lr_scheduler` to float rounding, and a
rate changed by hand between steps is carried along as in PyTorch.
"""
from __future__ import annotations

import copy
import math
import types
from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Sequence, Tuple, Union

import numpy as np

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "ReduceLROnPlateau"]


class LRScheduler:
    """Base class: holds the optimizer, `base_lrs` (each group's initial lr) and `last_epoch`.

    A subclass lists its hyperparameters in `_HYPER` (saved in `state_dict()` and validated by
    `_check_args`) and computes the next rates in `_rates(initial)`.
    """

    _HYPER: Tuple[str, ...] = ()
    _STATE: Tuple[str, ...] = ("base_lrs", "last_epoch", "_last_lr")

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = _check_optimizer(optimizer, type(self).__name__)
        self._check_args()
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: List[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply(self._rates(initial=True))

    # ----------------------------------------------------------------- subclasses
    def _check_args(self) -> None:
        """Validate the hyperparameter attributes (after construction and after load_state_dict)."""

    def _rates(self, initial: bool) -> List[float]:
        """The rate of each group for `self.last_epoch` (`initial`: at construction)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- public
    def step(self) -> None:
        """Advance one epoch and write the new rate into every parameter group."""
        self._check_groups()
        self.last_epoch += 1
        self._apply(self._rates(initial=False))

    def get_last_lr(self) -> List[float]:
        """The rates the scheduler last set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> Dict[str, Any]:
        """The scheduler's hyperparameters and progress (not the optimizer): a dict of plain values."""
        return {key: copy.deepcopy(getattr(self, key)) for key in self._HYPER + self._STATE}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what `state_dict()` returned; everything is validated before anything changes."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        keys = set(self._HYPER + self._STATE)
        unknown, missing = sorted(map(str, set(state_dict) - keys)), sorted(keys - set(state_dict))
        if unknown or missing:
            parts = ([f"unknown key(s) {unknown}"] if unknown else []) + ([f"missing {missing}"] if missing else [])
            raise ValueError(f"{name}: the state does not fit {type(self).__name__}: " + ", ".join(parts))
        self._check_state(state_dict, name)
        saved = {key: getattr(self, key) for key in keys}
        for key in keys:
            setattr(self, key, copy.deepcopy(state_dict[key]))
        try:
            self._check_args()
        except (TypeError, ValueError):
            for key, value in saved.items():
                setattr(self, key, value)
            raise

    def _check_state(self, state_dict: Dict[str, Any], where: str) -> None:
        """Validate the progress entries of a state dict about to be loaded."""
        n = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            if key in state_dict:
                _rate_list(state_dict[key], n, f"{where}: {key}")
        _whole(state_dict["last_epoch"], "last_epoch", where, 0)

    # ----------------------------------------------------------------- helpers
    def _apply(self, rates: Sequence[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, rates):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _check_groups(self) -> None:
        n, m = len(self.optimizer.param_groups), len(self.base_lrs)
        if n != m:
            raise RuntimeError(f"{type(self).__name__}.step: the optimizer has {n} parameter groups but the "
                               f"scheduler was made for {m}; make the scheduler after add_param_group")

    def _current(self) -> List[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self) -> str:
        args = [f"{k}={getattr(self, k)!r}" for k in self._HYPER] + [f"last_epoch={self.last_epoch}"]
        return f"{type(self).__name__}({', '.join(args)})"


class StepLR(LRScheduler):
    """Multiply the rate by `gamma` every `step_size` epochs: lr = initial_lr * gamma^(epoch // step_size)."""

    _HYPER = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def _check_args(self) -> None:
        self.step_size = _whole(self.step_size, "step_size", type(self).__name__, 1)
        self.gamma = _real(self.gamma, "gamma", type(self).__name__)

    def _rates(self, initial: bool) -> List[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """Multiply the rate by `gamma` at each epoch in `milestones` (by gamma^k for a milestone listed k times)."""

    _HYPER = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1) -> None:
        name = type(self).__name__
        if isinstance(milestones, (str, bytes, dict)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"{name}: milestones must be a list of epoch numbers, got {type(milestones).__name__}")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer)

    def _check_args(self) -> None:
        name = type(self).__name__
        if not isinstance(self.milestones, dict):
            raise TypeError(f"{name}: milestones must map epochs to counts, got {type(self.milestones).__name__}")
        self.milestones = Counter({_whole(m, "milestone", name, 0): _whole(k, "milestone count", name, 1)
                                   for m, k in self.milestones.items()})
        self.gamma = _real(self.gamma, "gamma", name)

    def _rates(self, initial: bool) -> List[float]:
        k = self.milestones.get(self.last_epoch, 0)
        if not k:
            return self._current()
        return [lr * self.gamma ** k for lr in self._current()]


class ExponentialLR(LRScheduler):
    """Multiply the rate by `gamma` every epoch: lr = initial_lr * gamma^epoch."""

    _HYPER = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(optimizer)

    def _check_args(self) -> None:
        self.gamma = _real(self.gamma, "gamma", type(self).__name__)

    def _rates(self, initial: bool) -> List[float]:
        if initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from initial_lr down to `eta_min` over `T_max` epochs, then back up, with period 2·T_max:
    lr = eta_min + (initial_lr − eta_min)·(1 + cos(π·epoch/T_max))/2.

    Computed with PyTorch's recursive form, lr_t = eta_min + (lr_{t−1} − eta_min)·(1 + cos(π·t/T_max)) /
    (1 + cos(π·(t−1)/T_max)), and its additive step where that denominator is zero, so the rates match
    PyTorch's to rounding (and follow a rate changed by hand, as PyTorch's do).
    """

    _HYPER = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def _check_args(self) -> None:
        name = type(self).__name__
        self.T_max = _whole(self.T_max, "T_max", name, 1)
        self.eta_min = _real(self.eta_min, "eta_min", name)

    def _rates(self, initial: bool) -> List[float]:
        if initial:
            return self._current()
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:  # cos(π(t−1)/T) = −1: the ratio below would divide by zero
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [lo + (lr - lo) * ratio for lr in self._current()]


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch); `lr_lambda` is one function or a list of one per parameter group.

    In `state_dict()` a plain function or lambda is saved as None (code is not state); a callable object
    is saved as a copy of its `__dict__` and restored into the same object by `load_state_dict`, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], Sequence[Callable[[int], float]]]
                 ) -> None:
        name = type(self).__name__
        n = len(_check_optimizer(optimizer, name).param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"{name}: got {len(lr_lambda)} lr_lambda functions for {n} parameter groups")
            fns = list(lr_lambda)
        else:
            fns = [lr_lambda] * n
        for i, fn in enumerate(fns):
            if not callable(fn):
                raise TypeError(f"{name}: lr_lambda must be a function of the epoch (or a list of them), "
                                f"got {type(fn).__name__}" + (f" for group {i}" if len(fns) > 1 else ""))
        self.lr_lambdas: List[Callable[[int], float]] = fns
        super().__init__(optimizer)

    def _rates(self, initial: bool) -> List[float]:
        out = []
        for k, (fn, base) in enumerate(zip(self.lr_lambdas, self.base_lrs)):
            factor = fn(self.last_epoch)
            if isinstance(factor, (bool, np.bool_)) or not isinstance(factor, (int, float, np.integer, np.floating)):
                raise TypeError(f"{type(self).__name__}: lr_lambda({self.last_epoch}) for group {k} must return "
                                f"a number, got {type(factor).__name__}")
            out.append(base * float(factor))
        return out

    def state_dict(self) -> Dict[str, Any]:
        """As LRScheduler.state_dict, with each lr_lambda saved as None (a function) or its __dict__ (an object)."""
        out = {key: copy.deepcopy(getattr(self, key)) for key in self._STATE}
        out["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
                             if hasattr(fn, "__dict__") else None for fn in self.lr_lambdas]
        return out

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore progress, and the saved attributes of callable-object lr_lambdas into those objects."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        if "lr_lambdas" not in state_dict:
            raise ValueError(f"{name}: the state does not fit LambdaLR: missing ['lr_lambdas']")
        saved = state_dict["lr_lambdas"]
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.lr_lambdas):
            raise ValueError(f"{name}: lr_lambdas must be a list of {len(self.lr_lambdas)} entries (None or a dict)")
        for k, entry in enumerate(saved):
            if entry is not None and (not isinstance(entry, dict) or not hasattr(self.lr_lambdas[k], "__dict__")):
                raise ValueError(f"{name}: lr_lambdas[{k}] must be None, or a dict for a callable object")
        LRScheduler.load_state_dict(self, {k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        for fn, entry in zip(self.lr_lambdas, saved):
            if entry is not None:
                fn.__dict__.update(copy.deepcopy(entry))


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by `factor` when a metric has not improved for more than `patience` epochs.

    `step(metric)` once per epoch. In mode "min" an epoch improves on the best value if
    metric < best·(1 − threshold) (threshold_mode "rel") or metric < best − threshold ("abs"); "max" mirrors
    it. After a reduction, `cooldown` epochs pass before bad epochs count again. A rate never goes below
    `min_lr` (one number or one per group), and a reduction smaller than `eps` is skipped. A nan metric
    counts as no improvement. All as PyTorch's ReduceLROnPlateau.
    """

    _HYPER = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lrs", "eps")
    _STATE = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "_last_lr")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: Union[float, Sequence[float]] = 0.0, eps: float = 1e-8) -> None:
        name = type(self).__name__
        self.optimizer = _check_optimizer(optimizer, name)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = threshold, threshold_mode, cooldown, eps
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"{name}: got {len(min_lr)} min_lr values for {n} parameter groups")
            self._default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self._default_min_lr = min_lr
            self.min_lrs = [min_lr] * n
        self._check_args()
        self.last_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current()

    def _check_args(self) -> None:
        name = type(self).__name__
        if self.mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {self.mode!r}")
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got {self.threshold_mode!r}")
        self.factor = _real(self.factor, "factor", name)
        if not self.factor < 1.0:
            raise ValueError(f"{name}: factor must be < 1.0 (the rate is multiplied by it), got {self.factor}")
        self.patience = _whole(self.patience, "patience", name, 0)
        self.cooldown = _whole(self.cooldown, "cooldown", name, 0)
        self.threshold = _real(self.threshold, "threshold", name)
        self.eps = _real(self.eps, "eps", name)
        self.min_lrs = [_real(v, "min_lr", name) for v in _as_list(self.min_lrs, name)]

    def _check_state(self, state_dict: Dict[str, Any], where: str) -> None:
        _rate_list(state_dict["_last_lr"], len(self.optimizer.param_groups), f"{where}: _last_lr")
        _whole(state_dict["last_epoch"], "last_epoch", where, 0)
        _whole(state_dict["num_bad_epochs"], "num_bad_epochs", where, 0)
        _whole(state_dict["cooldown_counter"], "cooldown_counter", where, 0)
        best = state_dict["best"]
        if isinstance(best, (bool, np.bool_)) or not isinstance(best, (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: best must be a number, got {type(best).__name__}")

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a one-element Tensor) and reduce the rates if it plateaued."""
        current = _metric(metrics, type(self).__name__)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current()

    def _is_better(self, a: float) -> bool:
        best, th = self.best, self.threshold
        if self.mode == "min":
            return a < (best * (1.0 - th) if self.threshold_mode == "rel" else best - th)
        return a > (best * (1.0 + th) if self.threshold_mode == "rel" else best + th)

    def _reduce(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self._default_min_lr is None:
                raise RuntimeError(f"{type(self).__name__}.step: the optimizer has {len(groups)} parameter groups "
                                   f"but {len(self.min_lrs)} min_lr values were given; set min_lrs to match")
            self.min_lrs = [float(self._default_min_lr)] * len(groups)
        for group, floor in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                group["lr"] = new


# --------------------------------------------------------------------- argument checks
def _check_optimizer(optimizer: Any, where: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{where}: expected a minigrad.optim optimizer, got {type(optimizer).__name__}")
    return optimizer


def _real(value: Any, name: str, where: str) -> float:
    """A finite real number >= 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return v


def _whole(value: Any, name: str, where: str, low: int) -> int:
    """An int >= low (bools and floats refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__} {value!r:.40}")
    if value < low:
        raise ValueError(f"{where}: {name} must be >= {low}, got {value}")
    return int(value)


def _as_list(value: Any, where: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{where}: expected a list, got {type(value).__name__}")
    return list(value)


def _rate_list(value: Any, n: int, where: str) -> None:
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise ValueError(f"{where} must be a list of {n} rates (one per parameter group), got {value!r:.60}")
    for v in value:
        _real(v, "each rate", where)


def _metric(value: Any, where: str) -> float:
    """The monitored quantity as a float: a real number, a numpy scalar or a one-element Tensor/array."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{where}.step: metrics must be a number, got {type(value).__name__}")
    if hasattr(value, "item") and np.size(getattr(value, "data", value)) != 1:
        raise ValueError(f"{where}.step: metrics must be one number, got a tensor of shape {np.shape(value)}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where}.step: metrics must be a number, got {type(value).__name__}") from None
