"""Layers: Linear, Sequential, Dropout, Flatten, Identity, and one module per activation and loss."""
__all__ = []
