"""Perceptrons as logic gates: the book's hand-set AND, NAND and OR, the perceptron learning rule, and XOR.

Reproduces chapter 2 of "Deep Learning from Scratch" with minigrad tensors and ``F.step``:

1. AND (w = (0.5, 0.5), b = -0.7), NAND (w = (-0.5, -0.5), b = 0.7) and OR (w = (0.5, 0.5), b = -0.2)
   as single perceptrons y = step(x . w + b), checked against their truth tables;
2. Rosenblatt's learning rule (w += lr (t - y) x, b += lr (t - y)) learning AND, NAND and OR from the
   truth tables, and the same rule failing on XOR, whose points no single line separates;
3. XOR as a two-layer perceptron: AND(NAND(x), OR(x));
4. a figure (PNG) with the learned decision lines over the truth-table points, and XOR's points with the
   two lines (NAND, OR) that together solve it.

    python examples/perceptron_gates.py
    python examples/perceptron_gates.py --quick
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Tuple

import matplotlib

matplotlib.use("Agg")  # headless: write image files, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad.data import logic_gate  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from common import parse_args  # noqa: E402

HAND_SET: Dict[str, Tuple[Tuple[float, float], float]] = {
    "AND": ((0.5, 0.5), -0.7),
    "NAND": ((-0.5, -0.5), 0.7),
    "OR": ((0.5, 0.5), -0.2),
}
LEARNING_RATE = 0.1
SEED = 0
EPOCHS = 100  # the most epochs the learning rule gets (XOR uses them all)
QUICK_EPOCHS = 20


def perceptron(x, w, b):
    """y = step(x . w + b): 1 when the weighted sum of the inputs exceeds the threshold -b, else 0."""
    return F.step(x @ w + b)


def hand_set(gate: str):
    """The book's weights for `gate` as tensors (w, b)."""
    w, b = HAND_SET[gate]
    return minigrad.tensor(w), minigrad.tensor(b)


def xor(x):
    """XOR as a two-layer perceptron: AND(NAND(x), OR(x))."""
    s1 = perceptron(x, *hand_set("NAND"))
    s2 = perceptron(x, *hand_set("OR"))
    return perceptron(minigrad.stack([s1, s2], axis=1), *hand_set("AND"))


def count_correct(w, b, X, y) -> int:
    """How many truth-table rows the perceptron (w, b) gets right."""
    return int(np.sum(perceptron(minigrad.tensor(X), w, b).numpy() == y))


def learn(X: np.ndarray, y: np.ndarray, max_epochs: int, seed: int) -> dict:
    """Rosenblatt's rule from small random weights, one row at a time: w += lr (t - y) x, b += lr (t - y).

    Stops after the first epoch without a mistake (the rule has converged); returns the final weights,
    the epochs used, whether it converged, and the best number of rows any epoch's weights got right.
    """
    start = minigrad.rng.generator(seed).uniform(-0.5, 0.5, size=3)
    w, b = minigrad.tensor(start[:2].tolist()), minigrad.tensor(float(start[2]))
    best = 0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for x_row, target in zip(minigrad.tensor(X), y):
            error = float(target) - perceptron(x_row, w, b).item()
            if error != 0.0:
                w = w + LEARNING_RATE * error * x_row
                b = b + LEARNING_RATE * error
                mistakes += 1
        best = max(best, count_correct(w, b, X, y))
        if mistakes == 0:
            return dict(w=w, b=b, epochs=epoch, converged=True, best=best)
    return dict(w=w, b=b, epochs=max_epochs, converged=False, best=best)


def truth_table(name: str, X: np.ndarray, outputs: np.ndarray, targets: np.ndarray) -> None:
    """Print x1, x2, the perceptron's output and the expected one."""
    rows = "  ".join(f"{int(a)}{int(c)}->{int(o)}" for (a, c), o in zip(X, outputs))
    verdict = "matches" if np.array_equal(outputs, targets) else "DOES NOT match"
    print(f"  {name:5s} {rows}   ({verdict} the truth table)")


def draw_line(ax, w, b, **style) -> None:
    """The decision line w . x + b = 0 (nothing when w = 0: the perceptron is constant)."""
    w, b = np.asarray(w, dtype=float), float(b)
    if not np.any(w):
        return
    grid = np.linspace(-0.5, 1.5, 201)
    x1, x2 = np.meshgrid(grid, grid)
    ax.contour(x1, x2, w[0] * x1 + w[1] * x2 + b, levels=[0.0], **style)


def draw_points(ax, X: np.ndarray, y: np.ndarray) -> None:
    """Truth-table points: filled for output 1, hollow for output 0."""
    ax.scatter(X[y == 1, 0], X[y == 1, 1], s=90, c="k", zorder=3, label="output 1")
    ax.scatter(X[y == 0, 0], X[y == 0, 1], s=90, facecolors="white", edgecolors="k", zorder=3, label="output 0")


def plot_gates(learned: dict, path: Path) -> None:
    """Four panels: the learned AND, NAND, OR lines (hand-set lines dashed), and XOR's points."""
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.6))
    for ax, gate in zip(axes, ["AND", "NAND", "OR"]):
        X, y = logic_gate(gate.lower())
        result = learned[gate]
        draw_line(ax, result["w"].numpy(), result["b"].item(), colors="tab:blue")
        draw_line(ax, *HAND_SET[gate], colors="grey", linestyles="dashed")
        draw_points(ax, X, y)
        ax.set_title(f"{gate}: learned in {result['epochs']} epochs")
    X, y = logic_gate("xor")
    ax = axes[3]
    draw_line(ax, *HAND_SET["NAND"], colors="tab:orange")
    draw_line(ax, *HAND_SET["OR"], colors="tab:green")
    draw_line(ax, learned["XOR"]["w"].numpy(), learned["XOR"]["b"].item(), colors="tab:red", linestyles="dotted")
    draw_points(ax, X, y)
    ax.set_title("XOR: no single line works")
    for ax in axes:
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    legend = {  # contour lines have no legend labels: one proxy line per meaning
        "learned line": dict(color="tab:blue"),
        "book's hand-set line": dict(color="grey", linestyle="dashed"),
        "XOR: NAND line": dict(color="tab:orange"),
        "XOR: OR line (XOR = AND of both)": dict(color="tab:green"),
        "XOR: last line of one perceptron": dict(color="tab:red", linestyle="dotted"),
    }
    handles = [plt.Line2D([], [], **style) for style in legend.values()]
    handles += [plt.Line2D([], [], marker="o", color="k", linestyle=""),
                plt.Line2D([], [], marker="o", markerfacecolor="white", color="k", linestyle="")]
    labels = list(legend) + ["output 1", "output 0"]
    fig.legend(handles, labels, loc="lower center", ncol=7, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    args, out = parse_args("perceptron_gates", __doc__.splitlines()[0], "a tiny run for CI (fewer epochs for XOR)")
    minigrad.manual_seed(SEED)
    max_epochs = QUICK_EPOCHS if args.quick else EPOCHS

    print("1. hand-set perceptrons, y = step(x . w + b)  (inputs x1 x2 -> output)")
    hand_correct = {}
    for gate in HAND_SET:
        X, y = logic_gate(gate.lower())
        outputs = perceptron(minigrad.tensor(X), *hand_set(gate)).numpy().astype(int)
        truth_table(gate, X, outputs, y)
        hand_correct[gate] = int(np.sum(outputs == y))

    print(f"\n2. the perceptron learning rule (lr = {LEARNING_RATE}, random start, at most {max_epochs} epochs)")
    learned = {}
    for gate in ["AND", "NAND", "OR", "XOR"]:
        X, y = logic_gate(gate.lower())
        result = learned[gate] = learn(X, y, max_epochs, seed=SEED)
        w, b = result["w"].numpy(), result["b"].item()
        if result["converged"]:
            print(f"  {gate:5s} learned in {result['epochs']} epochs: w = ({w[0]:+.2f}, {w[1]:+.2f}), b = {b:+.2f}")
        else:
            print(f"  {gate:5s} NOT learned after {result['epochs']} epochs (best: {result['best']}/4 rows right): "
                  "no single line separates XOR's outputs")

    print("\n3. XOR as a two-layer perceptron, AND(NAND(x), OR(x))")
    X, y = logic_gate("xor")
    xor_outputs = xor(minigrad.tensor(X)).numpy().astype(int)
    truth_table("XOR", X, xor_outputs, y)

    plot_path = out / "decision_lines.png"
    plot_gates(learned, plot_path)
    print(f"\nwrote {plot_path} (decision lines)")
    for gate, correct in hand_correct.items():
        print(f"RESULT hand_set_{gate.lower()}_correct={correct}")
    for gate in ["AND", "NAND", "OR"]:
        result = learned[gate]
        correct = count_correct(result["w"], result["b"], *logic_gate(gate.lower()))
        print(f"RESULT learned_{gate.lower()}_epochs={result['epochs']}")
        print(f"RESULT learned_{gate.lower()}_correct={correct}")
    print(f"RESULT xor_single_perceptron={'learned' if learned['XOR']['converged'] else 'failed'}")
    print(f"RESULT xor_epochs_tried={learned['XOR']['epochs']}")
    print(f"RESULT xor_best_correct={learned['XOR']['best']}")
    print(f"RESULT xor_two_layer_correct={int(np.sum(xor_outputs == y))}")


if __name__ == "__main__":
    main()
