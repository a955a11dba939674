"""The textbook two-layer network, trained by minigrad: sigmoid hidden layer, softmax cross-entropy, mini-batch SGD.

Reproduces the two-layer net of "Deep Learning from Scratch" (chapters 4-5), with minigrad's autodiff in
place of the hand-written backward pass:

1. the book's gradient check: backprop gradients against numerical (central-difference) gradients on a
   few samples, printing the largest absolute difference for each parameter;
2. mini-batch SGD on the 8x8 digits that ship with scikit-learn (64-50-10, an 80/20 split with a fixed
   seed), or on MNIST with ``--mnist DIR`` (784-50-10 as in the book), with train and test accuracy
   after every epoch;
3. files under ``--out``: the loss and accuracy curves (PNG), the computation graph of one mini-batch's
   loss (SVG; the DOT source when Graphviz's ``dot`` is missing), and the trained weights (NPZ).

    python examples/two_layer_net.py              # digits, about 10 seconds
    python examples/two_layer_net.py --quick      # a few seconds (CI)
    python examples/two_layer_net.py --mnist ~/data/mnist
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use("Agg")  # headless: write image files, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import minigrad  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import DataLoader, load_digits, load_mnist  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from minigrad.optim import SGD  # noqa: E402
from minigrad.testing import numerical_grad  # noqa: E402
from common import parse_args, save_graph  # noqa: E402

SEED = 0
# Training settings per dataset: (hidden units, learning rate, batch size, epochs).
SETTINGS = {
    "digits": dict(hidden=50, lr=0.5, batch_size=32, epochs=40),
    "mnist": dict(hidden=50, lr=0.1, batch_size=100, epochs=17),  # the book: 10000 iterations of 100
}
QUICK_EPOCHS = 4


def two_layer(x, W1, b1, W2, b2):
    """The network as a function of its weights: logits = sigmoid(x W1 + b1) W2 + b2."""
    hidden = F.sigmoid(x @ W1 + b1)
    return hidden @ W2 + b2


class TwoLayerNet(nn.Module):
    """input -> affine -> sigmoid -> affine -> logits, with the book's parameter names W1, b1, W2, b2."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        self.W1 = nn.Parameter(minigrad.zeros(input_size, hidden_size))
        self.b1 = nn.Parameter(minigrad.zeros(hidden_size))
        self.W2 = nn.Parameter(minigrad.zeros(hidden_size, output_size))
        self.b2 = nn.Parameter(minigrad.zeros(output_size))
        nn.init.xavier_normal_(self.W1)  # Xavier init suits sigmoid units (the book, chapter 6)
        nn.init.xavier_normal_(self.W2)

    def forward(self, x):
        return two_layer(x, self.W1, self.b1, self.W2, self.b2)


def load_data(mnist_dir: Optional[str], quick: bool) -> Tuple[str, tuple, tuple]:
    """(name, (X_train, y_train), (X_test, y_test)): MNIST's own split, or digits split 80/20 with a fixed seed."""
    if mnist_dir:
        train, test = load_mnist(mnist_dir)
        if quick:  # a slice keeps the CI run short
            train, test = (train[0][:2000], train[1][:2000]), (test[0][:500], test[1][:500])
        return "mnist", train, test
    X, y = load_digits()
    order = minigrad.rng.generator(SEED).permutation(len(X))
    n_test = len(X) // 5
    test_idx, train_idx = order[:n_test], order[n_test:]
    return "digits", (X[train_idx], y[train_idx]), (X[test_idx], y[test_idx])


def gradient_check(model: TwoLayerNet, x: np.ndarray, t: np.ndarray) -> Dict[str, float]:
    """The book's gradient check: max |backprop - numerical| per parameter, in float64, on a few samples."""
    names = [name for name, _ in model.named_parameters()]
    weights = [minigrad.tensor(p.data, dtype="float64", requires_grad=True) for p in model.parameters()]
    x64 = minigrad.tensor(x, dtype="float64")

    def loss_of(*ws):
        return F.cross_entropy(two_layer(x64, *ws), t)

    loss_of(*weights).backward()
    numeric = numerical_grad(loss_of, [w.detach() for w in weights])  # detached: nothing to record
    return {name: float(np.max(np.abs(w.grad.data - n))) for name, w, n in zip(names, weights, numeric)}


def accuracy(model: TwoLayerNet, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples whose largest logit is the true class."""
    with minigrad.no_grad():
        predicted = model(minigrad.tensor(X)).argmax(axis=1).numpy()
    return float(np.mean(predicted == y))


def train(model: TwoLayerNet, train_set: tuple, test_set: tuple, lr: float, batch_size: int,
          epochs: int) -> Dict[str, List[float]]:
    """Mini-batch SGD on the cross-entropy; returns the loss per step and the accuracies per epoch."""
    loader = DataLoader(*train_set, batch_size=batch_size, shuffle=True, seed=SEED)
    optimizer = SGD(model.parameters(), lr=lr)
    history: Dict[str, List[float]] = {"loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(1, epochs + 1):
        for x, t in tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False):
            loss = F.cross_entropy(model(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["loss"].append(loss.item())
        history["train_acc"].append(accuracy(model, *train_set))
        history["test_acc"].append(accuracy(model, *test_set))
        epoch_loss = np.mean(history["loss"][-len(loader):])
        tqdm.write(f"epoch {epoch:3d}/{epochs}  loss {epoch_loss:.4f}  "
                   f"train acc {history['train_acc'][-1]:.4f}  test acc {history['test_acc'][-1]:.4f}")
    return history


def plot_history(history: Dict[str, List[float]], steps_per_epoch: int, path: Path) -> None:
    """Two panels: the loss per mini-batch step, and train/test accuracy per epoch."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4))
    steps = np.arange(1, len(history["loss"]) + 1) / steps_per_epoch
    ax_loss.plot(steps, history["loss"], lw=0.5, color="tab:blue", alpha=0.5, label="mini-batch")
    per_epoch = np.reshape(history["loss"][:len(steps) // steps_per_epoch * steps_per_epoch], (-1, steps_per_epoch))
    ax_loss.plot(np.arange(1, len(per_epoch) + 1), per_epoch.mean(axis=1), color="tab:blue", label="epoch mean")
    ax_loss.legend(loc="upper right")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="training loss", yscale="log")
    epochs = np.arange(1, len(history["train_acc"]) + 1)
    ax_acc.plot(epochs, history["train_acc"], marker=".", label="train")
    ax_acc.plot(epochs, history["test_acc"], marker=".", label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.01))
    ax_acc.legend(loc="lower right")
    ax_acc.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    args, out = parse_args("two_layer_net", __doc__.splitlines()[0], "a tiny run for CI (a few seconds)",
                           extra=lambda p: p.add_argument("--mnist", metavar="DIR",
                                                          help="train on MNIST: a folder holding the four IDX files"))
    minigrad.manual_seed(SEED)
    start = time.perf_counter()

    name, train_set, test_set = load_data(args.mnist, args.quick)
    settings = SETTINGS[name]
    epochs = QUICK_EPOCHS if args.quick else settings["epochs"]
    n_in, n_out = train_set[0].shape[1], int(train_set[1].max()) + 1
    model = TwoLayerNet(n_in, settings["hidden"], n_out)
    print(f"{name}: {len(train_set[0])} training and {len(test_set[0])} test samples; "
          f"network {n_in}-{settings['hidden']}-{n_out}")

    errors = gradient_check(model, train_set[0][:3], train_set[1][:3])
    print("gradient check (3 samples, float64): max |backprop - numerical| per parameter")
    for param_name, error in errors.items():
        print(f"  {param_name:3s} {error:.3e}")

    history = train(model, train_set, test_set, settings["lr"], settings["batch_size"], epochs)

    plot_path = out / "curves.png"
    steps_per_epoch = len(history["loss"]) // epochs
    plot_history(history, steps_per_epoch, plot_path)
    x, t = next(iter(DataLoader(*train_set, batch_size=settings["batch_size"])))
    x.name, t.name = "x (mini-batch)", "t (labels)"
    graph_path = save_graph(F.cross_entropy(model(x), t), out / "graph",
                            params=dict(model.named_parameters()))
    weights_path = out / "weights.npz"
    minigrad.save(model.state_dict(), weights_path)

    seconds = time.perf_counter() - start
    print(f"\nfinal: train accuracy {history['train_acc'][-1]:.4f}, test accuracy {history['test_acc'][-1]:.4f} "
          f"after {epochs} epochs ({seconds:.1f} s)")
    print(f"wrote {plot_path} (loss and accuracy curves)")
    print(f"wrote {graph_path} (computation graph of one mini-batch's loss)")
    print(f"wrote {weights_path} (weights; minigrad.load it into TwoLayerNet.load_state_dict)")
    print(f"RESULT dataset={name}")
    print(f"RESULT gradcheck_max_abs_error={max(errors.values()):.3e}")
    print(f"RESULT train_accuracy={history['train_acc'][-1]:.4f}")
    print(f"RESULT test_accuracy={history['test_acc'][-1]:.4f}")
    print(f"RESULT epochs={epochs}")
    print(f"RESULT seconds={seconds:.1f}")


if __name__ == "__main__":
    main()
