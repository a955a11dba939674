"""save/load: state dicts to a `.npz` file, without pickle, written atomically.

File layout: a zip archive of `.npy` members, as `numpy.savez` writes, plus one member `__index__`
(a uint8 array holding UTF-8 JSON) that records the nesting. Arrays are stored as `arr_0.npy`,
`arr_1.npy`, ... and the index refers to them by number, so keys may contain any character
(no escaping). Supported values: dicts (str or int keys; OrderedDict comes back as OrderedDict),
lists, tuples, ndarrays and numpy scalars (any non-object dtype: restored bit-exactly with dtype
and shape, including 0-d and empty arrays), Tensors (saved as their array and loaded back as
plain ndarrays), and Python int, float, bool, str and None.

`save` appends `.npz` when the path lacks it (as numpy does) and returns the path written.
`load` also reads plain `numpy.savez` files of arrays (as a flat dict) and refuses pickled
(object) arrays.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, Dict, List, Union

import numpy as np
from numpy.lib import format as npformat

from .tensor import Tensor

__all__ = ["save", "load"]

_INDEX = "__index__"
_FORMAT = "minigrad-state/1"
PathLike = Union[str, "os.PathLike[str]"]


# --------------------------------------------------------------------- encoding
def _encode(obj: Any, arrays: List[np.ndarray], where: str, active: set) -> Any:
    """The JSON description of obj; arrays are appended to `arrays` and referred to by index."""
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, (np.ndarray, np.generic)):  # before Python numbers: np.float64 is a float
        arr = np.asarray(obj)
        if arr.dtype.hasobject:
            raise TypeError(f"save: cannot save the object array at {where} (dtype {arr.dtype}) without "
                            "pickling; convert it to a numeric array")
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
        active.add(id(obj))
        try:
            if isinstance(obj, dict):
                items = []
                for k, v in obj.items():
                    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (str, int, np.integer)):
                        raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__} {k!r} at {where}")
                    k = k if isinstance(k, str) else int(k)
                    items.append([k, _encode(v, arrays, f"{where}[{k!r}]", active)])
                kind = "odict" if isinstance(obj, OrderedDict) else "dict"
                return {kind: items}
            kind = "list" if isinstance(obj, list) else "tuple"
            return {kind: [_encode(v, arrays, f"{where}[{i}]", active) for i, v in enumerate(obj)]}
        finally:
            active.discard(id(obj))
    hint = " (save module.state_dict() or optimizer.state_dict())" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"save: cannot save a {type(obj).__name__} at {where}{hint}; supported: dict, list, tuple, "
                    "ndarray, Tensor, int, float, bool, str, None")


def _decode(node: Any, arrays: Dict[int, np.ndarray], path: str) -> Any:
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, dict) and len(node) >= 1:
        if "float" in node:
            return float(node["float"])
        if "array" in node:
            arr = arrays.get(node["array"])
            if arr is None:
                raise ValueError(f"load: {path!r} is corrupt: its index refers to a missing array {node['array']!r}")
            return arr[()] if node.get("scalar") else arr
        if "dict" in node or "odict" in node:
            out = OrderedDict() if "odict" in node else {}
            for k, v in node.get("dict", node.get("odict")):
                out[k] = _decode(v, arrays, path)
            return out
        if "list" in node:
            return [_decode(v, arrays, path) for v in node["list"]]
        if "tuple" in node:
            return tuple(_decode(v, arrays, path) for v in node["tuple"])
    raise ValueError(f"load: {path!r} is corrupt: unexpected entry {node!r} in its index")


# --------------------------------------------------------------------- save
def save(obj: Any, path: PathLike) -> str:
    """Write a state dict (nested dicts/lists of arrays, Tensors, numbers) to `path` (.npz added if missing)
    atomically: a temporary file in the same folder, then os.replace. Returns the path written."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    arrays: List[np.ndarray] = []
    tree = _encode(obj, arrays, "the top level", set())  # all type errors before touching the disk
    index = json.dumps({"format": _FORMAT, "tree": tree}).encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                _write_member(zf, _INDEX, np.frombuffer(index, dtype=np.uint8))
                for i, arr in enumerate(arrays):
                    _write_member(zf, f"arr_{i}", arr)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _write_member(zf: zipfile.ZipFile, name: str, arr: np.ndarray) -> None:
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        npformat.write_array(f, arr, allow_pickle=False)


# --------------------------------------------------------------------- load
def load(path: PathLike) -> Any:
    """Read what `save` wrote (arrays come back as numpy arrays, Tensors too); never unpickles.

    FileNotFoundError for a missing file; ValueError for a file that is not a valid archive
    (truncated, corrupt) or that holds pickled object arrays.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and not path.endswith(".npz") and os.path.exists(path + ".npz"):
        path += ".npz"
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    with open(path, "rb") as fh:  # permission errors and the like surface as themselves
        arrays = _read_archive(fh, path)
    if _INDEX not in arrays:  # a plain numpy.savez file: a flat dict of arrays
        return dict(arrays)
    try:
        meta = json.loads(arrays.pop(_INDEX).tobytes().decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"unknown format {meta.get('format') if isinstance(meta, dict) else meta!r}")
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"load: {path!r} is corrupt: unreadable index ({e})") from e
    numbered = {}
    for name, arr in arrays.items():
        if not name.startswith("arr_") or not name[4:].isdigit():
            raise ValueError(f"load: {path!r} is corrupt: unexpected member {name!r}")
        numbered[int(name[4:])] = arr
    try:
        return _decode(meta.get("tree", {}), numbered, path)
    except (TypeError, KeyError, AttributeError) as e:
        raise ValueError(f"load: {path!r} is corrupt: malformed index ({e})") from e


def _read_archive(fh: Any, path: str) -> Dict[str, np.ndarray]:
    """Every `.npy` member of the zip archive in fh, by name without the suffix."""
    try:
        with zipfile.ZipFile(fh, "r") as zf:
            arrays = {}
            for name in zf.namelist():
                if not name.endswith(".npy"):
                    raise ValueError(f"unexpected member {name!r}")
                with zf.open(name) as f:
                    arrays[name[:-4]] = _read_member(f, name)
    except _PickledData as e:
        raise ValueError(f"load: {path!r}: {e}") from e
    except zipfile.BadZipFile as e:
        raise ValueError(f"load: {path!r} is not a valid .npz file (truncated or corrupt: {e})") from e
    except (EOFError, OSError, zlib.error, ValueError, NotImplementedError) as e:  # OSError: seeks to bad offsets
        raise ValueError(f"load: {path!r} is truncated or corrupt: {e}") from e
    return arrays


class _PickledData(ValueError):
    """A member that only pickle could read."""


def _read_member(f: Any, name: str) -> np.ndarray:
    try:
        return npformat.read_array(f, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise _PickledData(f"member {name!r} holds pickled (object) data, which load refuses to unpickle") from e
        raise ValueError(f"member {name!r}: {e}") from e
