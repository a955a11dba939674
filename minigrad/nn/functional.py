"""The functional namespace (imported as F): activations, losses, dense and dropout."""
from ..ops import activations as _activations
from ..ops.activations import *  # noqa: F401,F403
from . import losses as _losses
from .losses import *  # noqa: F401,F403
from ..functions import relu, sigmoid, tanh  # noqa: E402  (typed forms of the core ops: array-likes in, Tensor out)

__all__ = list(_activations.__all__) + list(_losses.__all__)
