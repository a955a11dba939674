"""`explore`: one self-contained HTML page to click through a graph and replay its backward pass.

The page works offline in any browser: inline CSS and vanilla JavaScript (`explorer.js`, `explorer.css`
and `explorer.html` beside this file, package data), the graph's data as JSON in the page, no network
request, no server. The layout is Graphviz's SVG when `dot` is installed (the nodes carry their ids in
their `<title>`), else the page lays the graph out itself in layers. The stepper replays the backward pass
in the engine's order (`minigrad.viz.replay`).
"""
from __future__ import annotations

import html
import json
import os
import re
from importlib import resources
from typing import Any, Dict, List, Optional, Union

from ..tensor import Tensor
from . import describe as D
from .argnames import argument_name
from .draw import (GraphvizNotFoundError, Plan, build_digraph, graphviz_package, is_nan_origin, plan_graph, run_dot,
                   write_atomic)
from .replay import Replay, replay_backward
from .styles import LEGEND, ROLE_STYLES
from .summaries import summarize
from .walk import OP, TENSOR, op_key, tensor_key

DEFAULT_MAX_NODES = 300
IFRAME_HEIGHT = 640


class ExplorerPath(str):
    """The path of the page written (a str); in Jupyter it also shows the page inline, in an iframe."""

    def _repr_html_(self) -> str:
        try:
            with open(self, encoding="utf-8") as f:
                page = f.read()
        except OSError as e:
            return f"<p>minigrad explorer: cannot read {html.escape(str(self))} ({html.escape(str(e))})</p>"
        return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{IFRAME_HEIGHT}px;'
                f'border:1px solid #ced4da" sandbox="allow-scripts"></iframe>')


def explore(*roots: Any, path: Union[str, "os.PathLike[str]"] = "graph.html", params: Any = None,
            max_nodes: Optional[int] = DEFAULT_MAX_NODES, title: Optional[str] = None) -> ExplorerPath:
    """Write an HTML page to explore the graph of `roots` and replay its backward pass; return the path.

    Click a node for its name, op, shape, dtype, data and gradient (statistics and a heatmap or
    histogram); step through backward (buttons or arrow keys) in the engine's order, each rule showing
    the gradient it receives and the ones it sends. `params` names tensors as in `draw_graph`;
    `max_nodes` bounds the nodes drawn (and so the page's size). Call it before `loss.backward()` (or
    after `backward(retain_graph=True)`): backward releases the values the replay needs, and the page
    then shows the leaves' `.grad` only, saying why.
    """
    path = os.fspath(path)
    if not path.lower().endswith((".html", ".htm")):
        path = f"{path}.html"
    plan = plan_graph(roots, params, max_nodes, "explore")
    replay = replay_backward(_roots(plan))
    data = page_data(plan, replay, title)
    svg = graph_svg(plan)
    write_atomic(path, render_page(data, svg).encode("utf-8"))
    return ExplorerPath(path)


def _roots(plan: Plan) -> List[Tensor]:
    return [it.obj for it in plan.graph.items if it.kind == TENSOR and id(it.obj) in plan.root_ids]


# ----------------------------------------------------------------------------- the data in the page

def page_data(plan: Plan, replay: Replay, title: Optional[str] = None) -> Dict[str, Any]:
    """Everything the page shows, as JSON-ready values: nodes, edges, legend, and the replayed steps."""
    kept = plan.kept_keys
    nodes = [_node(it, plan, replay) for it in plan.kept]
    edges = [[s, d, p] for s, d, p in plan.graph.edges if s in kept and d in kept]
    if plan.n_left_out:
        nodes.append({"id": "more_nodes", "kind": "more", "role": "more", "label": f"... {plan.n_left_out} more nodes",
                      "note": f"max_nodes: {plan.n_left_out} nodes further from the roots are not drawn"})
        cut = dict.fromkeys(d for s, d, _ in plan.graph.edges if d in kept and s not in kept)
        edges.extend(["more_nodes", d, None] for d in cut)
    steps, hidden = [], 0
    for step in replay.steps:
        key = op_key(step.tensor)
        if key not in kept:
            hidden += 1
            continue
        steps.append({"op": key, "out": tensor_key(step.tensor), "name": step.tensor.grad_fn.name,
                      "grad": summarize(step.grad),
                      "sends": [{"pos": s.position, "to": _operand_key(s.target, plan),
                                 "arg": argument_name(step.tensor.grad_fn.name, s.position) or "",
                                 "what": D.describe_operand(s.target), "grad": summarize(s.grad)}
                                for s in step.sends]})
    used = {n["role"] for n in nodes} | {"alarm" for n in nodes if n.get("alarm")} \
        | {"nan-origin" for n in nodes if n.get("origin")}
    return {
        "title": title or "minigrad graph",
        "nodes": nodes,
        "edges": edges,
        "steps": steps,
        "hidden_steps": hidden,
        "order": [op_key(t) for t in replay.order],
        "replay": {"ok": replay.complete, "reason": replay.reason, "total": len(replay.order)},
        "legend": [{"key": k, "name": name, "text": text} for k, name, text in LEGEND if k in used],
        "fills": {role: style["fillcolor"] for role, style in ROLE_STYLES.items()},
    }


def _node(it: Any, plan: Plan, replay: Replay) -> Dict[str, Any]:
    if it.kind == TENSOR:
        t = it.obj
        name, aliases = plan.tensor_name(t)
        g = D.grad_array(t)
        node = {"id": it.key, "kind": "tensor", "role": plan.role(t), "name": name or "", "aliases": aliases,
                "label": name or D.fmt_shape(t.shape), "shape": list(t.shape), "dtype": str(t.dtype),
                "requires_grad": bool(t.requires_grad), "leaf": bool(t.is_leaf),
                "made_by": t.grad_fn.name if t.grad_fn is not None else None,
                "data": summarize(t.data), "grad": summarize(g),
                "incoming": replay.contributions.get(id(t), 0),
                "replayed": summarize(replay.grads.get(id(t))) if replay.complete else None}
        node["alarm"] = D.has_nonfinite(t.data) or (g is not None and D.has_nonfinite(g))
        return node
    if it.kind == OP:
        fn = it.obj
        return {"id": it.key, "kind": "op", "role": "op", "name": fn.name, "label": D.op_label(
                    fn.name, len(fn.inputs), it.scalars, fn.attrs)[0],
                "attrs": {k: D.fmt_attr(v) for k, v in D.visible_attrs(fn.attrs).items()},
                "inputs": [{"arg": argument_name(fn.name, i) or "", "what": D.describe_operand(x)}
                           for i, x in enumerate(fn.inputs)], "output": tensor_key(fn.output),
                "origin": is_nan_origin(fn)}
    arg, op_name = plan.const_names.get(it.key, ("", ""))
    return {"id": it.key, "kind": "const", "role": "constant", "name": arg, "label": arg or "const",
            "argument": f"{arg} of {op_name}" if arg else "", "shape": list(getattr(it.obj, "shape", ())),
            "dtype": str(getattr(it.obj, "dtype", type(it.obj).__name__)), "data": summarize(it.obj)}


def _operand_key(value: Any, plan: Plan) -> Optional[str]:
    """The page id of an op input (None for a number folded into the op's label)."""
    key = tensor_key(value) if isinstance(value, Tensor) else f"c{id(value)}"
    return key if key in plan.kept_keys else None


# ----------------------------------------------------------------------------- the page

def graph_svg(plan: Plan) -> Optional[str]:
    """Graphviz's SVG of the graph (names and shapes only: the panel shows the rest), or None without `dot`."""
    dot = build_digraph(plan, show_data=False, show_grad=False, legend=False, tooltips=False)
    try:
        svg = run_dot(dot, "svg", "explore").decode("utf-8")
    except GraphvizNotFoundError:
        return None
    except (RuntimeError, graphviz_package().ExecutableNotFound):
        return None  # the page lays the graph out itself
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render_page(data: Dict[str, Any], svg: Optional[str]) -> str:
    """The template with its CSS, script, data and SVG filled in (each placeholder once, data last)."""
    page = _asset("explorer.html")
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    parts = {"/*MINIGRAD_CSS*/": _asset("explorer.css"), "/*MINIGRAD_JS*/": _asset("explorer.js"),
             "<!--MINIGRAD_SVG-->": svg or "", "<!--MINIGRAD_TITLE-->": html.escape(data["title"])}
    for marker, text in parts.items():
        head, sep, tail = page.partition(marker)
        if not sep:
            raise RuntimeError(f"explore: the page template lacks {marker}")
        page = head + text + tail
    head, sep, tail = page.partition("/*MINIGRAD_DATA*/")
    if not sep:
        raise RuntimeError("explore: the page template lacks /*MINIGRAD_DATA*/")
    return head + payload + tail

