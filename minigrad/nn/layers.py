"""Layers: Linear, Sequential, Dropout, Flatten, Identity, one module per activation and loss, and the
convolution, pooling, normalization and embedding layers.

The activation and loss modules are thin: each binds one function of `minigrad.nn.functional` and
its keyword arguments. They share `_FunctionModule`, which turns the keywords declared in the class
statement (`class ELU(_Activation, function="elu", alpha=1.0)`) into a real `__init__` signature,
attributes of the same names (read at every call, so they can be changed), and an `extra_repr`.
"""
from __future__ import annotations

import inspect
import math
from collections import OrderedDict
from typing import Any, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from . import functional, init
from .module import Module, Parameter
from ..ops.conv import as_pair
from ..ops.norm import check_eps
from ..tensor import Tensor, get_default_dtype

__all__ = ["Linear", "Sequential", "Dropout", "Flatten", "Identity",
           "Step", "Sign", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "Softplus",
           "SiLU", "Swish", "GELU", "Mish", "Hardtanh", "Hardsigmoid", "Softsign", "Softmax", "LogSoftmax",
           "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
           "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding"]


# ----------------------------------------------------------------------------- containers and layers

def _count(value: Any, name: str, where: str, low: int = 1) -> int:
    """A count argument (sizes, channels, groups): an int >= low, else an error naming `where` and `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{where}: {name} must be >= {low}, got {value}")
    return int(value)


def _weight_and_bias(module: Module, weight_shape: tuple, bias: bool, bias_size: Optional[int] = None) -> None:
    """Register an empty `weight` and, with `bias`, an empty `bias` (of bias_size, default weight_shape[-1];
    else a registered None), in the default dtype; the module's reset_parameters fills them."""
    dtype = get_default_dtype()
    module.weight = Parameter(np.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(np.empty((weight_shape[-1] if bias_size is None else bias_size,), dtype=dtype))
    else:
        module.register_parameter("bias", None)


class Linear(Module):
    """Fully connected layer y = x @ weight + bias, weight of shape (in_features, out_features).

    Default init (PyTorch's): weight and bias drawn from U(−1/√in_features, 1/√in_features) through
    `minigrad.rng.generator()`, so `minigrad.manual_seed` makes it reproducible; parameters take the
    default dtype at construction.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = _count(in_features, "in_features", "Linear", low=0)
        self.out_features = _count(out_features, "out_features", "Linear", low=0)
        _weight_and_bias(self, (self.in_features, self.out_features), bias)
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


class SmoothL1Loss(_Loss, function="smooth_l1_loss", reduction="mean", beta=1.0):
    """½d²/beta where |d| < beta, else |d| − ½beta, d = input − target; reduced."""


class BCELoss(_Loss, function="binary_cross_entropy", weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities, −(t·log x + (1 − t)·log(1 − x)); reduced."""


class BCEWithLogitsLoss(_Loss, function="binary_cross_entropy_with_logits", weight=None, reduction="mean",
                        pos_weight=None):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits; reduced."""


class CrossEntropyLoss(_Loss, function="cross_entropy", weight=None, ignore_index=-100, reduction="mean",
                       label_smoothing=0.0):
    """Softmax cross-entropy of logits (N, C, ...) with class indices (N, ...) or probabilities; reduced."""


class NLLLoss(_Loss, function="nll_loss", weight=None, ignore_index=-100, reduction="mean"):
    """−input[i, target_i] for log-probabilities (N, C); reduced."""


# ----------------------------------------------------------------------------- convolution, pooling, normalization

def _uniform_fan_in(t: Tensor, fan_in: int) -> None:
    """U(−1/√fan_in, 1/√fan_in): PyTorch's kaiming_uniform_(a=√5) for weights (gain √(2/(1 + 5)) times
    √(3/fan_in)) and its bias bound alike; 0 when fan_in is 0."""
    bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
    init.uniform_(t, -bound, bound)


class _ConvNd(Module):
    """Shared by Conv2d and ConvTranspose2d: argument checks, parameters, PyTorch's init and repr."""

    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, groups: int, bias: bool, output_padding: Any = 0) -> None:
        super().__init__()
        where = type(self).__name__
        self.in_channels = _count(in_channels, "in_channels", where)
        self.out_channels = _count(out_channels, "out_channels", where)
        self.groups = _count(groups, "groups", where)
        for name, n in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if n % self.groups:
                raise ValueError(f"{where}: {name} {n} is not divisible by groups {self.groups}")
        self.kernel_size = as_pair(kernel_size, "kernel_size", where, 1)
        self.stride = as_pair(stride, "stride", where, 1)
        self.padding = as_pair(padding, "padding", where, 0)
        self.dilation = as_pair(dilation, "dilation", where, 1)
        self.output_padding = as_pair(output_padding, "output_padding", where, 0)
        if self._transposed:  # (in, out/groups, kh, kw): PyTorch's layout, fan-in from its axis 1
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        _weight_and_bias(self, shape, bias, self.out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight and bias from U(−1/√fan_in, 1/√fan_in), fan_in = weight.shape[1]·kh·kw (PyTorch's init)."""
        fan_in = int(np.prod(self.weight.shape[1:]))
        _uniform_fan_in(self.weight, fan_in)
        if self.bias is not None:
            _uniform_fan_in(self.bias, fan_in)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-d convolution over (N, in_channels, H, W): weight (out_channels, in_channels/groups, kh, kw),
    bias (out_channels,); initialized as PyTorch does (U(±1/√fan_in), fan_in = in_channels/groups·kh·kw)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)

    def forward(self, x: Any) -> Tensor:
        return functional.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-d convolution: weight (in_channels, out_channels/groups, kh, kw), bias (out_channels,);
    initialized as PyTorch does (U(±1/√fan_in), fan_in = out_channels/groups·kh·kw, its weight's axis 1)."""

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         output_padding)

    def forward(self, x: Any) -> Tensor:
        return functional.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                           self.groups, self.dilation)


class _Pool2d(Module):
    _function = ""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        where = type(self).__name__
        self.kernel_size = as_pair(kernel_size, "kernel_size", where, 1)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", where, 1)
        self.padding = as_pair(padding, "padding", where, 0)

    def forward(self, x: Any) -> Tensor:
        return getattr(functional, self._function)(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over each window (stride defaults to kernel_size); the gradient goes to the maximum, ties split evenly."""

    _function = "max_pool2d"


class AvgPool2d(_Pool2d):
    """Mean over each window (stride defaults to kernel_size); zero padding counts in the mean."""

    _function = "avg_pool2d"


def _scale_and_shift(module: Module, shape: tuple, affine: bool) -> None:
    """A normalization layer's learnable weight (ones) and bias (zeros) of `shape`, or registered Nones."""
    if affine:
        dtype = get_default_dtype()
        module.weight = Parameter(np.ones(shape, dtype=dtype))
        module.bias = Parameter(np.zeros(shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


class _BatchNorm(Module):
    """Batch normalization over axis 1 with learnable weight/bias (affine) and running statistics as
    buffers (`running_mean`, `running_var`, `num_batches_tracked`, all in state_dict()). Training mode
    normalizes with the batch statistics and updates the running ones in place; eval() uses the running
    ones. momentum=None averages every batch so far (cumulative), as PyTorch."""

    _dims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        super().__init__()
        where = type(self).__name__
        self.num_features = _count(num_features, "num_features", where)
        eps = check_eps(eps, where)
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.integer, np.floating))
                                     or not 0 <= momentum <= 1):
            raise ValueError(f"{where}: momentum must be a number in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        _scale_and_shift(self, (self.num_features,), self.affine)
        dtype = get_default_dtype()
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked (in place)."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, x: Any) -> Tensor:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        where = type(self).__name__
        if len(shape) not in self._dims:
            raise ValueError(f"{where}: expected a {' or '.join(f'{d}-d' for d in self._dims)} input "
                             f"{self._layout}, got shape {shape}")
        if shape[1] != self.num_features:
            raise ValueError(f"{where}: expected {self.num_features} channels on axis 1 (num_features), "
                             f"got input shape {shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            np.add(self.num_batches_tracked, 1, out=self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / int(self.num_batches_tracked)
        use_batch_stats = self.training or not self.track_running_stats
        tracked = not self.training or self.track_running_stats
        return functional.batch_norm(x, self.running_mean if tracked else None, self.running_var if tracked else None,
                                     self.weight, self.bias, use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs per feature C."""

    _dims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs per channel C."""

    _dims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalize each sample over its trailing `normalized_shape` axes; weight ones and bias zeros of that
    shape when elementwise_affine (PyTorch's init)."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
            normalized_shape = (normalized_shape,)
        if not isinstance(normalized_shape, (tuple, list)) or not normalized_shape:
            raise TypeError(f"LayerNorm: normalized_shape must be an int or a non-empty sequence of ints, "
                            f"got {normalized_shape!r}")
        self.normalized_shape = tuple(_count(n, "normalized_shape", "LayerNorm") for n in normalized_shape)
        self.eps = check_eps(eps, "LayerNorm")
        self.elementwise_affine = bool(elementwise_affine)
        _scale_and_shift(self, self.normalized_shape, self.elementwise_affine)

    def forward(self, x: Any) -> Tensor:
        return functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Embedding(Module):
    """A lookup table: forward(indices) = weight[indices], weight (num_embeddings, embedding_dim) drawn from
    N(0, 1) (PyTorch's init); rows picked several times accumulate their gradients."""

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__()
        self.num_embeddings = _count(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = _count(embedding_dim, "embedding_dim", "Embedding")
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=get_default_dtype()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw the weight from N(0, 1)."""
        init.normal_(self.weight, 0.0, 1.0)

    def forward(self, indices: Any) -> Tensor:
        return functional.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
