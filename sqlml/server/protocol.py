"""PostgreSQL frontend/backend protocol version 3: reading client messages, building server messages.

Every server message is one type byte, an int32 length (itself included) and a body; the startup packet
alone has no type byte. Text is UTF-8; strings in bodies end with a NUL byte.
"""

from __future__ import annotations

import socket
import struct
import time

PROTOCOL_V3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
STARTUP_LIMIT = 10_000  # PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the largest message before login


class ProtocolError(Exception):
    """The client broke the protocol (or went away): the connection is closed."""


SHUTDOWN = ("57P01", "terminating connection due to administrator command")  # the server stops


class Refused(ProtocolError):
    """The connection ends (a limit, a failed login, the server stopping): the client is told why (FATAL, with
    this SQLSTATE and maybe a hint), then the connection is closed."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.code, self.hint = code, hint


class Body:
    """Reads the fields of one message body in order."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ProtocolError("message shorter than its fields")
        piece = self.data[self.at : self.at + n]
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
        text = self.data[self.at : end].decode("utf-8", "replace")
        self.at = end + 1
        return text


class Channel:
    """A client socket: reads whole messages of at most `limit` bytes (their length as the protocol counts it),
    before `login_deadline` (a time.monotonic() time) while it is set; sends bytes."""

    def __init__(self, sock: socket.socket, login_deadline: float | None = None):
        self.sock = sock
        self.limit = STARTUP_LIMIT
        self.login_deadline = login_deadline

    def logged_in(self, limit: int) -> None:
        """From now on, no deadline; messages up to `limit` bytes."""
        self.limit, self.login_deadline = limit, None
        self.sock.settimeout(None)

    def _recv(self, n: int) -> bytes:
        if self.login_deadline is not None:
            self.sock.settimeout(max(self.login_deadline - time.monotonic(), 1e-6))
        try:
            chunk = self.sock.recv(n)
        except TimeoutError:
            raise Refused("57014", "canceling authentication due to timeout") from None
        if not chunk:
            raise ProtocolError("the client closed the connection")
        return chunk

    def _exact(self, n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunks.append(self._recv(min(left, 1 << 20)))
            left -= len(chunks[-1])
        return b"".join(chunks)

    def _length(self, what: str) -> int:
        """The length of the body that follows (read no further when the length is refused)."""
        length = struct.unpack("!i", self._exact(4))[0]
        if length < 4:
            raise Refused("08P01", what)
        if length > self.limit:
            raise Refused("08P01", f"{what}: {length} bytes, over the server's limit of {self.limit}")
        return length - 4

    def startup(self) -> tuple[int, Body]:
        """The startup packet: (protocol code or request code, the rest)."""
        body = Body(self._exact(self._length("invalid length of startup packet")))
        return body.int32(), body

    def message(self) -> tuple[bytes, Body]:
        """The next typed message: (type byte, body)."""
        kind = self._exact(1)
        return kind, Body(self._exact(self._length("invalid message length")))

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
        cstr(name) + struct.pack("!ihihih", 0, 0, oid, size, -1, 0) for name, oid, size in columns
    )
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


def _report(
    kind: bytes, severity: str, code: str, text: str, position: int | None = None, hint: str | None = None
) -> bytes:
    """An ErrorResponse or a NoticeResponse: its fields, each a type byte and a string."""
    fields = [(b"S", severity), (b"V", severity), (b"C", code), (b"M", text)]
    if position is not None:
        fields.append((b"P", str(position)))
    if hint is not None:
        fields.append((b"H", hint))
    return message(kind, b"".join(field + cstr(value) for field, value in fields) + b"\0")


def error_response(
    code: str, text: str, severity: str = "ERROR", position: int | None = None, hint: str | None = None
) -> bytes:
    return _report(b"E", severity, code, text, position, hint)


def notice_response(text: str) -> bytes:
    """A NOTICE (SQLSTATE 00000, successful completion): what the user should know about a result."""
    return _report(b"N", "NOTICE", "00000", text)


PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")
CLOSE_COMPLETE = message(b"3")
NO_DATA = message(b"n")
EMPTY_QUERY = message(b"I")
PORTAL_SUSPENDED = message(b"s")
