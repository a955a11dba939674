"""Neural-network toolkit: modules, layers, initializers and the functional namespace."""
from . import functional, init, utils
from .layers import *  # noqa: F401,F403
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList
