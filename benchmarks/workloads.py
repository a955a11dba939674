"""The benchmark workloads W1–W7, each defined once (data, init, hyper-parameters) and built for
every column: `floor` (hand-written numpy, see floor.py), `minigrad` and `torch` (CPU).

`build(key, column, **options)` (options: `n` lines for W4, `steps` for W3, `variant` "grad" or
"hvp" for W6) returns a `Runner`: `step()` is the timed unit of work and
`snapshot()` returns what the last step computed (loss, gradients, updated parameters) as float64
arrays, so that run.py can check that all columns compute the same math from the same init.
Import this module only after the BLAS thread variables are set (run.py does that first).
"""
from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

import floor

COLUMNS = ("floor", "minigrad", "torch")
SEED = 0


@dataclass
class Runner:
    """One column of one workload: `step()` is timed; `snapshot()` reads back what the last step computed."""

    step: Callable[[], Any]
    snapshot: Callable[[], Dict[str, np.ndarray]]


@dataclass
class Workload:
    key: str
    title: str
    definition: str
    options: Dict[str, Any] = field(default_factory=dict)
    needs: Tuple[str, ...] = ()  # minigrad names the model uses that older versions (a --baseline) may lack


WORKLOADS: Dict[str, Workload] = {w.key: w for w in [
    Workload("W1", "textbook two-layer net",
             "784-50-10, sigmoid, softmax cross-entropy, batch 100, SGD lr 0.1, float64; "
             "one step = forward, backward, update"),
    Workload("W2", "larger MLP",
             "784-512-512-10, ReLU, softmax cross-entropy, batch 256, SGD lr 0.1, float32; "
             "one step = forward, backward, update"),
    Workload("W3", "per-op overhead",
             "16-element float64 vector through 1000 × x = tanh(x·1.01 + 0.1) (3000 ops), sum, backward"),
    Workload("W4", "deep chain",
             "N × x = x·1.0001 + 0.0001 on a one-element float64 tensor (2 ops per line: mul, add), then "
             "backward; each N in its own subprocess, gc on"),
    Workload("W5", "tiny net",
             "2-16-16-1 ReLU on 100 two-moons points, hinge loss mean(relu(1 − y·score)) + 1e-4·Σ‖W‖² "
             "(weight matrices), SGD lr 0.05, float64; one step = forward, backward, update"),
    Workload("W6", "second order",
             "Hessian-vector product of W1's loss w.r.t. W1's first weight matrix (grad with create_graph, "
             "then grad of (g·v).sum()), against one gradient of the same loss"),
    Workload("W7", "SimpleConvNet",
             "the textbook's SimpleConvNet on 1×28×28 images: conv 30 filters 5×5 → ReLU → 2×2 max pool → "
             "dense 100 → ReLU → dense 10, softmax cross-entropy, Adam lr 1e-3, batch 100, float32; "
             "one step = forward, backward, update",
             needs=("nn.Conv2d", "nn.MaxPool2d", "nn.functional.cross_entropy", "optim.Adam")),
]}

W3_STEPS = 1000
W3_OPS = 3 * W3_STEPS


def torch_available() -> bool:
    """True when torch can be found (it is optional: its column is skipped without it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


# ----------------------------------------------------------------------------------------- data

def _classification_data(n_batches: int, batch: int, dim: int, classes: int, dtype: Any, seed: int) -> List[tuple]:
    """MNIST-shaped synthetic batches: pixels in [0, 1), random labels (nothing to memorise, so the
    cost of a step stays the same however long the benchmark runs)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_batches, batch, dim)).astype(dtype)
    T = rng.integers(0, classes, size=(n_batches, batch))
    return [(X[i], T[i]) for i in range(n_batches)]


def _init_mlp(sizes: List[int], dtype: Any, seed: int, std: Optional[float] = None) -> Dict[str, np.ndarray]:
    """W_i ~ N(0, std²) (std = √(2/fan_in), He, when not given), b_i = 0; named W1, b1, W2, …"""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        s = np.sqrt(2.0 / fan_in) if std is None else std
        params[f"W{i}"] = (s * rng.standard_normal((fan_in, fan_out))).astype(dtype)
        params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
    return params


def two_moons(n: int = 100, noise: float = 0.1, seed: int = SEED) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (as sklearn's make_moons), labels +1 (upper) and −1 (lower)."""
    rng = np.random.default_rng(seed)
    n_up = n // 2
    a = np.linspace(0, np.pi, n_up)
    b = np.linspace(0, np.pi, n - n_up)
    X = np.concatenate([np.stack([np.cos(a), np.sin(a)], 1), np.stack([1 - np.cos(b), 0.5 - np.sin(b)], 1)])
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.ones(n_up), -np.ones(n - n_up)])[:, None]
    return X, y


def _spec(key: str) -> dict:
    """Data, init and hyper-parameters of a classification or hinge workload (fresh copies each call)."""
    if key in ("W1", "W6"):
        return dict(batches=_classification_data(8, 100, 784, 10, np.float64, SEED),
                    params=_init_mlp([784, 50, 10], np.float64, SEED + 1, std=0.01),
                    activation="sigmoid", lr=0.1, dtype=np.float64)
    if key == "W2":
        return dict(batches=_classification_data(8, 256, 784, 10, np.float32, SEED),
                    params=_init_mlp([784, 512, 512, 10], np.float32, SEED + 1),
                    activation="relu", lr=0.1, dtype=np.float32)
    if key == "W5":
        X, y = two_moons()
        return dict(batches=[(X, y)], params=_init_mlp([2, 16, 16, 1], np.float64, SEED + 1),
                    activation="relu", lr=0.05, dtype=np.float64, l2=1e-4)
    raise KeyError(key)


def hvp_direction(seed: int = SEED + 2) -> np.ndarray:
    """The fixed direction v for W6 (shape of W1's first weight matrix)."""
    return np.random.default_rng(seed).standard_normal((784, 50))


def _cycle(batches: List[tuple]) -> Callable[[], tuple]:
    """Hand out the batches in turn (step k uses batch k mod len)."""
    state = [0]

    def next_batch():
        i = state[0]
        state[0] = (i + 1) % len(batches)
        return batches[i]
    return next_batch


def _f64(x: Any) -> np.ndarray:
    return np.array(x, dtype=np.float64)


# ----------------------------------------------------------------------------------------- floor

def _floor_snapshot(loss: Any, net: Any) -> Dict[str, np.ndarray]:
    """The loss, every gradient and every updated parameter of a floor net's step, as float64 arrays."""
    out = {"loss": _f64(loss)}
    out.update({f"grad_{k}": _f64(g) for k, g in net.grads.items()})
    out.update({f"param_{k}": _f64(p) for k, p in net.params.items()})
    return out


def _floor_net(key: str) -> Runner:
    s = _spec(key)
    act = floor.Sigmoid if s["activation"] == "sigmoid" else floor.Relu
    loss = floor.HingeLoss if key == "W5" else floor.SoftmaxWithLoss
    net = floor.MLP(s["params"], act, loss, l2=s.get("l2", 0.0))
    next_batch, lr = _cycle(s["batches"]), s["lr"]
    last = {}

    def step():
        x, t = next_batch()
        last["loss"] = net.sgd_step(x, t, lr)

    return Runner(step, lambda: _floor_snapshot(last["loss"], net))


def _floor_build(key: str, variant: str = "hvp", n: int = 1000, steps: int = W3_STEPS, pooling: str = "im2col") -> Runner:
    if key == "W7":
        return _floor_convnet(pooling)
    if key in ("W1", "W2", "W5"):
        return _floor_net(key)
    if key == "W3":
        x0 = np.linspace(-1, 1, 16)
        last = {}
        return Runner(lambda: last.update(zip(("out", "g"), floor.tanh_chain_grad(x0, steps))),
                      lambda: {"out": _f64(last["out"]), "grad_x": _f64(last["g"])})
    if key == "W4":
        x0 = np.full(1, 0.5)
        last = {}
        return Runner(lambda: last.__setitem__("g", floor.affine_chain_grad(x0, n)),
                      lambda: {"grad_x": _f64(last["g"])})
    if key == "W6":
        s = _spec("W6")
        x, t = s["batches"][0]
        params, v = s["params"], hvp_direction()
        last = {}
        if variant == "hvp":
            return Runner(lambda: last.__setitem__("r", floor.two_layer_hvp_W1(params, x, t, v)),
                          lambda: {"hvp_W1": _f64(last["r"])})
        net = floor.MLP(params, floor.Sigmoid, floor.SoftmaxWithLoss)

        def step():
            net.gradient(x, t)
        return Runner(step, lambda: {"grad_W1": _f64(net.grads["W1"])})
    raise KeyError(key)


# ----------------------------------------------------------------------------------------- minigrad

MINIGRAD = "minigrad"  # the package the minigrad column imports
BASELINE = "minigrad_base"  # the package of the `baseline` column: an older minigrad (run.py --baseline REF)


def _pkg(name: str, sub: str = "") -> Any:
    """Import minigrad (or the baseline copy) or one of its submodules by name."""
    return importlib.import_module(name + sub)


def minigrad_paths() -> Dict[str, str]:
    """Which public minigrad API each model uses (optional pieces are used once they exist)."""
    import minigrad
    try:
        import minigrad.nn.functional as F
        has_ce = hasattr(F, "cross_entropy")
    except ImportError:
        has_ce = False
    try:
        import minigrad.optim as optim
        has_sgd = hasattr(optim, "SGD")
    except ImportError:
        has_sgd = False
    return {"cross_entropy": "minigrad.nn.functional.cross_entropy" if has_ce
            else "(logits.logsumexp(axis=1) - logits[arange(N), labels]).mean()",
            "update": "minigrad.optim.SGD" if has_sgd else "p.data -= lr * p.grad.data under minigrad.no_grad()",
            "version": getattr(minigrad, "__version__", "?")}


def _mg_cross_entropy(pkg: str = MINIGRAD) -> Callable:
    F = _pkg(pkg, ".nn.functional")
    if hasattr(F, "cross_entropy"):
        return lambda logits, labels_t, labels: F.cross_entropy(logits, labels_t)
    return lambda logits, labels_t, labels: (logits.logsumexp(axis=1) - logits[np.arange(len(labels)), labels]).mean()


def _mg_updater(params: List[Any], lr: float, pkg: str = MINIGRAD) -> Tuple[Callable[[], None], Callable[[], None]]:
    """(zero_grad, update) for SGD: minigrad.optim.SGD when it exists, else in-place numpy on p.data."""
    minigrad = _pkg(pkg)
    SGD = getattr(_pkg(pkg, ".optim"), "SGD", None)
    if SGD is not None:
        opt = SGD(params, lr=lr)
        return opt.zero_grad, opt.step

    def zero_grad():
        for p in params:
            p.grad = None

    def update():
        with minigrad.no_grad():
            for p in params:
                p.data -= lr * p.grad.data
    return zero_grad, update


def _mg_forward(key: str, act: str, l2: float, ce: Optional[Callable]) -> Callable:
    """loss(P, x, t) for an MLP in minigrad: Affine = x @ W + b, activation, then the workload's loss."""
    def loss(P, x, t_tensor, t):
        n = len(P) // 2
        h = x
        for i in range(1, n + 1):
            h = h @ P[f"W{i}"] + P[f"b{i}"]
            if i < n:
                h = h.sigmoid() if act == "sigmoid" else h.relu()
        if key == "W5":
            value = (1 - t_tensor * h).relu().mean()
            penalty = None
            for k, W in P.items():
                if k[0] == "W":
                    penalty = (W * W).sum() if penalty is None else penalty + (W * W).sum()
            return value + l2 * penalty
        return ce(h, t_tensor, t)
    return loss


def _mg_net(key: str, pkg: str = MINIGRAD) -> Runner:
    minigrad = _pkg(pkg)
    s = _spec(key)
    P = {k: minigrad.tensor(v, requires_grad=True) for k, v in s["params"].items()}
    batches = [(minigrad.tensor(x), minigrad.tensor(t), t) for x, t in s["batches"]]
    next_batch = _cycle(batches)
    forward = _mg_forward(key, s["activation"], s.get("l2", 0.0), None if key == "W5" else _mg_cross_entropy(pkg))
    zero_grad, update = _mg_updater(list(P.values()), s["lr"], pkg)
    last = {}

    def step():
        x, t_tensor, t = next_batch()
        zero_grad()
        loss = forward(P, x, t_tensor, t)
        loss.backward()
        update()
        last["loss"] = loss

    return Runner(step, _mg_snapshot(last, P))


def _mg_snapshot(last: dict, P: Dict[str, Any]) -> Callable[[], Dict[str, np.ndarray]]:
    """A minigrad training step's snapshot: the loss in `last`, each parameter's .grad and updated value
    (named as the floor names them)."""
    def snapshot():
        out = {"loss": _f64(last["loss"].data)}
        out.update({f"grad_{k}": _f64(p.grad.data) for k, p in P.items()})
        out.update({f"param_{k}": _f64(p.data) for k, p in P.items()})
        return out
    return snapshot


def _mg_w3_chain(x0: Any, steps: int) -> Any:
    """W3 in minigrad: x = tanh(x·1.01 + 0.1) `steps` times from x0, then the sum's backward; returns x."""
    x0.grad = None
    x = x0
    for _ in range(steps):
        x = (x * 1.01 + 0.1).tanh()
    x.sum().backward()
    return x


def _mg_build(key: str, variant: str = "hvp", n: int = 1000, steps: int = W3_STEPS, pkg: str = MINIGRAD) -> Runner:
    minigrad = _pkg(pkg)
    if key == "W7":
        return _mg_convnet(pkg)
    if key in ("W1", "W2", "W5"):
        return _mg_net(key, pkg)
    if key == "W3":
        x0 = minigrad.tensor(np.linspace(-1, 1, 16), requires_grad=True)
        last = {}

        def step():
            last["out"] = _mg_w3_chain(x0, steps).data
        return Runner(step, lambda: {"out": _f64(last["out"]), "grad_x": _f64(x0.grad.data)})
    if key == "W4":
        x0 = minigrad.tensor(np.full(1, 0.5), requires_grad=True)

        def step():
            x0.grad = None
            x = x0
            for _ in range(n):
                x = x * 1.0001 + 0.0001
            x.backward()
        return Runner(step, lambda: {"grad_x": _f64(x0.grad.data)})
    if key == "W6":
        s = _spec("W6")
        x, t = s["batches"][0]
        xt, tt = minigrad.tensor(x), minigrad.tensor(t)
        P = {k: minigrad.tensor(v, requires_grad=True) for k, v in s["params"].items()}
        W1 = P["W1"]
        v = minigrad.tensor(hvp_direction())
        forward = _mg_forward("W1", "sigmoid", 0.0, _mg_cross_entropy(pkg))
        last = {}
        if variant == "hvp":
            def step():
                (g,) = minigrad.grad(forward(P, xt, tt, t), [W1], create_graph=True)
                (last["r"],) = minigrad.grad((g * v).sum(), [W1])
            return Runner(step, lambda: {"hvp_W1": _f64(last["r"].data)})

        def step():
            (last["g"],) = minigrad.grad(forward(P, xt, tt, t), [W1])
        return Runner(step, lambda: {"grad_W1": _f64(last["g"].data)})
    raise KeyError(key)


# ----------------------------------------------------------------------------------------- torch

def _torch():
    import torch
    torch.set_num_threads(1)
    return torch


def _torch_snapshot(loss: Any, P: Dict[str, Any]) -> Dict[str, np.ndarray]:
    """The loss, every gradient and every updated parameter of a torch step, as float64 arrays."""
    out = {"loss": _f64(loss.detach().numpy())}
    out.update({f"grad_{k}": _f64(p.grad.numpy()) for k, p in P.items()})
    out.update({f"param_{k}": _f64(p.detach().numpy()) for k, p in P.items()})
    return out


def _torch_net(key: str) -> Runner:
    torch = _torch()
    import torch.nn.functional as TF
    s = _spec(key)
    P = {k: torch.tensor(v, requires_grad=True) for k, v in s["params"].items()}
    if key == "W5":
        batches = [(torch.tensor(x), torch.tensor(t)) for x, t in s["batches"]]
    else:
        batches = [(torch.tensor(x), torch.tensor(t, dtype=torch.int64)) for x, t in s["batches"]]
    next_batch, lr, l2 = _cycle(batches), s["lr"], s.get("l2", 0.0)
    act = torch.sigmoid if s["activation"] == "sigmoid" else torch.relu
    params = list(P.values())
    n_layers = len(P) // 2
    last = {}

    def step():
        x, t = next_batch()
        for p in params:
            p.grad = None
        h = x
        for i in range(1, n_layers + 1):
            h = h @ P[f"W{i}"] + P[f"b{i}"]
            if i < n_layers:
                h = act(h)
        if key == "W5":
            loss = torch.relu(1 - t * h).mean() + l2 * sum((P[f"W{i}"] * P[f"W{i}"]).sum()
                                                            for i in range(1, n_layers + 1))
        else:
            loss = TF.cross_entropy(h, t)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
        last["loss"] = loss

    return Runner(step, lambda: _torch_snapshot(last["loss"], P))


def _torch_build(key: str, variant: str = "hvp", n: int = 1000, steps: int = W3_STEPS) -> Runner:
    torch = _torch()
    if key == "W7":
        return _torch_convnet()
    if key in ("W1", "W2", "W5"):
        return _torch_net(key)
    if key == "W3":
        x0 = torch.tensor(np.linspace(-1, 1, 16), requires_grad=True)
        last = {}

        def step():
            x0.grad = None
            x = x0
            for _ in range(steps):
                x = torch.tanh(x * 1.01 + 0.1)
            x.sum().backward()
            last["out"] = x
        return Runner(step, lambda: {"out": _f64(last["out"].detach().numpy()), "grad_x": _f64(x0.grad.numpy())})
    if key == "W4":
        x0 = torch.tensor(np.full(1, 0.5), requires_grad=True)

        def step():
            x0.grad = None
            x = x0
            for _ in range(n):
                x = x * 1.0001 + 0.0001
            x.backward()
        return Runner(step, lambda: {"grad_x": _f64(x0.grad.numpy())})
    if key == "W6":
        import torch.nn.functional as TF
        s = _spec("W6")
        x, t = s["batches"][0]
        xt, tt = torch.tensor(x), torch.tensor(t, dtype=torch.int64)
        P = {k: torch.tensor(v, requires_grad=True) for k, v in s["params"].items()}
        W1, v = P["W1"], torch.tensor(hvp_direction())
        last = {}

        def loss():
            return TF.cross_entropy(torch.sigmoid(xt @ W1 + P["b1"]) @ P["W2"] + P["b2"], tt)
        if variant == "hvp":
            def step():
                (g,) = torch.autograd.grad(loss(), [W1], create_graph=True)
                (last["r"],) = torch.autograd.grad((g * v).sum(), [W1])
            return Runner(step, lambda: {"hvp_W1": _f64(last["r"].numpy())})

        def step():
            (last["g"],) = torch.autograd.grad(loss(), [W1])
        return Runner(step, lambda: {"grad_W1": _f64(last["g"].numpy())})
    raise KeyError(key)


# ----------------------------------------------------------------------------------------- W7: SimpleConvNet

W7_LR = 1e-3


def _w7_spec() -> dict:
    """W7's data and init (fresh copies each call): 8 batches of 100 random 1×28×28 images with random labels;
    weights N(0, 0.01²) as the textbook's SimpleConvNet (weight_init_std=0.01), biases 0; float32."""
    rng = np.random.default_rng(SEED + 7)
    X = rng.random((8, 100, 1, 28, 28), dtype=np.float32)
    T = rng.integers(0, 10, size=(8, 100))
    shapes = {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (30 * 12 * 12, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    params = {k: (0.01 * rng.standard_normal(s) if k[0] == "W" else np.zeros(s)).astype(np.float32)
              for k, s in shapes.items()}
    return dict(batches=[(X[i], T[i]) for i in range(8)], params=params)


def _floor_convnet(pooling: str = "im2col") -> Runner:
    s = _w7_spec()
    net = floor.SimpleConvNet(s["params"], pooling)
    opt = floor.Adam(net.params, lr=W7_LR)
    next_batch, last = _cycle(s["batches"]), {}

    def step():
        x, t = next_batch()
        last["loss"] = net.gradient(x, t)
        opt.step(net.grads)

    return Runner(step, lambda: _floor_snapshot(last["loss"], net))


def _mg_convnet(pkg: str = MINIGRAD, compiled: bool = False) -> Runner:
    """The net as a user writes it with minigrad.nn modules; the state dict maps onto the floor's names.
    `compiled`: the step traced once by minigrad.compile, then parameters, .grad and Adam's state put back."""
    minigrad = _pkg(pkg)
    nn = _pkg(pkg, ".nn")
    F = _pkg(pkg, ".nn.functional")
    Adam = _pkg(pkg, ".optim").Adam
    s = _w7_spec()
    model = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(30 * 12 * 12, 100), nn.ReLU(), nn.Linear(100, 10))
    names = {"0.weight": "W1", "0.bias": "b1", "4.weight": "W2", "4.bias": "b2", "6.weight": "W3", "6.bias": "b3"}
    model.load_state_dict({k: s["params"][v] for k, v in names.items()})
    params = dict(model.named_parameters())
    opt = Adam(model.parameters(), lr=W7_LR)
    batches = [(minigrad.tensor(x), minigrad.tensor(t)) for x, t in s["batches"]]
    next_batch, last = _cycle(batches), {}

    def train_step(x, t):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        return loss
    if compiled:
        start = time.perf_counter()
        train_step = minigrad.compile(train_step, *batches[0])
        COMPILE_SECONDS["W7"] = time.perf_counter() - start
        for k, v in names.items():  # undo the traced step (the compiled code calls opt.step(), which reads opt.state)
            np.copyto(params[k].data, s["params"][v])
            params[k].grad = None
        opt.state.clear()

    def step():
        last["loss"] = train_step(*next_batch())

    return Runner(step, _mg_snapshot(last, {v: params[k] for k, v in names.items()}))


def _torch_convnet() -> Runner:
    torch = _torch()
    import torch.nn.functional as TF
    s = _w7_spec()
    P = {k: torch.tensor(v, requires_grad=True) for k, v in s["params"].items()}
    opt = torch.optim.Adam(list(P.values()), lr=W7_LR)
    batches = [(torch.tensor(x), torch.tensor(t, dtype=torch.int64)) for x, t in s["batches"]]
    next_batch, last = _cycle(batches), {}

    def step():
        x, t = next_batch()
        opt.zero_grad()
        h = TF.max_pool2d(torch.relu(TF.conv2d(x, P["W1"], P["b1"])), 2)
        h = torch.relu(h.reshape(len(x), -1) @ P["W2"] + P["b2"])
        loss = TF.cross_entropy(h @ P["W3"] + P["b3"], t)
        loss.backward()
        opt.step()
        last["loss"] = loss

    return Runner(step, lambda: _torch_snapshot(last["loss"], P))


# ----------------------------------------------------------------------------------------- compiled

COMPILED_WORKLOADS = ("W1", "W3", "W5", "W7")  # the workloads with a `compiled` column (minigrad.compile)
COMPILE_SECONDS: Dict[str, float] = {}  # workload -> seconds minigrad.compile took for its last build


def _compiled_build(key: str, variant: str = "hvp", n: int = 1000, steps: int = W3_STEPS) -> Runner:
    """The minigrad column's step traced once by `minigrad.compile` and replayed as generated numpy.
    Compiling runs one real step, so the parameters, their .grad and the batch cycle are put back to
    the initial state afterwards: the timed steps start from the same place as the other columns'."""
    minigrad = _pkg(MINIGRAD)
    if key not in COMPILED_WORKLOADS:
        raise KeyError(f"{key} has no compiled column (only {', '.join(COMPILED_WORKLOADS)})")
    if key == "W7":
        return _mg_convnet(MINIGRAD, compiled=True)
    if key == "W3":
        x0 = minigrad.tensor(np.linspace(-1, 1, 16), requires_grad=True)

        def chain():
            return _mg_w3_chain(x0, steps)
        start = time.perf_counter()
        compiled = minigrad.compile(chain)
        COMPILE_SECONDS[key] = time.perf_counter() - start
        x0.grad = None
        last = {}
        return Runner(lambda: last.__setitem__("out", compiled()),
                      lambda: {"out": _f64(last["out"].data), "grad_x": _f64(x0.grad.data)})
    s = _spec(key)
    P = {k: minigrad.tensor(v, requires_grad=True) for k, v in s["params"].items()}
    init = {k: v.copy() for k, v in s["params"].items()}
    batches = [(minigrad.tensor(x), minigrad.tensor(t)) for x, t in s["batches"]]
    forward = _mg_forward(key, s["activation"], s.get("l2", 0.0), None if key == "W5" else _mg_cross_entropy())
    zero_grad, update = _mg_updater(list(P.values()), s["lr"])

    def train_step(x, t):
        zero_grad()
        loss = forward(P, x, t, None)
        loss.backward()
        update()
        return loss
    start = time.perf_counter()
    compiled = minigrad.compile(train_step, *batches[0])
    COMPILE_SECONDS[key] = time.perf_counter() - start
    for k, p in P.items():  # undo the traced step
        np.copyto(p.data, init[k])
        p.grad = None
    next_batch = _cycle(batches)
    last = {}

    def step():
        last["loss"] = compiled(*next_batch())

    return Runner(step, _mg_snapshot(last, P))


def missing(key: str, column: str) -> Optional[str]:
    """The first name workload `key` needs that `column`'s minigrad lacks (a baseline older than the
    feature), or None when the column can run it."""
    if column not in ("minigrad", "baseline", "compiled"):
        return None
    pkg = BASELINE if column == "baseline" else "minigrad"
    for name in WORKLOADS[key].needs:
        module, _, attr = f"{pkg}.{name}".rpartition(".")
        try:
            if not hasattr(_pkg(module), attr):
                return f"minigrad.{name}"
        except ImportError:
            return f"minigrad.{name}"
    return None


def _baseline_build(key: str, **options: Any) -> Runner:
    return _mg_build(key, pkg=BASELINE, **options)


_BUILDERS = {"floor": _floor_build, "minigrad": _mg_build, "torch": _torch_build, "baseline": _baseline_build,
             "compiled": _compiled_build}


def build(key: str, column: str, **options: Any) -> Runner:
    """The runner of workload `key` (W1…W7) for `column` (floor, minigrad, torch); options: n (W4), steps (W3), variant (W6),
    pooling (W7's floor: "im2col", the book's, or "offsets")."""
    if key not in WORKLOADS:
        raise ValueError(f"build: unknown workload {key!r}; expected one of {sorted(WORKLOADS)}")
    if column not in _BUILDERS:
        raise ValueError(f"build: unknown column {column!r}; expected one of {COLUMNS + ('baseline',)}")
    return _BUILDERS[column](key, **options)
