"""load against hostile files, built here: the crafted attacks of issue 13 and a corpus of damaged files.

Every file must give a ValueError naming it (and the member at fault), or load a state identical to the
original (a flipped bit in a field that nothing reads is harmless); never a wrong array, never a raw
internal exception (MemoryError, RecursionError, zipfile's or tokenize's errors), never a hang. Each load
runs under a SIGALRM guard, so a blocking read fails the test instead of hanging it.
"""
from __future__ import annotations

import collections
import contextlib
import io
import math
import os
import pickle
import random
import signal
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest
from numpy.lib import format as npformat

import minigrad as mg

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="the hang guard needs SIGALRM")

TAG = b"minigrad-state/1"


# ----------------------------------------------------------------------------- guards and comparison
class Hang(Exception):
    """load did not return within the guard's time."""


@contextlib.contextmanager
def hang_guard(seconds: float = 3.0):
    def fire(signum, frame):
        raise Hang(f"load still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def same_state(a, b) -> bool:
    """Identical structure, types and values; arrays bit-exact with dtype and shape; NaNs equal."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


def outcome(path, expected) -> str:
    """How load treats the file: 'refused' (ValueError naming it), 'identical', 'WRONG', 'hang' or 'raw ...'."""
    try:
        with hang_guard():
            got = mg.load(path)
    except Hang:
        return "hang"
    except ValueError as e:
        return "refused" if str(path) in str(e) else f"raw ValueError without the path: {e}"
    except Exception as e:  # noqa: BLE001 - exactly what must never happen
        return f"raw {type(e).__name__}: {e}"
    return "identical" if expected is not None and same_state(got, expected) else "WRONG"


def refused(path, *patterns: str, seconds: float = 3.0) -> str:
    """Assert load raises a ValueError naming path and matching every pattern; return the message."""
    with hang_guard(seconds):
        with pytest.raises(ValueError) as info:
            mg.load(path)
    message = str(info.value)
    assert str(path) in message, message
    for pattern in patterns:
        assert pattern in message, (pattern, message)
    return message


# ----------------------------------------------------------------------------- building archives
def npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    npformat.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def npy_with_header(text: str, data: bytes = b"", version: bytes = b"\x01\x00") -> bytes:
    """A .npy member with an arbitrary header text, padded as numpy pads it (to 64 bytes, newline last)."""
    prefix = 10 if version == b"\x01\x00" else 12
    padded = text + " " * ((-(prefix + len(text) + 1)) % 64) + "\n"
    length = struct.pack("<H" if prefix == 10 else "<I", len(padded))
    return b"\x93NUMPY" + version + length + padded.encode("latin1") + data


def entry(name: str, data: bytes, *, method: int = 0, flags: int = 0, crc=None, usize=None):
    """One member for raw_zip: data is stored as given (already deflated when method is 8)."""
    return (name, data, len(data) if usize is None else usize, zlib.crc32(data) if crc is None else crc,
            method, flags)


def deflated(name: str, plain: bytes, **kw):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return entry(name, c.compress(plain) + c.flush(), method=8, crc=zlib.crc32(plain), usize=len(plain), **kw)


def raw_zip(entries, comment: bytes = b"", offset_base: int = 0, zip64: bool = False) -> bytes:
    """A zip archive written by hand (so flags, sizes and CRCs can lie); offsets start at offset_base.

    zip64=True writes every size, offset and count as all-ones with the values in zip64 extra fields and
    a zip64 end record, as archives over 4 GiB or 65,535 members must.
    """
    full = 0xFFFFFFFF
    out, central = bytearray(), bytearray()
    for name, data, usize, crc, method, flags in entries:
        n = name.encode()
        offset = offset_base + len(out)
        sizes = (full, full) if zip64 else (len(data), usize)
        local_extra = struct.pack("<HHQQ", 1, 16, usize, len(data)) if zip64 else b""
        central_extra = struct.pack("<HHQQQ", 1, 24, usize, len(data), offset) if zip64 else b""
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 45 if zip64 else 20, flags, method, 0, 0x21, crc,
                           sizes[0], sizes[1], len(n), len(local_extra)) + n + local_extra + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 45 if zip64 else 20, flags, method, 0, 0x21, crc,
                               sizes[0], sizes[1], len(n), len(central_extra), 0, 0, 0, 0,
                               full if zip64 else offset) + n + central_extra
    cd_offset = offset_base + len(out)
    out += central
    count = len(entries)
    if zip64:
        record_at = offset_base + len(out)
        out += struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(central), cd_offset)
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1)
        count, cd_size, cd_at = 0xFFFF, full, full
    else:
        cd_size, cd_at = len(central), cd_offset
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, cd_size, cd_at, len(comment)) + comment
    return bytes(out)


def minigrad_zip(index, arrays=(), comment: bytes = TAG, extra_entries=()) -> bytes:
    """A minigrad-format archive with the given index (dict, str or bytes) and arrays arr_0, arr_1, ..."""
    if isinstance(index, dict):
        index = __import__("json").dumps(index)
    if isinstance(index, str):
        index = index.encode()
    entries = [entry("__index__.npy", npy(np.frombuffer(index, dtype=np.uint8)))]
    entries += [entry(f"arr_{i}.npy", npy(a)) for i, a in enumerate(arrays)]
    return raw_zip(entries + list(extra_entries), comment)


def index_of(tree):
    return {"format": "minigrad-state/1", "tree": tree}


def members_of(data: bytes):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


@pytest.fixture
def linear_file(tmp_path):
    """A saved Linear(100, 100) state (its weight is a 40 KB member) and the state itself."""
    mg.manual_seed(0)
    state = {"model": mg.nn.Linear(100, 100).state_dict(), "epoch": 3}
    path = mg.save(state, tmp_path / "linear.npz")
    return path, open(path, "rb").read(), state


def weight_member(data: bytes):
    """(name, bytes) of the Linear weight's member in a saved file."""
    return next((n, b) for n, b in members_of(data) if b"(100, 100)" in b[:128])


# ----------------------------------------------------------------------------- the crafted attacks
def test_descr_f4_to_f2_is_refused_raw_and_with_crc_fixed(tmp_path, linear_file):
    path, data, state = linear_file
    name, member = weight_member(data)
    assert data.count(b"'<f4'") == 2  # weight and bias
    raw = tmp_path / "f2.npz"
    i = data.index(member[:128])
    raw.write_bytes(data[:i] + member[:128].replace(b"'<f4'", b"'<f2'") + data[i + 128:])
    refused(raw, f"member {name!r}", "declares shape (100, 100) of float16")
    raw.write_bytes(data[:i] + member[:128].replace(b"'<f4'", b"'<i4'") + data[i + 128:])  # same size
    refused(raw, f"member {name!r}", "CRC-32 mismatch")
    # the attacker recomputes the CRCs: the header's shape then no longer matches the data it holds
    fixed = tmp_path / "f2crc.npz"
    fixed.write_bytes(raw_zip([entry(n, b.replace(b"'<f4'", b"'<f2'") if n == name else b)
                               for n, b in members_of(data)], TAG))
    refused(fixed, f"member {name!r}", "declares shape (100, 100) of float16 (20,000 bytes)", "40,000 bytes")


def test_header_declaring_a_terabyte_is_refused_without_allocating(tmp_path):
    member = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", bytes(80))
    path = tmp_path / "tera.npz"
    path.write_bytes(raw_zip([entry("a.npy", member)]))
    tracemalloc.start()
    try:
        refused(path, "member 'a.npy'", "(1000000000000,)", "8,000,000,000,000 bytes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak


def zeros_bomb(n_bytes: int) -> tuple:
    """(deflate stream, crc) of a float64 .npy of n_bytes zero bytes, built without inflating it in memory.

    After Z_FULL_FLUSH the compressor starts afresh, so every 1 MiB block of zeros compresses to the same
    bytes: the stream is the header, that block repeated, the remainder and the end of the stream.
    """
    header = npy_with_header(f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({n_bytes // 8},), }}")
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib = bytes(1 << 20)
    head = c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH) == block
    blocks, rest = divmod(n_bytes, 1 << 20)
    stream = head + block * blocks + c.compress(bytes(rest)) + c.flush()
    crc = zlib.crc32(header)
    for _ in range(blocks):
        crc = zlib.crc32(mib, crc)
    return stream, zlib.crc32(bytes(rest), crc), len(header) + n_bytes


def test_small_file_expanding_to_a_gigabyte_is_refused_quickly(tmp_path):
    stream, crc, size = zeros_bomb(10 ** 9)
    path = tmp_path / "bomb.npz"
    path.write_bytes(raw_zip([entry("a.npy", stream, method=8, crc=crc, usize=size)]))
    assert os.path.getsize(path) < 1.0e6  # a 0.97 MB file ...
    assert size > 1e9  # ... that would expand to 1 GB
    tracemalloc.start()
    try:
        refused(path, "would expand to 1,000,000,128 bytes", "max_expansion=")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak


def test_max_expansion_lets_a_trusted_compressed_file_load(tmp_path):
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, z=np.zeros(10 ** 6), x=np.arange(5.0))
    message = refused(path, "max_expansion=")
    needed = int(message.rsplit("max_expansion=", 1)[1].split()[0])
    back = mg.load(path, max_expansion=needed)
    assert same_state(back, {"z": np.zeros(10 ** 6), "x": np.arange(5.0)})
    assert same_state(mg.load(path, max_expansion=math.inf)["z"], np.zeros(10 ** 6))
    with pytest.raises(ValueError, match="max_expansion"):
        mg.load(path, max_expansion=needed - 2)


def test_compressed_member_lying_about_its_size_is_refused(tmp_path):
    plain = npy(np.arange(1000.0))
    longer = deflated("a.npy", plain + bytes(8))[1]
    shorter = deflated("a.npy", plain[:-8])[1]
    proper = deflated("a.npy", plain)[1]
    path = tmp_path / "lie.npz"
    for stream, what in [(longer, "expands beyond its declared size"), (shorter, "ends 8 bytes short"),
                         (proper + b"junk", "bytes after the end of its compressed data"),
                         (proper[:-4], "compressed data is truncated"),
                         (bytes(random.Random(1).getrandbits(8) for _ in range(200)), "compressed data is corrupt")]:
        path.write_bytes(raw_zip([entry("a.npy", stream, method=8, crc=zlib.crc32(plain), usize=len(plain))]))
        refused(path, "member 'a.npy'", what)
    path.write_bytes(raw_zip([entry("a.npy", proper, method=8, crc=zlib.crc32(plain), usize=len(plain))]))
    assert same_state(mg.load(path), {"a": np.arange(1000.0)})  # the honest one loads


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_devices_are_refused_at_once(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    refused(device, "character device, not a regular file")


def test_fifo_without_a_writer_is_refused_at_once(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    refused(fifo, "FIFO", seconds=2.0)  # the guard fails the test if load blocks
    refused(tmp_path / "pipe", "FIFO", seconds=2.0)  # found through the .npz suffix too


def test_directory_and_symlinks(tmp_path):
    (tmp_path / "folder.npz").mkdir()
    refused(tmp_path / "folder.npz", "directory")
    good = mg.save({"a": np.ones(2)}, tmp_path / "good")
    os.symlink(good, tmp_path / "link.npz")
    assert same_state(mg.load(tmp_path / "link.npz"), {"a": np.ones(2)})  # a link to a regular file is fine
    os.symlink("/dev/zero", tmp_path / "zero.npz")
    refused(tmp_path / "zero.npz", "character device")


def test_index_nested_100000_deep_is_refused(tmp_path):
    deep = '{"format": "minigrad-state/1", "tree": ' + '{"list": [' * 100_000 + "]}" * 100_000 + "}"
    path = tmp_path / "deep.npz"
    path.write_bytes(minigrad_zip(deep))
    refused(path, "member '__index__.npy'", "nests deeper than")


def test_save_and_load_agree_on_the_nesting_bound(tmp_path):
    def nest(levels):
        obj = np.ones(1)
        for i in range(levels):
            obj = {"d": obj} if i % 2 else [obj]
        return obj

    back = mg.load(mg.save(nest(100), tmp_path / "deepest"))
    assert same_state(back, nest(100))
    with pytest.raises(ValueError, match="nested more than 100"):
        mg.save(nest(101), tmp_path / "too_deep")


def test_duplicate_member_names_are_refused(tmp_path):
    path = tmp_path / "dup.npz"
    path.write_bytes(raw_zip([entry("a.npy", npy(np.zeros(3))), entry("a.npy", npy(np.ones(3)))]))
    refused(path, "member 'a.npy'", "two members have this name")
    ours = tmp_path / "dup_ours.npz"
    ours.write_bytes(minigrad_zip(index_of({"array": 0}), [np.zeros(2)],
                                  extra_entries=[entry("arr_0.npy", npy(np.ones(2)))]))
    refused(ours, "member 'arr_0.npy'", "two members have this name")


def test_empty_archives_are_refused(tmp_path):
    path = tmp_path / "empty.npz"
    with zipfile.ZipFile(path, "w"):
        pass
    refused(path, "the archive is empty")
    path.write_bytes(raw_zip([], TAG))
    refused(path, "the archive is empty")


def test_leading_garbage_is_refused(tmp_path):
    good = open(mg.save({"w": np.arange(4.0)}, tmp_path / "good"), "rb").read()
    garbage = bytes(random.Random(0).getrandbits(8) for _ in range(1 << 10)) * 1024  # 1 MB
    path = tmp_path / "prefixed.npz"
    path.write_bytes(garbage + good)  # offsets unchanged: zipfile would still read it ("concat")
    assert zipfile.ZipFile(path).namelist()  # the lenient reader accepts it
    refused(path, "1048576 unexpected bytes before the archive")
    shifted = raw_zip([entry(n, b) for n, b in members_of(good)], TAG, offset_base=len(garbage))
    path.write_bytes(garbage + shifted)  # offsets adjusted (as `zip -A` does): a self-extractor's layout
    refused(path, "member '__index__.npy'", "1048576 unexpected bytes before the first member")
    path.write_bytes(good + b"trailing")
    refused(path, "no zip end record")


@pytest.mark.parametrize("flags,message", [(0x1, "encrypted"), (0x41, "encrypted"), (0x2000, "encrypted"),
                                           (0x8, "data descriptor"), (0x10, "unknown flags")])
def test_encrypted_and_unknown_flags_are_refused(tmp_path, flags, message):
    path = tmp_path / "flags.npz"
    path.write_bytes(raw_zip([entry("a.npy", npy(np.ones(3)), flags=flags)]))
    refused(path, "member 'a.npy'", message)


def test_other_compression_methods_are_refused(tmp_path):
    path = tmp_path / "bz2.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("a.npy", npy(np.ones(3)))
    refused(path, "member 'a.npy'", "compression method 12")


MALFORMED_INDEXES = [
    ("not json", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    ({"format": "minigrad-state/9", "tree": 1}, "unknown format"),
    ({"format": "minigrad-state/1"}, "unexpected top level"),
    ({"format": "minigrad-state/1", "tree": 1, "extra": 2}, "unexpected top level"),
    ('{"format": "minigrad-state/1", "format": "minigrad-state/1", "tree": 1}', "appears twice"),
    (index_of({"array": 5}), "missing array 5"),
    (index_of({"list": [{"array": 0}, {"array": 0}]}), "refers to array 0 twice"),
    (index_of({"array": True}), "malformed array reference"),
    (index_of({"array": 0, "scalar": 1}), "malformed array reference"),
    (index_of({"array": 0, "scalar": True}), "marked as a scalar"),
    (index_of({"dict": [["a", 1, 2]]}), "not a [str or int key, value] pair"),
    (index_of({"dict": [[True, 1]]}), "not a [str or int key, value] pair"),
    (index_of({"dict": [["a", 1], ["a", 2]]}), "appears twice"),
    (index_of({"dict": {"a": 1}}), "unexpected entry"),
    (index_of({"float": "abc"}), "not a float"),
    (index_of({"float": 1.5}), "unexpected entry"),
    (index_of(1.5), "unexpected entry"),
    (index_of({"set": [1]}), "unexpected entry"),
    (index_of({}), "unexpected entry"),
    (index_of(123), "not in the index"),
    ('{"format": "minigrad-state/1", "tree": ' + "9" * 5000 + "}", "not valid JSON"),
    ('{"format": "minigrad-state/1", "tree": "' + '\\"' * 100_000, "not valid JSON"),  # no end: scanned once
    ('{"format": "minigrad-state/1", "tree": "' + "[" * 100_000 + '"}', "not in the index"),  # brackets in a string
]


@pytest.mark.parametrize("index,message", MALFORMED_INDEXES)
def test_malformed_index_is_refused(tmp_path, index, message):
    path = tmp_path / "index.npz"
    path.write_bytes(minigrad_zip(index, [np.ones(2)]))
    refused(path, message)


def test_index_and_member_mistakes(tmp_path):
    path = tmp_path / "m.npz"
    cases = [
        (raw_zip([entry("arr_0.npy", npy(np.ones(2)))], TAG), "'__index__.npy' is missing"),
        (minigrad_zip(index_of({"array": 0}), [np.ones(2)], extra_entries=[entry("readme.txt", b"hi")]),
         "member 'readme.txt': unexpected member: not a .npy array"),
        (minigrad_zip(index_of({"array": 0}), [np.ones(2)], extra_entries=[entry("weights.npy", npy(np.ones(1)))]),
         "member 'weights.npy': unexpected member in a minigrad file"),
        (minigrad_zip(index_of({"array": 0}), [np.ones(2)], extra_entries=[entry("arr_01.npy", npy(np.ones(1)))]),
         "member 'arr_01.npy'"),
        (raw_zip([entry("__index__.npy", npy(np.zeros((2, 2), np.uint8)))], TAG), "not 1-d uint8"),
        (raw_zip([entry("__index__.npy", npy(np.zeros(3, np.int16)))], TAG), "not 1-d uint8"),
        (minigrad_zip(index_of({"array": 0}), [np.ones(2)], comment=b"something else"), "unexpected archive comment"),
        (raw_zip([entry("dir/", b"")]), "member 'dir/'"),
    ]
    for data, message in cases:
        path.write_bytes(data)
        refused(path, message)


def zip64_file():
    """A minigrad file written with zip64 records throughout, and its state."""
    state = {"w": np.arange(6.0).reshape(2, 3), "k": "text"}
    index = index_of({"dict": [["w", {"array": 0}], ["k", "text"]]})
    entries = [entry("__index__.npy", npy(np.frombuffer(__import__("json").dumps(index).encode(), np.uint8))),
               entry("arr_0.npy", npy(state["w"]))]
    return raw_zip(entries, TAG, zip64=True), state


def test_zip64_records_are_read(tmp_path):
    data, state = zip64_file()
    path = tmp_path / "z64.npz"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as zf:  # the hand-built archive is one that zipfile reads too
        assert zf.testzip() is None and zf.comment == TAG
    assert same_state(mg.load(path), state)
    path.write_bytes(bytes(1000) + data)
    refused(path, "zip64 end record is misplaced")


def test_old_minigrad_files_without_the_comment_still_load(tmp_path):
    state = {"w": np.arange(3.0), "n": {"x": 1}}
    path = tmp_path / "old.npz"
    path.write_bytes(minigrad_zip(index_of({"dict": [["w", {"array": 0}], ["n", {"dict": [["x", 1]]}]]}),
                                  [np.arange(3.0)], comment=b""))
    assert same_state(mg.load(path), state)


HEADERS = [
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), '__import__(\"os\").system(\"x\")': 1, }",
     "malformed header"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,) }", "malformed header"),
    ("{'fortran_order': False, 'descr': '<f8', 'shape': (3,), }", "malformed header"),
    ("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }", "malformed header"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3), }", "malformed header"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }", "malformed header"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (03,), }", "malformed header"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,),, }", "malformed header"),
    ("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }", "malformed header"),
    ("{'descr': '<U1', 'fortran_order': False, 'shape': (6,), }", "not a plain bool, integer, float"),
    ("{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }", "not a plain bool, integer, float"),
    ("{'descr': '=f8', 'fortran_order': False, 'shape': (3,), }", "not a plain bool, integer, float"),
    ("{'descr': '<M8[s]', 'fortran_order': False, 'shape': (3,), }", "not a plain bool, integer, float"),
    ("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", "pickled (object) data"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (" + ", ".join(["1"] * 65) + "), }", "65 dimensions"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9999999999999999999), }", "larger than any array"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", "declares shape (4,)"),
    ("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", "declares shape (1, 2)"),
]


@pytest.mark.parametrize("header,message", HEADERS)
def test_headers_are_parsed_strictly(tmp_path, header, message):
    path = tmp_path / "h.npz"
    path.write_bytes(raw_zip([entry("a.npy", npy_with_header(header, bytes(24)))]))
    refused(path, "member 'a.npy'", message)


def test_header_prefix_mistakes(tmp_path):
    path = tmp_path / "p.npz"
    good = npy(np.arange(3.0))
    cases = [(b"\x93NUMPX" + good[6:], "not the numpy magic"), (good[:6] + b"\x09\x09" + good[8:], "version 9.9"),
             (good[:6] + b"\x02\x00" + struct.pack("<I", 2 ** 31) + good[10:], "claims 2147483648 bytes"),
             (good[:9], "ends"), (b"", "ends"),
             (npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", bytes(24), b"\x03\x00"),
              None), (good[:10] + "é".encode("latin1") + good[11:], "not ASCII")]
    for data, message in cases:
        path.write_bytes(raw_zip([entry("a.npy", data)]))
        if message is None:
            assert same_state(mg.load(path), {"a": np.zeros(3)})  # version 3.0 is read like 2.0
        else:
            refused(path, "member 'a.npy'", message)


class Payload:
    """Unpickling this creates the marker file: proof that something ran a pickle."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def pickle_attacks(tmp_path):
    marker = str(tmp_path / "PWNED")
    payload = pickle.dumps(Payload(marker))
    evil = np.array([Payload(marker), 1], dtype=object)
    pickled_npy = npy(evil)
    plain_npz = io.BytesIO()
    np.savez(plain_npz, evil=evil, ok=np.ones(2))
    return marker, payload, [
        ("object array in a minigrad file", minigrad_zip(index_of({"array": 0}), [evil]), "pickled (object) data"),
        ("object array in numpy.savez", plain_npz.getvalue(), "pickled (object) data"),
        ("a raw pickle as a member", raw_zip([entry("arr_0.npy", payload)]), "it is a pickle"),
        ("a pickle as the whole file", payload, "not a valid .npz file"),
        ("a .npy file, not a zip", pickled_npy, "not a valid .npz file"),
        ("a pickle behind an honest-looking header",
         raw_zip([entry("a.npy", npy_with_header("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
                                                 payload))]), "declares shape (3,)"),
    ]


def test_pickle_payloads_never_run(tmp_path):
    marker, payload, attacks = pickle_attacks(tmp_path)
    pickle.loads(payload)  # the payload is live: unpickling it does create the marker ...
    assert os.path.exists(marker)
    os.unlink(marker)
    path = tmp_path / "evil.npz"
    for what, data, message in attacks:
        path.write_bytes(data)
        refused(path, message)
        assert not os.path.exists(marker), what  # ... and load never unpickles


# ----------------------------------------------------------------------------- the corpus
def structure(data: bytes):
    """Byte ranges of a well-formed archive: [(label, start, end)] for local headers, .npy headers, the
    central directory and end record, and each member's data."""
    ranges = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            at = info.header_offset
            name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
            start = at + 30 + name_len + extra_len
            ranges.append((f"local header {info.filename}", at, start))
            if info.compress_type == zipfile.ZIP_STORED:
                header_len = 10 + struct.unpack_from("<H", data, start + 8)[0]
                ranges.append((f"npy header {info.filename}", start, start + header_len))
                ranges.append((f"data {info.filename}", start + header_len, start + info.compress_size))
            else:
                ranges.append((f"deflated {info.filename}", start, start + info.compress_size))
        ranges.append(("central directory and end record", zf.start_dir, len(data)))
    return ranges


def corpus(tmp_path):
    """(label, file bytes, the state an intact load must give, or None when no load may succeed)."""
    rng = random.Random(13)
    cases = []

    def truncations(label, data, expected, offsets):
        cases.extend((f"{label}: cut at {n}", data[:n], None) for n in sorted(set(offsets)) if n < len(data))

    def flips(label, data, expected, bits):
        for bit in sorted(set(bits)):
            b = bytearray(data)
            b[bit // 8] ^= 1 << (bit % 8)
            cases.append((f"{label}: bit {bit} flipped", bytes(b), expected))

    # a small minigrad file: every truncation, one bit in every byte
    small = {"w": np.arange(50.0), "s": 7, "nested": OrderedDict([("b", np.ones(3, np.float32)), ("t", (1.5, "x"))]),
             "z": np.float32(2.5), "e": np.zeros((0, 3), np.int16), "f": np.arange(6.0).reshape(2, 3).T}
    data = open(mg.save(small, tmp_path / "small"), "rb").read()
    truncations("small", data, small, range(len(data)))
    flips("small", data, small, [8 * i + rng.randrange(8) for i in range(len(data))])

    # Linear(100, 100): every bit of the weight's .npy header (issue 13's 1,024 flips) and local header,
    # every bit of the central directory and end record, a sample of its data and of the index
    mg.manual_seed(0)
    linear = {"model": mg.nn.Linear(100, 100).state_dict(), "epoch": 3}
    data = open(mg.save(linear, tmp_path / "linear"), "rb").read()
    regions = {label: (a, b) for label, a, b in structure(data)}
    weight = weight_member(data)[0]
    bits = []
    for label in (f"npy header {weight}", f"local header {weight}", "central directory and end record"):
        a, b = regions[label]
        bits += range(8 * a, 8 * b)
    a, b = regions[f"data {weight}"]
    bits += rng.sample(range(8 * a, 8 * b), 512)
    a, b = regions["data __index__.npy"]
    bits += rng.sample(range(8 * a, 8 * b), 64)
    flips("linear", data, linear, bits)
    boundaries = [x + d for _, a, b in structure(data) for x in (a, b) for d in (-1, 0, 1)]
    truncations("linear", data, linear, boundaries + rng.sample(range(len(data)), 256))

    # numpy's own files: compressed (deflate) and stored, read as flat dicts
    arrays = {"w": np.random.default_rng(1).standard_normal(2000).astype(np.float32), "b": np.zeros(64),
              "i": np.arange(100, dtype=np.int64)}
    for label, writer in (("savez_compressed", np.savez_compressed), ("savez", np.savez)):
        buf = io.BytesIO()
        writer(buf, **arrays)
        data = buf.getvalue()
        truncations(label, data, arrays, rng.sample(range(len(data)), 128))
        flips(label, data, arrays, rng.sample(range(8 * len(data)), 384))

    # zip64 records: every bit of the records (sizes, offsets and counts live in extra fields there)
    data, state = zip64_file()
    regions = structure(data)
    bits = [bit for label, a, b in regions if not label.startswith("data") for bit in range(8 * a, 8 * b)]
    flips("zip64", data, state, rng.sample(bits, 1024))
    truncations("zip64", data, state, range(len(data)))

    # the crafted files, as files on their own
    marker, _, attacks = pickle_attacks(tmp_path)
    cases += [(f"pickle: {what}", d, None) for what, d, _ in attacks]
    cases += [(f"index: {message}", minigrad_zip(index, [np.ones(2)]), None) for index, message in MALFORMED_INDEXES]
    cases += [(f"header: {message}", raw_zip([entry("a.npy", npy_with_header(h, bytes(24)))]), None)
              for h, message in HEADERS]
    good = open(mg.save({"w": np.arange(4.0)}, tmp_path / "good"), "rb").read()
    cases += [("1 MB of leading garbage", bytes(1 << 20) + good, None),
              ("duplicate members", raw_zip([entry("a.npy", npy(np.zeros(3))), entry("a.npy", npy(np.ones(3)))]), None),
              ("empty zip", raw_zip([]), None),
              ("encrypted flag", raw_zip([entry("a.npy", npy(np.ones(3)), flags=1)]), None),
              ("nested index", minigrad_zip('{"format": "minigrad-state/1", "tree": ' + '{"list": [' * 100_000
                                            + "]}" * 100_000 + "}"), None),
              ("a terabyte header", raw_zip([entry("a.npy", npy_with_header(
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", bytes(80)))]), None)]
    return cases, marker


def test_hostile_corpus_outcomes_by_class(tmp_path):
    cases, marker = corpus(tmp_path)
    counts = collections.Counter()
    bad = []
    path = tmp_path / "hostile.npz"
    started = time.perf_counter()
    for label, data, expected in cases:
        path.unlink(missing_ok=True)  # rewriting in place is 30x slower: ext4 flushes a truncated file on close
        path.write_bytes(data)
        result = outcome(path, expected)
        counts[result if result in ("refused", "identical", "WRONG", "hang") else "raw"] += 1
        if result not in ("refused", "identical"):
            bad.append((label, result))
    elapsed = time.perf_counter() - started
    print(f"\nhostile corpus: {len(cases)} files in {elapsed:.1f} s: {counts['refused']} ValueErrors naming "
          f"the file, {counts['identical']} loaded identical (harmless bytes), {counts['WRONG']} wrong arrays, "
          f"{counts['raw']} raw internal exceptions, {counts['hang']} hangs")
    assert not bad, bad[:10]
    assert not os.path.exists(marker)
    assert counts["refused"] > 0.9 * len(cases)  # almost every damage is caught; the rest loads intact
