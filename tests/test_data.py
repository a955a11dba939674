"""minigrad.data: DataLoader batching and shuffling, the synthetic datasets, digits, and the MNIST IDX reader."""
import gzip
import os

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (DataLoader, Dataset, MNISTFormatError, Subset, TensorDataset, load_digits, load_mnist,
                           logic_gate, moons, planar_flower, random_split, spiral)


@pytest.fixture
def default_dtype():
    """Restore the default float dtype after a test that changes it."""
    before = mg.get_default_dtype()
    yield
    mg.set_default_dtype(before)


# ---------------------------------------------------------------- DataLoader

def _data(n=10):
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return X, y


def test_batches_shapes_and_last_batch():
    X, y = _data(10)
    loader = DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert [b[1].shape for b in batches] == [(4,), (4,), (2,)]
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), X)
    np.testing.assert_array_equal(batches[2][1].data, [8, 9])


def test_drop_last():
    X, y = _data(10)
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    batches = list(loader)
    assert len(loader) == 2 == len(batches)
    assert all(b[0].shape == (4, 3) for b in batches)
    shuffled = DataLoader(X, y, batch_size=4, drop_last=True, shuffle=True, seed=0)
    assert [b[1].shape for b in shuffled] == [(4,), (4,)]
    # exact multiple: nothing dropped
    assert len(DataLoader(X, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(X, batch_size=11, drop_last=True)) == 0 == len(list(DataLoader(X, batch_size=11,
                                                                                          drop_last=True)))


def test_yields_tensors_without_grad_keeping_dtypes():
    X, y = _data(6)
    Xt = mg.tensor(X.astype(np.float32), requires_grad=True)
    for xb, yb, x64 in DataLoader(Xt, y, X, batch_size=4):
        assert isinstance(xb, mg.Tensor) and isinstance(yb, mg.Tensor)
        assert not xb.requires_grad and xb.grad_fn is None
        assert xb.dtype == np.float32 and yb.dtype == np.int64 and x64.dtype == np.float64


def test_unshuffled_batches_share_memory_but_are_read_only():
    X, y = _data(8)
    xb, yb = next(iter(DataLoader(X, y, batch_size=4)))
    assert np.shares_memory(xb.data, X)
    with pytest.raises(ValueError):
        xb.data[0, 0] = 99.0
    assert X.flags.writeable  # the caller's array itself stays writable


def test_shuffle_visits_every_sample_once_per_epoch():
    X, y = _data(23)
    loader = DataLoader(X, y, batch_size=5, shuffle=True, seed=3)
    for _ in range(3):
        seen = np.concatenate([yb.data for _, yb in loader])
        assert sorted(seen.tolist()) == list(range(23))
        # rows stay paired across arrays
        for xb, yb in loader:
            np.testing.assert_array_equal(xb.data, X[yb.data])


def test_shuffle_is_seeded_and_differs_across_epochs():
    X, y = _data(50)

    def epochs(loader, k=3):
        return [np.concatenate([yb.data for _, yb in loader]).tolist() for _ in range(k)]

    a = epochs(DataLoader(X, y, batch_size=8, shuffle=True, seed=7))
    b = epochs(DataLoader(X, y, batch_size=8, shuffle=True, seed=7))
    c = epochs(DataLoader(X, y, batch_size=8, shuffle=True, seed=8))
    assert a == b
    assert a[0] != a[1] != a[2]
    assert a != c
    assert a[0] != list(range(50))


def test_shuffle_without_seed_follows_manual_seed():
    X, y = _data(40)

    def epoch():
        return np.concatenate([yb.data for _, yb in DataLoader(X, y, batch_size=8, shuffle=True)]).tolist()

    mg.manual_seed(123)
    first = epoch()
    mg.manual_seed(123)
    assert epoch() == first


def test_accepts_lists_and_tensors():
    loader = DataLoader([[0.5, 1.0], [2.0, 3.0], [4.0, 5.0]], mg.tensor([0, 1, 0]), batch_size=2)
    xb, yb = next(iter(loader))
    assert xb.dtype == mg.get_default_dtype() and yb.dtype == np.int64
    np.testing.assert_array_equal(yb.data, [0, 1])


def test_length_mismatch_names_lengths():
    with pytest.raises(ValueError, match=r"DataLoader.*\[10, 9\]"):
        DataLoader(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("kwargs, arrays, exc", [
    (dict(batch_size=0), (np.zeros(3),), ValueError),
    (dict(batch_size=2.0), (np.zeros(3),), TypeError),
    (dict(), (), ValueError),
    (dict(), (np.float64(1.0),), ValueError),
])
def test_bad_arguments(kwargs, arrays, exc):
    with pytest.raises(exc, match="DataLoader"):
        DataLoader(*arrays, **kwargs)


# ---------------------------------------------------------------- dataset objects

class Pairs(Dataset):
    """A user's dataset: item i is (features of shape (3,), a Python int label, a Python float weight)."""

    def __init__(self, n=10):
        self.X, self.y = _data(n)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], int(self.y[i]), float(i) / 2


class Items:
    """Duck-typed dataset (no base class) returning whatever `make(i)` gives."""

    def __init__(self, make, n=6):
        self.make, self.n = make, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.make(i)


def test_tensor_dataset_items_and_errors():
    X, y = _data(5)
    ds = TensorDataset(mg.tensor(X), y)
    assert len(ds) == 5 and len(ds.tensors) == 2 and isinstance(ds.tensors[1], mg.Tensor)
    x3, y3 = ds[3]
    np.testing.assert_array_equal(x3.data, X[3])
    assert y3.shape == () and y3.item() == 3 and y3.dtype == np.int64
    assert ds[-1][1].item() == 4
    xs, ys = ds[1:3]
    assert xs.shape == (2, 3) and ys.data.tolist() == [1, 2]
    with pytest.raises(ValueError):
        x3.data[0] = 1.0  # a read-only view: the dataset cannot be edited through a sample
    with pytest.raises(IndexError, match="TensorDataset: index 5 is out of range for 5"):
        ds[5]
    with pytest.raises(TypeError, match="TensorDataset: indices must be ints or slices"):
        ds[1.0]
    sizes = r"TensorDataset: tensors must have the same size along axis 0, got sizes \[5, 4\]"
    with pytest.raises(ValueError, match=sizes):
        TensorDataset(X, y[:4])
    with pytest.raises(ValueError, match="TensorDataset: expected at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="TensorDataset: tensor 1 is a scalar"):
        TensorDataset(X, np.float64(1.0))
    with pytest.raises(TypeError, match="TensorDataset: tensor 0 has dtype <U1"):
        TensorDataset(np.array(["a", "b"]))


@pytest.mark.parametrize("shuffle, drop_last", [(False, False), (True, False), (True, True)])
def test_loader_over_tensor_dataset_equals_loader_over_arrays(shuffle, drop_last):
    X, y = _data(23)
    a = DataLoader(X, y, batch_size=5, shuffle=shuffle, drop_last=drop_last, seed=4)
    b = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=shuffle, drop_last=drop_last, seed=4)
    assert len(a) == len(b)
    for _ in range(2):  # two epochs
        for (xa, ya), (xb, yb) in zip(a, b):
            np.testing.assert_array_equal(xa.data, xb.data)
            np.testing.assert_array_equal(ya.data, yb.data)
    xb, _ = next(iter(DataLoader(TensorDataset(X, y), batch_size=4)))
    assert np.shares_memory(xb.data, X)  # unshuffled batches are views, as with arrays


def test_loader_collates_a_dataset_object():
    ds = Pairs(10)
    batches = list(DataLoader(ds, batch_size=4))
    assert len(batches) == 3 and all(len(b) == 3 for b in batches)
    xb, yb, wb = batches[0]
    assert xb.shape == (4, 3) and xb.dtype == np.float64
    assert yb.shape == (4,) and yb.dtype == np.int64 and yb.data.tolist() == [0, 1, 2, 3]
    assert wb.shape == (4,) and wb.dtype == mg.get_default_dtype() and wb.data.tolist() == [0.0, 0.5, 1.0, 1.5]
    assert batches[2][0].shape == (2, 3)
    assert all(not t.requires_grad for b in batches for t in b)
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), ds.X)


def test_loader_shuffles_a_dataset_object_reproducibly():
    ds = Pairs(17)
    a = [yb.data.tolist() for _, yb, _ in DataLoader(ds, batch_size=5, shuffle=True, seed=1)]
    b = [yb.data.tolist() for _, yb, _ in DataLoader(ds, batch_size=5, shuffle=True, seed=1)]
    assert a == b and sorted(sum(a, [])) == list(range(17)) and sum(a, []) != list(range(17))
    for xb, yb, _ in DataLoader(ds, batch_size=5, shuffle=True, seed=2):
        np.testing.assert_array_equal(xb.data, ds.X[yb.data])  # fields stay paired
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 3


@pytest.mark.parametrize("make, expected", [
    (lambda i: mg.tensor([i, i + 1.0]), [((2,), mg.get_default_dtype())]),  # one value: one field
    (lambda i: [np.full((2, 2), i), i], [((2, 2), np.int64), ((), np.int64)]),  # a list is a tuple of fields
    (lambda i: (True, np.float32(i)), [((), np.bool_), ((), np.float32)]),
    (lambda i: ([1.0, 2.0], mg.tensor(i)), [((2,), mg.get_default_dtype()), ((), np.int64)]),
])
def test_collated_field_shapes_and_dtypes(make, expected):
    batch = next(iter(DataLoader(Items(make), batch_size=3)))
    assert isinstance(batch, tuple)
    assert [(t.shape[1:], t.dtype) for t in batch] == [(s, np.dtype(d)) for s, d in expected]
    assert all(t.shape[0] == 3 for t in batch)


@pytest.mark.parametrize("make, exc, match", [
    (lambda i: (np.zeros(3), 1) if i != 4 else (np.zeros(3),), ValueError,
     r"DataLoader: dataset item 4 has 1 field\(s\) but item 0 has 2"),
    (lambda i: (np.zeros(3 if i != 2 else 4), 1), ValueError,
     r"DataLoader: field 0 of dataset item 2 has shape \(4,\) but item 0 has shape \(3,\)"),
    (lambda i: (np.zeros(3), 1 if i != 1 else 1.5), TypeError,
     r"DataLoader: field 1 of dataset item 1 has dtype float32 but item 0 has dtype int64"),
    (lambda i: {"x": np.zeros(3)}, TypeError, r"DataLoader: dataset item 0 is a dict; return a tuple"),
    (lambda i: (np.zeros(3), "cat"), TypeError, r"DataLoader: field 1 of dataset item 0 is str"),
    (lambda i: (np.zeros(3), None), TypeError, r"DataLoader: field 1 of dataset item 0 is NoneType"),
    (lambda i: ([[1.0, 2.0], [3.0]], 0), TypeError, r"DataLoader: field 0 of dataset item 0 \(list\) cannot be made"),
    (lambda i: (np.array([object()]), 0), TypeError, r"DataLoader: field 0 of dataset item 0 has dtype object"),
])
def test_inconsistent_items_are_named(make, exc, match, default_dtype):
    mg.set_default_dtype(np.float32)
    with pytest.raises(exc, match=match) as info:
        list(DataLoader(Items(make), batch_size=6))
    assert "inhomogeneous" not in str(info.value)


def test_dataset_argument_errors():
    X, y = _data(4)
    with pytest.raises(TypeError, match="DataLoader: takes either arrays or one dataset object"):
        DataLoader(TensorDataset(X), y)
    with pytest.raises(TypeError, match="DataLoader: argument 0 is a dict"):
        DataLoader({"x": X})
    with pytest.raises(TypeError, match=r"DataLoader: argument 0 \(list\) cannot be made into one numeric array"):
        DataLoader([(X[0], 1), (X[1], 2)])
    with pytest.raises(TypeError, match="DataLoader: array 0 has dtype <U1"):
        DataLoader(np.array(["a", "b"]))
    with pytest.raises(NotImplementedError, match="Dataset: __len__"):
        DataLoader(Dataset())
    loader = DataLoader(Items(lambda i: (i,), n=0))
    assert len(loader) == 0 and list(loader) == []
    assert "Items of 0" in repr(loader)


# ---------------------------------------------------------------- Subset and random_split

def test_subset():
    ds = Pairs(10)
    sub = Subset(ds, [7, 2, 2, 9])
    assert len(sub) == 4 and sub[0][1] == 7 and sub[-1][1] == 9
    half = sub[1:3]
    assert isinstance(half, Subset) and half.indices.tolist() == [2, 2] and half.dataset is ds
    assert [yb.data.tolist() for _, yb, _ in DataLoader(sub, batch_size=3)] == [[7, 2, 2], [9]]
    with pytest.raises(IndexError, match="Subset: index 10 is out of range for a dataset of 10"):
        Subset(ds, [0, 10])
    with pytest.raises(IndexError, match="Subset: index -1 is out of range"):
        Subset(ds, [-1])
    with pytest.raises(TypeError, match="Subset: indices must be a 1-D sequence of ints"):
        Subset(ds, [0.5])
    with pytest.raises(IndexError, match="Subset: index 4 is out of range for 4 samples"):
        sub[4]
    assert len(Subset(ds, [])) == 0 and Subset(ds, mg.tensor([1, 3]))[1][1] == 3


def test_subset_of_tensor_dataset_batches_by_indexing():
    X, y = _data(12)
    sub = Subset(Subset(TensorDataset(X, y), np.arange(12)[::-1]), [0, 1, 5, 6, 7])
    (xb, yb), (xb2, yb2) = list(DataLoader(sub, batch_size=3))
    assert yb.data.tolist() == [11, 10, 6] and yb2.data.tolist() == [5, 4]
    np.testing.assert_array_equal(xb.data, X[[11, 10, 6]])


def test_random_split_with_counts():
    ds = Pairs(10)
    parts = random_split(ds, [6, 3, 1], seed=0)
    assert [len(p) for p in parts] == [6, 3, 1] and all(isinstance(p, Subset) and p.dataset is ds for p in parts)
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    again = random_split(ds, [6, 3, 1], seed=0)
    assert [p.indices.tolist() for p in parts] == [p.indices.tolist() for p in again]
    assert [p.indices.tolist() for p in random_split(ds, [6, 3, 1], seed=1)] != [p.indices.tolist() for p in parts]
    mg.manual_seed(3)
    a = random_split(ds, [5, 5])[0].indices.tolist()
    mg.manual_seed(3)
    assert random_split(ds, [5, 5])[0].indices.tolist() == a
    assert [len(p) for p in random_split(ds, [10, 0], seed=0)] == [10, 0]


@pytest.mark.parametrize("n, fractions, counts", [
    (10, [0.8, 0.2], [8, 2]),
    (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # floors 3, 3, 3; the one left over goes to the first
    (7, [0.5, 0.5], [4, 3]),
    (101, [0.1] * 10, [11] + [10] * 9),
    (5, [0.25, 0.25, 0.25, 0.25], [2, 1, 1, 1]),
])
def test_random_split_with_fractions(n, fractions, counts):
    parts = random_split(Pairs(n), fractions, seed=0)
    assert [len(p) for p in parts] == counts
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(n))
    torch = pytest.importorskip("torch", reason="torch is needed to compare the split sizes with PyTorch's")
    assert [len(p) for p in torch.utils.data.random_split(range(n), fractions)] == counts


def test_random_split_warns_about_an_empty_split():
    with pytest.warns(UserWarning, match=r"random_split: split\(s\) \[1, 2\] are empty"):
        parts = random_split(Pairs(2), [0.9, 0.05, 0.05], seed=0)
    assert [len(p) for p in parts] == [2, 0, 0]  # floors 1, 0, 0; the one left over goes to the first


@pytest.mark.parametrize("lengths, exc, match", [
    ([6, 3], ValueError, r"random_split: lengths \[6, 3\] sum to 9, but the dataset has 10 samples"),
    ([11, -1], ValueError, "random_split: lengths must be >= 0"),
    ([0.5, 0.4], ValueError, "fractions in \\[0, 1\\] summing to 1"),
    ([1.5, -0.5], ValueError, "fractions"),
    ([8, 0.2], ValueError, "ints summing to 10 or fractions"),
    ([], ValueError, "random_split: lengths is empty"),
    (10, TypeError, "random_split: lengths must be a list"),
    (["5", "5"], TypeError, "random_split: lengths must be ints or fractions, got str"),
    ([True, 9], TypeError, "got bool"),
])
def test_random_split_errors(lengths, exc, match):
    with pytest.raises(exc, match=match):
        random_split(Pairs(10), lengths, seed=0)


def test_random_split_needs_a_dataset():
    with pytest.raises(TypeError, match="random_split: expected a dataset with __len__ and __getitem__, got int"):
        random_split(3, [1, 2])


# ---------------------------------------------------------------- synthetic datasets

@pytest.mark.parametrize("name, expected", [
    ("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0]), ("XOR", [0, 1, 1, 0]),
])
def test_logic_gates(name, expected):
    X, y = logic_gate(name)
    np.testing.assert_array_equal(X, [[0, 0], [1, 0], [0, 1], [1, 1]])
    assert X.dtype == mg.get_default_dtype() and y.dtype == np.int64 and y.shape == (4,)
    np.testing.assert_array_equal(y, expected)


def test_logic_gate_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="'and', 'or', 'nand', 'xor'"):
        logic_gate("nor")


def _check_dataset(X, y, n, d, classes):
    assert X.shape == (n, d) and y.shape == (n,)
    assert X.dtype == mg.get_default_dtype() and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("make, n, classes", [
    (lambda seed: spiral(50, 3, seed=seed), 150, 3),
    (lambda seed: planar_flower(400, seed=seed), 400, 2),
    (lambda seed: planar_flower(7, seed=seed), 7, 2),
    (lambda seed: moons(101, 0.1, seed=seed), 101, 2),
])
def test_dataset_shapes_balance_and_seeding(make, n, classes):
    X, y = make(0)
    _check_dataset(X, y, n, 2, classes)
    X2, y2 = make(0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, make(1)[0])


def test_datasets_follow_default_dtype(default_dtype):
    mg.set_default_dtype(np.float64)
    assert spiral(5, 2, seed=0)[0].dtype == np.float64
    assert moons(10, 0.0)[0].dtype == np.float64
    assert logic_gate("and")[0].dtype == np.float64


def test_seed_none_uses_manual_seed():
    mg.manual_seed(5)
    a = planar_flower(20)[0]
    mg.manual_seed(5)
    np.testing.assert_array_equal(a, planar_flower(20)[0])


def test_spiral_geometry():
    X, y = spiral(100, 4, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    # r = linspace(0, 1) in every arm: radii are exactly those (noise is on the angle only)
    np.testing.assert_allclose(np.sort(radius[y == 2]), np.linspace(0, 1, 100), atol=1e-6)


def test_moons_without_noise_lie_on_the_half_circles():
    X, y = moons(40, 0.0)  # noise 0: deterministic regardless of seed
    X = X.astype(np.float64)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-7) and np.all(lower[:, 1] <= 0.5 + 1e-7)


def test_planar_flower_petals():
    X, y = planar_flower(400, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert 3.0 < radius.max() < 5.5  # petals of length a = 4, plus noise
    # both classes spread over all four quadrants (so no line separates them)
    for k in (0, 1):
        q = set(zip(np.sign(X[y == k, 0]), np.sign(X[y == k, 1])))
        assert {(1, 1), (1, -1), (-1, 1), (-1, -1)} <= q


@pytest.mark.parametrize("call, exc", [
    (lambda: spiral(0, 3), ValueError), (lambda: spiral(10, 2.5), TypeError),
    (lambda: planar_flower(1), ValueError), (lambda: moons(10, -0.1), ValueError),
    (lambda: moons(10, float("nan")), ValueError),
])
def test_dataset_argument_errors(call, exc):
    with pytest.raises(exc):
        call()


def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == mg.get_default_dtype() and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))


def test_load_digits_without_sklearn(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[examples\]"'):
        load_digits()


# ---------------------------------------------------------------- MNIST (IDX files written here)

def _idx(magic, dims, payload):
    head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    return head + bytes(payload)


def _images(n, rows=28, cols=28, seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
    pixels.flat[0] = 255
    pixels.flat[1] = 0
    return pixels


def _write(folder, name, blob, gz=False):
    path = os.path.join(folder, name + (".gz" if gz else ""))
    with open(path, "wb") as f:
        f.write(gzip.compress(blob) if gz else blob)
    return path


def _write_mnist(folder, n_train=5, n_test=3, gz=False):
    train, test = _images(n_train, seed=1), _images(n_test, seed=2)
    ytr, yte = np.arange(n_train) % 10, (np.arange(n_test) * 3) % 10
    _write(folder, "train-images-idx3-ubyte", _idx(0x803, train.shape, train.tobytes()), gz)
    _write(folder, "train-labels-idx1-ubyte", _idx(0x801, ytr.shape, ytr.astype(np.uint8).tobytes()), gz)
    _write(folder, "t10k-images-idx3-ubyte", _idx(0x803, test.shape, test.tobytes()), gz)
    _write(folder, "t10k-labels-idx1-ubyte", _idx(0x801, yte.shape, yte.astype(np.uint8).tobytes()), gz)
    return (train, ytr), (test, yte)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_roundtrip(tmp_path, gz):
    (train, ytr), (test, yte) = _write_mnist(str(tmp_path), gz=gz)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (5, 784) and x_test.shape == (3, 784)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_allclose(x_train, train.reshape(5, 784) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(x_test, test.reshape(3, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y_train, ytr)
    np.testing.assert_array_equal(y_test, yte)


def test_load_mnist_mixed_raw_and_gz(tmp_path):
    _write_mnist(str(tmp_path), gz=True)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    _write(str(tmp_path), "t10k-labels-idx1-ubyte", _idx(0x801, (3,), bytes([1, 2, 3])))
    (_, _), (_, y_test) = load_mnist(str(tmp_path))
    np.testing.assert_array_equal(y_test, [1, 2, 3])


def test_missing_file_lists_what_was_looked_for(tmp_path):
    _write_mnist(str(tmp_path))
    os.remove(tmp_path / "t10k-images-idx3-ubyte")
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte.*t10k-images-idx3-ubyte\.gz"):
        load_mnist(tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_mnist(tmp_path / "nowhere")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_images(tmp_path, gz):
    _write_mnist(str(tmp_path), gz=gz)
    imgs = _images(5, seed=1)
    blob = _idx(0x803, imgs.shape, imgs.tobytes())[:-100]
    _write(str(tmp_path), "train-images-idx3-ubyte", blob, gz)
    with pytest.raises(MNISTFormatError, match=r"train-images-idx3-ubyte.*truncated.*3920.*3820"):
        load_mnist(tmp_path)


def test_truncated_header(tmp_path):
    _write_mnist(str(tmp_path))
    _write(str(tmp_path), "train-labels-idx1-ubyte", b"\x00\x00\x08\x01\x00")
    with pytest.raises(MNISTFormatError, match=r"train-labels-idx1-ubyte.*truncated"):
        load_mnist(tmp_path)


def test_extra_bytes(tmp_path):
    _write_mnist(str(tmp_path))
    _write(str(tmp_path), "t10k-labels-idx1-ubyte", _idx(0x801, (3,), bytes([1, 2, 3, 4])))
    with pytest.raises(MNISTFormatError, match=r"t10k-labels-idx1-ubyte.*need 3 data bytes, got 4"):
        load_mnist(tmp_path)


def test_wrong_magic_mislabeled(tmp_path):
    _write_mnist(str(tmp_path))
    # a labels file saved under the images name
    _write(str(tmp_path), "train-images-idx3-ubyte", _idx(0x801, (5,), bytes(5)))
    with pytest.raises(MNISTFormatError, match=r"train-images-idx3-ubyte.*0x00000801.*mislabeled"):
        load_mnist(tmp_path)


def test_wrong_magic_garbage_and_uncompressed_gzip(tmp_path):
    _write_mnist(str(tmp_path))
    _write(str(tmp_path), "train-labels-idx1-ubyte", b"hello world, not idx")
    with pytest.raises(MNISTFormatError, match=r"train-labels-idx1-ubyte.*magic number"):
        load_mnist(tmp_path)
    _write(str(tmp_path), "train-labels-idx1-ubyte", gzip.compress(_idx(0x801, (5,), bytes(5))))
    with pytest.raises(MNISTFormatError, match=r"train-labels-idx1-ubyte.*gzip"):
        load_mnist(tmp_path)


def test_count_mismatch_names_both_files(tmp_path):
    _write_mnist(str(tmp_path))
    _write(str(tmp_path), "t10k-labels-idx1-ubyte", _idx(0x801, (4,), bytes(4)))
    with pytest.raises(MNISTFormatError, match=r"t10k-images-idx3-ubyte.*3 images.*t10k-labels-idx1-ubyte.*4 labels"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_gzip(tmp_path, damage):
    _write_mnist(str(tmp_path), gz=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    blob = path.read_bytes()
    path.write_bytes(b"\x1f\x8bnot really gzip" if damage == "garbage" else blob[:len(blob) // 2])
    with pytest.raises(MNISTFormatError, match=r"train-labels-idx1-ubyte\.gz.*gzip"):
        load_mnist(tmp_path)


def test_mnist_errors_are_value_errors():
    assert issubclass(MNISTFormatError, ValueError)
