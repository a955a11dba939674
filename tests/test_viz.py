"""minigrad.viz: DOT structure, labels, roles, NaN alarm, max_nodes, module clusters, rendering."""
import importlib.util
import os
import pathlib
import re
import shutil
import stat
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import graphviz
import minigrad as mg
from minigrad.nn import Module, Parameter
from minigrad.rng import generator
from minigrad.viz import GraphvizNotFoundError, draw_graph, render_graph, trace_modules
from custom_functions import Cube

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")


def parse(dot):
    """(nodes: id -> attrs dict, edges: [(src, dst, attrs)], cluster of each node: id -> [labels outer..inner])."""
    nodes, edges, where, stack = {}, [], {}, []
    for line in dot.source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append(None)
            continue
        if s == "}" and stack:
            stack.pop()
            continue
        if stack and stack[-1] is None and not _NODE.match(line) and "label=" in s:
            stack[-1] = _attrs(s)["label"]
            continue
        m = _EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), _attrs(m.group(3) or "")))
            continue
        m = _NODE.match(line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = _attrs(m.group(2))
            where[m.group(1)] = list(stack)
    return nodes, edges, where


def _attrs(text):
    return {k: (v[1:-1] if v.startswith('"') else v) for k, v in _ATTR.findall(text)}


def label_lines(attrs):
    return attrs["label"].split("\\n")


def by_label(nodes, first_line):
    hits = [k for k, a in nodes.items() if label_lines(a)[0] == first_line]
    assert len(hits) == 1, (first_line, [label_lines(a)[0] for a in nodes.values()])
    return hits[0]


def classes(attrs):
    return attrs.get("class", "").split()


# ----------------------------------------------------------------------------- structure

def test_small_graph_nodes_edges_and_labels():
    a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mg.tensor([4.0, 5.0, 6.0], requires_grad=True)
    a.name, b.name = "a", "b"
    c = a * b
    d = (c - a).sum()
    nodes, edges, _ = parse(draw_graph(d))
    # tensors a, b, c, c - a, d and ops mul, sub, sum
    assert len(nodes) == 8
    ops = sorted(label_lines(n)[0] for n in nodes.values() if "op" in classes(n))
    assert ops == ["mul", "sub", "sum"]
    # each op: one edge per input and one to its output
    assert len(edges) == (2 + 1) + (2 + 1) + (1 + 1)
    na, nb = by_label(nodes, "a"), by_label(nodes, "b")
    assert label_lines(nodes[na])[1] == "(3,) float32"
    mul, sub = by_label(nodes, "mul"), by_label(nodes, "sub")
    assert (na, mul) in [(s, t) for s, t, _ in edges] and (nb, mul) in [(s, t) for s, t, _ in edges]
    # sub is not commutative: its inputs carry their position; mul's do not
    sub_in = {s: e.get("label") for s, t, e in edges if t == sub}
    assert sub_in[na] == "1" and sorted(sub_in.values()) == ["0", "1"]
    assert all("label" not in e for s, t, e in edges if t == mul)
    out = [k for k, n in nodes.items() if "output" in classes(n)]
    assert len(out) == 1 and label_lines(nodes[out[0]])[0] == "() float32"


def test_scalar_operands_fold_into_label_and_arrays_become_constant_nodes():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.5) ** 2 + np.array([1.0, -1.0])
    nodes, edges, _ = parse(draw_graph(y))
    labels = [label_lines(n)[0] for n in nodes.values()]
    assert "mul(·, 2.5)" in labels and "pow(·, 2)" in labels
    consts = [k for k, n in nodes.items() if classes(n) == ["constant"]]
    # named after the parameter it fills: minigrad.add(a, b)'s second argument
    assert len(consts) == 1 and label_lines(nodes[consts[0]]) == ["b", "(2,) float64"]
    assert len(nodes) == 4 + 3 + 1  # x, x*2.5, **2, +; mul, pow, add; the array
    assert len(edges) == 3 + 3 + 1


def test_input_used_twice_gets_two_edges_and_one_node():
    x = mg.tensor([3.0], requires_grad=True)
    y = x * x
    nodes, edges, _ = parse(draw_graph(y))
    assert len(nodes) == 3
    assert len([e for e in edges if e[0].startswith("t") and e[1].startswith("op")]) == 2


def test_op_attributes_and_tooltips():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    y = x.sum(axis=1, keepdims=True).reshape(2)
    nodes, _, _ = parse(draw_graph(y))
    s = by_label(nodes, "sum")
    assert label_lines(nodes[s])[1] == "axis=1, keepdims=True"
    r = by_label(nodes, "reshape")
    assert label_lines(nodes[r])[1] == "shape=(2,)"
    tip = nodes[s]["tooltip"].split("\\n")
    assert tip[0] == "op: sum" and "input 0: tensor (2, 3) float64, requires_grad" in tip
    assert "keepdims = True" in tip and "output: (2, 1) float64" in tip
    for n in nodes.values():
        assert n["tooltip"]
    leaf = [n for n in nodes.values() if "input" in classes(n)][0]
    tip = leaf["tooltip"].split("\\n")
    assert "requires_grad: True" in tip and "shape: (2, 3)" in tip and "dtype: float64" in tip
    assert "grad: None" in tip and "made by: (leaf)" in tip


def test_roles_names_from_params_tensor_name_and_parameter_class():
    w = Parameter(np.ones((3, 2), dtype=np.float32))
    b = mg.tensor([0.0, 0.0], requires_grad=True)
    x = mg.tensor(np.ones((4, 3), dtype=np.float32))
    k = mg.tensor(2.0)
    z = mg.tensor([1.0, 1.0], requires_grad=True)
    named = mg.tensor([1.0, 1.0], requires_grad=True)
    named.name = "scale"
    y = ((x @ w + b) * k * z * named).sum()
    y.name = "y"
    nodes, _, _ = parse(draw_graph(y, params={"fc.weight": w, "fc.bias": b}))
    roles = {label_lines(n)[0]: classes(n)[0] for n in nodes.values() if "op" not in classes(n)}
    assert roles["fc.weight"] == "parameter"   # a Parameter named through params
    assert roles["fc.bias"] == "parameter"     # a plain tensor listed in params
    assert roles["scale"] == "parameter"       # a named leaf that requires grad
    data = [n for n in nodes.values() if label_lines(n)[0] == "(4, 3) float32"]
    assert classes(data[0]) == ["input"]       # data: a leaf without grad, more than one element
    assert roles["() float32"] == "constant"   # a one-element leaf without grad
    assert roles["(2,) float32"] == "input"    # z: an unnamed leaf that requires grad
    assert sum(r == "output" for r in roles.values()) == 1
    assert sum("intermediate" in classes(n) for n in nodes.values()) == 5
    # params as pairs or as a module give the same names
    class M(Module):
        def __init__(self):
            super().__init__()
            self.weight = w
    _, _, _ = parse(draw_graph(y, params=M().named_parameters()))
    nodes2, _, _ = parse(draw_graph(y, params=M()))
    assert by_label(nodes2, "weight")


def test_nan_alarm_on_data_and_grad_and_nan_origin_op():
    x = mg.tensor([1.0, -1.0, 2.0], requires_grad=True)
    x.name = "x"
    with np.errstate(invalid="ignore"):
        y = x.log()            # log(-1) = nan: the NaN first appears here
    z = (y * 2.0).sum()        # propagates it
    nodes, _, _ = parse(draw_graph(z))
    fills = {label_lines(n)[0]: n["fillcolor"] for n in nodes.values() if "op" not in classes(n)}
    xnode = by_label(nodes, "x")
    assert "alarm" not in classes(nodes[xnode]) and nodes[xnode]["fillcolor"] != "#ff6b6b"
    alarms = [n for n in nodes.values() if "alarm" in classes(n)]
    assert len(alarms) == 3 and all(n["fillcolor"] == "#ff6b6b" for n in alarms)
    assert fills["() float32"] == "#ff6b6b"
    log = by_label(nodes, "log")
    assert "nan-origin" in classes(nodes[log]) and "first appears here" in nodes[log]["tooltip"]
    assert "nan-origin" not in classes(nodes[by_label(nodes, "mul(·, 2)")])
    assert any("data: 1 nan" in n["label"] for n in alarms)
    # a finite tensor with a NaN gradient also raises the alarm
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    w.grad = mg.tensor([np.inf, 0.0])
    nodes, _, _ = parse(draw_graph((w * 3.0).sum(), show_grad=False))
    wn = [n for n in nodes.values() if "input" in classes(n)][0]
    assert "alarm" in classes(wn) and "grad: 1 inf" in wn["label"]


# ----------------------------------------------------------------------------- data and grad

def test_show_data_and_show_grad_contents():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    big = mg.tensor(np.arange(20.0), requires_grad=True)
    x.name, big.name = "x", "big"
    y = (x * 2.0).sum() + big.mean()
    nodes, _, _ = parse(draw_graph(y))
    assert not any("data:" in n["label"] or "grad:" in n["label"] for n in nodes.values())
    y.backward()
    nodes, _, _ = parse(draw_graph(y, show_data=True))
    xl = label_lines(nodes[by_label(nodes, "x")])
    assert xl == ["x", "(3,) float32", "data: [1, 2, 3]", "grad: [2, 2, 2]"]
    bl = label_lines(nodes[by_label(nodes, "big")])
    assert bl[1:] == ["(20,) float64", "data: min 0  mean 9.5  max 19", "grad: min 0.05  mean 0.05  max 0.05"]
    nodes, _, _ = parse(draw_graph(y, show_data=False, show_grad=False))
    assert label_lines(nodes[by_label(nodes, "x")]) == ["x", "(3,) float32"]
    # the tooltip has data and grad whatever the label shows
    tip = nodes[by_label(nodes, "big")]["tooltip"]
    assert "data: min 0  mean 9.5  max 19" in tip and "grad: min 0.05" in tip


def test_matrix_values_and_escaping_of_names():
    w = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w.name = 'odd "name" \\ <x>'
    wide = mg.tensor(np.arange(10.0).reshape(2, 5) + 0.125, requires_grad=True)
    nodes, _, _ = parse(draw_graph(w * 1.0, wide * 1.0, show_data=True))
    n = [a for a in nodes.values() if "parameter" in classes(a)][0]
    assert label_lines(n)[:3] == ['odd \\"name\\" \\\\ <x>', "(2, 2) float32", "data: [[1, 2], [3, 4]]"]
    n = [a for a in nodes.values() if "input" in classes(a)][0]  # 10 elements: more than TINY, so stats
    assert label_lines(n) == ["(2, 5) float64", "data: min 0.125  mean 4.625  max 9.125"]


def test_custom_function_is_one_op_named_after_its_class():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    nodes, edges, _ = parse(draw_graph(Cube.apply(x)))
    assert len(nodes) == 3 and len(edges) == 2
    op = nodes[by_label(nodes, "Cube")]
    assert label_lines(op) == ["Cube"] and "ctx" not in op["tooltip"]


def test_derivative_graph_can_be_drawn():
    x = mg.tensor([0.5, 1.5], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = mg.grad(y, x, create_graph=True)
    assert g.grad_fn is not None
    nodes, edges, _ = parse(draw_graph(g))
    ops = [label_lines(n)[0] for n in nodes.values() if "op" in classes(n)]
    assert len(ops) >= 2 and any(op.startswith("mul") for op in ops)
    assert any("input" in classes(n) and label_lines(n)[0] == "(2,) float32" for n in nodes.values())
    # the drawing of g + y covers both graphs, sharing x
    both, _, _ = parse(draw_graph(g, y))
    assert len(both) > len(nodes)
    assert sum("output" in classes(n) for n in both.values()) == 2


def test_long_chain_is_walked_iteratively():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for i in range(20000):
        y = y + 1.0 if i % 2 else y * 0.5
    dot = draw_graph(y)
    src = dot.source
    assert src.count(" -> ") == 40000
    assert src.count("class=op") == 20000


# ----------------------------------------------------------------------------- max_nodes

def test_max_nodes_keeps_nearest_and_says_how_many_are_left_out():
    x = mg.tensor([1.0], requires_grad=True)
    x.name = "x"
    y = x
    for _ in range(10):
        y = y.tanh()
    y.name = "out"
    # 11 tensors + 10 ops
    nodes, edges, _ = parse(draw_graph(y, max_nodes=5))
    assert len(nodes) == 6
    assert label_lines(nodes["more_nodes"]) == ["... 16 more nodes"]
    assert "x" not in [label_lines(n)[0] for n in nodes.values()]
    assert by_label(nodes, "out")
    kept = set(nodes) - {"more_nodes"}
    cut = [(s, t) for s, t, _ in edges if s == "more_nodes"]
    assert len(cut) == 1 and cut[0][1] in kept and label_lines(nodes[cut[0][1]])[0] == "(1,) float32"
    assert all(s in nodes and t in nodes for s, t, _ in edges)
    nodes, _, _ = parse(draw_graph(y, max_nodes=21))
    assert len(nodes) == 21 and "more_nodes" not in nodes
    nodes, _, _ = parse(draw_graph(y, max_nodes=20))
    assert label_lines(nodes["more_nodes"]) == ["... 1 more node"]


_UNARY = [lambda t: t.sin(), lambda t: t.tanh(), lambda t: t * 2.0, lambda t: t.sum(axis=0, keepdims=True)]


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1, max_size=25),
       st.integers(1, 60))
def test_node_counts_match_the_graph_built(steps, limit):
    pool = [mg.tensor([0.1, 0.2], requires_grad=True), mg.tensor([0.3, 0.4])]
    n_ops = 0
    for kind, i, j in steps:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        if not (a.requires_grad or b.requires_grad):
            a = pool[0]
        pool.append(a * b if kind == 4 else _UNARY[kind](a))
        n_ops += 1
    root = pool[-1]
    reach, stack = {}, [root]
    while stack:  # an independent count of what the root depends on
        t = stack.pop()
        if id(t) in reach:
            continue
        reach[id(t)] = t
        if t.grad_fn is not None:
            stack.extend(p for p in t.grad_fn.inputs if isinstance(p, mg.Tensor))
    total = len(reach) + sum(t.grad_fn is not None for t in reach.values())
    nodes, edges, _ = parse(draw_graph(root))
    assert len(nodes) == total
    nodes, _, _ = parse(draw_graph(root, max_nodes=limit))
    assert len(nodes) == min(limit, total) + (limit < total)
    if limit < total:
        assert label_lines(nodes["more_nodes"]) == [f"... {total - limit} more node" + "s" * (total - limit != 1)]


# ----------------------------------------------------------------------------- module clusters

class Dense(Module):
    def __init__(self, n_in, n_out, seed):
        super().__init__()
        self.weight = Parameter(generator(seed).standard_normal((n_in, n_out)))
        self.bias = Parameter(np.zeros(n_out))

    def forward(self, x):
        return x @ self.weight + self.bias


class MLP(Module):
    def __init__(self):
        super().__init__()
        self.l1 = Dense(2, 3, seed=0)
        self.l2 = Dense(3, 1, seed=1)

    def forward(self, x):
        return self.l2(self.l1(x).tanh())


def test_clusters_box_each_module_call():
    model = MLP()
    x = mg.tensor(np.ones((4, 2)))
    with trace_modules(model) as tracer:
        loss = (model(x) ** 2).mean()
    nodes, _, where = parse(draw_graph(loss, clusters=tracer, params=model))
    assert len(tracer.calls) == 2
    inside = {label_lines(nodes[k])[0]: w for k, w in where.items()}
    assert inside["l1.weight"] == ["l1 (Dense)"] and inside["l1.bias"] == ["l1 (Dense)"]
    assert inside["l2.weight"] == ["l2 (Dense)"]
    ops_in = sorted(label_lines(nodes[k])[0] for k, w in where.items() if w == ["l1 (Dense)"]
                    and "op" in classes(nodes[k]))
    assert ops_in == ["add", "matmul"]
    assert inside["tanh"] == [] and inside["mean"] == [] and inside["pow(·, 2)"] == []
    assert where[by_label(nodes, "(4, 2) float64")] == []  # the data went in from outside
    # forward was restored: no instance attribute left behind, and the model still runs
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert model(x).shape == (4, 1)
    assert len(tracer.calls) == 2


def test_clusters_nest_and_repeat_calls():
    class Twice(Module):
        def __init__(self):
            super().__init__()
            self.inner = Dense(2, 2, seed=3)

        def forward(self, x):
            return self.inner(self.inner(x))

    model = Twice()
    x = mg.tensor(np.ones((1, 2)))
    with trace_modules(model, include_root=True) as tracer:
        y = model(x).sum()
    nodes, _, where = parse(draw_graph(y, clusters=tracer))
    labels = [c.label for c in tracer.calls]
    assert labels == ["Twice", "inner (Dense)", "inner (Dense) call 2"]
    matmuls = [where[k] for k in nodes if label_lines(nodes[k])[0] == "matmul"]
    assert sorted(matmuls) == [["Twice", "inner (Dense)"], ["Twice", "inner (Dense) call 2"]]
    assert where[by_label(nodes, "sum")] == []


def test_clusters_with_nn_sequential():
    nn = mg.nn
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = mg.tensor(np.ones((4, 2), dtype=np.float32))
    with trace_modules(model) as tracer:
        out = model(x)
    nodes, _, where = parse(draw_graph(out.sum(), clusters=tracer, params=model))
    assert [c.label for c in tracer.calls] == ["0 (Linear)", "1 (Tanh)", "2 (Linear)"]
    assert where[by_label(nodes, "0.weight")] == ["0 (Linear)"]
    assert where[by_label(nodes, "2.bias")] == ["2 (Linear)"]
    assert where[by_label(nodes, "tanh")] == ["1 (Tanh)"]
    assert where[by_label(nodes, "sum")] == []
    assert all("forward" not in m.__dict__ for m in model.modules())


def test_trace_restores_forward_after_an_error():
    class Boom(Module):
        def forward(self, x):
            raise ValueError("boom")

    class Outer(Module):
        def __init__(self):
            super().__init__()
            self.b = Boom()

        def forward(self, x):
            return self.b(x)

    model = Outer()
    with pytest.raises(ValueError, match="boom"):
        with trace_modules(model):
            model(mg.tensor([1.0]))
    assert "forward" not in model.b.__dict__
    with pytest.raises(TypeError, match="trace_modules"):
        with trace_modules(object()):
            pass


# ----------------------------------------------------------------------------- argument errors

def test_argument_errors():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="at least one tensor"):
        draw_graph()
    with pytest.raises(TypeError, match="root 1 is a list|root 1 is a float"):
        draw_graph(x, 1.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(x, rankdir="XY")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes"):
            draw_graph(x, max_nodes=bad)
    with pytest.raises(TypeError, match=r"params\['w'\] is a ndarray"):
        draw_graph(x, params={"w": np.ones(1)})
    with pytest.raises(TypeError, match="clusters"):
        draw_graph(x, clusters={})
    with pytest.raises(ValueError, match="format"):
        render_graph(x, path="g", format="jpg")
    with pytest.raises(ValueError, match=r"ends in \.png but format='svg'"):
        render_graph(x, path="g.png")
    # roots may come as a list; rankdir is passed through
    dot = draw_graph([x, x * 2.0], rankdir="TB")
    assert "rankdir=TB" in dot.source


# ----------------------------------------------------------------------------- rendering

def _model_graph():
    w = mg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    w.name = "W"
    y = (mg.tensor([1.0, 2.0]) @ w).tanh().sum()
    y.backward()
    return y


@needs_dot
def test_render_svg_parses_and_carries_tooltips(tmp_path):
    y = _model_graph()
    out = render_graph(y, path=tmp_path / "graph", show_data=True)
    assert out == str(tmp_path / "graph.svg")
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    titles = [el.get("{http://www.w3.org/1999/xlink}title") for el in root.iter()
              if el.get("{http://www.w3.org/1999/xlink}title")]
    w_tips = [t for t in titles if t.startswith("name: W\n")]
    assert len(w_tips) == 1 and "requires_grad: True" in w_tips[0] and "grad: min" in w_tips[0]
    assert any(t.startswith("op: matmul") for t in titles)
    node_classes = {el.get("class") for el in root.iter() if el.get("class", "").startswith("node")}
    assert {"node parameter", "node op", "node output", "node input"} <= node_classes
    # a path that already has the suffix is used as it is
    assert render_graph(y, path=str(tmp_path / "g.svg")) == str(tmp_path / "g.svg")


@needs_dot
def test_render_png_and_pdf(tmp_path):
    y = _model_graph()
    png = render_graph(y, path=tmp_path / "g", format="png")
    assert png.endswith("g.png") and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    pdf = render_graph(y, path=tmp_path / "g.pdf", format="pdf")
    assert open(pdf, "rb").read(5) == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.pdf", "g.png"]  # no stray DOT or temp files
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(png).st_mode) == 0o666 & ~umask  # an ordinary file, not a private temp file


@needs_dot
def test_docs_script_renders_the_mlp_graph(tmp_path):
    spec = importlib.util.spec_from_file_location("make_graph_image", DOCS / "make_graph_image.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = script.main(str(tmp_path / "mlp"))
    assert out.endswith("mlp.svg")
    text = open(out).read()
    ET.fromstring(text)
    for name in ("hidden.weight", "hidden.bias", "out.weight", "out.bias", "loss"):
        assert name in text
    assert text.count('class="cluster"') == 2 and "grad: " in text
    assert len(text) < 300_000


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    y = _model_graph()
    assert "digraph" in draw_graph(y).source  # DOT source needs no binary
    with pytest.raises(GraphvizNotFoundError) as info:
        render_graph(y, path=tmp_path / "g")
    assert isinstance(info.value, RuntimeError)
    msg = str(info.value)
    assert "apt-get install graphviz" in msg and "brew install graphviz" in msg and "conda" in msg
    assert not (tmp_path / "g.svg").exists()
    assert isinstance(info.value.__cause__, graphviz.ExecutableNotFound)


# ----------------------------------------------------------------------------- pictures a learner can read

def _two_layer_loss(backward=True):
    """The textbook two-layer net (64-50-10, sigmoid) on one batch of 32, cross-entropy loss."""
    F = mg.nn.functional
    rng = generator(0)
    W1, W2 = (Parameter(rng.standard_normal(s).astype(np.float32) * 0.1) for s in ((64, 50), (50, 10)))
    b1, b2 = Parameter(np.zeros(50, np.float32)), Parameter(np.zeros(10, np.float32))
    x = mg.tensor(rng.random((32, 64)).astype(np.float32))
    x.name = "x"
    t = rng.integers(0, 10, 32)
    loss = F.cross_entropy(F.sigmoid(x @ W1 + b1) @ W2 + b2, t)
    if backward:
        loss.backward()
    return loss, dict(W1=W1, b1=b1, W2=W2, b2=b2)


def _svg_aspect(dot):
    svg = dot.pipe(format="svg").decode()
    w, h = (float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    return w / h


def test_legend_lists_the_styles_used_and_explains_the_arrows():
    loss, params = _two_layer_loss()
    src = draw_graph(loss, params=params).source
    legend = re.search(r"label=<(<TABLE.*</TABLE>)>", src).group(1)
    cells = re.findall(r"<TD [^>]*>([^<]+)</TD>", legend)[:-1]  # the last: the note on arrows
    assert cells == ["parameter", "input / data", "constant", "intermediate", "output", "op"]
    assert "argument order" in legend and "named after the argument" in legend
    assert "NaN" not in legend  # no alarm in this picture, so no alarm entry
    assert "<TABLE" not in draw_graph(loss, params=params, legend=False).source
    with pytest.raises(TypeError, match="legend"):
        draw_graph(loss, legend="yes")


def test_constants_are_named_after_the_argument_they_fill():
    loss, params = _two_layer_loss()
    nodes, edges, _ = parse(draw_graph(loss, params=params))
    const = [k for k, n in nodes.items() if classes(n) == ["constant"]]
    assert len(const) == 1 and label_lines(nodes[const[0]]) == ["target", "(32,) int64"]
    assert "argument: target of cross_entropy" in nodes[const[0]]["tooltip"]
    # where's condition is an array: it is called `condition`
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    nodes, _, _ = parse(draw_graph(mg.where(np.array([True, False]), x, x * 2.0)))
    assert [label_lines(n)[0] for n in nodes.values() if classes(n) == ["constant"]] == ["condition"]


def test_every_tensor_is_summarized_alike_values_only_when_tiny():
    loss, params = _two_layer_loss()
    nodes, _, _ = parse(draw_graph(loss, params=params))
    grads = {label_lines(n)[0]: label_lines(n)[-1] for n in nodes.values() if "parameter" in classes(n)}
    assert set(grads) == {"W1", "b1", "W2", "b2"}
    assert all(re.fullmatch(r"grad: min \S+  mean \S+  max \S+", g) for g in grads.values()), grads
    small = mg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    (small * 2.0).sum().backward()
    nodes, _, _ = parse(draw_graph(small * 1.0))
    assert "grad: [2, 2, 2, 2]" in [label_lines(n)[-1] for n in nodes.values()]


@needs_dot
def test_layered_net_is_not_a_thin_strip():
    loss, params = _two_layer_loss()
    strip = _svg_aspect(draw_graph(loss, params=params, layout="fixed", legend=False))
    assert strip > 6  # left to right, every op and tensor in a rank of its own: about 9:1
    auto = draw_graph(loss, params=params)
    assert "rankdir=TB" in auto.source
    assert 0.4 < _svg_aspect(auto) < 2.5
    # a small graph keeps the direction asked for
    x = mg.tensor([1.0], requires_grad=True)
    assert "rankdir=LR" in draw_graph((x * 2.0).sum()).source
    assert "rankdir=RL" in draw_graph(loss, rankdir="RL", layout="fixed").source
    with pytest.raises(ValueError, match="layout"):
        draw_graph(loss, layout="wrap")
