"""The functional namespace (imported as F): activations, losses, dense and dropout."""
from ..ops.activations import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
