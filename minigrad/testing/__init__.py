"""Gradient checking: numerical gradients and checkers (`strategies` holds hypothesis strategies)."""
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]
