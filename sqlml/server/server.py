"""The listening server: one thread per client, all on one Session; cancel requests find their client."""

from __future__ import annotations

import itertools
import secrets
import socket
import socketserver
import threading

from sqlml.engine.session import Session
from sqlml.server.auth import Credentials
from sqlml.server.connection import Connection
from sqlml.server.protocol import Channel


class _Client(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Connection(Channel(self.request), self.server).serve()


class Server(socketserver.ThreadingTCPServer):
    """Serves `session` on (host, port); with `credentials`, clients must log in with SCRAM-SHA-256."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], session: Session, credentials: Credentials | None):
        self.session = session
        self.credentials = credentials
        self._clients: dict[int, Connection] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__(address, _Client)

    def register(self, client: Connection) -> int:
        """A new process id for `client` (the key a cancel request names it by)."""
        with self._lock:
            process_id = next(self._ids)
            self._clients[process_id] = client
        return process_id

    def forget(self, client: Connection) -> None:
        with self._lock:
            self._clients.pop(client.process_id, None)

    def cancel(self, process_id: int, secret: int) -> None:
        """Interrupt the running statement of the client with this id and secret key (else nothing)."""
        with self._lock:
            client = self._clients.get(process_id)
        if client is not None and secrets.compare_digest(client.secret.to_bytes(4, "big"), secret.to_bytes(4, "big")):
            client.cancel()
