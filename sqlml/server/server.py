"""The listening server: one thread per client, all on one Session; cancel requests find their client."""

from __future__ import annotations

import itertools
import secrets
import socket
import socketserver
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from sqlml.engine.session import Session
from sqlml.server import log, pg_catalog, protocol
from sqlml.server.auth import Credentials
from sqlml.server.connection import Connection

TOO_MANY = protocol.error_response("53300", "sorry, too many clients already", severity="FATAL")
STOP_POLL = 0.05  # seconds between cancels of the statements still running when the server stops


@dataclass(frozen=True)
class Limits:
    """What clients may take of the server (PostgreSQL's defaults where it has the limit)."""

    max_connections: int = 100  # clients logged in at once
    auth_timeout: float = 60.0  # seconds from connecting to being logged in
    max_message_bytes: int = 16 * 2**20  # one message after login (before it, protocol.STARTUP_LIMIT)


class _Client(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        host, port = self.client_address[:2]
        log.write("LOG", f"connection received: host={host} port={port}")
        channel = protocol.Channel(self.request, login_deadline=time.monotonic() + self.server.limits.auth_timeout)
        Connection(channel, self.server, f"host={host} port={port}").serve()


class Server(socketserver.ThreadingTCPServer):
    """Serves `session` on (host, port); with `credentials`, clients must log in with SCRAM-SHA-256.

    At most `limits.max_connections` clients are logged in at once; a client over that is refused once it
    has proved its password. Connections not logged in yet (each a thread until its auth_timeout) are
    bounded too: with twice max_connections sockets open, a new one is refused at once, threadless.

    `stop()`, once serve_forever() has returned, ends every client's connection as PostgreSQL's fast shutdown
    does: running statements are cancelled, clients told FATAL 57P01."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], session: Session, credentials: Credentials | None, limits: Limits = Limits()
    ):
        self.session = session
        self.credentials = credentials
        self.limits = limits
        self._clients: dict[int, Connection] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._sockets = threading.BoundedSemaphore(2 * limits.max_connections)
        self.stopping = False
        self.database_names = {session.default_state[0], "postgres"}  # what a client's dbname may be
        self.setup_sql = pg_catalog.setup_sql(credentials.user if credentials is not None else "sqlml")
        super().__init__(address, _Client)

    def process_request(self, request: socket.socket, client_address) -> None:
        if not self._sockets.acquire(blocking=False):
            log.write("FATAL", f"sorry, too many clients already: host={client_address[0]} port={client_address[1]}")
            with suppress(OSError):
                request.sendall(TOO_MANY)
            super().shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        """Close a client's socket when its thread ends (or failed to start), freeing its place."""
        super().shutdown_request(request)
        self._sockets.release()

    def register(self, client: Connection) -> int | None:
        """A new process id for `client` (the key a cancel request names it by); None if max_connections
        clients are logged in already; protocol.Refused (57P01) once the server is stopping."""
        with self._lock:
            if self.stopping:
                raise protocol.Refused(*protocol.SHUTDOWN)
            if len(self._clients) >= self.limits.max_connections:
                return None
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

    def stop(self, grace: float) -> int:
        """End every client's connection, cancelling its running statement, and wait up to `grace` seconds for
        their threads; the number of clients whose thread is still running then. The cancel is repeated while
        waiting: one that came just before a statement started would not stop it."""
        with self._lock:
            self.stopping = True
            clients = list(self._clients.values())
        for client in clients:
            client.terminate()
        deadline = time.monotonic() + grace
        while (busy := [c for c in clients if not c.finished.is_set()]) and time.monotonic() < deadline:
            busy[0].finished.wait(STOP_POLL)
            for client in busy:
                client.cancel()
        return len(busy)
