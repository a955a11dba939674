"""The floor: each benchmark model written by hand in numpy with a manual backward, textbook style.

Layers have `forward` and `backward` and keep what backward needs (the layer-object style of
"Deep Learning from Scratch"); a net is a list of layers plus a loss layer. Nothing here knows about
minigrad or PyTorch: this is the reference the frameworks are measured against, so every layer
does the cheapest numpy that computes the same math as the frameworks (one deviation from the
book, for speed: the first Affine layer skips the gradient of its input, which no one needs).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np


# ----------------------------------------------------------------------------------------- layers

class Affine:
    """y = x @ W + b; backward: dW = xᵀ·dy, db = Σ_rows dy, dx = dy·Wᵀ."""

    def __init__(self, W: np.ndarray, b: np.ndarray, input_grad: bool = True) -> None:
        self.W, self.b = W, b
        self.input_grad = input_grad
        self.x: Optional[np.ndarray] = None
        self.dW: Optional[np.ndarray] = None
        self.db: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> Optional[np.ndarray]:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T if self.input_grad else None


class Sigmoid:
    """y = 1 / (1 + e^−x); backward: dx = dy · y · (1 − y)."""

    def __init__(self) -> None:
        self.out: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1 - self.out) * self.out


class Relu:
    """y = max(x, 0); backward: dx = dy where x > 0, else 0 (relu'(0) = 0)."""

    def __init__(self) -> None:
        self.mask: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask


class SoftmaxWithLoss:
    """Mean cross-entropy of softmax(x) against class indices t; backward: dx = (softmax(x) − onehot(t)) / N."""

    def __init__(self) -> None:
        self.p: Optional[np.ndarray] = None
        self.t: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        shifted = x - x.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.p, self.t = np.exp(log_p), t
        return -log_p[np.arange(len(t)), t].mean()

    def backward(self, dout: float = 1.0) -> np.ndarray:
        n = len(self.t)
        dx = self.p.copy()
        dx[np.arange(n), self.t] -= 1
        dx *= dout / n
        return dx


class HingeLoss:
    """mean(max(0, 1 − y·s)) for labels y in {−1, +1}; backward: ds = −y·[1 − y·s > 0] / N."""

    def __init__(self) -> None:
        self.active: Optional[np.ndarray] = None
        self.y: Optional[np.ndarray] = None

    def forward(self, s: np.ndarray, y: np.ndarray) -> float:
        margin = 1 - y * s
        self.active, self.y = margin > 0, y
        return np.maximum(margin, 0).mean()

    def backward(self, dout: float = 1.0) -> np.ndarray:
        return self.y * self.active * (-dout / self.y.size)


# ----------------------------------------------------------------------------------------- nets

class MLP:
    """Affine → activation → … → Affine, then a loss layer; params named W1, b1, W2, b2, …

    `params` maps those names to arrays that the net owns and updates in place.
    `l2` adds l2 · Σ‖W‖² over the weight matrices (not the biases) to the loss.
    """

    def __init__(self, params: Dict[str, np.ndarray], activation: type, loss: type, l2: float = 0.0) -> None:
        self.params = params
        n = len(params) // 2
        self.layers: List = []
        for i in range(1, n + 1):
            self.layers.append(Affine(params[f"W{i}"], params[f"b{i}"], input_grad=i > 1))
            if i < n:
                self.layers.append(activation())
        self.loss_layer = loss()
        self.l2 = l2
        self.grads: Dict[str, np.ndarray] = {}

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        for layer in self.layers:
            x = layer.forward(x)
        value = self.loss_layer.forward(x, t)
        if self.l2:
            value = value + self.l2 * sum((W * W).sum() for k, W in self.params.items() if k[0] == "W")
        return value

    def gradient(self, x: np.ndarray, t: np.ndarray) -> float:
        """Forward, then backward through the layers in reverse; fills `self.grads`, returns the loss."""
        value = self.loss(x, t)
        d = self.loss_layer.backward(1.0)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        i = 1
        for layer in self.layers:
            if isinstance(layer, Affine):
                dW = layer.dW + (2 * self.l2) * layer.W if self.l2 else layer.dW
                self.grads[f"W{i}"], self.grads[f"b{i}"] = dW, layer.db
                i += 1
        return value

    def sgd_step(self, x: np.ndarray, t: np.ndarray, lr: float) -> float:
        """One training step: forward, backward, p −= lr·∂L/∂p in place."""
        value = self.gradient(x, t)
        for k, p in self.params.items():
            p -= lr * self.grads[k]
        return value


def two_layer_hvp_W1(params: Dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, V: np.ndarray) -> np.ndarray:
    """H·V for the sigmoid two-layer net's loss with respect to W1, by hand (Pearlmutter's R-operator).

    Forward:  a = xW1 + b1, z = σ(a), o = zW2 + b2, p = softmax(o), L = mean CE.
    Backward: do = (p − T)/N, dz = do·W2ᵀ, da = dz·z(1 − z), ∂L/∂W1 = xᵀ·da.
    R-pass (directional derivative along W1 → W1 + εV): R(a) = xV, R(z) = z(1 − z)·R(a),
    R(o) = R(z)·W2, R(do) = p·(R(o) − Σ_j p·R(o))/N, R(dz) = R(do)·W2ᵀ,
    R(da) = R(dz)·z(1 − z) + dz·(1 − 2z)·R(z), and H·V = R(∂L/∂W1) = xᵀ·R(da).
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = len(t)
    z = 1 / (1 + np.exp(-(x @ W1 + b1)))
    o = z @ W2 + b2
    p = np.exp(o - o.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    do = p.copy()
    do[np.arange(n), t] -= 1
    do /= n
    dz = do @ W2.T
    s = z * (1 - z)
    Rz = s * (x @ V)
    Ro = Rz @ W2
    Rdo = p * (Ro - (p * Ro).sum(axis=1, keepdims=True)) / n
    Rda = (Rdo @ W2.T) * s + dz * (1 - 2 * z) * Rz
    return x.T @ Rda


# ----------------------------------------------------------------------------------------- convnet (W7)

def im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The textbook's im2col: (N, C, H, W) -> (N·OH·OW, C·FH·FW), rows (n, oh, ow), columns (c, fh, fw).
    Written with numpy's cheapest means rather than the book's loop: the windows as one strided view of the
    (padded) image, copied once into the row layout."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    s_n, s_c, s_h, s_w = x.strides
    windows = np.lib.stride_tricks.as_strided(x, (n, oh, ow, c, fh, fw),
                                              (s_n, s_h * stride, s_w * stride, s_c, s_h, s_w), writeable=False)
    col = np.empty((n * oh * ow, c * fh * fw), dtype=x.dtype)
    col.reshape(n, oh, ow, c, fh, fw)[...] = windows
    return col


def col2im(col: np.ndarray, shape: tuple, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The textbook's col2im (im2col's transpose): add each row back into its window of a zero image."""
    n, c, h, w = shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    windows = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    for i in range(fh):
        for j in range(fw):
            img[:, :, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride] += windows[:, :, i, j]
    return img[:, :, pad:pad + h, pad:pad + w]


class Convolution:
    """The textbook's Convolution: y = im2col(x) @ W.reshape(FN, −1)ᵀ + b, back to (N, FN, OH, OW);
    backward: db = Σ dy, dW = colᵀ·dy, dx = col2im(dy·W)."""

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0, input_grad: bool = True) -> None:
        self.W, self.b, self.stride, self.pad, self.input_grad = W, b, stride, pad, input_grad
        self.x_shape: tuple = ()
        self.col: Optional[np.ndarray] = None
        self.col_W: Optional[np.ndarray] = None
        self.dW: Optional[np.ndarray] = None
        self.db: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        fn, _, fh, fw = self.W.shape
        n, _, h, w = x.shape
        oh, ow = (h + 2 * self.pad - fh) // self.stride + 1, (w + 2 * self.pad - fw) // self.stride + 1
        self.x_shape = x.shape
        self.col = im2col(x, fh, fw, self.stride, self.pad)
        self.col_W = self.W.reshape(fn, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(n, oh, ow, fn).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> Optional[np.ndarray]:
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).T.reshape(fn, c, fh, fw)
        if not self.input_grad:
            return None
        return col2im(dout @ self.col_W.T, self.x_shape, fh, fw, self.stride, self.pad)


class Pooling:
    """The textbook's max Pooling: the max of each window's row of im2col; backward sends dy to the argmax."""

    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> None:
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.x_shape: tuple = ()
        self.arg_max: Optional[np.ndarray] = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        oh, ow = (h - self.pool_h) // self.stride + 1, (w - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.x_shape = x.shape
        self.arg_max = np.argmax(col, axis=1)
        out = col[np.arange(len(col)), self.arg_max]
        return out.reshape(n, oh, ow, c).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = dout.transpose(0, 2, 3, 1)
        size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.reshape(-1)
        dcol = dmax.reshape(-1, self.x_shape[1] * size)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


class OffsetPooling:
    """Max pooling without im2col (not the book's; for comparison with minigrad's max_pool2d, which works this
    way): the maximum of the KH·KW strided views of x, one per kernel offset; backward sends dy to each window's
    maximum, split evenly among ties. Stride = kernel size, no padding."""

    def __init__(self, pool_h: int, pool_w: int) -> None:
        self.pool_h, self.pool_w = pool_h, pool_w
        self.x: Optional[np.ndarray] = None
        self.y: Optional[np.ndarray] = None

    def _views(self, a: np.ndarray) -> list:
        ph, pw = self.pool_h, self.pool_w
        oh, ow = a.shape[2] // ph, a.shape[3] // pw
        return [a[:, :, i:i + ph * (oh - 1) + 1:ph, j:j + pw * (ow - 1) + 1:pw] for i in range(ph) for j in range(pw)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        views = self._views(x)
        y = views[0].copy(order="K")
        for v in views[1:]:
            np.maximum(y, v, out=y)
        self.x, self.y = x, y
        return y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        hits = [v == self.y for v in self._views(self.x)]
        ties = hits[0].astype(dout.dtype)
        for hit in hits[1:]:
            ties += hit
        share = np.empty_like(self.y)
        share[...] = dout  # in the layout of x's views
        share /= ties
        dx = np.zeros_like(self.x)
        for view, hit in zip(self._views(dx), hits):
            np.multiply(share, hit, out=view)
        return dx


class Flatten:
    """(N, C, H, W) -> (N, C·H·W), and back."""

    def __init__(self) -> None:
        self.shape: tuple = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self.shape)


class SimpleConvNet:
    """The textbook's SimpleConvNet: Convolution → Relu → Pooling(2×2, stride 2) → Affine → Relu → Affine,
    softmax cross-entropy; params W1 (FN, C, FH, FW), b1, W2 (FN·PH·PW, hidden), b2, W3, b3 (owned, updated in
    place). The first Convolution skips the input gradient, as the MLP's first Affine does. `pooling="offsets"`
    swaps the book's Pooling for OffsetPooling."""

    def __init__(self, params: Dict[str, np.ndarray], pooling: str = "im2col") -> None:
        self.params = params
        pool = OffsetPooling(2, 2) if pooling == "offsets" else Pooling(2, 2, stride=2)
        self.layers: List = [Convolution(params["W1"], params["b1"], input_grad=False), Relu(), pool,
                             Flatten(), Affine(params["W2"], params["b2"]), Relu(), Affine(params["W3"], params["b3"])]
        self.loss_layer = SoftmaxWithLoss()
        self.grads: Dict[str, np.ndarray] = {}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> float:
        """Forward, loss, backward through the layers in reverse; fills `self.grads`, returns the loss."""
        for layer in self.layers:
            x = layer.forward(x)
        value = self.loss_layer.forward(x, t)
        d = self.loss_layer.backward(1.0)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        conv, fc1, fc2 = self.layers[0], self.layers[4], self.layers[6]
        for i, layer in enumerate((conv, fc1, fc2), start=1):
            self.grads[f"W{i}"], self.grads[f"b{i}"] = layer.dW, layer.db
        return value


class Adam:
    """Adam as PyTorch (and minigrad.optim.Adam) write it, in place: m = β1·m + (1 − β1)·g,
    v = β2·v + (1 − β2)·g², p −= lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + eps)."""

    def __init__(self, params: Dict[str, np.ndarray], lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.eps = params, lr, eps
        self.b1, self.b2 = betas
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads: Dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.b1, self.b2
        step_size = self.lr / (1.0 - b1 ** self.t)
        root_bc2 = np.sqrt(1.0 - b2 ** self.t)
        for k, p in self.params.items():
            g, m, v = grads[k], self.m[k], self.v[k]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= root_bc2
            denom += self.eps
            p -= step_size * (m / denom)


# ----------------------------------------------------------------------------------------- chains

def tanh_chain_grad(x: np.ndarray, steps: int, scale: float = 1.01, shift: float = 0.1) -> tuple:
    """(x_n, d Σ x_n / d x_0) for x_{k+1} = tanh(scale·x_k + shift): keep each output, then g ← g·(1 − y²)·scale backwards."""
    outs = []
    for _ in range(steps):
        x = np.tanh(x * scale + shift)
        outs.append(x)
    x.sum()
    g = np.ones_like(x)
    for y in reversed(outs):
        g = g * (1 - y * y) * scale
    return x, g


def affine_chain_grad(x: np.ndarray, steps: int, scale: float = 1.0001, shift: float = 0.0001) -> np.ndarray:
    """d x_n / d x_0 for x_{k+1} = x_k·scale + shift: the forward, then g ← g·scale once per line backwards."""
    for _ in range(steps):
        x = x * scale + shift
    g = np.ones_like(x)
    for _ in range(steps):
        g = g * scale
    return g
