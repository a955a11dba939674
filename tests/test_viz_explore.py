"""minigrad.viz.explore and its replay of backward: the page's data, size bounds, offline-ness, errors.

What the page does in a browser is tested in test_explorer_browser.py."""
import html
import json
import re
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd.engine import backward_order
from minigrad.nn import Parameter
from minigrad.nn import functional as F
from minigrad.rng import generator
from minigrad.viz import ExplorerPath, explore
from minigrad.viz.replay import replay_backward
from minigrad.viz.summaries import HEAT_SIDE
from minigrad.viz.walk import op_key, tensor_key

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")


def two_layer_net(seed=0):
    """The textbook two-layer net (64-50-10, sigmoid) on one batch of 32 digits-like rows; cross-entropy."""
    rng = generator(seed)
    params = {"W1": Parameter(rng.standard_normal((64, 50)).astype(np.float32) * 0.1),
              "b1": Parameter(np.zeros(50, np.float32)),
              "W2": Parameter(rng.standard_normal((50, 10)).astype(np.float32) * 0.1),
              "b2": Parameter(np.zeros(10, np.float32))}
    x = mg.tensor(rng.random((32, 64)).astype(np.float32))
    x.name = "x"
    t = rng.integers(0, 10, 32)
    hidden = F.sigmoid(x @ params["W1"] + params["b1"])
    loss = F.cross_entropy(hidden @ params["W2"] + params["b2"], t)
    loss.name = "loss"
    return loss, params


def page_data(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="mg-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1)), text


# ----------------------------------------------------------------------------- the replay

def test_replay_is_backward_taken_apart():
    loss, params = two_layer_net()
    replay = replay_backward([loss])
    assert replay.complete and replay.reason is None
    order = backward_order(loss)
    assert [s.tensor for s in replay.steps] == order  # the engine's order, every rule once
    for step in replay.steps:  # each step sends what the node's own rules give for what arrived
        expected = step.tensor.grad_fn.vjp(step.grad)
        for send, e in zip(step.sends, expected):
            assert (send.grad is None) == (e is None)
            if e is not None:
                np.testing.assert_array_equal(send.grad, e)
    loss.backward()  # the replay's sums are the gradients backward stores
    for name, p in params.items():
        np.testing.assert_allclose(replay.grads[id(p)], p.grad.numpy(), rtol=1e-5, atol=1e-7, err_msg=name)
    assert all(replay.contributions[id(p)] == 1 for p in params.values())


def test_replay_sums_gradients_from_several_consumers():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + x.sin()).sum()
    replay = replay_backward([y])
    assert replay.contributions[id(x)] == 3  # mul twice, sin once
    y.backward()
    np.testing.assert_allclose(replay.grads[id(x)], x.grad.numpy(), rtol=1e-6)


def test_replay_says_why_it_cannot_run():
    loss, _ = two_layer_net()
    loss.backward()  # releases the values the rules saved
    replay = replay_backward([loss])
    assert not replay.complete and "retain_graph=True" in replay.reason and "cross_entropy" in replay.reason
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    replay = replay_backward([x * 2.0])
    assert not replay.complete and "shape (2,)" in replay.reason and "sum" in replay.reason
    loss, _ = two_layer_net()
    loss.backward(retain_graph=True)
    assert replay_backward([loss]).complete


# ----------------------------------------------------------------------------- the page

def test_page_data_follows_the_engine_and_the_graph(tmp_path):
    loss, params = two_layer_net()
    out = explore(loss, path=tmp_path / "net.html", params=params)
    assert isinstance(out, ExplorerPath) and isinstance(out, str) and out == str(tmp_path / "net.html")
    data, text = page_data(out)
    assert [s["op"] for s in data["steps"]] == [op_key(t) for t in backward_order(loss)]
    assert data["replay"] == {"ok": True, "reason": None, "total": 6}
    nodes = {n["id"]: n for n in data["nodes"]}
    w1 = nodes[tensor_key(params["W1"])]
    assert (w1["name"], w1["role"], w1["shape"], w1["dtype"], w1["made_by"]) == ("W1", "parameter", [64, 50], "float32", None)
    assert w1["grad"] is None and w1["replayed"]["shape"] == [64, 50]  # before backward: only the replay has it
    assert w1["data"]["heat"]["rows"] == 32 and w1["data"]["heat"]["cols"] == 25 and w1["data"]["heat"]["sampled"] == [2, 2]
    target = [n for n in data["nodes"] if n["kind"] == "const"]
    assert len(target) == 1 and target[0]["label"] == "target" and target[0]["argument"] == "target of cross_entropy"
    assert nodes[tensor_key(loss)]["role"] == "output"
    # the first step is the loss's rule: it gets 1 and sends dL/dlogits to the logits
    first = data["steps"][0]
    assert first["name"] == "cross_entropy" and first["grad"]["values"] == [1.0]
    assert first["sends"][1]["grad"] is None and first["sends"][1]["to"] == target[0]["id"]
    roles = {e["key"] for e in data["legend"]}
    assert roles == {"parameter", "input", "constant", "intermediate", "output", "op"}
    # the replayed gradients equal what backward then stores
    loss.backward()
    mean = np.mean(params["W2"].grad.numpy())
    assert nodes[tensor_key(params["W2"])]["replayed"]["stats"]["mean"] == pytest.approx(mean, rel=1e-3, abs=1e-9)


def test_page_is_small_self_contained_and_offline(tmp_path):
    loss, params = two_layer_net()
    out = explore(loss, path=tmp_path / "net.html", params=params)
    _, text = page_data(out)
    size = len(text.encode("utf-8"))
    assert size < 200_000, size
    # nothing is fetched: no external script, style, image, font or request
    for pattern in (r"<script[^>]*\bsrc=", r"<link\b", r"@import", r"url\((?!#)", r"\bfetch\(", r"XMLHttpRequest",
                    r"<img\b", r"<iframe\b", r"https?://(?!www\.w3\.org/)"):
        assert not re.search(pattern, text), pattern


@needs_dot
def test_graphviz_layout_is_embedded_with_node_ids(tmp_path):
    loss, params = two_layer_net()
    _, text = page_data(explore(loss, path=tmp_path / "g.html", params=params))
    svg = re.search(r'<div id="graph">(<svg.*?</svg>)\s*</div>', text, re.S).group(1)
    titles = set(re.findall(r"<title>([^<]+)</title>", svg))
    assert tensor_key(params["W1"]) in titles and op_key(loss) in titles
    assert "<a " not in svg  # no tooltips: the panel shows the details


def test_without_dot_the_page_lays_the_graph_out_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, params = two_layer_net()
    data, text = page_data(explore(loss, path=tmp_path / "g", params=params))
    assert (tmp_path / "g.html").exists()  # the suffix is added
    assert re.search(r'<div id="graph">\s*</div>', text) and "layoutGraph" in text
    assert len(data["steps"]) == 6


def test_after_backward_the_page_says_why_there_is_no_replay(tmp_path):
    loss, params = two_layer_net()
    loss.backward()
    data, _ = page_data(explore(loss, path=tmp_path / "g.html", params=params))
    assert not data["replay"]["ok"] and "retain_graph=True" in data["replay"]["reason"]
    assert data["steps"] == []
    w1 = [n for n in data["nodes"] if n.get("name") == "W1"][0]
    assert w1["grad"]["shape"] == [64, 50] and w1["replayed"] is None  # the leaves' .grad is still shown


def test_embedded_data_is_bounded(tmp_path):
    big = mg.tensor(generator(1).standard_normal((1000, 700)), requires_grad=True)
    big.name = "big"
    y = (big.tanh() * 2.0).sum()
    data, text = page_data(explore(y, path=tmp_path / "big.html"))
    node = [n for n in data["nodes"] if n.get("name") == "big"][0]
    heat = node["data"]["heat"]
    assert heat["rows"] <= HEAT_SIDE and heat["cols"] <= HEAT_SIDE and heat["sampled"] == [32, 22]
    assert "values" not in node["data"]
    assert len(text) < 120_000
    # a long chain: max_nodes bounds the nodes and the steps shown, and the page says how many are hidden
    x = mg.tensor([0.5], requires_grad=True)
    z = x
    for _ in range(400):
        z = z.tanh()
    data, text = page_data(explore(z.sum(), path=tmp_path / "chain.html", max_nodes=40))
    assert len(data["nodes"]) == 41 and data["nodes"][-1]["kind"] == "more"
    assert len(data["steps"]) == 20 and data["hidden_steps"] == 401 - 20 and data["replay"]["total"] == 401
    assert len(text) < 100_000


def test_nan_shows_as_alarm_in_the_data(tmp_path):
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.log().sum()
    data, _ = page_data(explore(y, path=tmp_path / "nan.html"))
    log = [n for n in data["nodes"] if n.get("name") == "log"][0]
    assert log["origin"] is True and "nan-origin" in {e["key"] for e in data["legend"]}
    bad = [n for n in data["nodes"] if n["kind"] == "tensor" and n["alarm"]]
    assert bad and bad[0]["data"]["nan"] == 1


def test_jupyter_shows_the_page_inline(tmp_path):
    loss, _ = two_layer_net()
    out = explore(loss, path=tmp_path / "j.html", title='a <b>"quoted"</b> title')
    frame = out._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts"' in frame
    src = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert src == open(out, encoding="utf-8").read()
    assert "<title>a &lt;b&gt;&quot;quoted&quot;&lt;/b&gt; title</title>" in src
    (tmp_path / "j.html").unlink()
    assert "cannot read" in out._repr_html_()


def test_argument_errors_name_explore(tmp_path):
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="explore: give at least one tensor"):
        explore(path=tmp_path / "e.html")
    with pytest.raises(TypeError, match="explore: root 0 is a ndarray"):
        explore(np.ones(2), path=tmp_path / "e.html")
    with pytest.raises(ValueError, match="explore: max_nodes"):
        explore(x * 2.0, path=tmp_path / "e.html", max_nodes=0)
    with pytest.raises(TypeError, match=r"explore: params\['w'\]"):
        explore(x * 2.0, path=tmp_path / "e.html", params={"w": 3})
    assert list(tmp_path.iterdir()) == []
