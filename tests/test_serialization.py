"""save/load: bit-exact round trips, nesting, atomic writes, refusing pickles and damaged files."""
import math
import os
from collections import OrderedDict

import numpy as np
import pytest
from numpy.lib import format as npformat

import minigrad as mg
from minigrad import optim
from minigrad.nn import Module, Parameter


def same(a, b):
    """Bit-exact equality of arrays (dtype, shape, bytes), NaNs included."""
    return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
            and np.asarray(a).tobytes() == np.asarray(b).tobytes())


def test_round_trip_nested_dtypes_shapes(tmp_path):
    rng = np.random.default_rng(0)
    obj = {
        "f16": rng.standard_normal((2, 3)).astype(np.float16),
        "f32": rng.standard_normal(5).astype(np.float32),
        "f64": np.array([np.nan, -0.0, np.inf, 1e-310]),
        "i8": np.array([-128, 127], np.int8),
        "i64": np.arange(4, dtype=np.int64).reshape(2, 2),
        "u16": np.array([65535], np.uint16),
        "bool": np.array([[True, False]]),
        "zero_d": np.array(2.5, np.float32),
        "empty": np.zeros((0, 3), np.float32),
        "big_endian": np.arange(3, dtype=">i4"),
        "nested": {"deeper": {"x": np.ones(2)}, "list": [np.zeros(1), 3, "s"]},
    }
    path = mg.save(obj, tmp_path / "state.npz")
    assert path == str(tmp_path / "state.npz")
    back = mg.load(path)
    assert set(back) == set(obj)
    for k in ["f16", "f32", "f64", "i8", "i64", "u16", "bool", "zero_d", "empty", "big_endian"]:
        assert same(back[k], obj[k]), k
    assert back["zero_d"].shape == () and back["empty"].shape == (0, 3)
    assert same(back["nested"]["deeper"]["x"], obj["nested"]["deeper"]["x"])
    assert back["nested"]["list"][1:] == [3, "s"] and same(back["nested"]["list"][0], np.zeros(1))


def test_python_values_and_containers(tmp_path):
    obj = OrderedDict([("b", 1), ("a", [1.5, True, None, "text", 2 ** 70, float("nan"), -0.0]),
                       ("t", (0.9, 0.999)), (3, "int key"), ("3", "str key"),
                       ("key.with/sep\"chars", {"": np.float32(0.25), "n": np.int16(-3)})])
    back = mg.load(mg.save(obj, tmp_path / "x"))
    assert type(back) is OrderedDict and list(back) == ["b", "a", "t", 3, "3", "key.with/sep\"chars"]
    vals = back["a"]
    assert vals[0] == 1.5 and vals[1] is True and vals[2] is None and vals[3] == "text" and vals[4] == 2 ** 70
    assert math.isnan(vals[5]) and math.copysign(1.0, vals[6]) == -1.0
    assert back["t"] == (0.9, 0.999) and type(back["t"]) is tuple
    assert back[3] == "int key" and back["3"] == "str key"
    inner = back["key.with/sep\"chars"]
    assert type(inner[""]) is np.float32 and inner[""] == 0.25
    assert type(inner["n"]) is np.int16 and inner["n"] == -3
    assert type(mg.load(mg.save({"d": {}}, tmp_path / "e"))["d"]) is dict


def test_tensors_come_back_as_arrays(tmp_path):
    t = mg.tensor([[1.0, 2.0]], requires_grad=True)
    back = mg.load(mg.save({"t": t, "p": Parameter(np.ones(2, np.float64))}, tmp_path / "t"))
    assert same(back["t"], t.data) and same(back["p"], np.ones(2))


def test_suffix_added_and_load_finds_it(tmp_path):
    path = mg.save({"a": np.ones(1)}, tmp_path / "model")
    assert path.endswith("model.npz") and os.path.exists(path)
    assert not os.path.exists(tmp_path / "model")
    assert same(mg.load(tmp_path / "model")["a"], np.ones(1))
    assert same(mg.load(str(tmp_path / "model.npz"))["a"], np.ones(1))


def test_module_and_optimizer_state_round_trip(tmp_path):
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.w = Parameter(np.arange(6.0).reshape(3, 2))
            self.b = Parameter(np.zeros(2, np.float32))

    net = Net()
    opt = optim.Adam(net.parameters(), lr=0.1)
    net.w.grad = mg.tensor(np.ones((3, 2)))
    net.b.grad = mg.tensor(np.ones(2, np.float32))
    opt.step()
    mg.save({"model": net.state_dict(), "optim": opt.state_dict(), "epoch": 3}, tmp_path / "ckpt")
    ck = mg.load(tmp_path / "ckpt.npz")
    net2 = Net()
    net2.load_state_dict(ck["model"])
    opt2 = optim.Adam(net2.parameters(), lr=0.5)
    opt2.load_state_dict(ck["optim"])
    assert ck["epoch"] == 3 and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    for o, n in ((opt, net), (opt2, net2)):
        n.w.grad = mg.tensor(np.full((3, 2), 0.5))
        n.b.grad = mg.tensor(np.full(2, 0.5, np.float32))
        o.step()
    assert same(net.w.data, net2.w.data) and same(net.b.data, net2.b.data)


# --------------------------------------------------------------------- what save refuses
@pytest.mark.parametrize("bad", [
    {"a": np.array([{"x": 1}], dtype=object)},
    {"a": {1, 2}},
    {(1, 2): np.ones(1)},
    {True: 1},
    {"f": print},
])
def test_save_rejects_unsupported_values(tmp_path, bad):
    with pytest.raises(TypeError, match="save"):
        mg.save(bad, tmp_path / "bad")
    assert os.listdir(tmp_path) == []  # nothing written, no temp file


def test_save_rejects_a_module_with_a_hint(tmp_path):
    with pytest.raises(TypeError, match="state_dict"):
        mg.save(Module(), tmp_path / "m")


def test_save_rejects_cycles(tmp_path):
    d = {}
    d["self"] = d
    with pytest.raises(ValueError, match="itself"):
        mg.save(d, tmp_path / "c")


# --------------------------------------------------------------------- atomicity
def test_failure_mid_save_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = mg.save({"v": np.arange(3)}, tmp_path / "ckpt")
    before = open(path, "rb").read()
    real = npformat.write_array
    calls = []

    def failing(f, arr, **kw):
        calls.append(1)
        if len(calls) == 3:
            f.write(b"partial garbage")
            raise OSError("disk full (simulated)")
        return real(f, arr, **kw)

    monkeypatch.setattr(npformat, "write_array", failing)
    with pytest.raises(OSError, match="simulated"):
        mg.save({"v": np.arange(10), "w": np.ones(4), "x": np.zeros(2)}, path)
    assert len(calls) == 3
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]
    assert open(path, "rb").read() == before
    monkeypatch.undo()
    assert same(mg.load(path)["v"], np.arange(3))


def test_failure_at_replace_leaves_no_temp(tmp_path, monkeypatch):
    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"v": np.ones(2)}, tmp_path / "k")
    assert os.listdir(tmp_path) == []


def test_overwrite_replaces_content(tmp_path):
    p = mg.save({"v": np.ones(2)}, tmp_path / "o")
    mg.save({"w": np.zeros(3)}, p)
    assert list(mg.load(p)) == ["w"]
    assert sorted(os.listdir(tmp_path)) == ["o.npz"]


# --------------------------------------------------------------------- what load refuses
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        mg.load(tmp_path / "nope.npz")
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope")


def test_refuses_pickled_npz(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, ok=np.ones(2), evil=np.array([{"x": 1}, None], dtype=object))  # allow_pickle default
    with pytest.raises(ValueError, match="pickled"):
        mg.load(path)


def test_plain_numpy_npz_loads_as_flat_dict(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, a=np.arange(3), b=np.eye(2, dtype=np.float32))
    back = mg.load(path)
    assert set(back) == {"a", "b"} and same(back["b"], np.eye(2, dtype=np.float32))


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, 0.9, -1])
def test_truncated_file(tmp_path, keep):
    path = mg.save({"w": np.arange(100.0), "b": {"c": np.ones(7, np.float32)}}, tmp_path / "full")
    data = open(path, "rb").read()
    n = keep if isinstance(keep, int) and keep >= 0 else (len(data) - 1 if keep == -1 else int(len(data) * keep))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[:n])
    with pytest.raises(ValueError, match="cut.npz"):
        mg.load(cut)


def test_not_a_zip(tmp_path):
    p = tmp_path / "text.npz"
    p.write_text("hello, I am not an archive")
    with pytest.raises(ValueError, match="not a valid"):
        mg.load(p)


def test_corrupt_bytes_never_load_silently_wrong(tmp_path):
    obj = {"w": np.arange(50.0), "s": 7}
    data = open(mg.save(obj, tmp_path / "ok"), "rb").read()
    bad = tmp_path / "bad.npz"
    for i in range(0, len(data), 3):
        b = bytearray(data)
        b[i] ^= 0xFF
        bad.write_bytes(bytes(b))
        try:
            back = mg.load(bad)
        except ValueError:
            continue
        assert same(back["w"], obj["w"]) and back["s"] == 7, i  # only harmless metadata bytes may pass


def test_corrupt_index(tmp_path):
    import zipfile
    p = tmp_path / "idx.npz"
    with zipfile.ZipFile(p, "w") as zf:
        with zf.open("__index__.npy", "w") as f:
            npformat.write_array(f, np.frombuffer(b'{"format": "minigrad-state/1", "tree": {"array": 5}}',
                                                  dtype=np.uint8))
    with pytest.raises(ValueError, match="missing array"):
        mg.load(p)
