"""Draw the graph of one training step of a small MLP (2-4-1, tanh, MSE loss) into docs/mlp_graph.svg.

Run from the repository root: `python3 docs/make_graph_image.py [output path]`. Needs Graphviz's `dot`.
The picture shows the forward ops boxed per layer, parameters named by `named_parameters()`, data
and gradient values (after backward) in the labels, and full details in each node's tooltip.
"""
from __future__ import annotations

import os
import sys

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.viz import render_graph, trace_modules


class _Dense(nn.Module):
    """y = x @ W + b: stands in for nn.Linear where that layer is not available."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(mg.randn(n_in, n_out) * float(np.sqrt(1.0 / n_in)))
        self.bias = nn.Parameter(mg.zeros(n_out))

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return x @ self.weight + self.bias


class MLP(nn.Module):
    """2 -> 4 -> 1 with a tanh hidden layer."""

    def __init__(self) -> None:
        super().__init__()
        dense = getattr(nn, "Linear", _Dense)
        self.hidden = dense(2, 4)
        self.out = dense(4, 1)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return self.out(self.hidden(x).tanh())


def main(path: str) -> str:
    """Build the model, run forward + backward on the XOR inputs, render the graph; return the file."""
    mg.manual_seed(0)
    model = MLP()
    x = mg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    x.name = "x (XOR inputs)"
    y = mg.tensor([[0.0], [1.0], [1.0], [0.0]])
    y.name = "y (targets)"
    with trace_modules(model) as tracer:
        pred = model(x)
    loss = ((pred - y) ** 2).mean()
    loss.name = "loss"
    loss.backward()
    return render_graph(loss, path=path, format="svg", show_data=True, show_grad=True,
                        params=dict(model.named_parameters()), clusters=tracer)


if __name__ == "__main__":
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp_graph.svg")
    print(main(sys.argv[1] if len(sys.argv) > 1 else default))
