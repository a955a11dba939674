"""A gallery of every activation in minigrad.nn.functional with f, f' and f'' computed by autodiff, and a
check of derivative formulas stated in the source articles.

For each activation the first and second derivatives come from ``minigrad.grad(..., create_graph=True)``
applied twice, never from a hand-written formula. The same autodiff results are then put beside formulas
as the articles state them, on a grid of points, and each formula is marked as agreeing or not:

* stated wrongly in the articles: sigmoid' = 1 - sigmoid, swish(x) = x / (1 - e^-x) (compared against
  swish itself), ELU'(x) = x for x >= 0;
* stated rightly: sigmoid' = sigmoid (1 - sigmoid), tanh' = 1 - tanh^2, softplus' = sigmoid.

Softmax and log-softmax are left out of the figure: they act on a whole vector, not on each number.

    python examples/activation_gallery.py
    python examples/activation_gallery.py --quick
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")  # headless: write image files, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from common import parse_args  # noqa: E402

TOLERANCE = 1e-6  # autodiff in float64 is exact to ~1e-15; a right formula lands far below this


def _prelu(x):
    return F.prelu(x, minigrad.tensor(0.25, dtype=x.dtype))


# (panel title, function); parameters chosen so that each shape is visible on [-4, 4].
ACTIVATIONS: List[Tuple[str, Callable]] = [
    ("step", F.step),
    ("sign", F.sign),
    ("identity", F.identity),
    ("linear (a = 0.5)", lambda x: F.linear(x, a=0.5)),
    ("sigmoid", F.sigmoid),
    ("tanh", F.tanh),
    ("relu", F.relu),
    ("leaky_relu (slope 0.1)", lambda x: F.leaky_relu(x, negative_slope=0.1)),
    ("prelu (weight 0.25)", _prelu),
    ("rrelu (eval mode)", F.rrelu),
    ("elu", F.elu),
    ("selu", F.selu),
    ("softplus", F.softplus),
    ("silu", F.silu),
    ("swish (beta = 2)", lambda x: F.swish(x, beta=2.0)),
    ("gelu", F.gelu),
    ("gelu (tanh approx.)", lambda x: F.gelu(x, approximate="tanh")),
    ("mish", F.mish),
    ("hardtanh", F.hardtanh),
    ("hardsigmoid", F.hardsigmoid),
    ("softsign", F.softsign),
]


def elementwise_grad(y, x, create_graph: bool = False):
    """dy_i/dx_i for an elementwise y = f(x): the gradient of sum(y); zeros where y does not depend on x."""
    if not y.requires_grad:
        return minigrad.zeros_like(x)
    (g,) = minigrad.grad(y.sum(), x, create_graph=create_graph, allow_unused=True)
    return minigrad.zeros_like(x) if g is None else g


def with_derivatives(f: Callable, grid: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f, f' and f'' on the grid: f' by autodiff (recorded), f'' by differentiating f' again."""
    x = minigrad.tensor(grid, requires_grad=True)
    y = f(x)
    d1 = elementwise_grad(y, x, create_graph=True)
    d2 = elementwise_grad(d1, x)
    return y.numpy(), d1.numpy(), d2.numpy()


def check_claims(grid: np.ndarray) -> List[Dict]:
    """Each formula as stated in the articles, beside what minigrad computes, on the grid (x = 0 excluded)."""
    sig = 1 / (1 + np.exp(-grid))
    th = np.tanh(grid)
    _, sigmoid_d, _ = with_derivatives(F.sigmoid, grid)
    _, tanh_d, _ = with_derivatives(F.tanh, grid)
    _, softplus_d, _ = with_derivatives(F.softplus, grid)
    _, elu_d, _ = with_derivatives(F.elu, grid)
    swish, _, _ = with_derivatives(F.swish, grid)
    positive = grid >= 0
    claims = [  # key, formula as stated, what it is compared with, stated values, minigrad's values, where
        ("sigmoid_d_is_1_minus_sigmoid", "sigmoid'(x) = 1 - sigmoid(x)", "autodiff sigmoid'",
         1 - sig, sigmoid_d, None),
        ("sigmoid_d_is_sigmoid_times_1_minus_sigmoid", "sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))",
         "autodiff sigmoid'", sig * (1 - sig), sigmoid_d, None),
        ("tanh_d_is_1_minus_tanh_squared", "tanh'(x) = 1 - tanh(x)^2", "autodiff tanh'", 1 - th ** 2, tanh_d, None),
        ("softplus_d_is_sigmoid", "softplus'(x) = sigmoid(x)", "autodiff softplus'", sig, softplus_d, None),
        ("swish_is_x_over_1_minus_exp", "swish(x) = x / (1 - e^-x)", "F.swish itself",
         grid / (1 - np.exp(-grid)), swish, None),  # 0/0 at x = 0: the grid leaves 0 out
        ("elu_d_is_x_for_x_ge_0", "ELU'(x) = x for x >= 0", "autodiff ELU' on x >= 0", grid, elu_d, positive),
    ]
    rows = []
    for key, formula, against, stated, computed, where in claims:
        diff = np.abs(stated - computed) if where is None else np.abs(stated - computed)[where]
        worst = float(np.max(diff))
        rows.append(dict(key=key, formula=formula, against=against, max_diff=worst, agrees=worst <= TOLERANCE))
    return rows


def print_claims(rows: List[Dict], n_points: int) -> None:
    """The claims as a Markdown table: formula, what it was compared with, max |difference|, agree?"""
    print(f"Formulas as stated in the articles vs minigrad's autodiff, on {n_points} points of [-4, 4] "
          "(x = 0 excluded)")
    print("| formula as stated | compared with | max abs difference | agrees |")
    print("| --- | --- | ---: | :---: |")
    for r in rows:
        print(f"| {r['formula']} | {r['against']} | {r['max_diff']:.2e} | {'✓' if r['agrees'] else '✗'} |")


def plot_gallery(grid: np.ndarray, path: Path, dpi: int) -> None:
    """One panel per activation: f solid, f' dashed, f'' dotted, all from minigrad."""
    cols = 6
    rows = -(-(len(ACTIVATIONS) + 1) // cols)  # one spare panel for the legend
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 1.9 * rows), sharex=True)
    axes = axes.ravel()
    for ax, (title, f) in zip(axes, ACTIVATIONS):
        y, d1, d2 = with_derivatives(f, grid)
        ax.axhline(0, color="0.85", lw=0.8)
        ax.axvline(0, color="0.85", lw=0.8)
        ax.plot(grid, y, color="tab:blue", lw=1.6)
        ax.plot(grid, d1, color="tab:orange", lw=1.2, ls="--")
        ax.plot(grid, d2, color="tab:green", lw=1.0, ls=":")
        ax.set_ylim(-2.2, 3.2)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
    legend_ax = axes[len(ACTIVATIONS)]
    for color, style, label in [("tab:blue", "-", "f(x)"), ("tab:orange", "--", "f'(x), autodiff"),
                                ("tab:green", ":", "f''(x), autodiff twice")]:
        legend_ax.plot([], [], color=color, ls=style, label=label)
    legend_ax.legend(loc="center", frameon=False, fontsize=9)
    for ax in axes[len(ACTIVATIONS):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def main() -> None:
    args, out = parse_args("activation_gallery", __doc__.splitlines()[0], "a coarser grid and a smaller picture (CI)")
    minigrad.manual_seed(0)  # nothing is random in eval mode; seeded anyway, like every example

    n_points = 100 if args.quick else 400
    grid = np.linspace(-4.0, 4.0, n_points)  # float64; an even count of points never lands on x = 0
    assert not np.any(grid == 0.0), "the grid must leave out x = 0 (the stated swish formula divides 0 by 0)"

    rows = check_claims(grid)
    print_claims(rows, n_points)
    plot_path = out / "gallery.png"
    plot_gallery(grid, plot_path, dpi=60 if args.quick else 75)
    print(f"\nwrote {plot_path} ({len(ACTIVATIONS)} activations: f, f', f'')")
    print(f"RESULT panels={','.join(title.split()[0] for title, _ in ACTIVATIONS)}")
    for r in rows:
        print(f"RESULT claim_{r['key']}={'agrees' if r['agrees'] else 'disagrees'}")


if __name__ == "__main__":
    main()
