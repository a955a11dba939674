"""Losses, dense and dropout as functions (composed from ops, or fused primitives)."""
__all__ = []
