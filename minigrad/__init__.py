"""minigrad: a numpy automatic-differentiation micro-framework (reverse mode, any order)."""
from .autograd.engine import grad
from .autograd.function import Function, FunctionCtx
from .autograd.mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (arange, empty, eye, from_dlpack, full, ones, ones_like, rand, randn, tensor, zeros,
                       zeros_like)
from .functions import *  # noqa: F401,F403  (exp, sum, reshape, ...: every op public at the top level)
from .rng import manual_seed
from .serialization import load, save
from .tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

from . import data, nn, optim, testing, viz  # noqa: E402  (subpackages, after the core they build on)
from . import func  # noqa: E402  (transforms, built on grad)
from .compile import compile  # noqa: E402,A001  (traces a step once, replays it as generated numpy)
