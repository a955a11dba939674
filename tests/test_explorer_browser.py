"""The explorer page in a real browser: headless Debian chromium driven by Playwright.

One browser for the module (a fresh profile directory, no network: every request that is not file://
is aborted and fails the test). Each test opens a page written by `explore`, clicks and steps through it,
and fails on any console error or uncaught exception. The README's screenshot is taken here: always to a
temporary file, and into docs/explorer.png only when MINIGRAD_WRITE_DOCS=1.
"""
import os
import pathlib
import shutil

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd.engine import backward_order
from minigrad.viz import explore
from minigrad.viz.walk import op_key, tensor_key
from test_viz_explore import page_data, two_layer_net

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium():
    for candidate in (os.environ.get("MINIGRAD_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless chromium context with a fresh profile, shared by the module's tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("no browser: Playwright's Python package is not installed (pip install -e '.[dev]')")
    exe = _chromium()
    if exe is None:
        pytest.skip("no browser: Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    manager = sync_playwright().start()
    try:
        context = manager.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=exe, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
    except Exception as e:  # noqa: BLE001 - any launch failure means no browser here
        manager.stop()
        pytest.skip(f"no browser: chromium at {exe} could not be launched ({type(e).__name__}: {e})")
    yield context
    context.close()
    manager.stop()


class Page:
    """A page opened on a file, collecting console errors, uncaught exceptions and network requests."""

    def __init__(self, context, path):
        self.errors, self.requests = [], []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        self.page.route("**/*", self._route)
        self.page.goto(pathlib.Path(path).as_uri())

    def _route(self, route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def active(self):
        return self.page.eval_on_selector_all("#graph .node.active", "els => els.map(e => e.dataset.id)")

    def receiving(self):
        return sorted(self.page.eval_on_selector_all("#graph .node.receiving", "els => els.map(e => e.dataset.id)"))

    def click_node(self, key):
        self.page.click(f'#graph .node[data-id="{key}"]')

    def close(self):
        self.page.close()
        assert self.errors == [], self.errors
        assert self.requests == [], f"the page asked the network for {self.requests}"


@pytest.fixture
def open_page(browser):
    pages = []

    def _open(path):
        pages.append(Page(browser, path))
        return pages[-1]

    yield _open
    for p in pages:
        p.close()


def _step_through(page, loss):
    """Press `step` through the whole replay; check each highlighted op and what it sends against the engine."""
    order = backward_order(loss)
    assert page.active() == []
    for k, t in enumerate(order, 1):
        if k % 2:
            page.page.click("#next")
        else:
            page.page.keyboard.press("ArrowRight")
        assert page.active() == [op_key(t)], f"step {k}"
        fed = sorted({tensor_key(p) for p in t.grad_fn.inputs if isinstance(p, mg.Tensor) and p.requires_grad})
        assert page.receiving() == fed, f"step {k}: {t.grad_fn.name}"
        assert page.page.inner_text("#step-label").startswith(f"step {k} / {len(order)}")
    assert page.page.is_disabled("#next")
    page.page.keyboard.press("ArrowLeft")
    assert page.active() == [op_key(order[-2])]
    page.page.keyboard.press("Home")
    assert page.active() == [] and page.page.is_disabled("#prev")
    page.page.keyboard.press("End")
    assert page.active() == [op_key(order[-1])]


def test_click_a_node_and_step_through_backward(open_page, tmp_path):
    loss, params = two_layer_net()
    path = explore(loss, path=tmp_path / "net.html", params=params, title="two-layer net")
    page = open_page(path)
    page.click_node(tensor_key(params["W1"]))
    panel = page.page.inner_text("#node-info")
    for text in ("W1", "parameter", "none: a leaf", "(64, 50)", "float32", "min", "mean", "max", "heatmap"):
        assert text in panel, text
    assert page.page.locator("#node-info canvas.heat").count() == 1  # data; no gradient yet at step 0
    assert "nothing yet: 1 gradient will arrive" in panel
    _step_through(page, loss)
    # at the end W1 has its gradient; the panel shows it with its own heatmap
    page.click_node(tensor_key(params["W1"]))
    panel = page.page.inner_text("#node-info")
    assert "from matmul (step 6)" in panel and page.page.locator("#node-info canvas.heat").count() == 2
    op = page.page.locator(f'#graph .node[data-id="{op_key(loss)}"]')
    op.click()
    assert "op: cross_entropy" in page.page.inner_text("#node-info")
    assert "target" in page.page.inner_text("#node-info")


def test_layered_layout_without_graphviz(open_page, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`: the page lays the graph out itself
    loss, params = two_layer_net()
    path = explore(loss, path=tmp_path / "plain.html", params=params)
    data, _ = page_data(path)
    page = open_page(path)
    assert page.page.get_attribute("#graph", "data-layout") == "layers"
    assert page.page.locator("#graph .node").count() == len(data["nodes"])
    assert page.page.locator("#graph .edge").count() == len(data["edges"])
    page.click_node(tensor_key(params["b2"]))
    assert "b2" in page.page.inner_text("#node-info") and "(10,)" in page.page.inner_text("#node-info")
    _step_through(page, loss)


def test_search_by_name(open_page, tmp_path):
    loss, params = two_layer_net()
    page = open_page(explore(loss, path=tmp_path / "s.html", params=params))
    page.page.fill("#search", "w2")
    matched = page.page.eval_on_selector_all("#graph .node.match", "els => els.map(e => e.dataset.id)")
    assert matched == [tensor_key(params["W2"])] and page.page.inner_text("#search-count") == "1 found"
    page.page.press("#search", "Enter")
    assert page.page.inner_text("#node-info h2") == "W2"
    page.page.fill("#search", "matmul")
    assert page.page.locator("#graph .node.match").count() == 2
    page.page.fill("#search", "")
    assert page.page.locator("#graph .node.match").count() == 0


def test_released_graph_shows_grads_and_says_why(open_page, tmp_path):
    loss, params = two_layer_net()
    loss.backward()
    page = open_page(explore(loss, path=tmp_path / "after.html", params=params))
    notice = page.page.inner_text("#notice")
    assert page.page.is_visible("#notice") and "cannot be replayed" in notice and "retain_graph=True" in notice
    assert page.page.is_disabled("#next") and page.page.inner_text("#step-label") == "replay unavailable"
    page.page.keyboard.press("ArrowRight")
    assert page.active() == []
    page.click_node(tensor_key(params["W1"]))
    panel = page.page.inner_text("#node-info")
    assert ".grad (what backward() stored)" in panel and "(64, 50) float32, 3200 values" in panel


def test_screenshot_for_the_readme(open_page, tmp_path):
    """The README's picture: the two-layer net on real digits, three steps into backward."""
    loss, params = _digits_net()
    page = open_page(explore(loss, path=tmp_path / "readme.html", params=params, title="two-layer net: watch backprop"))
    for _ in range(3):
        page.page.keyboard.press("ArrowRight")
    assert page.page.inner_text("#step-label") == "step 3 / 6: matmul"
    shot = tmp_path / "explorer.png"
    page.page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("MINIGRAD_WRITE_DOCS") == "1":
        shutil.copyfile(shot, DOCS / "explorer.png")


def _digits_net():
    """The example's two-layer net (64-50-10) on the first 32 digits when scikit-learn is there, else random rows."""
    try:
        from minigrad.data import load_digits
        X, y = load_digits()
    except Exception:  # noqa: BLE001 - the picture only needs some rows
        return two_layer_net()
    loss, params = two_layer_net()
    x = mg.tensor(X[:32].astype(np.float32))
    x.name = "x (digits)"
    h = mg.nn.functional.sigmoid(x @ params["W1"] + params["b1"])
    loss = mg.nn.functional.cross_entropy(h @ params["W2"] + params["b2"], y[:32])
    loss.name = "loss"
    return loss, params
