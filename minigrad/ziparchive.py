"""A strict reader for the zip archives that `numpy.savez` and `minigrad.save` write.

Python's `zipfile` is lenient by design: it accepts bytes before the archive, keeps the last of two
members with one name, and checks a member's CRC only if the member is read to its end. Here the
layout is checked before anything is read: the members, the central directory and the end record
must tile the file from byte 0 to its end with nothing in between, every local header must agree
with its central-directory entry, and no member may be encrypted or use a compression other than
stored or deflate. `MemberReader` then reads a member to its end, bounded by its declared sizes,
and `finish()` compares the CRC-32 of what was read with the recorded one.
"""
from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from typing import List, NamedTuple, Optional, Tuple

STORED, DEFLATED = 0, 8
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # (20 bytes)
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record (56 bytes)
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header (46 bytes)
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (30 bytes)
_SIG_EOCD, _SIG_LOCATOR, _SIG_ZIP64 = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"
_SIG_CENTRAL, _SIG_LOCAL = b"PK\x01\x02", b"PK\x03\x04"
_U16, _U32 = 0xFFFF, 0xFFFFFFFF
_FLAG_ENCRYPTED, _FLAG_DESCRIPTOR, _FLAG_STRONG, _FLAG_UTF8, _FLAG_MASKED = 0x1, 0x8, 0x40, 0x800, 0x2000
_FLAGS_ALLOWED = 0x2 | 0x4 | _FLAG_UTF8  # deflate's speed hints and UTF-8 names
_CHUNK = 1 << 20


class ArchiveError(ValueError):
    """The archive is damaged or not one load reads; `member` names the member when one is at fault."""

    def __init__(self, message: str, member: Optional[str] = None) -> None:
        super().__init__(message)
        self.member = member


class Member(NamedTuple):
    name: str
    method: int  # STORED or DEFLATED
    crc: int
    compressed_size: int
    size: int  # uncompressed
    data_offset: int


def open_regular_file(path: str) -> Tuple[io.FileIO, int]:
    """(binary file, size) for a regular file; a FIFO, device or directory is refused without blocking.

    The path is checked before opening (opening some devices has effects) and the open file again
    (the path may have changed in between); O_NONBLOCK makes even that open of a FIFO return at once.
    """
    _refuse_irregular(os.stat(path).st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        _refuse_irregular(st.st_mode)
        return io.FileIO(fd, "rb", closefd=True), st.st_size
    except BaseException:
        os.close(fd)
        raise


def _refuse_irregular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                 (stat.S_ISSOCK, "a socket")]
        kind = next((text for test, text in kinds if test(mode)), "not a regular file")
        raise ArchiveError(f"it is {kind}, not a regular file")


def _read_at(fh: io.FileIO, offset: int, n: int) -> bytes:
    fh.seek(offset)
    data = fh.read(n)
    if data is None or len(data) != n:
        raise ArchiveError("the file changed or ended while being read")
    return data


class _Entry(NamedTuple):
    """A central directory entry, zip64 values resolved."""
    offset: int
    raw_name: bytes
    name: str
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int


def read_directory(fh: io.FileIO, size: int) -> Tuple[List[Member], bytes]:
    """The members in file order and the archive comment, after checking the whole layout."""
    cd_offset, cd_size, count, comment = _end_records(fh, size)
    entries = _central_entries(_read_at(fh, cd_offset, cd_size), cd_offset)
    if len(entries) != count:
        raise ArchiveError(f"the end record counts {count} members but the central directory holds {len(entries)}")
    if not entries:
        raise ArchiveError("the archive is empty")
    names = set()
    for e in entries:
        if e.name in names:
            raise ArchiveError("two members have this name", e.name)
        names.add(e.name)
    members, expected = [], 0  # each member must start where the one before it ends, the first at byte 0
    for e in sorted(entries):
        if e.offset < expected:
            raise ArchiveError(f"it overlaps the member before it (starts at byte {e.offset})", e.name)
        if e.offset > expected:
            where = "before the first member" if expected == 0 else "between members"
            raise ArchiveError(f"{e.offset - expected} unexpected bytes {where} (at byte {expected})", e.name)
        data_offset = _check_local_header(fh, e, cd_offset)
        if e.method == STORED and e.compressed_size != e.size:
            raise ArchiveError(f"stored member with compressed size {e.compressed_size} != size {e.size}", e.name)
        expected = data_offset + e.compressed_size
        if expected > cd_offset:
            raise ArchiveError("its data runs into the central directory (truncated or damaged)", e.name)
        members.append(Member(e.name, e.method, e.crc, e.compressed_size, e.size, data_offset))
    if expected != cd_offset:
        raise ArchiveError(f"{cd_offset - expected} unexpected bytes after the last member")
    return members, comment


def _central_entries(central: bytes, cd_offset: int) -> List[_Entry]:
    """Parse the central directory (cd_offset: where it lies in the file, for messages)."""
    entries, pos = [], 0
    while pos < len(central):
        if len(central) - pos < _CENTRAL.size:
            raise ArchiveError("the central directory is truncated")
        (sig, _made, _need, flags, method, _time, _date, crc, csize, usize, name_len, extra_len,
         comment_len, disk, _iattr, _eattr, offset) = _CENTRAL.unpack_from(central, pos)
        if sig != _SIG_CENTRAL:
            raise ArchiveError(f"bad central directory entry at byte {cd_offset + pos}")
        name_at = pos + _CENTRAL.size
        pos = name_at + name_len + extra_len + comment_len
        if pos > len(central):
            raise ArchiveError("the central directory is truncated")
        raw_name = central[name_at:name_at + name_len]
        name = _decode_name(raw_name, flags)
        extra = central[name_at + name_len:name_at + name_len + extra_len]
        usize, csize, offset, disk = _zip64_values(extra, [usize, csize, offset, disk], [_U32, _U32, _U32, _U16],
                                                   name)
        if disk != 0:
            raise ArchiveError("it spans several disks", name)
        _check_flags_and_method(flags, method, name)
        entries.append(_Entry(offset, raw_name, name, flags, method, crc, csize, usize))
    return entries


def _end_records(fh: io.FileIO, size: int) -> Tuple[int, int, int, bytes]:
    """(central directory offset, its size, member count, comment); the directory must end where the
    end records start."""
    if size < _EOCD.size:
        raise ArchiveError(f"it is {size} bytes long, too short for a zip archive (truncated?)")
    tail_start = max(0, size - _EOCD.size - _U16)
    tail = _read_at(fh, tail_start, size - tail_start)
    pos = tail.rfind(_SIG_EOCD)
    while pos >= 0:  # the last end record whose comment reaches exactly to the end of the file
        if pos + _EOCD.size <= len(tail):
            fields = _EOCD.unpack_from(tail, pos)
            if pos + _EOCD.size + fields[-1] == len(tail):
                break
        pos = tail.rfind(_SIG_EOCD, 0, pos)
    if pos < 0:
        raise ArchiveError("no zip end record at its end (truncated, or not a zip file)")
    _, disk, cd_disk, n_disk, n_total, cd_size, cd_offset, comment_len = _EOCD.unpack_from(tail, pos)
    eocd_at = tail_start + pos
    comment = tail[pos + _EOCD.size:]
    end_start = eocd_at
    locator_at = eocd_at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and _read_at(fh, locator_at, 4) == _SIG_LOCATOR:
        _, z_disk, z_offset, z_disks = _ZIP64_LOCATOR.unpack(_read_at(fh, locator_at, _ZIP64_LOCATOR.size))
        if z_offset + _ZIP64_EOCD.size != locator_at or z_disk != 0 or z_disks != 1:
            raise ArchiveError("its zip64 end record is misplaced (damaged, or bytes added before the archive)")
        (sig, rec_size, _made, _need, disk64, cd_disk64, n_disk64, n_total64, cd_size64,
         cd_offset64) = _ZIP64_EOCD.unpack(_read_at(fh, z_offset, _ZIP64_EOCD.size))
        if sig != _SIG_ZIP64 or rec_size != _ZIP64_EOCD.size - 12:
            raise ArchiveError("its zip64 end record is damaged")
        for short, long, full in ((disk, disk64, _U16), (cd_disk, cd_disk64, _U16), (n_disk, n_disk64, _U16),
                                  (n_total, n_total64, _U16), (cd_size, cd_size64, _U32),
                                  (cd_offset, cd_offset64, _U32)):
            if short not in (long, full):
                raise ArchiveError("its end record and zip64 end record disagree")
        disk, cd_disk, n_disk, n_total = disk64, cd_disk64, n_disk64, n_total64
        cd_size, cd_offset = cd_size64, cd_offset64
        end_start = z_offset
    if disk != 0 or cd_disk != 0 or n_disk != n_total:
        raise ArchiveError("it spans several disks (or its end record is damaged)")
    if cd_offset + cd_size > end_start:
        raise ArchiveError("its central directory lies outside the file (truncated or damaged)")
    if cd_offset + cd_size < end_start:
        extra = end_start - cd_offset - cd_size
        raise ArchiveError(f"{extra} unexpected bytes before the archive or inside it (e.g. data prepended to a zip)")
    return cd_offset, cd_size, n_total, comment


def _decode_name(raw: bytes, flags: int) -> str:
    try:
        return raw.decode("utf-8" if flags & _FLAG_UTF8 else "cp437")
    except UnicodeDecodeError:
        raise ArchiveError(f"member name {raw!r} is not valid UTF-8") from None


def _check_flags_and_method(flags: int, method: int, name: str) -> None:
    if flags & (_FLAG_ENCRYPTED | _FLAG_STRONG | _FLAG_MASKED):
        raise ArchiveError("it is encrypted; load reads only unencrypted archives", name)
    if flags & _FLAG_DESCRIPTOR:
        raise ArchiveError("it has a data descriptor (written to a stream that could not seek); "
                           "load reads only archives written to files", name)
    if flags & ~_FLAGS_ALLOWED:
        raise ArchiveError(f"unknown flags 0x{flags:04x}", name)
    if method not in (STORED, DEFLATED):
        raise ArchiveError(f"compression method {method} is not stored (0) or deflate (8)", name)


def _zip64_values(extra: bytes, values: List[int], fulls: List[int], name: str) -> List[int]:
    """The values with each field that is all ones (2**32 - 1 or 2**16 - 1) replaced from the zip64 extra."""
    pos, zip64 = 0, None
    while pos < len(extra):
        if len(extra) - pos < 4:
            raise ArchiveError("its extra field is truncated", name)
        tag, length = struct.unpack_from("<HH", extra, pos)
        if pos + 4 + length > len(extra):
            raise ArchiveError("its extra field is truncated", name)
        if tag == 1:
            if zip64 is not None:
                raise ArchiveError("two zip64 extra fields", name)
            zip64 = extra[pos + 4: pos + 4 + length]
        pos += 4 + length
    out, used = list(values), 0
    for i, (value, full) in enumerate(zip(values, fulls)):
        if value == full:
            width = 8 if full == _U32 else 4
            if zip64 is None or len(zip64) < used + width:
                raise ArchiveError("a size or offset is missing from its zip64 extra field", name)
            out[i] = struct.unpack_from("<Q" if width == 8 else "<L", zip64, used)[0]
            used += width
    return out


def _check_local_header(fh: io.FileIO, entry: _Entry, limit: int) -> int:
    """Check the entry's local header (which must end before limit) against the central directory entry;
    return where the member's data starts."""
    offset, name = entry.offset, entry.name
    if offset + _LOCAL.size > limit:
        raise ArchiveError(f"no room for its local header at byte {offset}", name)
    header = _read_at(fh, offset, _LOCAL.size)
    sig, _need, l_flags, l_method, _time, _date, l_crc, l_csize, l_usize, name_len, extra_len = _LOCAL.unpack(header)
    if sig != _SIG_LOCAL:
        raise ArchiveError(f"no local header at byte {offset}", name)
    if offset + _LOCAL.size + name_len + extra_len > limit:
        raise ArchiveError("its local header runs into the central directory (damaged)", name)
    rest = _read_at(fh, offset + _LOCAL.size, name_len + extra_len)
    l_usize, l_csize = _zip64_values(rest[name_len:], [l_usize, l_csize], [_U32, _U32], name)
    if rest[:name_len] != entry.raw_name:
        raise ArchiveError(f"its local header names it {rest[:name_len]!r}", name)
    if (l_flags, l_method, l_crc, l_csize, l_usize) != (entry.flags, entry.method, entry.crc, entry.compressed_size,
                                                        entry.size):
        raise ArchiveError("its local header and central directory entry disagree "
                           "(flags, method, CRC or sizes)", name)
    return offset + _LOCAL.size + name_len + extra_len


class MemberReader:
    """Reads one member's uncompressed bytes in order, never more than declared; `finish` checks the CRC."""

    def __init__(self, fh: io.FileIO, member: Member) -> None:
        self.member = member
        self._fh = fh
        self._compressed_left = member.compressed_size
        self._left = member.size
        self._crc = 0
        self._inflater = zlib.decompressobj(-15) if member.method == DEFLATED else None
        self._pending = b""  # compressed bytes read from the file, not yet inflated
        fh.seek(member.data_offset)

    def read(self, n: int) -> bytes:
        buf = bytearray(n)
        self.readinto(memoryview(buf))
        return bytes(buf)

    def readinto(self, buf: memoryview) -> None:
        """Fill buf exactly with the member's next bytes."""
        n = len(buf)
        if n > self._left:
            raise ArchiveError(f"the member ends {n - self._left} bytes early (declared size {self.member.size})",
                               self.member.name)
        for start in range(0, n, _CHUNK):  # the CRC of each chunk while it is still in the cache
            piece = buf[start:start + _CHUNK]
            if self._inflater is None:
                self._read_raw_into(piece)
            else:
                self._inflate_into(piece)
            self._crc = zlib.crc32(piece, self._crc)
        self._left -= n

    def finish(self) -> None:
        """Check that the member was read to its end and that its CRC-32 is the recorded one."""
        if self._left:
            raise ArchiveError(f"{self._left} bytes after the array data", self.member.name)
        if self._inflater is not None:
            while not self._inflater.eof:  # the end-of-stream code may follow the last byte of output
                if self._inflate(1):
                    raise ArchiveError("its compressed data expands beyond its declared size", self.member.name)
            if self._pending or self._inflater.unused_data or self._compressed_left:
                raise ArchiveError("bytes after the end of its compressed data", self.member.name)
        if self._crc != self.member.crc:
            raise ArchiveError(f"CRC-32 mismatch (recorded {self.member.crc:08x}, read {self._crc:08x}): "
                               "the member is damaged", self.member.name)

    def _read_raw_into(self, buf: memoryview) -> None:
        got = 0
        while got < len(buf):
            k = self._fh.readinto(buf[got:])
            if not k:
                raise ArchiveError("the file ends inside this member (it changed while being read)",
                                   self.member.name)
            got += k
        self._compressed_left -= got

    def _inflate_into(self, buf: memoryview) -> None:
        got = 0
        while got < len(buf):
            out = self._inflate(len(buf) - got)
            buf[got:got + len(out)] = out
            got += len(out)
            if self._inflater.eof and got < len(buf):
                raise ArchiveError(f"its compressed data ends {len(buf) - got} bytes short of the declared size",
                                   self.member.name)

    def _inflate(self, limit: int) -> bytes:
        """Up to `limit` more inflated bytes (possibly none), reading compressed input as needed."""
        if not self._pending:
            if self._compressed_left == 0:
                raise ArchiveError("its compressed data is truncated", self.member.name)
            self._pending = bytearray(min(_CHUNK, self._compressed_left))
            self._read_raw_into(memoryview(self._pending))
            self._pending = bytes(self._pending)
        try:
            out = self._inflater.decompress(self._pending, limit)
        except zlib.error as e:
            raise ArchiveError(f"its compressed data is corrupt ({e})", self.member.name) from None
        self._pending = self._inflater.unconsumed_tail
        return out
