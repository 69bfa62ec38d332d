"""A progress bar with counts, drawn on a terminal only (never into logs or pipes)."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Progress:
    """``[#####-----] 12/40  done 11  failed 1`` on one line of ``stream``, if it is a tty."""

    def __init__(
        self, total: int, label: str, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.label = total, label
        self.done = self.failed = 0
        self._lock = threading.Lock()

    def advance(self, ok: bool) -> None:
        with self._lock:
            if ok:
                self.done += 1
            else:
                self.failed += 1
            self._draw()

    def _draw(self) -> None:
        if not self.enabled or self.total <= 0:
            return
        n = self.done + self.failed
        width = 30
        filled = width * n // self.total
        bar = "#" * filled + "-" * (width - filled)
        extra = f"  failed {self.failed}" if self.failed else ""
        self.stream.write(f"\r{self.label} [{bar}] {n}/{self.total}{extra}")
        self.stream.flush()

    def close(self) -> None:
        with self._lock:
            if self.enabled and self.total > 0:
                self.stream.write("\n")
                self.stream.flush()
