"""Mini-batches: the DataLoader, the Dataset protocol, TensorDataset, Subset and random_split.

A dataset object is anything with `__len__` and `__getitem__(i)` returning one sample as a tuple of
fields (arrays, tensors or numbers), as in PyTorch; `Dataset` is an optional base class. The DataLoader
collates the samples of a batch field by field into stacked tensors. A `TensorDataset` (or a `Subset`
of one, e.g. from `random_split`) is batched by indexing its arrays directly, exactly as
`DataLoader(*arrays)` would.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import rng
from ..tensor import Tensor, _wrap, as_array

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "random_split"]

Index = Union[slice, np.ndarray]


class Dataset:
    """Base class for map-style datasets: override `__len__` and `__getitem__(i)` (one sample, a tuple of fields).

    Subclassing is optional: the DataLoader accepts any object with these two methods.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: __getitem__ is not implemented")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: __len__ is not implemented")


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first axis: `ds[i]` = (t0[i], t1[i], ...).

    The tensors (Tensors, ndarrays or nested lists) are kept without copying; samples and batches are
    read-only views of them that never require grad.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        arrays = []
        for i, t in enumerate(tensors):
            a = as_array(t, copy=False)
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is a scalar (shape ()); expected at least one axis")
            _check_numeric(a.dtype, f"TensorDataset: tensor {i}")
            arrays.append(a)
        sizes = [len(a) for a in arrays]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: tensors must have the same size along axis 0, got sizes {sizes}")
        self._arrays: Tuple[np.ndarray, ...] = tuple(arrays)
        self.tensors: Tuple[Tensor, ...] = tuple(t if isinstance(t, Tensor) else _wrap(a)
                                                 for t, a in zip(tensors, arrays))

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, index: Union[int, slice]) -> Tuple[Tensor, ...]:
        """Sample `index` (negative counts from the end) as a tuple of tensors; a slice gives a batch."""
        if not isinstance(index, slice):
            index = _position(index, len(self), "TensorDataset")
        return tuple(_readonly(np.asarray(a[index])) for a in self._arrays)

    def __repr__(self) -> str:
        return f"TensorDataset({', '.join(str(a.shape) for a in self._arrays)})"


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `subset[i]` = `dataset[indices[i]]`."""

    def __init__(self, dataset: Any, indices: Iterable[int]) -> None:
        n = _dataset_len(dataset, "Subset")
        if isinstance(indices, Tensor):
            indices = indices.data
        idx = indices if isinstance(indices, np.ndarray) else np.asarray(list(indices))
        if idx.size == 0:
            idx = idx.astype(np.int64)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be a 1-D sequence of ints, got {idx.dtype} of shape {idx.shape}")
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise IndexError(f"Subset: index {bad[0]} is out of range for a dataset of {n} samples")
        self.dataset = dataset
        self.indices: np.ndarray = idx.astype(np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Union[int, slice]) -> Any:
        """Sample `index` of the subset; a slice gives a Subset of the same dataset."""
        if isinstance(index, slice):
            return Subset(self.dataset, self.indices[index])
        return self.dataset[int(self.indices[_position(index, len(self), "Subset")])]

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {type(self.dataset).__name__} with {_dataset_len(self.dataset, 'Subset')})"


def random_split(dataset: Any, lengths: Sequence[Union[int, float]], seed: Optional[int] = None) -> List[Subset]:
    """Split `dataset` into non-overlapping random Subsets of the given sizes.

    `lengths` are ints summing to len(dataset), or fractions summing to 1 (each split gets
    floor(fraction * N) samples and the remaining ones go one each to the first splits, as in PyTorch).
    The permutation comes from `minigrad.rng.generator(seed)`: a seed gives the same split every time;
    None uses minigrad's shared generator (see `minigrad.manual_seed`).
    """
    n = _dataset_len(dataset, "random_split")
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise TypeError(f"random_split: lengths must be a list of ints or fractions, got {type(lengths).__name__}")
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    for v in lengths:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"random_split: lengths must be ints or fractions, got {type(v).__name__} {v!r:.40}")
    if all(isinstance(v, (int, np.integer)) for v in lengths):
        counts = [int(v) for v in lengths]
        if min(counts) < 0:
            raise ValueError(f"random_split: lengths must be >= 0, got {counts}")
        if sum(counts) != n:
            raise ValueError(f"random_split: lengths {counts} sum to {sum(counts)}, "
                             f"but the dataset has {n} samples")
    else:
        fractions = [float(v) for v in lengths]
        if not all(0.0 <= f <= 1.0 for f in fractions) or not math.isclose(sum(fractions), 1.0):
            raise ValueError(f"random_split: lengths {lengths} must be ints summing to {n} "
                             "or fractions in [0, 1] summing to 1")
        counts = [math.floor(n * f) for f in fractions]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        empty = [i for i, c in enumerate(counts) if c == 0]
        if empty:
            warnings.warn(f"random_split: split(s) {empty} are empty ({n} samples, fractions {fractions})",
                          UserWarning, stacklevel=2)
    order = rng.generator(seed).permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


class DataLoader:
    """Mini-batches of tensors, from arrays that share their first axis or from one dataset object.

    `DataLoader(*arrays)`: every array (ndarray, Tensor or nested list) has the same length along axis 0;
    batch i holds rows [i*batch_size, (i+1)*batch_size) of each, and the loader yields a tuple of tensors
    per batch. `DataLoader(dataset)`: anything with `__len__` and `__getitem__(i)` returning a tuple of
    fields (arrays, tensors or numbers; a single value counts as one field); each field is stacked across
    the batch (numbers become a 1-d batch array: Python floats in the default float dtype, ints int64),
    and items whose fields differ in number, shape or dtype raise an error naming the items.

    Batches never require grad and keep the data's dtypes. Without shuffling a batch of arrays is a
    read-only view of the input (no copy); with `shuffle=True` a new permutation is drawn at the start
    of every epoch (each `iter()`), from a generator seeded once with `seed`, so the sequence of epochs
    repeats across runs; `seed=None` draws from minigrad's shared generator (see `minigrad.manual_seed`).
    `drop_last=True` skips a final batch smaller than `batch_size`.
    """

    def __init__(self, *arrays: Any, batch_size: int = 32, shuffle: bool = False, drop_last: bool = False,
                 seed: Optional[int] = None) -> None:
        if not arrays:
            raise ValueError("DataLoader: expected at least one array, or one dataset object")
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        datasets = [i for i, a in enumerate(arrays) if _is_dataset(a)]
        self.dataset: Any = None
        self.arrays: Optional[Tuple[np.ndarray, ...]] = None
        if datasets:
            if len(arrays) > 1:
                raise TypeError(f"DataLoader: takes either arrays or one dataset object, got {len(arrays)} "
                                f"arguments of which argument {datasets[0]} is a {type(arrays[datasets[0]]).__name__}")
            self.dataset = arrays[0]
            self.num_samples = _dataset_len(self.dataset, "DataLoader")
            self._fetch = _gatherer(self.dataset) or self._collate
        else:
            self.arrays = self._check_arrays(arrays)
            self.num_samples = len(self.arrays[0])
            self._fetch = self._slice_arrays
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        # One generator for the loader's lifetime: each epoch continues its stream, so epochs differ
        # from one another yet the whole sequence is fixed by the seed.
        self._rng = None if seed is None else rng.generator(seed)

    @staticmethod
    def _check_arrays(arrays: Sequence[Any]) -> Tuple[np.ndarray, ...]:
        out = []
        for i, a in enumerate(arrays):
            if isinstance(a, dict):
                raise TypeError(f"DataLoader: argument {i} is a dict; pass arrays, or one dataset object "
                                "whose __getitem__ takes an int")
            try:
                arr = as_array(a, copy=False)
            except (TypeError, ValueError):
                raise TypeError(f"DataLoader: argument {i} ({type(a).__name__}) cannot be made into one numeric "
                                "array (ragged or non-numeric?); for a list of (x, y) samples use a dataset "
                                "object such as TensorDataset") from None
            _check_numeric(arr.dtype, f"DataLoader: array {i}")
            if arr.ndim == 0:
                raise ValueError(f"DataLoader: array {i} is a scalar (shape ()); expected at least one axis")
            out.append(arr)
        lengths = [len(a) for a in out]
        if len(set(lengths)) > 1:
            raise ValueError(f"DataLoader: arrays must have the same length along axis 0, got lengths {lengths}")
        return tuple(out)

    def __len__(self) -> int:
        """Number of batches per epoch: ceil(N / batch_size), or floor with drop_last."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)

    def __iter__(self) -> Iterator[Tuple[Tensor, ...]]:
        """One epoch: a tuple of tensors (one per array or field) for each batch."""
        n, bs = self.num_samples, self.batch_size
        stop = len(self) * bs
        if self.shuffle:
            gen = self._rng if self._rng is not None else rng.generator()
            order = gen.permutation(n)
            for start in range(0, stop, bs):
                yield tuple(_readonly(a) for a in self._fetch(order[start:start + bs]))
        else:
            for start in range(0, stop, bs):
                yield tuple(_readonly(a) for a in self._fetch(slice(start, min(start + bs, n))))

    def _slice_arrays(self, index: Index) -> Tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def _collate(self, index: Index) -> Tuple[np.ndarray, ...]:
        """Fetch the samples one by one and stack each field across them."""
        rows = range(self.num_samples)[index] if isinstance(index, slice) else index.tolist()
        first = rows[0]
        columns = [[f] for f in _fields(self.dataset[first], first)]
        for i in rows[1:]:
            fields = _fields(self.dataset[i], i)
            if len(fields) != len(columns):
                raise ValueError(f"DataLoader: dataset item {i} has {len(fields)} field(s) but item {first} has "
                                 f"{len(columns)}; every item must be a tuple with the same number of fields")
            for k, (f, column) in enumerate(zip(fields, columns)):
                ref = column[0]
                if f.shape != ref.shape:
                    raise ValueError(f"DataLoader: field {k} of dataset item {i} has shape {f.shape} but item "
                                     f"{first} has shape {ref.shape}; items must have equal shapes to be "
                                     "stacked into a batch")
                if f.dtype != ref.dtype:
                    raise TypeError(f"DataLoader: field {k} of dataset item {i} has dtype {f.dtype} but item "
                                    f"{first} has dtype {ref.dtype}; convert them to one dtype in the dataset")
                column.append(f)
        return tuple(np.stack(column) for column in columns)

    def __repr__(self) -> str:
        source = (type(self.dataset).__name__ + f" of {self.num_samples}" if self.dataset is not None
                  else ", ".join(str(a.shape) for a in self.arrays))
        return (f"DataLoader({source}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, batches={len(self)})")


# --------------------------------------------------------------------- helpers
def _readonly(a: np.ndarray) -> Tensor:
    # A batch may be a view of the caller's data: forbid in-place writes so that editing a batch
    # can never silently edit the dataset.
    a.flags.writeable = False
    return _wrap(a)


def _is_dataset(obj: Any) -> bool:
    """A dataset object rather than array data: indexable and sized, but not an array, tensor or list."""
    if isinstance(obj, (np.ndarray, np.generic, Tensor, list, tuple, dict, str, bytes)) or hasattr(obj, "__array__"):
        return False
    return hasattr(obj, "__len__") and hasattr(obj, "__getitem__")


def _gatherer(dataset: Any) -> Optional[Callable[[Index], Tuple[np.ndarray, ...]]]:
    """Batch by indexing arrays directly when the dataset is a TensorDataset (or a Subset chain over one).

    Measured: a shuffled epoch of TensorDataset(5000x784 float32, labels), batch 64, takes 1.6 ms this way
    and 27 ms through item-by-item collation; unshuffled batches also stay views, as with DataLoader(*arrays).
    """
    if isinstance(dataset, TensorDataset):
        arrays = dataset._arrays
        return lambda index: tuple(a[index] for a in arrays)
    if isinstance(dataset, Subset):
        inner = _gatherer(dataset.dataset)
        if inner is not None:
            indices = dataset.indices
            return lambda index: inner(indices[index])
    return None


def _dataset_len(dataset: Any, where: str) -> int:
    try:
        n = len(dataset)
    except TypeError:
        raise TypeError(f"{where}: expected a dataset with __len__ and __getitem__, "
                        f"got {type(dataset).__name__}") from None
    if not hasattr(dataset, "__getitem__"):
        raise TypeError(f"{where}: the dataset {type(dataset).__name__} has no __getitem__")
    return n


def _position(index: Any, n: int, where: str) -> int:
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{where}: indices must be ints or slices, got {type(index).__name__}")
    if not -n <= index < n:
        raise IndexError(f"{where}: index {index} is out of range for {n} samples")
    return int(index) % n


def _fields(item: Any, i: int) -> List[np.ndarray]:
    """One dataset item as a list of numeric arrays (a tuple or list of fields; anything else is one field)."""
    if isinstance(item, dict):
        raise TypeError(f"DataLoader: dataset item {i} is a dict; return a tuple of fields, e.g. (x, y)")
    values = item if isinstance(item, (tuple, list)) else (item,)
    out = []
    for k, v in enumerate(values):
        where = f"DataLoader: field {k} of dataset item {i}"
        if v is None or isinstance(v, (str, bytes)):
            raise TypeError(f"{where} is {type(v).__name__}; fields must be arrays, tensors or numbers")
        try:
            a = as_array(v, copy=False)
        except (TypeError, ValueError):
            raise TypeError(f"{where} ({type(v).__name__}) cannot be made into one numeric array "
                            "(ragged nested lists?)") from None
        _check_numeric(a.dtype, where)
        out.append(a)
    return out


def _check_numeric(dtype: np.dtype, where: str) -> None:
    if dtype.kind not in "biufc":
        raise TypeError(f"{where} has dtype {dtype}; only numbers can be batched into tensors")
