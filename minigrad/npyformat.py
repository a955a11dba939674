"""The `.npy` header, read strictly: only the exact text numpy writes for plain numeric arrays.

A `.npy` member starts with the magic `\\x93NUMPY`, a version (1.0, 2.0 or 3.0), the header's length
(2 bytes in 1.0, 4 bytes after) and the header: a Python dict literal such as
`{'descr': '<f4', 'fortran_order': False, 'shape': (100, 100), }` padded with spaces and ended by a
newline. numpy parses it with `ast.literal_eval`; this module never evaluates it: one regular expression
accepts the three keys in numpy's order and literal forms, and the dtype must be bool, a signed or
unsigned integer, a float or a complex type (never an object dtype, which only pickle could read).
"""
from __future__ import annotations

import re
import struct
from typing import Callable, NamedTuple, Tuple

import numpy as np

MAGIC = b"\x93NUMPY"
MAX_HEADER = 65535  # numpy itself refuses headers over 10,000 bytes unless told otherwise
MAX_DIMS = 64  # numpy's NPY_MAXDIMS
PLAIN_DESCRS = frozenset(
    ["|b1", "|i1", "|u1"]
    + [order + kind + str(size) for order in "<>" for kind, sizes in
       (("i", (2, 4, 8)), ("u", (2, 4, 8)), ("f", (2, 4, 8)), ("c", (8, 16))) for size in sizes])

_DIM = r"(?:0|[1-9][0-9]{0,18})"  # a non-negative int as repr writes it, at most 19 digits
_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[^'\\]{1,16})', 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>|" + _DIM + r",|" + _DIM + r"(?:, " + _DIM + r")+)\), \} *\n\Z")


class NpyFormatError(ValueError):
    """A `.npy` header that is not one numpy writes for a plain numeric array."""


class NpyHeader(NamedTuple):
    dtype: np.dtype
    fortran_order: bool
    shape: Tuple[int, ...]
    header_size: int  # bytes from the magic to the end of the header text
    data_size: int  # bytes of array data that must follow: prod(shape) * itemsize


def is_plain_dtype(dtype: np.dtype) -> bool:
    """True for the dtypes a header may declare (bool, integers, float16/32/64, complex64/128)."""
    return dtype.str in PLAIN_DESCRS


def read_header(read: Callable[[int], bytes]) -> NpyHeader:
    """Read and check a `.npy` header through `read(n)`, which returns exactly n bytes or raises."""
    magic = read(len(MAGIC))
    if magic != MAGIC:
        if magic[:1] == b"\x80":
            raise NpyFormatError("it is a pickle, not a .npy array; load never unpickles")
        raise NpyFormatError(f"it is not a .npy array (starts with {magic!r}, not the numpy magic)")
    version = tuple(read(2))
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise NpyFormatError(f"unknown .npy format version {version[0]}.{version[1]}")
    length_format = "<H" if version == (1, 0) else "<I"
    (length,) = struct.unpack(length_format, read(struct.calcsize(length_format)))
    if length > MAX_HEADER:
        raise NpyFormatError(f"its header claims {length} bytes; numpy writes at most a few hundred")
    text = read(length)
    dtype, fortran_order, shape = parse_header(text)
    count, extent = 1, dtype.itemsize  # extent: what numpy checks against its index range, zeros skipped
    for n in shape:
        count *= n
        extent *= max(n, 1)
    if extent > np.iinfo(np.intp).max:
        raise NpyFormatError(f"its header declares shape {shape}, larger than any array can be")
    header_size = len(MAGIC) + 2 + struct.calcsize(length_format) + length
    return NpyHeader(dtype, fortran_order, shape, header_size, count * dtype.itemsize)


def parse_header(text: bytes) -> Tuple[np.dtype, bool, Tuple[int, ...]]:
    """(dtype, fortran_order, shape) from the header text, or NpyFormatError saying what is wrong."""
    try:
        header = text.decode("ascii")
    except UnicodeDecodeError:
        raise NpyFormatError(f"its header is not ASCII text: {text[:80]!r}") from None
    match = _HEADER.match(header)
    if match is None:
        raise NpyFormatError(f"malformed header {header[:120]!r}")
    descr = match["descr"]
    if descr not in PLAIN_DESCRS:
        if "O" in descr:
            raise NpyFormatError("it holds pickled (object) data, which load refuses to unpickle")
        raise NpyFormatError(f"dtype {descr!r} is not a plain bool, integer, float or complex type")
    shape = tuple(int(n) for n in match["shape"].split(",") if n)
    if len(shape) > MAX_DIMS:
        raise NpyFormatError(f"its header declares {len(shape)} dimensions; numpy allows {MAX_DIMS}")
    return np.dtype(descr), match["fortran"] == "True", shape
