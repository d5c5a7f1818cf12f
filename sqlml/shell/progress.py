"""The progress bar the interactive shell draws on the terminal while a statement reports progress."""

from __future__ import annotations

import shutil
import threading
import time
from typing import TextIO

BAR_WIDTH = 30
INTERVAL = 0.1  # seconds between redraws


class ProgressBar:
    """A `Session.on_progress` listener drawing one terminal line, erased by `clear`; thread-safe (DuckDB
    may report ML.PREDICT batches from its own threads)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.lock = threading.Lock()
        self.drawn_at = 0.0
        self.shown = False

    def __call__(self, task: str, done: int, total: int | None) -> None:
        with self.lock:
            now = time.monotonic()
            if self.shown and now - self.drawn_at < INTERVAL and done != total:
                return
            self.drawn_at, self.shown = now, True
            if total:
                filled = min(BAR_WIDTH, BAR_WIDTH * done // total)
                line = f"{task} [{'█' * filled}{'░' * (BAR_WIDTH - filled)}] {done}/{total}"
            else:
                line = f"{task}: {done:,}"
            columns = shutil.get_terminal_size().columns
            self.stream.write("\r" + line[: max(columns - 1, 1)] + "\x1b[K")
            self.stream.flush()

    def clear(self) -> None:
        with self.lock:
            if self.shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self.shown = False
