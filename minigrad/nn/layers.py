"""Layers: Linear, Sequential, Dropout, Flatten, Identity, and one module per activation and loss.

The activation and loss modules are thin: each binds one function of `minigrad.nn.functional` and
its keyword arguments. They share `_FunctionModule`, which turns the keywords declared in the class
statement (`class ELU(_Activation, function="elu", alpha=1.0)`) into a real `__init__` signature,
attributes of the same names (read at every call, so they can be changed), and an `extra_repr`.
"""
from __future__ import annotations

import inspect
import math
from collections import OrderedDict
from typing import Any, Iterator, Mapping, Union

import numpy as np

from . import functional, init
from .module import Module, Parameter
from ..tensor import Tensor, get_default_dtype

__all__ = ["Linear", "Sequential", "Dropout", "Flatten", "Identity",
           "Step", "Sign", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "Softplus",
           "SiLU", "Swish", "GELU", "Mish", "Hardtanh", "Hardsigmoid", "Softsign", "Softmax", "LogSoftmax",
           "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]


# ----------------------------------------------------------------------------- containers and layers

class Linear(Module):
    """Fully connected layer y = x @ weight + bias, weight of shape (in_features, out_features).

    Default init (PyTorch's): weight and bias drawn from U(−1/√in_features, 1/√in_features) through
    `minigrad.rng.generator()`, so `minigrad.manual_seed` makes it reproducible; parameters take the
    default dtype at construction.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"Linear: {name} must be an int, got {type(n).__name__}")
            if n < 0:
                raise ValueError(f"Linear: {name} must be >= 0, got {n}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        dtype = get_default_dtype()
        self.weight = Parameter(np.empty((self.in_features, self.out_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias from U(−1/√in_features, 1/√in_features) (bound 0 when in_features is 0)."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return functional.dense(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sequential(Module):
    """Modules applied in order: Sequential(m0, m1, ...)(x) = ...m1(m0(x)).

    Sub-modules are registered as "0", "1", ... (state-dict keys "0.weight", ...), or under the keys
    of a single OrderedDict argument. Indexing with an int gives a module; with a slice, a Sequential
    of the same modules under the same names.
    """

    def __init__(self, *modules: Union[Module, "Mapping[str, Module]"]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {name!r} must be a Module, got {type(m).__name__}")
            self.add_module(name, m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: Union[int, slice]) -> Union[Module, "Sequential"]:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"Sequential: indices must be ints or slices, got {type(index).__name__}")
        if not -len(items) <= index < len(items):
            raise IndexError(f"Sequential: index {index} is out of range for {len(items)} modules")
        return items[index][1]

    def append(self, module: Module) -> "Sequential":
        """Add `module` at the end (named by the current length); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x


class Dropout(Module):
    """Inverted dropout while training (zero with probability p, scale the rest by 1/(1 − p)); identity in eval()."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x: Any) -> Any:
        return functional.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Flatten every axis but the first (the batch): shape (N, d1, d2, ...) -> (N, d1·d2·...)."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0:
            raise ValueError("Flatten: expected a tensor with a batch axis, got a 0-d tensor")
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:], dtype=np.int64)))


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to switch a layer off)."""

    def forward(self, x: Any) -> Any:
        return x


# ----------------------------------------------------------------------------- function-backed modules

class _FunctionModule(Module):
    """Base of the modules that apply one `nn.functional` function with fixed keyword arguments.

    A subclass names the function and declares the arguments with their defaults in its class
    statement; this builds its `__init__` (signature `(arg=default, ...)`, positional or keyword).
    """

    _function: str = ""
    _arg_names: tuple = ()

    def __init_subclass__(cls, function: str = "", **defaults: Any) -> None:
        super().__init_subclass__()
        if not function:  # an intermediate base such as _Activation
            return
        cls._function = function
        cls._arg_names = tuple(defaults)
        params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        params += [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=v) for k, v in defaults.items()]
        signature = inspect.Signature(params)

        def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{cls.__name__}: {e}") from None
            bound.apply_defaults()
            Module.__init__(self)
            for k in defaults:
                setattr(self, k, bound.arguments[k])
            self._check_args()

        __init__.__signature__ = signature
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        __init__.__doc__ = f"Bind the arguments of nn.functional.{function}: {', '.join(defaults) or 'none'}."
        cls.__init__ = __init__

    def _check_args(self) -> None:
        """Validate the bound arguments early (the function validates them again at each call)."""

    def _call(self, *args: Any, **extra: Any) -> Any:
        kwargs = {k: getattr(self, k) for k in self._arg_names}
        kwargs.update(extra)
        return getattr(functional, self._function)(*args, **kwargs)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._arg_names)


class _Activation(_FunctionModule):
    def forward(self, x: Any) -> Tensor:
        return self._call(x)


class _Loss(_FunctionModule):
    def _check_args(self) -> None:
        if self.reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be one of 'mean', 'sum', 'none', "
                             f"got {self.reduction!r}")

    def forward(self, input: Any, target: Any) -> Tensor:
        return self._call(input, target)


class Step(_Activation, function="step", value_at_zero=0.0):
    """Heaviside step: 1 where x > 0, 0 where x < 0 (value_at_zero at 0); no gradient."""


class Sign(_Activation, function="sign"):
    """−1, 0 or 1; no gradient."""


class Sigmoid(_Activation, function="sigmoid"):
    """1/(1 + e^−x)."""


class Tanh(_Activation, function="tanh"):
    """tanh(x)."""


class ReLU(_Activation, function="relu"):
    """max(0, x)."""


class LeakyReLU(_Activation, function="leaky_relu", negative_slope=0.01):
    """x if x > 0 else negative_slope·x."""


class PReLU(Module):
    """prelu(x, weight) with a learnable slope: one (num_parameters=1) or one per channel on axis 1, each
    initialised to `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full((self.num_parameters,), init, dtype=get_default_dtype()))

    def forward(self, x: Tensor) -> Tensor:
        return functional.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(_Activation, function="rrelu", lower=1 / 8, upper=1 / 3):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element in training mode, (lower + upper)/2 in eval."""

    def forward(self, x: Any) -> Tensor:
        return self._call(x, training=self.training)


class ELU(_Activation, function="elu", alpha=1.0):
    """x if x > 0 else alpha·(e^x − 1)."""


class SELU(_Activation, function="selu"):
    """scale·elu(x, alpha) with the self-normalising constants."""


class Softplus(_Activation, function="softplus", beta=1.0, threshold=20.0):
    """log(1 + e^(beta·x))/beta, and x where beta·x > threshold."""


class SiLU(_Activation, function="silu"):
    """x·sigmoid(x)."""


class Swish(_Activation, function="swish", beta=1.0):
    """x·sigmoid(beta·x)."""


class GELU(_Activation, function="gelu", approximate="none"):
    """x·Φ(x); approximate="tanh" uses the tanh approximation."""


class Mish(_Activation, function="mish"):
    """x·tanh(softplus(x))."""


class Hardtanh(_Activation, function="hardtanh", min_val=-1.0, max_val=1.0):
    """clip(x, min_val, max_val)."""


class Hardsigmoid(_Activation, function="hardsigmoid"):
    """relu6(x + 3)/6."""


class Softsign(_Activation, function="softsign"):
    """x/(1 + |x|)."""


class Softmax(_Activation, function="softmax", axis=-1):
    """e^x / Σ e^x along `axis`."""


class LogSoftmax(_Activation, function="log_softmax", axis=-1):
    """x − logsumexp(x) along `axis`."""


class MSELoss(_Loss, function="mse_loss", reduction="mean"):
    """(input − target)², reduced."""


class L1Loss(_Loss, function="l1_loss", reduction="mean"):
    """|input − target|, reduced."""


class HuberLoss(_Loss, function="huber_loss", delta=1.0, reduction="mean"):
    """½d² where |d| < delta, else delta·(|d| − ½delta), d = input − target; reduced."""


class BCELoss(_Loss, function="binary_cross_entropy", reduction="mean"):
    """Binary cross-entropy of probabilities, −(t·log x + (1 − t)·log(1 − x)); reduced."""


class BCEWithLogitsLoss(_Loss, function="binary_cross_entropy_with_logits", reduction="mean"):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits; reduced."""


class CrossEntropyLoss(_Loss, function="cross_entropy", reduction="mean"):
    """Softmax cross-entropy of logits (N, C) with class indices (N,) or probabilities (N, C); reduced."""


class NLLLoss(_Loss, function="nll_loss", reduction="mean"):
    """−input[i, target_i] for log-probabilities (N, C); reduced."""
