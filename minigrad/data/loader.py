"""DataLoader: mini-batches of tensors from arrays that share their first axis."""
from __future__ import annotations

from typing import Any, Iterator, Optional, Tuple

import numpy as np

from .. import rng
from ..tensor import Tensor, _wrap, as_array


class DataLoader:
    """Iterate over `arrays` in mini-batches of `batch_size` rows, yielding a tuple of tensors per batch.

    Every array (ndarray, Tensor or nested list) must have the same length along axis 0; batch i holds
    rows [i*batch_size, (i+1)*batch_size) of each. Batches never require grad and keep the arrays'
    dtypes (float64 stays float64, int labels stay int). Without shuffling a batch is a read-only view
    of the input (no copy); with `shuffle=True` a new permutation is drawn at the start of every epoch
    (each `iter()`), from a generator seeded once with `seed`, so the sequence of epochs repeats across
    runs; `seed=None` draws from minigrad's shared generator (see `minigrad.manual_seed`).
    `drop_last=True` skips a final batch smaller than `batch_size`.
    """

    def __init__(self, *arrays: Any, batch_size: int = 32, shuffle: bool = False, drop_last: bool = False,
                 seed: Optional[int] = None) -> None:
        if not arrays:
            raise ValueError("DataLoader: expected at least one array")
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.arrays = tuple(as_array(a, copy=False) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"DataLoader: array {i} is a scalar (shape ()); expected at least one axis")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            raise ValueError(f"DataLoader: arrays must have the same length along axis 0, got lengths {lengths}")
        self.num_samples = lengths[0]
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        # One generator for the loader's lifetime: each epoch continues its stream, so epochs differ
        # from one another yet the whole sequence is fixed by the seed.
        self._rng = None if seed is None else rng.generator(seed)

    def __len__(self) -> int:
        """Number of batches per epoch: ceil(N / batch_size), or floor with drop_last."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    def __iter__(self) -> Iterator[Tuple[Tensor, ...]]:
        """One epoch: a tuple of tensors (one per array) for each batch."""
        n, bs = self.num_samples, self.batch_size
        stop = len(self) * bs
        if self.shuffle:
            gen = self._rng if self._rng is not None else rng.generator()
            order = gen.permutation(n)
            for start in range(0, stop, bs):
                idx = order[start:start + bs]
                yield tuple(_readonly(a[idx]) for a in self.arrays)
        else:
            for start in range(0, stop, bs):
                yield tuple(_readonly(a[start:start + bs]) for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, batches={len(self)})")


def _readonly(a: np.ndarray) -> Tensor:
    # A batch may be a view of the caller's data: forbid in-place writes so that editing a batch
    # can never silently edit the dataset.
    a.flags.writeable = False
    return _wrap(a)
