"""PostgreSQL frontend/backend protocol version 3: reading client messages, building server messages.

Every server message is one type byte, an int32 length (itself included) and a body; the startup packet
alone has no type byte. Text is UTF-8; strings in bodies end with a NUL byte.
"""

from __future__ import annotations

import socket
import struct

PROTOCOL_V3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
MAX_MESSAGE = 256 * 2**20  # a larger length is a broken or hostile client


class ProtocolError(Exception):
    """The client broke the protocol (or went away): the connection is closed."""


class Body:
    """Reads the fields of one message body in order."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ProtocolError("message shorter than its fields")
        piece = self.data[self.at:self.at + n]
        self.at += n
        return piece

    def int16(self) -> int:
        return struct.unpack("!h", self.take(2))[0]

    def int32(self) -> int:
        return struct.unpack("!i", self.take(4))[0]

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.at)
        if end < 0:
            raise ProtocolError("string without its terminating NUL")
        text = self.data[self.at:end].decode("utf-8", "replace")
        self.at = end + 1
        return text


class Channel:
    """A client socket: reads whole messages, sends bytes."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def _exact(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                raise ProtocolError("the client closed the connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _length(self) -> int:
        length = struct.unpack("!i", self._exact(4))[0]
        if not 4 <= length <= MAX_MESSAGE:
            raise ProtocolError(f"invalid message length {length}")
        return length - 4

    def startup(self) -> tuple[int, Body]:
        """The startup packet: (protocol code or request code, the rest)."""
        body = Body(self._exact(self._length()))
        return body.int32(), body

    def message(self) -> tuple[bytes, Body]:
        """The next typed message: (type byte, body)."""
        kind = self._exact(1)
        return kind, Body(self._exact(self._length()))

    def send(self, *messages: bytes) -> None:
        self.sock.sendall(b"".join(messages))


def cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def authentication(code: int, data: bytes = b"") -> bytes:
    """AuthenticationOk (0), SASL (10), SASLContinue (11), SASLFinal (12)."""
    return message(b"R", struct.pack("!i", code) + data)


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", cstr(name) + cstr(value))


def backend_key_data(process_id: int, secret: int) -> bytes:
    return message(b"K", struct.pack("!ii", process_id, secret))


def ready_for_query(status: str) -> bytes:
    """status: 'I' idle, 'T' in a transaction, 'E' in a failed transaction."""
    return message(b"Z", status.encode())


def row_description(columns: list[tuple[str, int, int]]) -> bytes:
    """columns: (name, type OID, type size); every column in text format."""
    body = struct.pack("!h", len(columns)) + b"".join(
        cstr(name) + struct.pack("!ihihih", 0, 0, oid, size, -1, 0) for name, oid, size in columns)
    return message(b"T", body)


def data_row(values: list[bytes | None]) -> bytes:
    parts = [struct.pack("!h", len(values))]
    for value in values:
        parts.append(struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value)
    return message(b"D", b"".join(parts))


def parameter_description(oids: list[int]) -> bytes:
    return message(b"t", struct.pack(f"!h{len(oids)}i", len(oids), *oids))


def command_complete(tag: str) -> bytes:
    return message(b"C", cstr(tag))


def error_response(code: str, text: str, severity: str = "ERROR", position: int | None = None) -> bytes:
    fields = [(b"S", severity), (b"V", severity), (b"C", code), (b"M", text)]
    if position is not None:
        fields.append((b"P", str(position)))
    return message(b"E", b"".join(kind + cstr(value) for kind, value in fields) + b"\0")


PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")
CLOSE_COMPLETE = message(b"3")
NO_DATA = message(b"n")
EMPTY_QUERY = message(b"I")
PORTAL_SUSPENDED = message(b"s")
