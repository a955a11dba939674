"""The functional namespace (imported as F): activations, losses, dense and dropout."""
from ..ops import activations as _activations
from ..ops.activations import *  # noqa: F401,F403
from . import losses as _losses
from .losses import *  # noqa: F401,F403
from ..functions import relu, sigmoid, tanh  # noqa: E402  (typed forms of the core ops: array-likes in, Tensor out)

__all__ = list(_activations.__all__) + list(_losses.__all__)

# --- convolution, pooling, normalization, embedding (issue 11; to move into the public-name table) ---
from ..ops import conv as _conv, norm as _norm  # noqa: E402
from ..ops.conv import avg_pool2d, col2im, conv2d, conv_transpose2d, im2col, max_pool2d  # noqa: E402,F401
from ..ops.norm import batch_norm, embedding, layer_norm  # noqa: E402,F401

__all__ += list(_conv.__all__) + list(_norm.__all__)
# --- end of issue 11 block ---
