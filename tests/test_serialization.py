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
        bad.unlink(missing_ok=True)  # rewriting in place is slow: ext4 flushes a truncated file on close
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


# --------------------------------------------------------------------- temporaries, durability, what save writes
def temp_name(target: str, token: str = "0123456789abcdef") -> str:
    """save's temporary for target: `.<target>.minigrad-save.<16 hex digits>.tmp`."""
    return f".{target}.minigrad-save.{token}.tmp"


def test_save_removes_abandoned_temporaries_of_its_target_only(tmp_path):
    stale = [temp_name("ckpt.npz"), temp_name("ckpt.npz", "fedcba9876543210")]
    kept = [".ckpt.npz.abc123xy.tmp",  # the old mkstemp pattern: too generic to claim
            temp_name("ckpt.npz", "0123456789ABCDEF"), temp_name("ckpt.npz", "0123"),
            temp_name("other.npz"), temp_name("ckpt.npz.minigrad-save.0123456789abcdef.tmp.npz"),
            "ckpt.npz.minigrad-save.0123456789abcdef.tmp", temp_name("ckpt.npz") + ".bak"]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"x" * 100)
    (tmp_path / temp_name("ckpt.npz", "1111111111111111")).mkdir()  # not a regular file: left alone
    kept.append(temp_name("ckpt.npz", "1111111111111111"))
    mg.save({"a": np.ones(2)}, tmp_path / "ckpt")
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["ckpt.npz"])


def test_save_leaves_a_temporary_that_is_being_written(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    busy = tmp_path / temp_name("ckpt.npz")
    with open(busy, "wb") as fh:  # what a save in progress holds: its temporary, locked
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        mg.save({"a": np.ones(2)}, tmp_path / "ckpt")
        assert busy.exists()
    mg.save({"a": np.zeros(2)}, tmp_path / "ckpt")  # its writer is gone: the next save removes it
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]


def test_concurrent_saves_to_one_target(tmp_path):
    import threading
    errors = []

    def saver(value):
        try:
            for _ in range(15):
                mg.save({"v": np.full(1000, value)}, tmp_path / "shared")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=saver, args=(v,)) for v in (1.0, 2.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    v = mg.load(tmp_path / "shared.npz")["v"]
    assert v.shape == (1000,) and len(set(v.tolist())) == 1 and v[0] in (1.0, 2.0, 3.0)
    assert sorted(os.listdir(tmp_path)) == ["shared.npz"]


def test_save_fsyncs_the_file_then_renames_then_fsyncs_the_folder(tmp_path, monkeypatch):
    import stat
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        return real_fsync(fd)

    def replace(src, dst):
        events.append("replace")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    mg.save({"a": np.ones(3)}, tmp_path / "durable")
    expected = ["fsync file", "replace", "fsync folder"] if hasattr(os, "O_DIRECTORY") else ["fsync file", "replace"]
    assert events == expected


def test_save_keeps_the_files_permissions(tmp_path):
    path = mg.save({"a": np.ones(1)}, tmp_path / "perm")
    os.chmod(path, 0o640)
    mg.save({"a": np.zeros(1)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_saved_file_is_tagged_and_readable_by_numpy(tmp_path):
    import zipfile
    path = mg.save({"w": np.arange(3.0)}, tmp_path / "tag")
    with zipfile.ZipFile(path) as zf:
        assert zf.comment == b"minigrad-state/1" and zf.testzip() is None
    with np.load(path) as npz:
        assert same(npz["arr_0"], np.arange(3.0))


LONGDOUBLE = np.zeros(2, np.longdouble) if np.dtype(np.longdouble).itemsize > 8 else np.array(["no float128 here"])


@pytest.mark.parametrize("arr", [np.array(["ab", "c"]), np.array([1, 2], dtype="datetime64[s]"),
                                 np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), np.array([b"x"]), LONGDOUBLE])
def test_save_refuses_dtypes_that_load_refuses(tmp_path, arr):
    with pytest.raises(TypeError, match=r"save: cannot save an array of dtype .* at the top level\['a'\]"):
        mg.save({"a": arr}, tmp_path / "d")
    assert os.listdir(tmp_path) == []


def test_layouts_round_trip(tmp_path):
    base = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    obj = {"fortran": np.asfortranarray(base), "transposed": base.T, "strided": base[:, ::2, 1:],
           "c64": (base[0] + 1j * base[1]).astype(np.complex64), "c128": np.array([1 - 2j]), "neg": -base[..., ::-1]}
    back = mg.load(mg.save(obj, tmp_path / "layout"))
    for k, v in obj.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape and np.array_equal(back[k], v), k
        assert back[k].flags.writeable, k


def test_compressed_numpy_files_load(tmp_path):
    path = tmp_path / "c.npz"
    arrays = {"w": np.random.default_rng(0).standard_normal((30, 20)), "i": np.arange(7, dtype=np.int8)}
    np.savez_compressed(path, **arrays)
    back = mg.load(path)
    assert set(back) == {"w", "i"} and all(same(back[k], v) for k, v in arrays.items())


@pytest.mark.parametrize("value,error", [("20", TypeError), (True, TypeError), (None, TypeError),
                                         (0.5, ValueError), (float("nan"), ValueError), (-1, ValueError)])
def test_max_expansion_is_checked(tmp_path, value, error):
    path = mg.save({"a": np.ones(1)}, tmp_path / "m")
    with pytest.raises(error, match="max_expansion"):
        mg.load(path, max_expansion=value)


def test_save_without_fcntl_closes_before_renaming(tmp_path, monkeypatch):
    """Where there are no advisory locks (Windows), the file is closed before the rename and an abandoned
    temporary is removed outright (there, an open file cannot be removed, which protects a save in progress)."""
    from minigrad import serialization
    monkeypatch.setattr(serialization, "_fcntl", None)
    (tmp_path / temp_name("w.npz")).write_bytes(b"abandoned")
    path = mg.save({"a": np.arange(3)}, tmp_path / "w")
    assert sorted(os.listdir(tmp_path)) == ["w.npz"] and same(mg.load(path)["a"], np.arange(3))
