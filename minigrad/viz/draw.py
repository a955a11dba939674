"""`draw_graph`: a Graphviz picture of the graph behind some tensors; `render_graph`: write it to a file.

Legend (node styles; every node also has a `class` attribute naming its role, for CSS in SVG). With
`legend=True` (the default) the same key is drawn inside the picture, listing the entries it uses.

=============  ===========================================  ==============================
role           which nodes                                  style
=============  ===========================================  ==============================
parameter      `Parameter` leaves, tensors listed in          blue rounded box, bold
               `params`, named leaves that require grad
input          other leaves that require grad; data: leaves   yellow box
               without grad that have a name or > 1 element
constant       array operands that are not tensors, named     small grey dashed box
               after the argument they fill (`target`);
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
Edges run input -> op -> output; inputs of ops whose argument order matters carry their position
(0, 1, ...), which the legend explains. Every tensor's label summarizes data and grad in one style:
its values when it has at most `describe.TINY` elements, min/mean/max otherwise.

Layout: `rankdir="LR"` (the default) draws the flow left to right. With `layout="auto"` (the default)
a flow that would be drawn long and thin that way (a layered net: every op and tensor takes a rank,
13 ranks for a two-layer net and its loss) is drawn top to bottom instead, about as wide as tall
(see `minigrad.viz.layout`); `layout="fixed"` always keeps `rankdir`.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from html import escape
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ..tensor import Tensor
from . import describe as D
from .argnames import argument_name
from .layout import choose_rankdir, flow_ranks, label_size
from .styles import ALARM_FILL, LEGEND, MORE_STYLE, ORIGIN_COLOR, ORIGIN_OUTLINE, ROLE_STYLES
from .trace import ModuleCall, ModuleTracer
from .walk import CONST, OP, TENSOR, Graph, Item, walk

FORMATS = ("svg", "png", "pdf")
_RANKDIRS = ("LR", "RL", "TB", "BT")
LAYOUTS = ("auto", "fixed")
_COMMUTATIVE = {"add", "mul", "maximum", "minimum"}
MORE_KEY = "more_nodes"
_INSTALL_HINT = ("install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                 "(macOS), or `conda install -c conda-forge graphviz`; then check that `dot -V` runs. "
                 "Without it, draw_graph(...).source still gives the DOT text.")

__all__ = ["draw_graph", "render_graph", "tensor_role", "GraphvizNotFoundError", "ROLE_STYLES"]


def graphviz_package() -> Any:
    """The `graphviz` Python package, imported on first use: `import minigrad` needs numpy only."""
    import graphviz
    return graphviz


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program, needed to render a graph to an image, is not installed."""


def draw_graph(*roots: Any, show_data: bool = False, show_grad: bool = True,
               params: Any = None, rankdir: str = "LR", max_nodes: Optional[int] = None,
               clusters: Optional[ModuleTracer] = None, legend: bool = True,
               layout: str = "auto") -> "graphviz.Digraph":
    """Digraph of everything `roots` were computed from: a node per tensor and per op, edges input -> op -> output.

    `params`: names for tensors (a dict name -> tensor, pairs such as `model.named_parameters()`, or a
    Module); `show_data`/`show_grad`: values (<= 4 elements) or min/mean/max in the labels;
    `max_nodes`: keep that many nodes nearest the roots plus one "... N more nodes" note;
    `clusters`: a tracer from `trace_modules(model)` to box each module call's ops;
    `legend`: draw the key to the styles inside the picture; `layout`: "auto" draws a flow top to
    bottom when `rankdir` would make it a long thin strip, "fixed" always follows `rankdir`.

    Legend: blue rounded box = parameter, yellow = input/data, small grey dashed = constant (named
    after the argument it fills), white = intermediate, green double border = output (a root), grey
    ellipse = op; red fill = NaN/inf in data or grad; red outline on an op = where NaN/inf first
    appears. Hover a node in an SVG for its full details (the `tooltip`).
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if clusters is not None and not isinstance(clusters, ModuleTracer):
        raise TypeError(f"draw_graph: clusters must come from trace_modules(model), got {type(clusters).__name__}")
    if not isinstance(legend, bool):
        raise TypeError(f"draw_graph: legend must be True or False, got {legend!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"draw_graph: layout must be one of {LAYOUTS}, got {layout!r}")
    plan = plan_graph(roots, params, max_nodes, "draw_graph")
    return build_digraph(plan, show_data=show_data, show_grad=show_grad, rankdir=rankdir, clusters=clusters,
                         legend=legend, layout=layout)


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
    content = run_dot(draw_graph(*roots, **kw), format, "render_graph")
    write_atomic(path, content)
    return path


def run_dot(dot: "graphviz.Digraph", format: str, caller: str) -> bytes:
    """Graphviz's output for `dot` in `format`; a clear error when the `dot` program is missing or fails."""
    try:
        return dot.pipe(format=format)
    except graphviz_package().ExecutableNotFound as e:
        raise GraphvizNotFoundError(f"{caller}: Graphviz's `dot` program was not found; {_INSTALL_HINT}") from e
    except graphviz_package().CalledProcessError as e:
        err = (e.stderr or b"").decode(errors="replace").strip()
        raise RuntimeError(f"{caller}: `dot -T{format}` failed: {err or e}") from e


# ----------------------------------------------------------------------------- what is drawn

@dataclass
class Plan:
    """The nodes to draw (BFS prefix of the walk), their names, and the roots: shared with the explorer."""

    graph: Graph
    kept: List[Item]
    names: Dict[int, List[str]]   # id(tensor) -> names given by `params`
    root_ids: set
    n_left_out: int
    const_names: Dict[str, Tuple[str, str]]  # constant key -> (argument name, op name)

    @property
    def kept_keys(self) -> set:
        return {it.key for it in self.kept}

    def tensor_name(self, t: Tensor) -> Tuple[Optional[str], List[str]]:
        """The name shown for `t` (first of `params`, else `t.name`) and its other names."""
        pnames = self.names.get(id(t), [])
        name = pnames[0] if pnames else t.name
        aliases = pnames[1:] + ([t.name] if pnames and t.name and t.name not in pnames else [])
        return name, aliases

    def role(self, t: Tensor) -> str:
        return tensor_role(t, id(t) in self.root_ids, id(t) in self.names)


def plan_graph(roots: Tuple[Any, ...], params: Any, max_nodes: Optional[int], caller: str) -> Plan:
    """Walk the graph of `roots` and keep the `max_nodes` nodes nearest them."""
    roots_t = check_roots(roots, caller)
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"{caller}: max_nodes must be a positive int or None, got {max_nodes!r}")
    names = param_names(params, caller)
    graph = walk(roots_t)
    kept = graph.items if max_nodes is None else graph.items[:max_nodes]
    by_key = {it.key: it for it in graph.items}
    const_names: Dict[str, Tuple[str, str]] = {}
    for src, dst, pos in graph.edges:
        if src not in const_names and by_key[src].kind == CONST and pos is not None:
            op_name = by_key[dst].obj.name
            const_names[src] = (argument_name(op_name, pos) or "", op_name)
    return Plan(graph, kept, names, {id(r) for r in roots_t}, len(graph.items) - len(kept), const_names)


def check_roots(roots: Tuple[Any, ...], caller: str = "draw_graph") -> List[Tensor]:
    flat: List[Any] = []
    for r in roots:
        flat.extend(r if isinstance(r, (list, tuple)) else [r])
    if not flat:
        raise ValueError(f"{caller}: give at least one tensor to draw")
    for i, r in enumerate(flat):
        if not isinstance(r, Tensor):
            raise TypeError(f"{caller}: root {i} is a {type(r).__name__}, expected a Tensor")
    return flat


def param_names(params: Any, caller: str = "draw_graph") -> Dict[int, List[str]]:
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
            raise TypeError(f"{caller}: params must map names to tensors, got the entry {pair!r}") from None
        if not isinstance(t, Tensor):
            raise TypeError(f"{caller}: params[{name!r}] is a {type(t).__name__}, expected a Tensor")
        names.setdefault(id(t), []).append(str(name))
    return names


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


# ----------------------------------------------------------------------------- the Digraph

def build_digraph(plan: Plan, *, show_data: bool = False, show_grad: bool = True, rankdir: str = "LR",
                  clusters: Optional[ModuleTracer] = None, legend: bool = True, layout: str = "auto",
                  tooltips: bool = True) -> "graphviz.Digraph":
    """The DOT graph of a plan: nodes (in module boxes when traced), edges, the legend."""
    attrs = {it.key: node_attrs(it, plan, show_data, show_grad) for it in plan.kept}
    edges = _edges(plan)
    if plan.n_left_out:
        n = plan.n_left_out
        attrs[MORE_KEY] = dict(MORE_STYLE, **{"class": "left-out", "label": f"... {n} more node{'s' if n != 1 else ''}",
                                              "tooltip": f"max_nodes: {n} nodes further from the roots are not drawn"})
    if not tooltips:
        for a in attrs.values():
            a.pop("tooltip", None)
    if layout == "auto":
        rankdir = choose_rankdir(flow_ranks(list(attrs), [(s, d) for s, d, _ in edges]),
                                 {k: label_size(_label_lines(a), a.get("shape") == "ellipse") for k, a in attrs.items()},
                                 rankdir)
    graph_attr = {"rankdir": rankdir, "tooltip": "minigrad graph"} if tooltips else {"rankdir": rankdir}
    dot = graphviz_package().Digraph("minigrad", graph_attr=graph_attr,
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"arrowsize": "0.6", "color": "#495057"})
    _place_nodes(dot, list(attrs), attrs, _owners(plan, clusters) if clusters is not None else {}, clusters)
    for src, dst, eattrs in edges:
        dot.edge(src, dst, **eattrs)
    if legend:
        dot.attr(label=legend_label(plan, attrs, edges), labelloc="b", labeljust="l",
                 fontname="Helvetica", fontsize="9")
    return dot


def node_attrs(it: Item, plan: Plan, show_data: bool, show_grad: bool) -> Dict[str, str]:
    """Style, label and tooltip of one node."""
    if it.kind == TENSOR:
        t = it.obj
        name, aliases = plan.tensor_name(t)
        role = plan.role(t)
        label = D.tensor_label(t, name, show_data, show_grad)
        tip = D.tensor_tooltip(t, name, role, aliases)
        attrs = dict(ROLE_STYLES[role], **{"class": role})
        g = D.grad_array(t)
        if D.has_nonfinite(t.data) or (g is not None and D.has_nonfinite(g)):
            attrs["fillcolor"] = ALARM_FILL
            attrs["class"] = f"{role} alarm"
    elif it.kind == OP:
        fn = it.obj
        origin = is_nan_origin(fn)
        label = D.op_label(fn.name, len(fn.inputs), it.scalars, fn.attrs)
        tip = D.op_tooltip(fn, "NaN/inf first appears here: the inputs are finite" if origin else None)
        attrs = dict(ROLE_STYLES["op"], **{"class": "op"})
        if origin:
            attrs.update(ORIGIN_OUTLINE, **{"class": "op nan-origin"})
    else:
        arg, op_name = plan.const_names.get(it.key, ("", ""))
        label, tip = D.const_label(it.obj, arg), D.const_tooltip(it.obj, arg, op_name)
        attrs = dict(ROLE_STYLES["constant"], **{"class": "constant"})
    attrs["label"] = _dot_text(label)
    attrs["tooltip"] = _dot_text(tip)
    return attrs


def is_nan_origin(fn: Any) -> bool:
    """True when the op's output holds NaN/inf while all of its tensor inputs are finite."""
    return D.has_nonfinite(fn.output.data) and not any(
        isinstance(x, Tensor) and D.has_nonfinite(x.data) for x in fn.inputs)


def _dot_text(lines: List[str]) -> str:
    """Lines as one DOT escString: user backslashes kept literal, `\\n` between lines, never HTML."""
    return graphviz_package().nohtml("\\n".join(ln.replace("\\", "\\\\") for ln in lines))


def _label_lines(attrs: Dict[str, str]) -> List[str]:
    return str(attrs.get("label", "")).split("\\n")


def _edges(plan: Plan) -> List[Tuple[str, str, Dict[str, str]]]:
    """Edges between kept nodes (argument positions on ordered ops), and one from the note to each cut node."""
    graph, kept_keys = plan.graph, plan.kept_keys
    n_edges_in: Dict[str, int] = {}
    for _, dst, pos in graph.edges:
        if pos is not None:
            n_edges_in[dst] = n_edges_in.get(dst, 0) + 1
    ordered = {it.key for it in graph.items
               if it.kind == OP and it.obj.name not in _COMMUTATIVE and n_edges_in.get(it.key, 0) > 1}
    out: List[Tuple[str, str, Dict[str, str]]] = []
    cut: List[str] = []
    for src, dst, pos in graph.edges:
        if src in kept_keys and dst in kept_keys:
            label = {"label": str(pos), "fontsize": "8", "fontcolor": "#868e96"}
            out.append((src, dst, label if pos is not None and dst in ordered else {}))
        elif dst in kept_keys:
            cut.append(dst)
    if plan.n_left_out:
        out.extend((MORE_KEY, dst, {"style": "dashed", "color": "#adb5bd"}) for dst in dict.fromkeys(cut))
    return out


# ----------------------------------------------------------------------------- module boxes

def _place_nodes(dot: "graphviz.Digraph", keys: List[str], attrs: Dict[str, Dict[str, str]],
                 owners: Dict[str, ModuleCall], tracer: Optional[ModuleTracer]) -> None:
    """Add the nodes, inside nested module boxes when traced."""
    members: Dict[int, List[str]] = {}
    for key in keys:
        call = owners.get(key)
        if call is None:
            dot.node(key, **attrs[key])
        else:
            members.setdefault(call.index, []).append(key)
    if not members or tracer is None:
        return
    # a box is needed for every call with members, and for each of its enclosing calls
    needed: Dict[int, ModuleCall] = {}
    for idx in members:
        call: Optional[ModuleCall] = tracer.calls[idx]
        while call is not None and call.index not in needed:
            needed[call.index] = call
            call = call.parent
    boxes: Dict[int, "graphviz.Digraph"] = {}
    for call in sorted(needed.values(), key=lambda c: -c.depth):  # innermost first
        box = graphviz_package().Digraph(f"cluster_{call.index}")
        box.attr(label=call.label, tooltip=f"{call.label}: module call #{call.index + 1}", style="rounded,dashed",
                 color="#868e96", fontname="Helvetica", fontsize="11", labeljust="l")
        for key in members.get(call.index, []):
            box.node(key, **attrs[key])
        for child in sorted((c for c in needed.values() if c.parent is call), key=lambda c: c.index):
            box.subgraph(boxes[child.index])
        boxes[call.index] = box
    for call in sorted((c for c in needed.values() if c.parent is None), key=lambda c: c.index):
        dot.subgraph(boxes[call.index])


def _owners(plan: Plan, tracer: ModuleTracer) -> Dict[str, ModuleCall]:
    """The module call each kept node is drawn in: a tensor's call, an op's output's, a constant's op's."""
    owners: Dict[str, ModuleCall] = {}
    for it in plan.kept:
        if it.kind == TENSOR:
            call = tracer.owner(it.obj)
        elif it.kind == OP:
            call = tracer.owner(it.obj.output)
        else:
            continue
        if call is not None:
            owners[it.key] = call
    kept = plan.kept_keys
    for src, dst, _ in plan.graph.edges:
        if src.startswith("c") and src in kept and src not in owners and dst in owners:
            owners[src] = owners[dst]
    return owners


# ----------------------------------------------------------------------------- legend

_LEGEND_CELL = {
    "parameter": 'BGCOLOR="{parameter}" STYLE="rounded"',
    "input": 'BGCOLOR="{input}"',
    "constant": 'BGCOLOR="{constant}" STYLE="dashed"',
    "intermediate": 'BGCOLOR="{intermediate}"',
    "output": 'BGCOLOR="{output}" BORDER="2"',
    "op": 'BGCOLOR="{op}" STYLE="rounded"',
    "alarm": f'BGCOLOR="{ALARM_FILL}"',
    "nan-origin": f'COLOR="{ORIGIN_COLOR}" BORDER="2" STYLE="rounded"',
    "more": 'STYLE="dashed"',
}


def legend_label(plan: Plan, attrs: Dict[str, Dict[str, str]], edges: List[Tuple[str, str, Dict[str, str]]]) -> str:
    """An HTML-like Graphviz label: one cell per style the picture uses, and what arrows and their numbers mean."""
    used = set()
    for a in attrs.values():
        used.update(str(a.get("class", "")).split())
    used = {"more" if c == "left-out" else c for c in used}
    fills = {role: style["fillcolor"] for role, style in ROLE_STYLES.items()}
    cells = [f'<TD {_LEGEND_CELL[key].format(**fills)}>{escape(text)}</TD>'
             for key, text, _ in LEGEND if key in used]
    notes = ["arrows: input &#8594; op &#8594; output"]
    if any("label" in e for _, _, e in edges):
        notes.append("0, 1 on an arrow: the op's argument order")
    if "constant" in used:
        notes.append("constants are named after the argument they fill")
    if "alarm" in used or "nan-origin" in used:
        notes.append("red: NaN or inf")
    note = " &#183; ".join(notes)
    return (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="2">'
            f'<TR><TD BORDER="0"><B>legend</B></TD>{"".join(cells)}</TR>'
            f'<TR><TD BORDER="0" COLSPAN="{len(cells) + 1}" ALIGN="LEFT">{note}</TD></TR></TABLE>>')


def write_atomic(path: str, content: bytes) -> None:
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

