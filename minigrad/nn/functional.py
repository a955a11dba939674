"""The functional namespace (imported as F): activations, losses and layers as functions, each the op
itself (array-likes in, a Tensor out), derived from the PUBLIC tables of `minigrad.ops` and `nn.losses`."""
from ..functions import public_form as _public_form
from ..ops import MODULES as _MODULES, public as _public
from . import losses as _losses

FORMS = {name: _public_form(name, fn) for name, fn in _public("F", _MODULES + (_losses,)).items()}
globals().update(FORMS)
__all__ = list(FORMS)
