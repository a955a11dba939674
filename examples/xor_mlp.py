"""XOR learned by a 2-4-1 sigmoid network through gradient descent and minigrad's autodiff.

A single perceptron cannot compute XOR (see perceptron_gates.py); one hidden layer of four sigmoid units
can, and backpropagation finds the weights on its own: full-batch gradient descent on the binary
cross-entropy of the four truth-table rows. Writes under ``--out`` the loss curve with the learned
function (PNG) and the computation graph of the loss (SVG; the DOT source when Graphviz's ``dot`` is
missing), and prints the four predictions.

    python examples/xor_mlp.py
    python examples/xor_mlp.py --quick
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import matplotlib

matplotlib.use("Agg")  # headless: write image files, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import logic_gate  # noqa: E402
from minigrad.optim import SGD  # noqa: E402
from common import parse_args, save_graph  # noqa: E402

SEED = 0
LEARNING_RATE = 2.0
EPOCHS = 3000
QUICK_EPOCHS = 1500


class XorNet(nn.Module):
    """2 inputs -> 4 sigmoid units -> 1 sigmoid output: p(XOR = 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 4)
        self.output = nn.Linear(4, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(self.output(self.sigmoid(self.hidden(x))))


def train(model: XorNet, x, t, epochs: int) -> List[float]:
    """Full-batch gradient descent on the binary cross-entropy; returns the loss of every epoch."""
    loss_fn = nn.BCELoss()
    optimizer = SGD(model.parameters(), lr=LEARNING_RATE)
    losses = []
    for _ in range(epochs):
        loss = loss_fn(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def plot(losses: List[float], model: XorNet, X: np.ndarray, y: np.ndarray, path: Path) -> None:
    """Left: the loss per epoch; right: the learned p(XOR = 1) over the unit square with the four rows."""
    fig, (ax_loss, ax_map) = plt.subplots(1, 2, figsize=(8.5, 3.4))
    ax_loss.plot(np.arange(1, len(losses) + 1), losses)
    ax_loss.set(xlabel="epoch", ylabel="binary cross-entropy", yscale="log", title="training loss")
    ax_loss.grid(alpha=0.3)
    grid = np.linspace(-0.25, 1.25, 121)
    g1, g2 = np.meshgrid(grid, grid)
    with minigrad.no_grad():
        p = model(minigrad.tensor(np.stack([g1.ravel(), g2.ravel()], axis=1))).numpy().reshape(g1.shape)
    image = ax_map.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    fig.colorbar(image, ax=ax_map, label="p(XOR = 1)")
    ax_map.scatter(X[y == 1, 0], X[y == 1, 1], s=90, c="k", label="XOR = 1")
    ax_map.scatter(X[y == 0, 0], X[y == 0, 1], s=90, c="white", edgecolors="k", label="XOR = 0")
    ax_map.set(xlabel="$x_1$", ylabel="$x_2$", title="learned function (dots: black 1, white 0)", aspect="equal")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    args, out = parse_args("xor_mlp", __doc__.splitlines()[0], "a shorter run for CI (still converges)")
    minigrad.manual_seed(SEED)  # the initial weights
    epochs = QUICK_EPOCHS if args.quick else EPOCHS

    X, y = logic_gate("xor")
    x, t = minigrad.tensor(X), minigrad.tensor(y.reshape(-1, 1).astype(X.dtype))
    x.name, t.name = "x (truth table)", "t (targets)"
    model = XorNet()
    losses = train(model, x, t, epochs)

    with minigrad.no_grad():
        p = model(x).numpy().ravel()
    predicted = (p > 0.5).astype(int)
    print(f"2-4-1 sigmoid network, {epochs} epochs of gradient descent (lr = {LEARNING_RATE}): "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    print("  x1 x2  target  p(XOR=1)  predicted")
    for (x1, x2), target, prob, guess in zip(X, y, p, predicted):
        mark = "ok" if guess == target else "WRONG"
        print(f"   {int(x1)}  {int(x2)}     {target}     {prob:.4f}       {guess}   {mark}")

    plot_path = out / "curves.png"
    plot(losses, model, X, y, plot_path)
    graph_path = save_graph(nn.BCELoss()(model(x), t), out / "graph", params=dict(model.named_parameters()))
    print(f"wrote {plot_path} (loss curve and learned function)")
    print(f"wrote {graph_path} (computation graph of the loss)")
    print(f"RESULT correct={int(np.sum(predicted == y))}")
    print(f"RESULT final_loss={losses[-1]:.6f}")
    print(f"RESULT epochs={epochs}")


if __name__ == "__main__":
    main()
