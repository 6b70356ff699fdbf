"""The worker's end of the controller protocol: length-prefixed frames.

A frame is a 4-byte little-endian length L, then L bytes: one ASCII type
byte and L-1 payload bytes (JSON unless said otherwise). The controller's
end is the C dispatcher (csrc/fst_frame.c, csrc/fst_dispatch.c); see
docs/protocol.md for the frame types. Workers are single-threaded and block
on their channel only between tests, so a plain blocking socket is enough.
"""

from __future__ import annotations

import json
import json.encoder
import os
import struct
from typing import Any

_HEADER = struct.Struct("<I")
# One encoder for every frame: json.dumps with separators builds a new one
# per call, a third of the cost of encoding a test's reports.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
# Its C part, made once: JSONEncoder.encode makes a new one on every call
# (once per test). No circular-reference check: frames are plain data.
_C_ENCODE = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None,
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )
    if getattr(json.encoder, "c_make_encoder", None) is not None
    else None
)


def encode_json(obj: Any) -> str:
    """``obj`` as compact JSON, as ``json.dumps(obj, separators=(",", ":"))``."""
    if _C_ENCODE is None:
        return _ENCODER.encode(obj)
    return "".join(_C_ENCODE(obj, 0))


# controller -> worker
COLLECT = b"L"
UNIT = b"U"
END = b"E"
STOP = b"Q"
# worker -> controller
COLLECTED = b"C"
REPORTS = b"R"
UNIT_DONE = b"D"
IDLE = b"I"
WARNING = b"W"
FINAL = b"F"


class ChannelClosed(Exception):
    """The controller closed the channel (it is gone or asked us to stop)."""


class Channel:
    """One worker's blocking, framed channel to the controller over a socket fd."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def send(self, kind: bytes, payload: bytes) -> None:
        data = _HEADER.pack(len(payload) + 1) + kind + payload
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def send_json(self, kind: bytes, obj: Any) -> None:
        self.send(kind, encode_json(obj).encode())

    def has_buffered_frame(self) -> bool:
        if len(self._buffer) < 4:
            return False
        length: int = _HEADER.unpack_from(self._buffer)[0]
        return len(self._buffer) >= 4 + length

    def receive(self) -> tuple[bytes, bytes]:
        """Block until one whole frame has arrived; return (type, payload)."""
        while True:
            if len(self._buffer) >= 4:
                (length,) = _HEADER.unpack_from(self._buffer)
                if length == 0:
                    raise ChannelClosed("protocol error: empty frame")
                if len(self._buffer) >= 4 + length:
                    kind = bytes(self._buffer[4:5])
                    payload = bytes(self._buffer[5 : 4 + length])
                    del self._buffer[: 4 + length]
                    return kind, payload
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise ChannelClosed("controller closed the channel")
            self._buffer += chunk
