"""Progress of a running statement: engine code reports the steps of its long tasks here.

A front end that wants to show progress sets `Session.on_progress` to a listener, called as
`listener(task, done, total)` (total None when unknown) from whichever thread does the work (DuckDB
pulls ML.PREDICT batches on its own threads). Without a listener a report only checks for cancellation.
`SessionCursor.interrupt()`, called from another thread (the shell's Ctrl-C, a server's cancel request),
cancels the statement's Progress: work reporting to it, on any thread, stops at its next report; a tuning
search interrupted in its own thread cancels the trials it left running. Native work that makes no reports
(an ONNX Runtime run) registers a way to stop it with `Progress.stopping` while it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlml.errors import Cancelled

Listener = Callable[[str, int, "int | None"], None]


class Progress:
    """One statement's progress reports, passed on to `listener` (if any); also its cancellation."""

    def __init__(
        self, listener: Listener | None = None, cancelled: threading.Event | None = None, stops: set | None = None
    ):
        self.listener = listener
        self.cancelled = cancelled or threading.Event()
        self._stops = set() if stops is None else stops  # shared with its silent() copies

    def __call__(self, task: str, done: int, total: int | None = None) -> None:
        """Report `done` of `total` steps of `task`; raises sqlml's Cancelled once the statement is
        cancelled, so the work reporting it stops."""
        if self.cancelled.is_set():
            raise Cancelled("the statement was cancelled")
        if self.listener is not None:
            self.listener(task, done, total)

    def cancel(self) -> None:
        self.cancelled.set()
        for stop in list(self._stops):
            stop()

    @contextmanager
    def stopping(self, stop: Callable[[], None]) -> Iterator[None]:
        """While the block runs, cancel() also calls `stop` (called at once if already cancelled)."""
        self._stops.add(stop)
        try:
            if self.cancelled.is_set():
                stop()
            yield
        finally:
            self._stops.discard(stop)

    def silent(self) -> Progress:
        """A reporter telling no listener but cancelled with this one (for work running in parallel)."""
        return Progress(None, self.cancelled, self._stops)
