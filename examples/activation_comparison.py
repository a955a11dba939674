"""Measuring the activation-function articles' claims on a 6-layer MLP instead of repeating them.

Claims put to the test: sigmoid and tanh make gradients vanish in deep networks (a sigmoid's slope is at
most 1/4, so each layer shrinks the backward signal); ReLU units can "die" (output 0 for every input, so
their incoming weights never get a gradient again), especially with large steps; leaky ReLU, ELU and GELU
avoid dead units. The network is 2-64-64-64-64-64-3 (six dense layers, PyTorch's default init, the same
initial weights for every activation) on the 3-class spiral, trained with SGD (momentum 0.9, batches of
32) at a moderate and a large learning rate, over a few seeds. Measured on the whole training set as one
batch, at initialization and after every epoch:

* the norm of each layer's weight gradient, ||dL/dW_l||, and the ratio first layer / last layer;
* dead units: hidden units whose output is exactly 0 for every sample;
* all-negative units: hidden units whose input is < 0 for every sample (a dead unit for ReLU; for leaky
  ReLU, ELU and GELU the same units still pass a gradient);
* loss and accuracy (training curves).

Writes under ``--out`` one figure (PNG) and prints a Markdown summary.

    python examples/activation_comparison.py
    python examples/activation_comparison.py --quick
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")  # headless: write image files, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import DataLoader, spiral  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from minigrad.optim import SGD  # noqa: E402
from common import parse_args  # noqa: E402

ACTIVATIONS: Dict[str, Callable] = {
    "sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu,
    "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu,
}
WIDTH = 64
DEPTH = 6  # dense layers: 5 hidden layers of WIDTH units, then the output layer
LEARNING_RATES = (0.05, 0.2)  # moderate, large
MOMENTUM = 0.9
BATCH_SIZE = 32
EPOCHS, QUICK_EPOCHS = 20, 3
SEEDS, QUICK_SEEDS = (0, 1, 2), (0,)
COLORS = dict(zip(ACTIVATIONS, ["tab:purple", "tab:orange", "tab:blue", "tab:green", "tab:red", "tab:brown"]))


class DeepMLP(nn.Module):
    """DEPTH dense layers with one activation throughout; can also hand back every hidden layer's values."""

    def __init__(self, n_in: int, n_out: int, activation: Callable) -> None:
        super().__init__()
        sizes = [n_in] + [WIDTH] * (DEPTH - 1) + [n_out]
        self.layers = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.activation = activation

    def forward(self, x):
        return self.forward_with_hidden(x)[0]

    def forward_with_hidden(self, x) -> Tuple[minigrad.Tensor, List[Tuple[np.ndarray, np.ndarray]]]:
        """(logits, [(pre-activation, output) of each hidden layer, as arrays])."""
        hidden = []
        *hidden_layers, output_layer = list(self.layers)
        for layer in hidden_layers:
            pre = layer(x)
            x = self.activation(pre)
            hidden.append((pre.numpy(), x.numpy()))
        return output_layer(x), hidden


def measure(model: DeepMLP, X: np.ndarray, y: np.ndarray) -> Dict:
    """On the whole set as one batch: loss, accuracy, ||dL/dW|| per layer, dead and all-negative unit fractions."""
    logits, hidden = model.forward_with_hidden(minigrad.tensor(X))
    loss = F.cross_entropy(logits, minigrad.tensor(y))
    model.zero_grad()
    loss.backward()
    grad_norms = [float(np.linalg.norm(layer.weight.grad.numpy())) for layer in model.layers]
    dead = np.concatenate([np.all(out == 0, axis=0) for _, out in hidden])
    negative = np.concatenate([np.all(pre < 0, axis=0) for pre, _ in hidden])
    model.zero_grad()
    return dict(loss=loss.item(), accuracy=float(np.mean(logits.numpy().argmax(axis=1) == y)),
                grad_norms=grad_norms, dead=float(dead.mean()), negative=float(negative.mean()))


def train(name: str, lr: float, seed: int, epochs: int, X: np.ndarray, y: np.ndarray) -> Dict:
    """One run: measurements at initialization and after every epoch; stops early if the loss diverges."""
    minigrad.manual_seed(seed)  # same seed -> the same initial weights for every activation
    model = DeepMLP(X.shape[1], int(y.max()) + 1, ACTIVATIONS[name])
    history = [measure(model, X, y)]
    optimizer = SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    loader = DataLoader(X, y, batch_size=BATCH_SIZE, shuffle=True, seed=seed)
    for epoch in range(1, epochs + 1):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            if not np.isfinite(loss.item()):
                return dict(history=history, diverged_at=epoch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        measured = measure(model, X, y)
        if not np.isfinite(measured["loss"]):  # the last step of the epoch blew the weights up
            return dict(history=history, diverged_at=epoch)
        history.append(measured)
    return dict(history=history, diverged_at=None)


def per_epoch(runs: List[Dict], key: str, epochs: int) -> np.ndarray:
    """The mean of `key` over the seeds' runs, per epoch (0 = initialization); NaN where every run had diverged."""
    table = np.full((len(runs), epochs + 1), np.nan)
    for i, run in enumerate(runs):
        values = [m[key] for m in run["history"]]
        table[i, :len(values)] = values
    with np.errstate(all="ignore"):
        return np.array([np.nan if np.all(np.isnan(col)) else np.nanmean(col) for col in table.T])


def final(runs: List[Dict], key: str) -> float:
    """Mean of `key` over the runs that did not diverge, at their last epoch (NaN if all diverged)."""
    values = [run["history"][-1][key] for run in runs if run["diverged_at"] is None]
    return float(np.mean(values)) if values else float("nan")


def at_init(runs: List[Dict]) -> Dict:
    """At initialization, averaged over the seeds: gradient norm per layer, first/last ratio, dead and all-negative units."""
    inits = [run["history"][0] for run in runs]
    norms = list(np.mean([m["grad_norms"] for m in inits], axis=0))
    return dict(grad_norms=norms, ratio=grad_ratio(norms), dead=float(np.mean([m["dead"] for m in inits])),
                negative=float(np.mean([m["negative"] for m in inits])))


def fmt(value: float, spec: str) -> str:
    """`value` formatted with `spec`, or "n/a" for NaN (every run diverged)."""
    return "n/a" if np.isnan(value) else format(value, spec)


def grad_ratio(norms: List[float]) -> float:
    """||dL/dW_1|| / ||dL/dW_last||: far below 1 means the gradient vanishes on its way down."""
    return norms[0] / norms[-1] if norms[-1] > 0 else float("nan")


def plot(results: Dict, epochs: int, path: Path) -> None:
    """Six panels: gradient norms at init, gradient ratio in training, the two loss curves, dead units, accuracy."""
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    lr_small, lr_large = LEARNING_RATES
    epoch_axis = np.arange(epochs + 1)
    for name in ACTIVATIONS:
        color = COLORS[name]
        init_norms = at_init(results[name][lr_small])["grad_norms"]
        axes[0, 0].plot(np.arange(1, DEPTH + 1), init_norms, marker="o", color=color, label=name)
        ratios = [[grad_ratio(m["grad_norms"]) for m in run["history"]] for run in results[name][lr_small]]
        axes[0, 1].plot(np.arange(len(ratios[0])), ratios[0], color=color, label=name)
        for ax, lr in [(axes[0, 2], lr_small), (axes[1, 0], lr_large)]:
            ax.plot(epoch_axis, per_epoch(results[name][lr], "loss", epochs), color=color, label=name)
        for lr, style in [(lr_small, "-"), (lr_large, "--")]:
            axes[1, 1].plot(epoch_axis, per_epoch(results[name][lr], "dead", epochs), color=color, ls=style)
    axes[1, 1].text(0.03, 0.06, "all but relu: 0 throughout", transform=axes[1, 1].transAxes, fontsize=8)
    accuracies = [[final(results[name][lr], "accuracy") for lr in LEARNING_RATES] for name in ACTIVATIONS]
    positions = np.arange(len(ACTIVATIONS))
    for k, lr in enumerate(LEARNING_RATES):
        axes[1, 2].bar(positions + (k - 0.5) * 0.38, [np.nan_to_num(a[k]) for a in accuracies], width=0.38,
                       label=f"lr {lr}", color=["0.55", "0.25"][k])
    axes[0, 0].set(title="gradient norm per layer at init", xlabel="layer (1 = input side)",
                   ylabel="||dL/dW||", yscale="log")
    axes[0, 1].set(title=f"||dL/dW_1|| / ||dL/dW_{DEPTH}|| in training (lr {lr_small}, seed {SEEDS[0]})",
                   xlabel="epoch", yscale="log")
    axes[0, 2].set(title=f"training loss, lr {lr_small}", xlabel="epoch", ylabel="cross-entropy", yscale="log")
    axes[1, 0].set(title=f"training loss, lr {lr_large} (ends where runs diverged)", xlabel="epoch",
                   ylabel="cross-entropy", yscale="log")
    axes[1, 1].set(title=f"dead units (solid lr {lr_small}, dashed lr {lr_large})", xlabel="epoch",
                   ylabel="fraction of hidden units", ylim=(-0.02, 1.02))
    axes[1, 2].set(title="final accuracy (diverged runs left out)", xticks=positions, ylim=(0, 1))
    axes[1, 2].set_xticklabels(list(ACTIVATIONS), rotation=30, fontsize=8)
    axes[1, 2].legend(fontsize=8)
    axes[0, 0].legend(fontsize=8)
    for ax in axes.ravel()[:5]:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=65)
    plt.close(fig)


def print_summary(results: Dict, seeds: Tuple[int, ...]) -> None:
    """Two Markdown tables: at initialization, and after training at each learning rate."""
    lr_small = LEARNING_RATES[0]
    print(f"\n### At initialization (mean over seeds: {', '.join(map(str, seeds))})\n")
    header = " | ".join(f"layer {k}" for k in range(1, DEPTH + 1))
    print(f"| activation | ||dL/dW||: {header} | first / last | dead units | all-negative units |")
    print("| --- |" + " ---: |" * (DEPTH + 3))
    for name in ACTIVATIONS:
        init = at_init(results[name][lr_small])
        cells = " | ".join(f"{v:.1e}" for v in init["grad_norms"])
        print(f"| {name} | {cells} | {init['ratio']:.1e} | {init['dead']:.0%} | {init['negative']:.0%} |")
    print("\n### After training (mean over the runs that did not diverge)\n")
    print("| activation | lr | loss | accuracy | dead units | all-negative units | first / last grad norm | diverged |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in ACTIVATIONS:
        for lr in LEARNING_RATES:
            runs = results[name][lr]
            ok = [run for run in runs if run["diverged_at"] is None]
            ratio = np.mean([grad_ratio(run["history"][-1]["grad_norms"]) for run in ok]) if ok else float("nan")
            print(f"| {name} | {lr} | {fmt(final(runs, 'loss'), '.3f')} | {fmt(final(runs, 'accuracy'), '.1%')} | "
                  f"{fmt(final(runs, 'dead'), '.0%')} | {fmt(final(runs, 'negative'), '.0%')} | {fmt(ratio, '.1e')} | "
                  f"{len(runs) - len(ok)}/{len(runs)} |")


def print_results(results: Dict) -> None:
    """Machine-readable lines: RESULT key=value."""
    lr_small = LEARNING_RATES[0]
    for name in ACTIVATIONS:
        init = at_init(results[name][lr_small])
        print(f"RESULT grad_ratio_init_{name}={init['ratio']:.3e}")
        print(f"RESULT dead_init_{name}={init['dead']:.4f}")
        for lr in LEARNING_RATES:
            runs = results[name][lr]
            print(f"RESULT dead_final_{name}_lr{lr}={final(runs, 'dead'):.4f}")
            print(f"RESULT accuracy_final_{name}_lr{lr}={final(runs, 'accuracy'):.4f}")
            print(f"RESULT diverged_{name}_lr{lr}={sum(run['diverged_at'] is not None for run in runs)}")


def main() -> None:
    args, out = parse_args("activation_comparison", __doc__.splitlines()[0], "one seed, a few epochs (CI)")
    epochs = QUICK_EPOCHS if args.quick else EPOCHS
    seeds = QUICK_SEEDS if args.quick else SEEDS

    X, y = spiral(n_per_class=100, classes=3, seed=0)
    print(f"spiral: {len(X)} points, 3 classes; MLP 2-{'-'.join([str(WIDTH)] * (DEPTH - 1))}-3; "
          f"SGD momentum {MOMENTUM}, batch {BATCH_SIZE}, {epochs} epochs, lr {LEARNING_RATES}, seeds {seeds}")
    results: Dict[str, Dict[float, List[Dict]]] = {}
    # A diverging run overflows on purpose: it is detected (non-finite loss) and reported in the table.
    with np.errstate(over="ignore", invalid="ignore"):
        for name in ACTIVATIONS:
            results[name] = {lr: [train(name, lr, seed, epochs, X, y) for seed in seeds] for lr in LEARNING_RATES}
            print(f"  trained {name}")

    print_summary(results, seeds)
    plot_path = out / "comparison.png"
    plot(results, epochs, plot_path)
    print(f"\nwrote {plot_path} (gradient norms, training curves, dead units, accuracy)")
    print_results(results)


if __name__ == "__main__":
    main()
