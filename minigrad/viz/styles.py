"""The look of each kind of node, and the legend that explains it: one table for the picture and the explorer."""
from __future__ import annotations

from typing import Dict, List, Tuple

ROLE_STYLES: Dict[str, Dict[str, str]] = {
    "parameter": {"shape": "box", "style": "filled,rounded,bold", "fillcolor": "#cfe2ff"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#fff3bf"},
    "constant": {"shape": "box", "style": "filled,dashed", "fillcolor": "#f1f3f5", "fontsize": "8"},
    "intermediate": {"shape": "box", "style": "filled", "fillcolor": "#ffffff"},
    "output": {"shape": "box", "style": "filled,bold", "fillcolor": "#d3f9d8", "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#e9ecef"},
}
ALARM_FILL = "#ff6b6b"
ORIGIN_COLOR = "#c92a2a"
ORIGIN_OUTLINE = {"color": ORIGIN_COLOR, "penwidth": "2.5"}
MORE_STYLE = {"shape": "note", "style": "dashed", "fontcolor": "#495057"}

# (key, what the reader sees, what it means), in reading order; key is a role, "alarm", "nan-origin" or "more"
LEGEND: List[Tuple[str, str, str]] = [
    ("parameter", "parameter", "a weight the model learns (blue, rounded)"),
    ("input", "input / data", "a leaf tensor given to the model (yellow)"),
    ("constant", "constant", "a value that gets no gradient, named after the argument it fills (grey, dashed)"),
    ("intermediate", "intermediate", "a tensor computed by an op (white)"),
    ("output", "output", "a root you asked to draw (green, double border)"),
    ("op", "op", "one recorded operation (grey ellipse)"),
    ("alarm", "NaN / inf", "data or gradient holds NaN or inf (red fill)"),
    ("nan-origin", "NaN origin", "the op where NaN / inf first appears (red outline)"),
    ("more", "... more nodes", "nodes left out by max_nodes"),
]
EDGE_NOTE = "arrows: input \u2192 op \u2192 output; 0, 1 on an arrow: the op's argument order"
