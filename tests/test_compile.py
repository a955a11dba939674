"""minigrad.compile: a traced step replayed by generated code computes what the uncompiled step computes.

Every comparison compiles with one set of arguments and then calls the compiled function with *other*
values of the same shapes, next to the uncompiled function on those values: anything frozen at its
traced value (a constant that should have been an input) shows up as a difference.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import nn
from minigrad.compile import CompiledFunction, TracingError
from minigrad.nn import functional as F
from minigrad.optim import SGD, Adam, AdamW, RMSprop
from minigrad.optim.lr_scheduler import StepLR
from op_registry import ROWS, _element_strategy, op_inputs
from custom_functions import Cube

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def assert_close(a, b, what, rtol=1e-9, atol=1e-12):
    a = a.data if isinstance(a, mg.Tensor) else a
    b = b.data if isinstance(b, mg.Tensor) else b
    assert np.shape(a) == np.shape(b), f"{what}: shape {np.shape(a)} != {np.shape(b)}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


# --------------------------------------------------------------------------- every registry op

ALL = pytest.mark.parametrize("spec", ROWS, ids=[r.id for r in ROWS])


@st.composite
def same_shapes(draw, spec, arrays, extra):
    """New values for the arrays (and the targets) of one drawn call, with the same shapes and dtypes."""
    if spec.elements is not None:
        elements = list(spec.elements)
    else:
        domains = spec.domain if isinstance(spec.domain[0], (tuple, list)) else [spec.domain] * spec.arity
        elements = [_element_strategy(lo, hi, spec.kinks, spec.margin) for lo, hi in domains]
    new = tuple(draw(hnp.arrays(np.float64, a.shape, elements=e, unique=spec.unique)) for a, e in zip(arrays, elements))
    if spec.valid is not None:
        assume(spec.valid(*new))
    new_extra = tuple(draw(spec.extra(tuple(a.shape for a in arrays)))) if spec.extra is not None else ()
    if [(np.shape(a), np.asarray(a).dtype) for a in new_extra] != [(np.shape(a), np.asarray(a).dtype) for a in extra]:
        new_extra = extra
    return new, new_extra


def _random_like(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


@ALL
@settings(max_examples=4)
@given(data=st.data())
def test_every_op_forward_and_gradients(spec, data):
    arrays, extra, params = data.draw(op_inputs(spec))
    arrays2, extra2 = data.draw(same_shapes(spec, arrays, extra))
    n = len(arrays)

    def step(*args):
        out = spec.fn(*args[:n], *args[n:-1], **params)
        out.backward(args[-1])
        return out

    def call(fn, arrs, ex, g):
        xs = [mg.tensor(a, requires_grad=True) for a in arrs]
        out = fn(*xs, *[np.array(e) for e in ex], mg.tensor(g))
        return out, [x.grad for x in xs]

    generator, state = mg.rng._generator, mg.rng._generator.bit_generator.state
    shape = spec.fn(*[mg.tensor(a) for a in arrays], *extra, **params).shape
    g1, g2 = _random_like(shape, 1), _random_like(shape, 2)
    traced_in = [mg.tensor(a, requires_grad=True) for a in arrays]
    if mg.rng._generator is not generator or mg.rng._generator.bit_generator.state != state:  # dropout, rrelu
        with pytest.raises(TracingError, match="random numbers"):
            mg.compile(step, *traced_in, *[np.array(e) for e in extra], mg.tensor(g1))
        return
    if not spec.compiles:  # the row turns an argument into Python data, which compile cannot follow
        return
    compiled = mg.compile(step, *traced_in, *[np.array(e) for e in extra], mg.tensor(g1))
    expected, expected_grads = call(step, arrays2, extra2, g2)
    got, got_grads = call(compiled, arrays2, extra2, g2)
    if expected.grad_fn is not None:
        assert not got.requires_grad, "a result is a plain tensor, not a graph node"
    assert got.dtype == expected.dtype
    assert_close(got, expected, f"{spec.id}: output")
    for i, (e, c) in enumerate(zip(expected_grads, got_grads)):
        assert (e is None) == (c is None), f"{spec.id}: input {i} gradient presence"
        if e is not None:
            assert c.dtype == e.dtype
            assert_close(c, e, f"{spec.id}: gradient of input {i}")


def test_float32_stays_float32():
    x32 = mg.tensor(np.linspace(-2, 2, 12).reshape(3, 4).astype(np.float32), requires_grad=True)
    w32 = mg.tensor(np.full((4, 2), 0.5, np.float32), requires_grad=True)

    def step(x):
        y = (x @ w32).tanh().sum()
        y.backward()
        return y
    compiled = mg.compile(step, x32)
    x = mg.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    out = compiled(x)
    assert out.dtype == np.float32 and x.grad.dtype == np.float32 and w32.grad.dtype == np.float32


def test_buffers_keep_the_traced_memory_layout():
    """A ReLU of a transposed view is laid out transposed in the uncompiled step (numpy's ufuncs follow
    their input's layout); the compiled step's buffer must be too, or every later pass strides across memory."""
    w = mg.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4), requires_grad=True)
    seen = {}

    def step(x):
        h = (x + w).transpose(2, 0, 1).relu()
        seen["h"] = h.data
        loss = (h * h).sum()
        loss.backward()
        return loss
    x = mg.tensor(np.ones((2, 3, 4)))
    step(x)
    traced_strides = seen["h"].strides
    compiled = mg.compile(step, x)
    assert not seen["h"].flags.c_contiguous  # the case this test is about
    source = compiled.source
    buffers = {name: obj for name, obj in compiled._run.__globals__.items() if isinstance(obj, np.ndarray)}
    relu_line = next(line for line in source.splitlines() if "[relu]" in line)
    (buf,) = [b for name, b in buffers.items() if f", out={name})" in relu_line or f", {name})" in relu_line]
    assert buf.strides == traced_strides, relu_line
    assert_close(compiled(mg.tensor(np.full((2, 3, 4), 0.5))), step(mg.tensor(np.full((2, 3, 4), 0.5))), "loss")


# --------------------------------------------------------------------------- models and optimizers

def _mlp(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def _batches(n, seed=0, rows=6):
    rng = np.random.default_rng(seed)
    return [(mg.tensor(rng.standard_normal((rows, 4))), mg.tensor(rng.integers(0, 3, rows))) for _ in range(n)]


OPTIMIZERS = [(SGD, dict(lr=0.1)), (SGD, dict(lr=0.1, momentum=0.9)),
              (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)), (Adam, dict(lr=0.01)),
              (AdamW, dict(lr=0.01)), (RMSprop, dict(lr=0.01, momentum=0.5))]


def _classifier_step(model, opt):
    """The usual training step: zero_grad, cross-entropy of the model's logits, backward, step."""
    def train_step(x, t):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        return loss
    return train_step


def _train_pair(make_model, opt_cls, opt_kw, steps=5, zero="optimizer", batches=None):
    """The same model twice from the same init: one trained uncompiled, one compiled (traced on the first
    batch); returns both models, optimizers and the losses of the compiled steps' batches."""
    batches = batches or _batches(steps + 1)
    runs = []
    for compiled in (False, True):
        model = make_model(0)
        opt = opt_cls(model.parameters(), **opt_kw)

        def train_step(x, t):
            if zero == "optimizer":
                opt.zero_grad()
            elif zero == "model":
                model.zero_grad(set_to_none=False)
            elif zero == "manual":
                for p in model.parameters():
                    p.grad = None
            loss = F.cross_entropy(model(x), t)
            loss.backward()
            opt.step()
            return loss
        step = mg.compile(train_step, *batches[0]) if compiled else train_step
        if not compiled:
            step(*batches[0])
        losses = [step(x, t) for x, t in batches[1:]]
        runs.append((model, opt, losses))
    return runs


@pytest.mark.parametrize("opt_cls, opt_kw", OPTIMIZERS, ids=[f"{c.__name__}{sorted(k.items())}" for c, k in OPTIMIZERS])
def test_training_steps_match(opt_cls, opt_kw):
    (ma, oa, la), (mb, ob, lb) = _train_pair(_mlp, opt_cls, opt_kw)
    for a, b in zip(la, lb):
        assert_close(b, a, "loss")
    for (name, pa), pb in zip(ma.named_parameters(), mb.parameters()):
        assert_close(pb, pa, f"parameter {name}")
        assert_close(pb.grad, pa.grad, f"gradient of {name}")
    assert oa.state_dict()["state"].keys() == ob.state_dict()["state"].keys()


@pytest.mark.parametrize("zero", ["optimizer", "model", "manual", "none"])
def test_grad_semantics_match(zero):
    """Gradients reset inside the step (to None, to zeros in place, by hand) or accumulated across calls."""
    (ma, _, _), (mb, _, _) = _train_pair(_mlp, SGD, dict(lr=0.05), steps=3, zero=zero)
    for (name, pa), pb in zip(ma.named_parameters(), mb.parameters()):
        assert_close(pb.grad, pa.grad, f"gradient of {name} ({zero})")
        assert_close(pb, pa, f"parameter {name} ({zero})")


def test_accumulation_without_reset_adds_to_existing_grad():
    w = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x):
        loss = (w * x).sum()
        loss.backward()
        return loss
    compiled = mg.compile(step, mg.tensor(np.array([1.0, 1.0])))  # w.grad = [1, 1]
    compiled(mg.tensor(np.array([2.0, 3.0])))
    assert_close(w.grad, np.array([3.0, 4.0]), "accumulated gradient")
    w.grad = None
    compiled(mg.tensor(np.array([2.0, 3.0])))
    assert_close(w.grad, np.array([2.0, 3.0]), "gradient after a reset outside")


def test_scheduler_changes_the_compiled_learning_rate():
    runs = []
    for compiled in (False, True):
        model = _mlp(0)
        opt = SGD(model.parameters(), lr=0.1)
        sched = StepLR(opt, step_size=1, gamma=0.5)
        train_step = _classifier_step(model, opt)
        batches = _batches(4)
        step = mg.compile(train_step, *batches[0]) if compiled else train_step
        if not compiled:
            step(*batches[0])
        for x, t in batches[1:]:
            sched.step()
            step(x, t)
        runs.append(model)
    for pa, pb in zip(runs[0].parameters(), runs[1].parameters()):
        assert_close(pb, pa, "parameter after scheduled steps")


def test_plain_sgd_refuses_momentum_added_later():
    model = _mlp(0)
    opt = SGD(model.parameters(), lr=0.1)
    batches = _batches(2)
    compiled = mg.compile(_classifier_step(model, opt), *batches[0])
    opt.param_groups[0]["momentum"] = 0.9
    with pytest.raises(ValueError, match="momentum or weight_decay"):
        compiled(*batches[1])


def _import_example(name):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    sys.path.insert(0, EXAMPLES)
    try:
        return __import__(name)
    finally:
        sys.path.remove(EXAMPLES)


def test_two_layer_net_example():
    TwoLayerNet = _import_example("two_layer_net").TwoLayerNet

    def make(seed):
        mg.manual_seed(seed)
        return TwoLayerNet(4, 5, 3)
    (ma, _, la), (mb, _, lb) = _train_pair(make, SGD, dict(lr=0.5), steps=4)
    for a, b in zip(la, lb):
        assert_close(b, a, "loss")
    for (name, pa), pb in zip(ma.named_parameters(), mb.parameters()):
        assert_close(pb, pa, name)


def test_xor_mlp_example():
    XorNet = _import_example("xor_mlp").XorNet
    X, y = mg.data.logic_gate("xor")
    x, t = mg.tensor(X), mg.tensor(y.reshape(-1, 1).astype(X.dtype))
    runs = []
    for compiled in (False, True):
        mg.manual_seed(0)
        model = XorNet()
        opt = SGD(model.parameters(), lr=2.0)
        loss_fn = nn.BCELoss()

        def train_step(x, t):
            loss = loss_fn(model(x), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        step = mg.compile(train_step, x, t) if compiled else train_step
        if not compiled:
            step(x, t)
        losses = [step(x, t) for _ in range(20)]
        runs.append((model, losses))
    for a, b in zip(runs[0][1], runs[1][1]):
        assert_close(b, a, "loss")
    for pa, pb in zip(runs[0][0].parameters(), runs[1][0].parameters()):
        assert_close(pb, pa, "parameter")


def test_cnn_example():
    module = _import_example("simple_convnet")
    rng = np.random.default_rng(0)
    batches = [(mg.tensor(rng.random((4, 1, 28, 28))), mg.tensor(rng.integers(0, 10, 4))) for _ in range(3)]

    def make(seed):
        mg.manual_seed(seed)
        return module.simple_convnet(batch_norm=False)
    (ma, _, la), (mb, _, lb) = _train_pair(make, SGD, dict(lr=0.01), batches=batches)
    for a, b in zip(la, lb):
        assert_close(b, a, "loss", rtol=1e-6)


# --------------------------------------------------------------------------- what else a step may contain

def test_custom_function():
    w = mg.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)

    def step(x):
        w.grad = None
        y = Cube.apply(x * w).sum()
        y.backward()
        return y
    compiled = mg.compile(step, mg.tensor(np.array([1.0, 2.0, 3.0])))
    x = mg.tensor(np.array([0.3, -0.7, 1.1]))
    got, got_grad = compiled(x), w.grad
    w.grad = None
    expected = step(x)
    assert_close(got, expected, "output")
    assert_close(got_grad, w.grad, "gradient")


def test_setitem_under_no_grad_and_returned_values():
    w = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)

    def step(x):
        w.grad = None
        h = x @ w
        loss = (h * h).mean()
        loss.backward()
        with mg.no_grad():
            w[0] = w[0] - 0.1 * w.grad[0]
        return loss, h, {"scaled": h * 2}
    compiled = mg.compile(step, mg.tensor(np.ones((4, 2))))
    w2 = mg.tensor(w.data.copy(), requires_grad=True)
    x = mg.tensor(np.random.default_rng(3).standard_normal((4, 2)))
    (loss, h, d), version = compiled(x), w.version
    before = w2.data.copy()
    h2 = x.data @ before
    expected_grad = 2 * x.data.T @ h2 / h2.size
    assert_close(loss, (h2 * h2).mean(), "loss")
    assert_close(h, h2, "h")
    assert_close(d["scaled"], 2 * h2, "dict value")
    assert_close(w.grad, expected_grad, "gradient")
    before[0] -= 0.1 * expected_grad[0]
    assert_close(w, before, "updated row")
    assert version > 0
    h.data[...] = 0  # a returned array is the caller's: the next call does not write into it
    loss2, h3, _ = compiled(x)
    assert np.all(h.data == 0) and not np.all(h3.data == 0)


def test_inplace_tensor_methods_are_replayed():
    """The API's in-place methods (add_, sub_, -=, ...) under no_grad."""
    runs = []
    for compiled in (False, True):
        P = {"w": mg.tensor(np.linspace(-1, 1, 6).reshape(3, 2), requires_grad=True)}

        def step(x):
            w = P["w"]
            w.grad = None
            loss = ((x @ w) ** 2).sum()
            loss.backward()
            with mg.no_grad():
                w -= 0.01 * w.grad
                w.sub_(0.001)
            return loss
        xs = [mg.tensor(np.full((2, 3), v)) for v in (1.0, 0.5, -0.3)]
        fn = mg.compile(step, xs[0]) if compiled else step
        if not compiled:
            fn(xs[0])
        losses = [fn(x) for x in xs[1:]]
        runs.append((P["w"], losses))
    assert_close(runs[1][0], runs[0][0], "parameter updated in place")
    for a, b in zip(runs[0][1], runs[1][1]):
        assert_close(b, a, "loss")


def test_ndarray_and_static_arguments():
    w = mg.tensor(np.ones(3), requires_grad=True)

    def step(x, scale, name):
        assert name == "fixed"
        loss = (mg.tensor(x) * w * scale).sum()
        w.grad = None
        loss.backward()
        return loss
    compiled = mg.compile(step, np.arange(3.0), 2.0, "fixed")
    loss = compiled(np.array([1.0, 0.0, -1.0]), 2.0, "fixed")
    assert_close(loss, 0.0, "loss")
    assert_close(w.grad, np.array([2.0, 0.0, -2.0]), "gradient")
    with pytest.raises(ValueError, match="argument 1"):
        compiled(np.arange(3.0), 3.0, "fixed")


def test_source_reads_like_the_textbook():
    W1 = mg.tensor(np.full((4, 5), 0.1), requires_grad=True)
    W2 = mg.tensor(np.full((5, 3), 0.1), requires_grad=True)
    opt = SGD([W1, W2], lr=0.1)

    def train_step(x, t):
        opt.zero_grad()
        h = (x @ W1).sigmoid()
        loss = F.cross_entropy(h @ W2, t)
        loss.backward()
        opt.step()
        return loss
    compiled = mg.compile(train_step, *_batches(1)[0])
    src = compiled.source
    assert isinstance(compiled, CompiledFunction) and "see .source" in repr(compiled)
    assert src.startswith("def train_step(x, t):")
    for text in ("h = 1 / (1 + np.exp(-", "dW2 = h.T @ ", "dW1 = x.T @ ", "W1 -= ", "[sigmoid' w.r.t.", "[matmul]"):
        assert text in src, f"{text!r} not in:\n{src}"
    assert compiled.compile_seconds > 0


# --------------------------------------------------------------------------- calls that do not fit the trace

def _simple():
    w = mg.tensor(np.ones((3, 2)), requires_grad=True)

    def step(x, t):
        w.grad = None
        loss = F.cross_entropy(x @ w, t)
        loss.backward()
        return loss
    x, t = mg.tensor(np.ones((4, 3))), mg.tensor(np.array([0, 1, 1, 0]))
    return w, step, x, t


def test_mismatched_arguments_raise_value_error():
    w, step, x, t = _simple()
    compiled = mg.compile(step, x, t)
    with pytest.raises(ValueError, match=r"argument 0 is a tensor of shape \(5, 3\).*traced with a tensor of shape "
                                         r"\(4, 3\).*compile again"):
        compiled(mg.tensor(np.ones((5, 3))), t)
    with pytest.raises(ValueError, match="argument 0 .* dtype float32"):
        compiled(mg.tensor(np.ones((4, 3), np.float32)), t)
    with pytest.raises(ValueError, match="argument 1 is an array"):
        compiled(x, np.array([0, 1, 1, 0]))
    with pytest.raises(TypeError, match="takes 2 positional arguments"):
        compiled(x)
    with pytest.raises(ValueError, match="argument 0 is a tensor .* requiring grad"):
        compiled(mg.tensor(np.ones((4, 3)), requires_grad=True), t)
    w.requires_grad_(False)
    with pytest.raises(ValueError, match=r"tensor 'w' is now a tensor of shape \(3, 2\) and dtype float64, not .* "
                                         "requiring grad"):
        compiled(x, t)
    w.requires_grad_(True)
    w.data = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"tensor 'w' is now a tensor of shape \(2, 2\)"):
        compiled(x, t)


@pytest.mark.parametrize("read, what", [(lambda l: l.item(), r"item\(\)"), (lambda l: bool(l > 0), r"bool\(\)"),
                                        (lambda l: float(l), r"float\(\)"), (lambda l: l.numpy(), r"numpy\(\)"),
                                        (lambda l: l.tolist(), r"tolist\(\)"),
                                        (lambda l: np.asarray(l), r"numpy.asarray\(\)")])
def test_reading_a_value_into_python_raises(read, what):
    w, step, x, t = _simple()

    def f(x, t):
        loss = step(x, t)
        read(loss)
        return loss
    with pytest.raises(TracingError, match=f"reads a tensor of shape .* into Python with {what}"):
        mg.compile(f, x, t)


def test_branching_on_a_value_names_it():
    w = mg.tensor(np.ones(2), requires_grad=True)

    def f(x):
        y = (x * w).sum()
        if y > 0:
            y = y * 2
        return y
    with pytest.raises(TracingError, match=r"bool\(\)"):
        mg.compile(f, mg.tensor(np.ones(2)))


def _expect(fn, args, match):
    with pytest.raises(TracingError, match=match):
        mg.compile(fn, *args)


def test_unsupported_steps_raise_tracing_errors():
    w = mg.tensor(np.ones((3, 2)), requires_grad=True)
    x = mg.tensor(np.ones((4, 3)))

    def create_graph(x):
        (x @ w).sum().backward(create_graph=True)
    _expect(create_graph, (x,), "create_graph=True")

    def functional_grad(x):
        return mg.grad((x @ w).sum(), [w])
    _expect(functional_grad, (x,), "minigrad.grad")

    def hooked(x):
        h = x @ w
        h.register_hook(lambda g: g * 2)
        h.sum().backward()
    _expect(hooked, (x,), "hook")

    def dropout(x):
        return F.dropout(x @ w, 0.5)
    _expect(dropout, (x,), "random numbers")

    def raw_write(x):
        (x @ w).sum().backward()
        w.data -= 0.1 * w.grad.data  # assigning .data: a write compile cannot follow
    _expect(raw_write, (x,), "writes into an array")

    def raw_numpy(x):
        (x @ w).sum().backward()
        w.data[...] *= 0.5  # numpy in place, no note: found by comparing values afterwards
    _expect(raw_numpy, (x,), "changed during the call")

    def clipped(x):
        w.grad = None
        (x @ w).sum().backward()
        nn.utils.clip_grad_norm_([w], 0.01)
    _expect(clipped, (x,), "numpy.asarray|writes into an array|gradient .* was modified in place")

    def numpy_on_argument(x):
        return (mg.tensor(x.data * 2) @ w).sum()
    _expect(numpy_on_argument, (x,), "computed from an argument with numpy")

    def shifted_target(x):
        return F.mse_loss((x @ w).sum(axis=1), 1.0 + x.data[:, 0])
    _expect(shifted_target, (x,), "computed from an argument with numpy")

    w32 = mg.tensor(np.ones((3, 2), np.float32), requires_grad=True)

    def converted_target(x, t):
        return F.mse_loss(x @ w32, t)
    _expect(converted_target, (mg.tensor(np.ones((4, 3), np.float32)), np.arange(8.0).reshape(4, 2)),
            "argument 't' reaches an op converted from float64 to float32")

    def nested(x):
        return mg.compile(lambda y: y * 2, x)
    _expect(nested, (x,), "inside a function being compiled")

    def step_closure(x):
        opt = SGD([w], lr=0.1)
        opt.step(lambda: (x @ w).sum())
    _expect(step_closure, (x,), "closure")

    non_leaf = mg.tensor(np.ones(3), requires_grad=True) * 2
    _expect(lambda y: y * 3, (non_leaf,), "argument 0 is the result of a recorded computation")


def test_a_failed_trace_leaves_no_hooks_behind():
    w = mg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TracingError):
        mg.compile(lambda x: (x * w).sum().item(), mg.tensor(np.ones(2)))
    loss = (mg.tensor(np.ones(2)) * w).sum()
    assert loss.item() == 2.0  # item() works again
    loss.backward()
    assert_close(w.grad, np.ones(2), "gradient")
    assert "grad" in mg.Tensor.__dict__ and not isinstance(mg.Tensor.__dict__["grad"], property)


def test_a_call_from_inside_its_own_call_raises():
    holder = {}

    class Reenter(mg.Function):
        @staticmethod
        def forward(ctx, x):
            if "compiled" in holder:
                holder["compiled"](mg.tensor(x))
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    w = mg.tensor(np.ones(2), requires_grad=True)

    def step(x):
        return Reenter.apply(x * w).sum()
    holder["compiled"] = mg.compile(step, mg.tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match="called from inside its own call"):
        holder["compiled"](mg.tensor(np.ones(2)))


@pytest.mark.parametrize("key, opts", [("W1", {}), ("W3", {"steps": 20}), ("W5", {})])
def test_benchmark_compiled_column_matches_the_floor(key, opts):
    """The `compiled` column of benchmarks/run.py: one step of each from the same init agrees with the
    hand-written numpy step (as run.py's agreement check requires)."""
    sys.path.insert(0, os.path.join(os.path.dirname(EXAMPLES), "benchmarks"))
    try:
        import workloads as wl
    finally:
        sys.path.pop(0)
    ref, compiled = wl.build(key, "floor", **opts), wl.build(key, "compiled", **opts)
    ref.step()
    compiled.step()
    expected, got = ref.snapshot(), compiled.snapshot()
    assert set(expected) == set(got)
    for k in expected:
        assert_close(got[k], expected[k], f"{key} {k}", rtol=1e-9, atol=1e-10)
    assert wl.COMPILE_SECONDS[key] > 0


def test_a_buffer_written_with_numpy_raises():
    class RunningMean(nn.Module):
        """A layer that keeps a running mean of its input in a buffer, updated with numpy (as batch norm's
        running statistics are)."""

        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)
            self.register_buffer("running", np.zeros(3))

        def forward(self, x):
            self.running[...] = 0.9 * self.running + 0.1 * x.data.mean(axis=0)
            return self.lin(x)
    model = RunningMean()

    def step(x):
        return model(x).sum()
    with pytest.raises(TracingError, match="buffer 'model.running' changed"):
        mg.compile(step, mg.tensor(np.ones((4, 3))))


def test_other_threads_are_not_traced():
    """While one thread compiles, another computes, differentiates and reads values as usual."""
    import threading
    errors, results = [], []
    stop = threading.Event()

    def worker():
        w = mg.tensor(np.arange(3.0), requires_grad=True)
        try:
            while not stop.is_set():
                w.grad = None
                loss = (w * w).sum()
                loss.backward()
                results.append((loss.item(), w.grad.tolist()))
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)
    thread = threading.Thread(target=worker)
    thread.start()
    try:
        for _ in range(20):
            w, step, x, t = _simple()
            mg.compile(step, x, t)(x, t)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert results and all(r == (5.0, [0.0, 2.0, 4.0]) for r in results)
