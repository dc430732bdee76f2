"""Minimal big-endian binary reader and writer for the package's own encodings.

Every encoding in docs/e2e.md is a concatenation of fixed-size fields, unsigned
big-endian integers and ``u16``/``u32`` length-prefixed byte strings; these two helpers
are all it takes. The reader raises a caller-chosen error on truncation or trailing
bytes, so a malformed envelope becomes ``DecryptionError`` and corrupt saved state
becomes ``StateError`` without ``struct.error`` or ``IndexError`` escaping.
"""

from __future__ import annotations

import struct

_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")


class Writer:
    """Collects fields; ``bytes(writer)`` returns the encoding."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def u8(self, value: int) -> Writer:
        self._parts.append(_U8.pack(value))
        return self

    def u16(self, value: int) -> Writer:
        self._parts.append(_U16.pack(value))
        return self

    def u32(self, value: int) -> Writer:
        self._parts.append(_U32.pack(value))
        return self

    def u64(self, value: int) -> Writer:
        self._parts.append(_U64.pack(value))
        return self

    def raw(self, value: bytes) -> Writer:
        self._parts.append(bytes(value))
        return self

    def var16(self, value: bytes) -> Writer:
        """``u16`` length, then the bytes."""
        return self.u16(len(value)).raw(value)

    def __bytes__(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads fields in order; raises ``error()`` when the data is short or too long."""

    def __init__(self, data: bytes, error: type[Exception]) -> None:
        self._data = bytes(data)
        self._offset = 0
        self._error = error

    def _take(self, size: int) -> bytes:
        end = self._offset + size
        if size < 0 or end > len(self._data):
            raise self._error()
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def u8(self) -> int:
        return self._take(1)[0]

    def u16(self) -> int:
        return _U16.unpack(self._take(2))[0]

    def u32(self) -> int:
        return _U32.unpack(self._take(4))[0]

    def u64(self) -> int:
        return _U64.unpack(self._take(8))[0]

    def raw(self, size: int) -> bytes:
        return self._take(size)

    def var16(self) -> bytes:
        return self._take(self.u16())

    def rest(self) -> bytes:
        return self._take(len(self._data) - self._offset)

    def finish(self) -> None:
        """Trailing bytes are an error: every encoding has exactly one valid length."""
        if self._offset != len(self._data):
            raise self._error()
