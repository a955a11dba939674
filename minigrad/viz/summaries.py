"""An array as a few hundred bytes of JSON for the explorer: statistics, small values, a heatmap or histogram.

The page's size stays bounded whatever the tensors' sizes: a heatmap keeps at most HEAT_SIDE rows and
columns (every k-th row and column of a larger matrix, said in `sampled`), quantized to one byte per cell
(base64); other shapes get a HIST_BINS-bin histogram of all their finite values; values are listed only
for arrays with at most `describe.SMALL` elements.
"""
from __future__ import annotations

import base64
import math
from typing import Any, Dict, Optional

import numpy as np

from .describe import SMALL

HEAT_SIDE = 32
HIST_BINS = 20
STRIP = 64  # a vector this long or shorter is drawn as a one-row heatmap


def num(x: Any) -> Any:
    """A JSON number with 4 significant digits (None for NaN, a string for +-inf)."""
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.4g}")


def summarize(value: Any) -> Optional[Dict[str, Any]]:
    """The explorer's view of an array (or Tensor): shape, stats, values when small, a heatmap or histogram."""
    if value is None:
        return None
    arr = np.asarray(getattr(value, "data", value))
    out: Dict[str, Any] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "n": int(arr.size)}
    if arr.size == 0 or arr.dtype.kind not in "biuf":
        return out
    a = arr.astype(np.float64)
    finite = np.isfinite(a)
    n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    vals = a[finite]
    if vals.size:
        out["stats"] = {"min": num(vals.min()), "mean": num(vals.mean()), "max": num(vals.max()),
                        "std": num(vals.std()), "absmean": num(np.abs(vals).mean())}
    if n_nan or n_inf:
        out["nan"], out["inf"] = n_nan, n_inf
    if arr.size <= SMALL:
        out["values"] = [num(v) for v in a.reshape(-1)]
    if a.ndim == 2 or (a.ndim == 1 and 1 < a.size <= STRIP):
        out["heat"] = heatmap(a.reshape(1, -1) if a.ndim == 1 else a)
    elif a.size > 1 and vals.size:
        out["hist"] = histogram(vals)
    return out


def heatmap(m: np.ndarray) -> Dict[str, Any]:
    """At most HEAT_SIDE x HEAT_SIDE cells, one byte each; a diverging scale centred on 0 when signs mix."""
    rs, cs = max(1, math.ceil(m.shape[0] / HEAT_SIDE)), max(1, math.ceil(m.shape[1] / HEAT_SIDE))
    sub = m[::rs, ::cs]
    finite = np.isfinite(sub)
    vals = sub[finite]
    lo, hi = (float(vals.min()), float(vals.max())) if vals.size else (0.0, 0.0)
    diverging = lo < 0 < hi
    if diverging:
        hi = max(-lo, hi)
        lo = -hi
    span = hi - lo
    q = np.full(sub.shape, 128.0) if span == 0 else (np.where(finite, sub, lo) - lo) / span * 255.0
    q = np.clip(np.rint(q), 0, 255).astype(np.uint8)
    return {"rows": int(sub.shape[0]), "cols": int(sub.shape[1]), "lo": num(lo), "hi": num(hi),
            "diverging": diverging, "sampled": [rs, cs], "q": base64.b64encode(q.tobytes()).decode("ascii")}


def histogram(vals: np.ndarray) -> Dict[str, Any]:
    """Counts of the finite values in HIST_BINS equal bins from their min to their max."""
    lo, hi = float(vals.min()), float(vals.max())
    if lo == hi:
        return {"lo": num(lo), "hi": num(hi), "counts": [int(vals.size)]}
    counts, _ = np.histogram(vals, bins=HIST_BINS, range=(lo, hi))
    return {"lo": num(lo), "hi": num(hi), "counts": [int(c) for c in counts]}
