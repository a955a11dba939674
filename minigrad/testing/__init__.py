"""Gradient checking: numerical gradients and checkers (`strategies` holds hypothesis strategies)."""
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .check_grads import check_grads

__all__ = ["GradcheckError", "check_grads", "gradcheck", "gradgradcheck", "numerical_grad"]
