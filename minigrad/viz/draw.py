"""`draw_graph`: a Graphviz picture of the graph behind some tensors; `render_graph`: write it to a file.

Legend (node styles; every node also has a `class` attribute naming its role, for CSS in SVG):

=============  ===========================================  ==============================
role           which nodes                                  style
=============  ===========================================  ==============================
parameter      `Parameter` leaves, tensors listed in          blue rounded box, bold
               `params`, named leaves that require grad
input          other leaves that require grad; data: leaves   yellow box
               without grad that have a name or > 1 element
constant       array operands that are not tensors, and       small grey dashed box
               unnamed one-element leaves without grad
intermediate   tensors computed by an op                      white box
output         the roots you asked to draw                    green double-bordered box
op             one per recorded operation                     grey ellipse
alarm          a tensor whose data or grad holds NaN/inf      red fill (any role)
NaN origin     an op whose output is non-finite while all     red bold outline on the ellipse
               its tensor inputs are finite
left out       the "... N more nodes" note of `max_nodes`      dashed note
=============  ===========================================  ==============================

Python numbers given to an op (`x * 2`) are written in its label (`mul(·, 2)`), not drawn as nodes.
Edges run input -> op -> output; inputs of non-commutative ops carry their position (0, 1, ...).
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import graphviz

from ..tensor import Tensor
from . import describe as D
from .trace import ModuleCall, ModuleTracer
from .walk import OP, TENSOR, Graph, Item, walk

ROLE_STYLES: Dict[str, Dict[str, str]] = {
    "parameter": {"shape": "box", "style": "filled,rounded,bold", "fillcolor": "#cfe2ff"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#fff3bf"},
    "constant": {"shape": "box", "style": "filled,dashed", "fillcolor": "#f1f3f5", "fontsize": "8"},
    "intermediate": {"shape": "box", "style": "filled", "fillcolor": "#ffffff"},
    "output": {"shape": "box", "style": "filled,bold", "fillcolor": "#d3f9d8", "peripheries": "2"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#e9ecef"},
}
ALARM_FILL = "#ff6b6b"
ORIGIN_OUTLINE = {"color": "#c92a2a", "penwidth": "2.5"}
MORE_STYLE = {"shape": "note", "style": "dashed", "fontcolor": "#495057"}
FORMATS = ("svg", "png", "pdf")
_RANKDIRS = ("LR", "RL", "TB", "BT")
_COMMUTATIVE = {"add", "mul", "maximum", "minimum"}
_INSTALL_HINT = ("install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                 "(macOS), or `conda install -c conda-forge graphviz`; then check that `dot -V` runs. "
                 "Without it, draw_graph(...).source still gives the DOT text.")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program, needed to render a graph to an image, is not installed."""


def draw_graph(*roots: Any, show_data: bool = False, show_grad: bool = True,
               params: Any = None, rankdir: str = "LR", max_nodes: Optional[int] = None,
               clusters: Optional[ModuleTracer] = None) -> graphviz.Digraph:
    """Digraph of everything `roots` were computed from: a node per tensor and per op, edges input -> op -> output.

    `params`: names for tensors (a dict name -> tensor, pairs such as `model.named_parameters()`, or a
    Module); `show_data`/`show_grad`: values (<= 10 elements) or min/mean/max in the labels;
    `max_nodes`: keep that many nodes nearest the roots plus one "... N more nodes" note;
    `clusters`: a tracer from `trace_modules(model)` to box each module call's ops.

    Legend: blue rounded box = parameter, yellow = input/data, small grey dashed = constant,
    white = intermediate, green double border = output (a root), grey ellipse = op; red fill =
    NaN/inf in data or grad; red outline on an op = where NaN/inf first appears. Hover a node in
    an SVG for its full details (the `tooltip`). The module docstring has the exact rules.
    """
    roots_t = _check_roots(roots)
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    if clusters is not None and not isinstance(clusters, ModuleTracer):
        raise TypeError(f"draw_graph: clusters must come from trace_modules(model), got {type(clusters).__name__}")
    names = _param_names(params)
    graph = walk(roots_t)
    kept = graph.items if max_nodes is None else graph.items[:max_nodes]
    kept_keys = {it.key for it in kept}
    root_ids = {id(r) for r in roots_t}

    dot = graphviz.Digraph("minigrad", graph_attr={"rankdir": rankdir, "tooltip": "minigrad graph"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"arrowsize": "0.6", "color": "#495057"})
    attrs = {it.key: _node_attrs(it, names, root_ids, show_data, show_grad) for it in kept}
    _place_nodes(dot, kept, attrs, graph, clusters)
    _add_edges(dot, graph, kept_keys, len(graph.items) - len(kept))
    return dot


def render_graph(*roots: Any, path: Union[str, "os.PathLike[str]"], format: str = "svg", **kw: Any) -> str:
    """Draw the graph of `roots` (options as `draw_graph`) into `path` (+ `.format` when missing); return the path."""
    if format not in FORMATS:
        raise ValueError(f"render_graph: format must be one of {FORMATS}, got {format!r}")
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix in FORMATS and suffix != format:
        raise ValueError(f"render_graph: path {path!r} ends in .{suffix} but format={format!r}; "
                         f"pass format={suffix!r} or change the suffix")
    if suffix != format:
        path = f"{path}.{format}"
    dot = draw_graph(*roots, **kw)
    try:
        content = dot.pipe(format=format)
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotFoundError(f"render_graph: Graphviz's `dot` program was not found; {_INSTALL_HINT}") from e
    except graphviz.CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip()
        raise RuntimeError(f"render_graph: `dot -T{format}` failed: {err or e}") from e
    _write_atomic(path, content)
    return path


# ----------------------------------------------------------------------------- arguments

def _check_roots(roots: Tuple[Any, ...]) -> List[Tensor]:
    flat: List[Any] = []
    for r in roots:
        flat.extend(r if isinstance(r, (list, tuple)) else [r])
    if not flat:
        raise ValueError("draw_graph: give at least one tensor to draw")
    for i, r in enumerate(flat):
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: root {i} is a {type(r).__name__}, expected a Tensor")
    return flat


def _param_names(params: Any) -> Dict[int, List[str]]:
    """id(tensor) -> its names, from a mapping, (name, tensor) pairs or an object with named_parameters()."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    pairs: Iterable = params.items() if isinstance(params, Mapping) else params
    names: Dict[int, List[str]] = {}
    for pair in pairs:
        try:
            name, t = pair
        except (TypeError, ValueError):
            raise TypeError(f"draw_graph: params must map names to tensors, got the entry {pair!r}") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(t).__name__}, expected a Tensor")
        names.setdefault(id(t), []).append(str(name))
    return names


# ----------------------------------------------------------------------------- nodes

def tensor_role(t: Tensor, is_root: bool, in_params: bool) -> str:
    """Which legend entry a tensor belongs to (see the module docstring)."""
    if is_root:
        return "output"
    if not t.is_leaf:
        return "intermediate"
    if in_params or any(c.__name__ == "Parameter" for c in type(t).__mro__) or (t.requires_grad and t.name):
        return "parameter"
    if t.requires_grad or t.name or t.size > 1:
        return "input"
    return "constant"


def _node_attrs(it: Item, names: Dict[int, List[str]], root_ids: set, show_data: bool,
                show_grad: bool) -> Dict[str, str]:
    if it.kind == TENSOR:
        t = it.obj
        pnames = names.get(id(t), [])
        name = pnames[0] if pnames else t.name
        aliases = pnames[1:] + ([t.name] if pnames and t.name and t.name not in pnames else [])
        role = tensor_role(t, id(t) in root_ids, bool(pnames))
        label = D.tensor_label(t, name, show_data, show_grad)
        tip = D.tensor_tooltip(t, name, role, aliases)
        attrs = dict(ROLE_STYLES[role], **{"class": role})
        g = D.grad_array(t)
        if D.has_nonfinite(t.data) or (g is not None and D.has_nonfinite(g)):
            attrs["fillcolor"] = ALARM_FILL
            attrs["class"] = f"{role} alarm"
    elif it.kind == OP:
        fn = it.obj
        inputs = fn.inputs
        origin = D.has_nonfinite(fn.output.data) and not any(
            isinstance(x, Tensor) and D.has_nonfinite(x.data) for x in inputs)
        label = D.op_label(fn.name, len(inputs), it.scalars, fn.attrs)
        tip = D.op_tooltip(fn, "NaN/inf first appears here: the inputs are finite" if origin else None)
        attrs = dict(ROLE_STYLES["op"], **{"class": "op"})
        if origin:
            attrs.update(ORIGIN_OUTLINE, **{"class": "op nan-origin"})
    else:
        label, tip = D.const_label(it.obj), D.const_tooltip(it.obj)
        attrs = dict(ROLE_STYLES["constant"], **{"class": "constant"})
    attrs["label"] = _dot_text(label)
    attrs["tooltip"] = _dot_text(tip)
    return attrs


def _dot_text(lines: List[str]) -> str:
    """Lines as one DOT escString: user backslashes kept literal, `\\n` between lines, never HTML."""
    return graphviz.nohtml("\\n".join(ln.replace("\\", "\\\\") for ln in lines))


def _place_nodes(dot: graphviz.Digraph, kept: List[Item], attrs: Dict[str, Dict[str, str]], graph: Graph,
                 tracer: Optional[ModuleTracer]) -> None:
    """Add nodes to the graph, inside nested module boxes when a tracer is given."""
    if tracer is None:
        for it in kept:
            dot.node(it.key, **attrs[it.key])
        return
    owners = _owners(kept, graph, tracer)
    members: Dict[int, List[str]] = {}
    top: List[str] = []
    for it in kept:
        call = owners.get(it.key)
        (members.setdefault(call.index, []) if call is not None else top).append(it.key)
    for key in top:
        dot.node(key, **attrs[key])
    # a box is needed for every call with members, and for each of its enclosing calls
    needed: Dict[int, ModuleCall] = {}
    for idx in members:
        call: Optional[ModuleCall] = tracer.calls[idx]
        while call is not None and call.index not in needed:
            needed[call.index] = call
            call = call.parent
    boxes: Dict[int, graphviz.Digraph] = {}
    for call in sorted(needed.values(), key=lambda c: -c.depth):  # innermost first
        box = graphviz.Digraph(f"cluster_{call.index}")
        box.attr(label=call.label, tooltip=f"{call.label}: module call #{call.index + 1}", style="rounded,dashed",
                 color="#868e96", fontname="Helvetica", fontsize="11", labeljust="l")
        for key in members.get(call.index, []):
            box.node(key, **attrs[key])
        for child in sorted((c for c in needed.values() if c.parent is call), key=lambda c: c.index):
            box.subgraph(boxes[child.index])
        boxes[call.index] = box
    for call in sorted((c for c in needed.values() if c.parent is None), key=lambda c: c.index):
        dot.subgraph(boxes[call.index])


def _owners(kept: List[Item], graph: Graph, tracer: ModuleTracer) -> Dict[str, ModuleCall]:
    """The module call each kept node is drawn in: a tensor's call, an op's output's, a constant's op's."""
    owners: Dict[str, ModuleCall] = {}
    for it in kept:
        if it.kind == TENSOR:
            call = tracer.owner(it.obj)
        elif it.kind == OP:
            call = tracer.owner(it.obj.output)
        else:
            continue
        if call is not None:
            owners[it.key] = call
    for src, dst, _ in graph.edges:
        if src.startswith("c") and src not in owners and dst in owners:
            owners[src] = owners[dst]
    return owners


# ----------------------------------------------------------------------------- edges

def _add_edges(dot: graphviz.Digraph, graph: Graph, kept_keys: set, n_left_out: int) -> None:
    n_edges_in: Dict[str, int] = {}
    for _, dst, pos in graph.edges:
        if pos is not None:
            n_edges_in[dst] = n_edges_in.get(dst, 0) + 1
    ordered = {it.key for it in graph.items
               if it.kind == OP and it.obj.name not in _COMMUTATIVE and n_edges_in.get(it.key, 0) > 1}
    cut = []
    for src, dst, pos in graph.edges:
        if src in kept_keys and dst in kept_keys:
            if pos is not None and dst in ordered:
                dot.edge(src, dst, label=str(pos), fontsize="8", fontcolor="#868e96")
            else:
                dot.edge(src, dst)
        elif dst in kept_keys:
            cut.append(dst)
    if n_left_out:
        more = "more_nodes"
        dot.node(more, label=f"... {n_left_out} more node{'s' if n_left_out != 1 else ''}",
                 tooltip=f"max_nodes: {n_left_out} nodes further from the roots are not drawn",
                 **dict(MORE_STYLE, **{"class": "left-out"}))
        for dst in dict.fromkeys(cut):
            dot.edge(more, dst, style="dashed", color="#adb5bd")


def _write_atomic(path: str, content: bytes) -> None:
    """Write to a fresh file beside `path` (created with the usual umask permissions), then rename over it."""
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
