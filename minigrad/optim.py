"""Optimizers: SGD (momentum, Nesterov), Adam, AdamW, RMSprop, with PyTorch's update rules.

Updates work on each parameter's ndarray in place, in its dtype, with no graph and no per-step
allocation: every state array and one scratch array per parameter are allocated on first use and
reused (numpy ufuncs with `out=`). Parameters whose `.grad` is None are skipped.

`state_dict()` refers to parameters by their index in the order given (across groups), so a saved
state fits any optimizer built over the same parameter list:
`{"param_groups": [{"params": [0, 1, ...], "lr": ..., ...}], "state": {index: {"step": n, name: array}}}`.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np

from .autograd.mode import enable_grad
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop"]

_multiply, _sqrt, _divide, _copyto = np.multiply, np.sqrt, np.divide, np.copyto


def _number(name: str, value: Any, where: str, low: float = 0.0, high: Optional[float] = None,
            high_open: bool = False) -> float:
    """Validate a hyperparameter: a real number in [low, high] (or [low, high) when high_open)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}")
    v = float(value)
    bad = not (v >= low) or (high is not None and (v >= high if high_open else v > high))
    if bad or math.isnan(v):
        rng = f"[{low}, {high})" if high_open else (f"[{low}, {high}]" if high is not None else f">= {low}")
        raise ValueError(f"{where}: invalid {name}={value!r} (must be {rng})")
    return v


class Optimizer:
    """Base class: holds parameter groups (each a dict with "params" and hyperparameters) and per-parameter state."""

    def __init__(self, params: Iterable[Any], defaults: Dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: List[Dict[str, Any]] = []
        self.state: Dict[int, Dict[str, Any]] = {}  # parameter index -> state
        self._params: List[Tensor] = []
        self._work: List[Optional[np.ndarray]] = []
        if hasattr(params, "parameters") and hasattr(params, "forward"):
            raise TypeError(f"{type(self).__name__}: got a module; pass model.parameters()")
        if isinstance(params, (Tensor, dict)):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts "
                            f"with 'params', got a single {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def _check(self, group: Dict[str, Any]) -> None:
        """Validate one group's hyperparameters (subclasses)."""

    def add_param_group(self, group: Dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones from the defaults)."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{name}: got an empty parameter group")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{name}: unknown hyperparameter(s) {sorted(unknown)} in a parameter group")
        seen = {id(p) for p in self._params}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (made by '{p.grad_fn.name}')")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: can only optimize float tensors, got dtype {p.dtype}")
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter appears more than once in the parameter list")
            seen.add(id(p))
        full = dict(self.defaults)
        full.update(group)
        full["params"] = params
        self._check(full)
        self.param_groups.append(full)
        self._params.extend(params)
        self._work.extend([None] * len(params))

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None."""
        for p in self._params:
            p.grad = None

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """One update of every parameter that has a gradient; `closure` (re-evaluates the loss) is optional."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        i = 0
        state, work = self.state, self._work
        for group in self.param_groups:
            hyper = self._hyper(group)
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    arr = p.data
                    g = grad.data if isinstance(grad, Tensor) else grad
                    if g.shape != arr.shape:
                        raise RuntimeError(f"{type(self).__name__}.step: parameter {i} has shape {arr.shape} "
                                           f"but its grad has shape {g.shape}")
                    w = work[i]
                    if w is None or w.shape != arr.shape or w.dtype != arr.dtype:
                        w = work[i] = np.empty_like(arr)
                    st = state.get(i)
                    if st is None:
                        st = state[i] = {}
                    self._update(arr, g, w, st, *hyper)
                i += 1
        return loss

    def _hyper(self, group: Dict[str, Any]) -> tuple:
        """The group's hyperparameters as positional arguments of `_update` (subclasses)."""
        raise NotImplementedError

    def _update(self, p: np.ndarray, g: np.ndarray, w: np.ndarray, st: dict, *hyper: Any) -> None:
        """Update the array p in place from gradient g, using scratch array w and state dict st."""
        raise NotImplementedError

    # ----------------------------------------------------------------- state
    def state_dict(self) -> Dict[str, Any]:
        """{"param_groups": [hyperparameters + parameter indices], "state": {index: {name: array copy or number}}}."""
        groups, start = [], 0
        for g in self.param_groups:
            d = {k: v for k, v in g.items() if k != "params"}
            d["params"] = list(range(start, start + len(g["params"])))
            start += len(g["params"])
            groups.append(d)
        state = {i: {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in st.items()}
                 for i, st in sorted(self.state.items())}
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore hyperparameters and state (copied, in each parameter's dtype); validates everything first."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"param_groups", "state"}:
            raise ValueError(f"{name}: expected a dict with exactly 'param_groups' and 'state'")
        groups = list(state_dict["param_groups"])
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state has {len(groups)} parameter group(s), "
                             f"this optimizer has {len(self.param_groups)}")
        new_groups = []
        for k, (mine, saved) in enumerate(zip(self.param_groups, groups)):
            n_saved = len(list(saved.get("params", ())))
            if n_saved != len(mine["params"]):
                raise ValueError(f"{name}: group {k} has {n_saved} parameter(s) in the state, "
                                 f"{len(mine['params'])} in this optimizer")
            unknown = set(saved) - set(self.defaults) - {"params"}
            if unknown:
                raise ValueError(f"{name}: unknown hyperparameter(s) {sorted(unknown)} in group {k}")
            g = dict(mine)
            g.update({h: (tuple(v) if isinstance(v, list) else v) for h, v in saved.items() if h != "params"})
            self._check(g)
            new_groups.append(g)
        new_state: Dict[int, Dict[str, Any]] = {}
        for key, st in dict(state_dict["state"]).items():
            try:
                i = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: state keys must be parameter indices, got {key!r}") from None
            if not 0 <= i < len(self._params):
                raise ValueError(f"{name}: state for parameter {i}, but there are {len(self._params)} parameters")
            p = self._params[i]
            entry = {}
            for sk, v in dict(st).items():
                if sk == "step":
                    entry[sk] = int(v)
                    continue
                if sk not in self._STATE_ARRAYS:
                    raise ValueError(f"{name}: unknown state entry {sk!r} for parameter {i}")
                arr = np.asarray(v.data if isinstance(v, Tensor) else v)
                if arr.shape != p.shape:
                    raise ValueError(f"{name}: state {sk!r} of parameter {i} has shape {arr.shape}, "
                                     f"the parameter has shape {p.shape}")
                entry[sk] = np.array(arr, dtype=p.dtype, copy=True)
            absent = [r for r in self._STATE_REQUIRED if r not in entry]
            if entry and absent:
                raise ValueError(f"{name}: state of parameter {i} lacks {absent}")
            new_state[i] = entry
        for mine, g in zip(self.param_groups, new_groups):
            mine.update(g)
        self.state = new_state

    _STATE_ARRAYS: Tuple[str, ...] = ()  # the array entries a parameter's state may hold
    _STATE_REQUIRED: Tuple[str, ...] = ()  # the entries a non-empty state must hold

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, g in enumerate(self.param_groups):
            lines.append(f"  group {k}: {len(g['params'])} params, "
                         + ", ".join(f"{h}={v}" for h, v in g.items() if h != "params"))
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent: d = g + wd*p; buf = momentum*buf + d (buf = d at first);
    d = d + momentum*buf (nesterov) or buf; p -= lr*d."""

    _STATE_ARRAYS = ("momentum_buffer",)

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay))

    def _check(self, g: Dict[str, Any]) -> None:
        _number("lr", g["lr"], "SGD")
        _number("momentum", g["momentum"], "SGD")
        _number("weight_decay", g["weight_decay"], "SGD")
        if g["nesterov"] and not g["momentum"] > 0:
            raise ValueError("SGD: nesterov=True requires momentum > 0")

    def _hyper(self, g):
        return float(g["lr"]), float(g["momentum"]), bool(g["nesterov"]), float(g["weight_decay"])

    def _update(self, p, g, w, st, lr, momentum, nesterov, wd):
        d = g
        if wd:
            _multiply(p, wd, out=w)
            w += g
            d = w
        if momentum:
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = np.array(d, dtype=p.dtype, copy=True)
            else:
                buf *= momentum
                buf += d
            if nesterov:
                if d is g:
                    _multiply(buf, momentum, out=w)
                    w += g
                else:
                    w += buf * momentum  # (weight decay + nesterov: the one allocating path)
                d = w
            else:
                d = buf
        _multiply(d, lr, out=w)
        p -= w


class Adam(Optimizer):
    """Adam: g += wd*p (L2); m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)."""

    _STATE_ARRAYS = ("exp_avg", "exp_avg_sq")
    _STATE_REQUIRED = ("step", "exp_avg", "exp_avg_sq")
    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check(self, g: Dict[str, Any]) -> None:
        where = type(self).__name__
        _number("lr", g["lr"], where)
        _number("eps", g["eps"], where)
        _number("weight_decay", g["weight_decay"], where)
        betas = g["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        _number("beta1", betas[0], where, 0.0, 1.0, high_open=True)
        _number("beta2", betas[1], where, 0.0, 1.0, high_open=True)
        g["betas"] = (float(betas[0]), float(betas[1]))

    def _hyper(self, g):
        b1, b2 = g["betas"]
        return float(g["lr"]), b1, b2, float(g["eps"]), float(g["weight_decay"])

    def _update(self, p, g, w, st, lr, b1, b2, eps, wd):
        m = st.get("exp_avg")
        if m is None:
            st["step"] = 0
            m = st["exp_avg"] = np.zeros_like(p)
            st["exp_avg_sq"] = np.zeros_like(p)
        v = st["exp_avg_sq"]
        t = st["step"] = st["step"] + 1
        if wd and self._decoupled:  # AdamW: decay the weights directly, not through the gradient
            p *= 1.0 - lr * wd
        l2 = wd and not self._decoupled
        # m = b1*m + (1-b1)*g  and  v = b2*v + (1-b2)*g*g, with g = grad + wd*p under L2
        if l2:
            _multiply(p, wd, out=w)
            w += g
            w *= 1.0 - b1
        else:
            _multiply(g, 1.0 - b1, out=w)
        m *= b1
        m += w
        if l2:
            _multiply(p, wd, out=w)  # recompute g (p is unchanged so far) rather than keep a second buffer
            w += g
            w *= w
        else:
            _multiply(g, g, out=w)
        w *= 1.0 - b2
        v *= b2
        v += w
        # p -= step_size * m / (sqrt(v)/sqrt(bc2) + eps)
        step_size = lr / (1.0 - b1 ** t)
        _sqrt(v, out=w)
        w /= math.sqrt(1.0 - b2 ** t)
        w += eps
        _divide(m, w, out=w)
        w *= step_size
        p -= w


class AdamW(Adam):
    """AdamW: p *= 1 - lr*wd (decoupled weight decay), then the Adam step without L2."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class RMSprop(Optimizer):
    """RMSprop: g += wd*p; v = alpha*v + (1-alpha)*g^2; with momentum buf = mu*buf + g/(sqrt(v)+eps),
    p -= lr*buf; else p -= lr*g/(sqrt(v)+eps)."""

    _STATE_ARRAYS = ("square_avg", "momentum_buffer")
    _STATE_REQUIRED = ("step", "square_avg")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay))

    def _check(self, g: Dict[str, Any]) -> None:
        _number("lr", g["lr"], "RMSprop")
        _number("alpha", g["alpha"], "RMSprop", 0.0, 1.0)
        _number("eps", g["eps"], "RMSprop")
        _number("momentum", g["momentum"], "RMSprop")
        _number("weight_decay", g["weight_decay"], "RMSprop")

    def _hyper(self, g):
        return float(g["lr"]), float(g["alpha"]), float(g["eps"]), float(g["momentum"]), float(g["weight_decay"])

    def _update(self, p, g, w, st, lr, alpha, eps, momentum, wd):
        v = st.get("square_avg")
        if v is None:
            st["step"] = 0
            v = st["square_avg"] = np.zeros_like(p)
            if momentum:
                st["momentum_buffer"] = np.zeros_like(p)
        st["step"] += 1
        if wd:
            g = g + wd * p  # L2 (allocates; RMSprop's weight decay is an extra beyond the API)
        _multiply(g, g, out=w)
        w *= 1.0 - alpha
        v *= alpha
        v += w
        _sqrt(v, out=w)
        w += eps
        _divide(g, w, out=w)  # g / (sqrt(v) + eps)
        if momentum:
            buf = st.get("momentum_buffer")
            if buf is None:
                buf = st["momentum_buffer"] = np.zeros_like(p)
            buf *= momentum
            buf += w
            _multiply(buf, lr, out=w)
        else:
            w *= lr
        p -= w
