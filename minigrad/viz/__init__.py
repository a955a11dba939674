"""Graphviz drawings of minigrad graphs: `draw_graph` (DOT, no binary needed) and `render_graph` (a file).

`trace_modules(model)` records module calls so that `draw_graph(..., clusters=tracer)` boxes them.
See `minigrad.viz.draw` for the legend of node styles.
"""
from .draw import GraphvizNotFoundError, draw_graph, render_graph, tensor_role
from .trace import ModuleCall, ModuleTracer, trace_modules

__all__ = ["draw_graph", "render_graph", "trace_modules", "ModuleTracer", "ModuleCall",
           "GraphvizNotFoundError", "tensor_role"]
