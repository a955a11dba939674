"""Text for graph nodes: short labels and full tooltips for tensors, ops and constants.

Everything here returns plain text lines (no DOT escaping); `draw` escapes and joins them.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

TINY = 4    # labels show a tensor's values when it has at most this many elements (every tensor alike)
SMALL = 10  # tooltips and the explorer's panel list the values up to this many elements
_LABEL_WIDTH = 48


def fmt_shape(shape: Sequence[int]) -> str:
    """(3, 4) for a matrix, () for a scalar."""
    return "(" + ", ".join(str(int(n)) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_number(x: Any) -> str:
    """A number in at most ~5 significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (complex, np.complexfloating)):
        return f"{complex(x):.4g}"
    return f"{float(x):.4g}"


def nonfinite_counts(arr: np.ndarray) -> Tuple[int, int]:
    """(number of NaN, number of +-inf) in a float or complex array; (0, 0) for other dtypes."""
    if arr.dtype.kind not in "fc" or arr.size == 0:
        return 0, 0
    n_nan = int(np.count_nonzero(np.isnan(arr)))
    n_inf = int(np.count_nonzero(np.isinf(arr)))
    return n_nan, n_inf


def has_nonfinite(arr: Any) -> bool:
    """True when a float array holds NaN or inf."""
    arr = np.asarray(arr)
    return arr.dtype.kind in "fc" and arr.size > 0 and not bool(np.isfinite(arr).all())


def values_text(arr: np.ndarray) -> List[str]:
    """The values of a small array: on one line when it fits, else one line per row of the last axis."""
    if arr.ndim == 0:
        return [fmt_number(arr.item())]
    if arr.ndim == 1:
        return ["[" + ", ".join(fmt_number(v) for v in arr.tolist()) + "]"]
    rows = ["[" + ", ".join(fmt_number(v) for v in row) + "]"
            for row in arr.reshape(-1, arr.shape[-1]).tolist()]
    one_line = "[" + ", ".join(rows) + "]"
    return [one_line] if len(one_line) <= _LABEL_WIDTH else rows


def stats_text(arr: np.ndarray) -> str:
    """min / mean / max over the finite values, and the count of NaN and inf if any."""
    if arr.size == 0:
        return "empty"
    if arr.dtype.kind not in "biuf":
        return f"{arr.size} values of dtype {arr.dtype}"
    n_nan, n_inf = nonfinite_counts(arr)
    finite = arr[np.isfinite(arr)] if (n_nan or n_inf) else arr
    parts = []
    if finite.size:
        mean = np.mean(finite, dtype=np.float64)
        parts.append(f"min {fmt_number(finite.min())}  mean {fmt_number(mean)}  max {fmt_number(finite.max())}")
    parts.extend(nonfinite_note(n_nan, n_inf))
    return "  ".join(parts)


def nonfinite_note(n_nan: int, n_inf: int) -> List[str]:
    out = []
    if n_nan:
        out.append(f"{n_nan} nan")
    if n_inf:
        out.append(f"{n_inf} inf")
    return out


def summary(arr: np.ndarray) -> List[str]:
    """Values for tiny arrays (<= TINY elements), min/mean/max otherwise: one style for data and grads alike."""
    if 0 < arr.size <= TINY and arr.dtype.kind in "biufc":
        lines = values_text(arr)
        n_nan, n_inf = nonfinite_counts(arr)
        return lines if not (n_nan or n_inf) else lines + ["(" + ", ".join(nonfinite_note(n_nan, n_inf)) + ")"]
    return [stats_text(arr)]


def fmt_attr(value: Any) -> str:
    """A compact text for an op attribute: axis, shape, index, dtype, slope, ..."""
    if value is None or isinstance(value, (bool, str)):
        return repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, (int, float, complex, np.generic)):
        return fmt_number(value)
    if value is Ellipsis:
        return "..."
    if isinstance(value, slice):
        parts = ["" if v is None else str(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2] if value.step is None else parts)
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, np.ndarray):
        return f"array{fmt_shape(value.shape)} {value.dtype}"
    if isinstance(value, tuple):
        return "(" + ", ".join(fmt_attr(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(fmt_attr(v) for v in value) + "]"
    if isinstance(value, type):
        return value.__name__
    return f"<{type(value).__name__}>"


def visible_attrs(attrs: Dict[str, Any]) -> Dict[str, Any]:
    """Attributes worth showing: a custom Function's bookkeeping context is left out."""
    return {k: v for k, v in attrs.items() if type(v).__name__ != "FunctionCtx"}


def shorten(text: str, width: int = _LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


# ----------------------------------------------------------------------------- tensors

def tensor_label(t: Any, name: Optional[str], show_data: bool, show_grad: bool) -> List[str]:
    """Name, shape and dtype; values or stats of data and grad when asked; a note on NaN/inf."""
    lines = [shorten(name)] if name else []
    lines.append(f"{fmt_shape(t.shape)} {t.dtype}")
    data = t.data
    if show_data:
        lines.extend(_prefixed("data", summary(data)))
    elif has_nonfinite(data):
        lines.append("data: " + ", ".join(nonfinite_note(*nonfinite_counts(data))))
    g = grad_array(t)
    if g is not None:
        if show_grad:
            lines.extend(_prefixed("grad", summary(g)))
        elif has_nonfinite(g):
            lines.append("grad: " + ", ".join(nonfinite_note(*nonfinite_counts(g))))
    return lines


def tensor_tooltip(t: Any, name: Optional[str], role: str, aliases: Sequence[str] = ()) -> List[str]:
    """Everything about a tensor: name, role, shape, dtype, requires_grad, op, data and grad stats."""
    lines = [f"name: {name}" if name else "name: (none)"]
    if aliases:
        lines.append("also: " + ", ".join(aliases))
    lines += [f"role: {role}", f"shape: {fmt_shape(t.shape)}", f"dtype: {t.dtype}",
              f"requires_grad: {t.requires_grad}", f"is_leaf: {t.is_leaf}"]
    fn = t.grad_fn
    lines.append(f"made by: {fn.name}" if fn is not None else "made by: (leaf)")
    lines.extend(_prefixed("data", _detail(t.data)))
    g = grad_array(t)
    lines.extend(_prefixed("grad", _detail(g)) if g is not None else ["grad: None"])
    return lines


def grad_array(t: Any) -> Optional[np.ndarray]:
    """The tensor's gradient as an ndarray, or None before backward."""
    g = t.grad
    if g is None:
        return None
    return np.asarray(getattr(g, "data", g))


def _detail(arr: np.ndarray) -> List[str]:
    out = [stats_text(arr)] if arr.size > 1 else []
    if 0 < arr.size <= SMALL:
        out += values_text(arr)
    return out or ["empty"]


def _prefixed(prefix: str, lines: List[str]) -> List[str]:
    if not lines:
        return []
    return [f"{prefix}: {lines[0]}"] + ["  " + ln for ln in lines[1:]]


# ----------------------------------------------------------------------------- ops and constants

def op_label(name: str, n_inputs: int, scalars: Dict[int, Any], attrs: Dict[str, Any]) -> List[str]:
    """The op name; `mul(·, 2)` when scalar operands were folded in; attributes (not None/False) below."""
    head = name
    if scalars:
        args = [fmt_number(np.asarray(scalars[i]).item()) if i in scalars else "·" for i in range(n_inputs)]
        head = f"{name}({', '.join(args)})"
    lines = [shorten(head)]
    shown = {k: v for k, v in visible_attrs(attrs).items() if v is not None and v is not False}
    if shown:
        lines.append(shorten(", ".join(f"{k}={fmt_attr(v)}" for k, v in shown.items())))
    return lines


def op_tooltip(fn: Any, note: Optional[str] = None) -> List[str]:
    """The op's name, every input (tensor shape/dtype/name or constant value), attributes and output."""
    lines = [f"op: {fn.name}"]
    for i, inp in enumerate(fn.inputs):
        lines.append(f"input {i}: {describe_operand(inp)}")
    for k, v in visible_attrs(fn.attrs).items():
        lines.append(f"{k} = {fmt_attr(v)}")
    out = fn.output
    lines.append(f"output: {fmt_shape(out.shape)} {out.dtype}")
    if note:
        lines.append(note)
    return lines


def describe_operand(value: Any) -> str:
    """One line for an op input: a tensor's shape, dtype and name, or a constant's value."""
    if hasattr(value, "grad_fn") and hasattr(value, "data"):
        name = f" {value.name!r}" if value.name else ""
        grad = ", requires_grad" if value.requires_grad else ""
        return f"tensor{name} {fmt_shape(value.shape)} {value.dtype}{grad}"
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"constant array {fmt_shape(value.shape)} {value.dtype}"
    if isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)):
        return f"constant {fmt_number(np.asarray(value).item())}"
    return f"constant <{type(value).__name__}>"


def const_label(value: Any, name: Optional[str] = None) -> List[str]:
    """A constant array operand: the argument it fills (`target`) or 'const', then its shape and dtype."""
    head = shorten(name) if name else "const"
    if not isinstance(value, np.ndarray):
        return [head, f"<{type(value).__name__}>"]
    return [head, f"{fmt_shape(value.shape)} {value.dtype}"]


def const_tooltip(value: Any, name: Optional[str] = None, op_name: Optional[str] = None) -> List[str]:
    lines = [f"argument: {name} of {op_name}" if name and op_name else "argument: (unknown)",
             "role: constant (not a tensor: gets no gradient)"]
    if isinstance(value, np.ndarray):
        lines += [f"shape: {fmt_shape(value.shape)}", f"dtype: {value.dtype}"]
        lines += _prefixed("data", _detail(value))
    else:
        lines.append(f"type: {type(value).__name__}")
    return lines
