"""Optimizers (SGD, Adam, AdamW, RMSprop) with PyTorch's update rules and param_groups; lr_scheduler."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
