"""Seeing minigrad graphs: `draw_graph` (DOT, no binary needed), `render_graph` (a file) and `explore`
(one self-contained HTML page that replays the backward pass step by step).

`trace_modules(model)` records module calls so that `draw_graph(..., clusters=tracer)` boxes them.
See `minigrad.viz.draw` for the legend of node styles.
"""
from .draw import GraphvizNotFoundError, draw_graph, render_graph, tensor_role
from .explore import ExplorerPath, explore
from .trace import ModuleCall, ModuleTracer, trace_modules

__all__ = ["draw_graph", "render_graph", "explore", "ExplorerPath", "trace_modules", "ModuleTracer", "ModuleCall",
           "GraphvizNotFoundError", "tensor_role"]
