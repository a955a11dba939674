"""save/load: state dicts to a `.npz` file, without pickle, written atomically, verified when read.

File layout: a zip archive of `.npy` members, as `numpy.savez` writes, plus one member `__index__`
(a uint8 array holding UTF-8 JSON) that records the nesting, and the archive comment
`minigrad-state/1`. Arrays are stored as `arr_0.npy`, `arr_1.npy`, ... and the index refers to them by
number, so keys may contain any character (no escaping). Supported values: dicts (str or int keys;
OrderedDict comes back as OrderedDict), lists, tuples, ndarrays and numpy scalars of bool, integer,
float16/32/64 and complex64/128 dtypes (restored bit-exactly with dtype and shape, including 0-d and
empty arrays), Tensors (saved as their array and loaded back as plain ndarrays), and Python int,
float, bool, str and None, nested at most 100 containers deep.

`save` appends `.npz` when the path lacks it (as numpy does) and returns the path written. It writes
a temporary file `.<name>.minigrad-save.<16 hex digits>.tmp` beside the target, locked while it is
written, fsyncs it, renames it over the target and fsyncs the folder, so a crash leaves the old file
or the new one, whole. Before writing it removes that target's temporaries left by saves that died
(unlocked ones; on systems without `fcntl` every one that is not open).

`load` trusts nothing it has not checked (`ziparchive` and `npyformat` do the reading): the file must
be a regular file holding one zip archive from its first byte to its last; every member is read to its
end and its CRC-32 compared; each `.npy` header is parsed strictly and must declare exactly the data
that follows; members may not expand to more than `max_expansion` times the file's size. It also
reads plain `numpy.savez`/`savez_compressed` files of arrays (as a flat dict). Any damage is a
ValueError naming the file and the member; pickled content is refused, never unpickled.
"""
from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import secrets
import stat
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Set, Tuple, Union

import numpy as np
from numpy.lib import format as npformat

from . import npyformat, ziparchive
from .tensor import Tensor

try:
    import fcntl as _fcntl
except ImportError:  # Windows: no advisory locks, but an open file cannot be removed there
    _fcntl = None

__all__ = ["save", "load"]

_INDEX = "__index__"
_FORMAT = "minigrad-state/1"
_MAX_NESTING = 100  # containers inside containers, refused beyond this by save and by load
_MAX_JSON_DEPTH = 3 * _MAX_NESTING + 2  # a dict node is 3 brackets deep ({"dict": [[k, v]]}), plus 2
_SMALL_FILE_BYTES = 1 << 20  # a file may always expand to this much, whatever its size
_ARRAY_NAME = re.compile(r"arr_(0|[1-9][0-9]*)\Z")
PathLike = Union[str, "os.PathLike[str]"]


# --------------------------------------------------------------------- encoding
def _encode(obj: Any, arrays: List[np.ndarray], where: str, active: Set[int], depth: int) -> Any:
    """The JSON description of obj; arrays are appended to `arrays` and referred to by index."""
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, (np.ndarray, np.generic)):  # before Python numbers: np.float64 is a float
        arr = np.asarray(obj)
        if not npyformat.is_plain_dtype(arr.dtype):
            what = ("an object array (only pickle could store it)" if arr.dtype.hasobject
                    else f"an array of dtype {arr.dtype}")
            raise TypeError(f"save: cannot save {what} at {where}; supported: bool, integer, float16/32/64 "
                            "and complex64/128 arrays (convert it with .astype)")
        arrays.append(arr)
        node = {"array": len(arrays) - 1}
        if isinstance(obj, np.generic):
            node["scalar"] = True
        return node
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return {"float": repr(float(obj))}  # repr round-trips exactly, nan/inf included
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: the object at {where} contains itself")
        if depth >= _MAX_NESTING:
            raise ValueError(f"save: the object at {where} is nested more than {_MAX_NESTING} containers deep")
        active.add(id(obj))
        try:
            if isinstance(obj, dict):
                items = []
                for k, v in obj.items():
                    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (str, int, np.integer)):
                        raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} {k!r} at {where}")
                    k = k if isinstance(k, str) else int(k)
                    items.append([k, _encode(v, arrays, f"{where}[{k!r}]", active, depth + 1)])
                kind = "odict" if isinstance(obj, OrderedDict) else "dict"
                return {kind: items}
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [_encode(v, arrays, f"{where}[{i}]", active, depth + 1) for i, v in enumerate(obj)]}
        finally:
            active.discard(id(obj))
    hint = " (save module.state_dict() or optimizer.state_dict())" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"save: cannot save a {type(obj).__name__} at {where}{hint}; supported: dict, list, tuple, "
                    "ndarray, Tensor, int, float, bool, str, None")


def _decode(node: Any, arrays: Dict[int, np.ndarray], used: Set[int]) -> Any:
    """The object a (depth-checked) index node describes; anything but what _encode writes is refused."""
    if node is None or isinstance(node, (bool, str)) or type(node) is int:
        return node
    if isinstance(node, dict) and len(node) == 1:
        (kind, value), = node.items()
        if kind == "float" and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise _bad_index(f"{value[:40]!r} is not a float") from None
        if kind in ("dict", "odict") and isinstance(value, list):
            out = OrderedDict() if kind == "odict" else {}
            for item in value:
                pair = isinstance(item, list) and len(item) == 2
                if not (pair and (type(item[0]) is int or isinstance(item[0], str))):
                    raise _bad_index(f"a dict item {_brief(item)} is not a [str or int key, value] pair")
                if item[0] in out:
                    raise _bad_index(f"the dict key {item[0]!r} appears twice")
                out[item[0]] = _decode(item[1], arrays, used)
            return out
        if kind in ("list", "tuple") and isinstance(value, list):
            items = [_decode(v, arrays, used) for v in value]
            return items if kind == "list" else tuple(items)
    if isinstance(node, dict) and "array" in node and set(node) <= {"array", "scalar"}:
        number, scalar = node["array"], node.get("scalar", False)
        if type(number) is not int or type(scalar) is not bool:
            raise _bad_index(f"malformed array reference {_brief(node)}")
        if number not in arrays:
            raise _bad_index(f"its index refers to a missing array {number}")
        if number in used:
            raise _bad_index(f"its index refers to array {number} twice")
        used.add(number)
        arr = arrays[number]
        if scalar and arr.ndim != 0:
            raise _bad_index(f"array {number} of shape {arr.shape} is marked as a scalar")
        return arr[()] if scalar else arr
    raise _bad_index(f"unexpected entry {_brief(node)}")


def _bad_index(message: str) -> ziparchive.ArchiveError:
    return ziparchive.ArchiveError(message, _INDEX + ".npy")


def _brief(node: Any) -> str:
    text = repr(node)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------- save
def save(obj: Any, path: PathLike) -> str:
    """Write a state dict (nested dicts/lists of arrays, Tensors, numbers) to `path` (.npz added if missing)
    atomically: a temporary file in the same folder, fsync, os.replace, fsync of the folder.
    Returns the path written. Leftover temporaries of earlier saves to this path that died are removed."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    arrays: List[np.ndarray] = []
    tree = _encode(obj, arrays, "the top level", set(), 0)  # all type errors before touching the disk
    index = json.dumps({"format": _FORMAT, "tree": tree}).encode("utf-8")
    folder, base = os.path.split(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    _remove_abandoned_temporaries(folder, base)
    fd, tmp = _create_temporary(folder, base)
    try:
        with os.fdopen(fd, "wb") as fh:  # closing it releases the lock
            _write_archive(fh, index, arrays)
            os.chmod(tmp, mode)
            if _fcntl is not None:
                os.replace(tmp, path)  # under the lock: no other save's cleanup can take the file first
        if _fcntl is None:
            os.replace(tmp, path)  # Windows renames only closed files
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(folder)
    return path


def _write_archive(fh: Any, index: bytes, arrays: List[np.ndarray]) -> None:
    """The zip archive: the index, then arr_0, arr_1, ...; flushed and fsynced."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.comment = _FORMAT.encode("ascii")
        _write_member(zf, _INDEX, np.frombuffer(index, dtype=np.uint8))
        for i, arr in enumerate(arrays):
            _write_member(zf, f"arr_{i}", arr)
    fh.flush()
    os.fsync(fh.fileno())


def _write_member(zf: zipfile.ZipFile, name: str, arr: np.ndarray) -> None:
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        npformat.write_array(f, arr, allow_pickle=False)


def _temporary_pattern(base: str) -> "re.Pattern[str]":
    """Names of save's temporaries for the target `base`, and nothing else (`base` ends with .npz)."""
    return re.compile(re.escape("." + base) + r"\.minigrad-save\.[0-9a-f]{16}\.tmp\Z")


def _create_temporary(folder: str, base: str) -> Tuple[int, str]:
    """A new temporary file for `base` in `folder`, open for writing and locked: (fd, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{base}.minigrad-save.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileExistsError:
            continue
        # A concurrent save's cleanup may have locked (and removed) the file between open and lock:
        # then take another name. Without working locks (some network file systems) go ahead unlocked.
        if _try_lock(fd) is not False and _is_same_file(fd, tmp):
            return fd, tmp
        os.close(fd)
    raise OSError(f"save: could not create a temporary file in {folder!r}")


def _remove_abandoned_temporaries(folder: str, base: str) -> None:
    """Remove this target's temporaries whose save is no longer running (best effort: failures are skipped)."""
    pattern = _temporary_pattern(base)
    try:
        names = [name for name in os.listdir(folder) if pattern.match(name)]
    except OSError:
        return  # creating the temporary will report a missing or unreadable folder
    for name in names:
        tmp = os.path.join(folder, name)
        try:
            if not stat.S_ISREG(os.lstat(tmp).st_mode):
                continue
            if _fcntl is None:  # a save in progress holds its file open, and open files cannot be removed
                os.unlink(tmp)
                continue
            fd = os.open(tmp, os.O_RDWR | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                if _try_lock(fd) is True and _is_same_file(fd, tmp):  # unlocked: its writer is gone
                    os.unlink(tmp)
            finally:
                os.close(fd)
        except OSError:
            continue


def _try_lock(fd: int) -> Optional[bool]:
    """Take an exclusive lock without waiting: True if taken, False if another holds it, None if unsupported."""
    if _fcntl is None:
        return None
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return None


def _is_same_file(fd: int, path: str) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _fsync_directory(folder: str) -> None:
    """Make the rename durable. Skipped where folders cannot be opened (Windows)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):  # file systems that do not sync folders
            raise
    finally:
        os.close(fd)


# --------------------------------------------------------------------- load
def load(path: PathLike, *, max_expansion: float = 20.0) -> Any:
    """Read what `save` wrote (arrays come back as numpy arrays, Tensors too); never unpickles.

    Everything is verified before it is returned: FileNotFoundError for a missing file, ValueError
    naming the file (and the member) for anything else that is wrong: not a regular file, not a
    valid archive, truncated, damaged (CRC mismatch), a header that does not match its data,
    pickled content, or a malformed index. Compressed members (`numpy.savez_compressed`) may expand
    to at most `max_expansion` times the file's size in all (or 1 MiB, for tiny files); when you
    trust a file that expands more, pass a larger `max_expansion` (`math.inf` for no bound).
    """
    path = os.fspath(path)
    if not os.path.lexists(path) and not path.endswith(".npz") and os.path.lexists(path + ".npz"):
        path += ".npz"
    if isinstance(max_expansion, bool) or not isinstance(max_expansion, (int, float)):
        raise TypeError(f"load: max_expansion must be a number, got {type(max_expansion).__name__}")
    if not max_expansion >= 1:
        raise ValueError(f"load: max_expansion must be at least 1, got {max_expansion}")
    try:
        fh, size = ziparchive.open_regular_file(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such file: {path!r}") from None
    except ziparchive.ArchiveError as e:
        raise ValueError(f"load: {path!r}: {e}; load reads only regular files") from None
    with fh:
        try:
            return _read_state(fh, size, max_expansion, path)
        except ziparchive.ArchiveError as e:
            member = f"member {e.member!r}: " if e.member else ""
            raise ValueError(f"load: {path!r} is not a valid .npz file: {member}{e}") from None


def _read_state(fh: Any, size: int, max_expansion: float, path: str) -> Any:
    members, comment = ziparchive.read_directory(fh, size)
    if comment not in (b"", _FORMAT.encode("ascii")):
        raise ziparchive.ArchiveError(f"unexpected archive comment {comment[:40]!r}")
    by_key = {}
    for m in members:
        if not m.name.endswith(".npy"):
            raise ziparchive.ArchiveError("unexpected member: not a .npy array", m.name)
        by_key[m.name[:-4]] = m
    declared = sum(m.size for m in members)
    if declared > max(max_expansion * size, _SMALL_FILE_BYTES):
        raise ValueError(
            f"load: {path!r}: its compressed members would expand to {declared:,} bytes, {declared / size:.0f} "
            f"times the file's {size:,} bytes; load allows {max_expansion:g} times (or 1 MiB). If you trust the "
            f"file, pass max_expansion={math.ceil(declared / size)} or more")
    if _INDEX not in by_key and not comment:  # a plain numpy.savez file: a flat dict of arrays
        return {key: _read_array(fh, m) for key, m in by_key.items()}
    if _INDEX not in by_key:
        raise ziparchive.ArchiveError(f"its index member {_INDEX + '.npy'!r} is missing")
    numbered = {}
    for key, m in by_key.items():
        match = _ARRAY_NAME.match(key)
        if match:
            numbered[int(match[1])] = m
        elif key != _INDEX:
            raise ziparchive.ArchiveError("unexpected member in a minigrad file", m.name)
    tree = _read_index(fh, by_key[_INDEX])
    arrays = {number: _read_array(fh, m) for number, m in sorted(numbered.items(), key=lambda i: i[1].data_offset)}
    used: Set[int] = set()
    state = _decode(tree, arrays, used)
    if len(used) != len(arrays):
        unused = sorted(set(arrays) - used)
        raise ziparchive.ArchiveError(f"members {', '.join(f'arr_{n}.npy' for n in unused[:5])}"
                                      f"{' ...' if len(unused) > 5 else ''} are not in the index")
    return state


def _read_array(fh: Any, member: ziparchive.Member) -> np.ndarray:
    """The member's array, read to its end and CRC-checked, its header declaring exactly its data."""
    reader = ziparchive.MemberReader(fh, member)
    try:
        header = npyformat.read_header(reader.read)
    except npyformat.NpyFormatError as e:
        raise ziparchive.ArchiveError(str(e), member.name) from None
    held = member.size - header.header_size
    if header.data_size != held:
        raise ziparchive.ArchiveError(
            f"its header declares shape {header.shape} of {header.dtype} ({header.data_size:,} bytes) "
            f"but it holds {held:,} bytes of data", member.name)
    data = np.empty(header.data_size, dtype=np.uint8)
    reader.readinto(memoryview(data))
    reader.finish()
    arr = data.view(header.dtype)
    if header.fortran_order:
        return arr.reshape(header.shape[::-1]).transpose()
    return arr.reshape(header.shape)


def _read_index(fh: Any, member: ziparchive.Member) -> Any:
    """The index's tree, after checking its type, its nesting depth and its top level."""
    arr = _read_array(fh, member)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise _bad_index(f"the index is a {arr.dtype} array of shape {arr.shape}, not 1-d uint8")
    try:
        text = arr.tobytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise _bad_index(f"the index is not UTF-8 text ({e.reason} at byte {e.start})") from None
    depth = _json_depth(text)
    if depth > _MAX_JSON_DEPTH:
        raise _bad_index(f"the index nests deeper than {_MAX_JSON_DEPTH} brackets (more than {_MAX_NESTING} "
                         "containers)")
    try:
        meta = json.loads(text, object_pairs_hook=_unique_keys)
    except ValueError as e:  # JSONDecodeError, a key repeated, an int too long to convert
        raise _bad_index(f"the index is not valid JSON ({e})") from None
    if not isinstance(meta, dict) or set(meta) != {"format", "tree"}:
        raise _bad_index(f"unexpected top level {_brief(meta)}")
    if meta["format"] != _FORMAT:
        raise _bad_index(f"unknown format {_brief(meta['format'])} (this minigrad reads {_FORMAT!r})")
    return meta["tree"]


# A JSON string (to its closing quote, or to the end when it has none) or a bracket. Every way a string can
# stop scanning is accepted by the tail, so nothing backtracks: linear time on any text.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z)|[\[\]{}]')


def _json_depth(text: str) -> int:
    """How deeply brackets nest in JSON text (outside strings), counted up to one beyond the limit."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match[0]
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > _MAX_JSON_DEPTH:
                break
        elif token in "]}":
            depth -= 1
    return deepest


def _unique_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out
