"""Thread-local switches: whether ops record the graph (grad mode) and anomaly detection."""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _ModeState(threading.local):
    """Per-thread flags; class attributes are each new thread's defaults. `saved` stacks the values to
    restore, so one context-manager object may be entered again while active, or by several threads."""

    grad_enabled = True
    anomaly = False
    tracer = None  # set by minigrad.compile while it traces a function on this thread

    def __init__(self) -> None:
        self.saved: list = []


state = _ModeState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return state.grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode for a block, then restores it."""

    enabled = True

    def __enter__(self) -> None:
        state.saved.append(state.grad_enabled)
        state.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = state.saved.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Disable graph recording: results never require grad (like torch.no_grad)."""

    enabled = False


class enable_grad(_GradMode):
    """Re-enable graph recording inside a no_grad block."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Set grad mode to `mode` for a block."""

    def __init__(self, mode: bool) -> None:
        self.enabled = bool(mode)


class detect_anomaly:
    """Make backward raise RuntimeError naming the op whose derivative produced NaN or inf."""

    def __enter__(self) -> None:
        state.saved.append(state.anomaly)
        state.anomaly = True

    def __exit__(self, *exc: object) -> None:
        state.anomaly = state.saved.pop()
