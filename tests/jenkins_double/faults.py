"""Fault injection and request accounting for the double.

Tests set these between requests; the server consults them at the start of every request:
a fixed latency, 5xx answers for chosen item names or the next K requests, and dropped
connections (the socket is closed without an answer).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What the next requests suffer. Item names match a full name or its last segment."""

    latency: float = 0.0
    fail_names: dict[str, int] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)
    drop_next: int = 0
    drop_names: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: Set: requests are served; cleared by ``pause``: every request waits (bounded) until
    #: ``resume``, so a test can hold a client's in-flight requests while it acts.
    running: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        self.running.set()

    def pause(self) -> None:
        self.running.clear()

    def resume(self) -> None:
        self.running.set()

    def wait_if_paused(self, timeout: float = 60.0) -> None:
        self.running.wait(timeout)

    def fail_for(self, names: list[str], statuses: int | list[int] = 503) -> None:
        """Answer 5xx (``statuses``) to every request that touches one of ``names``."""
        status = statuses if isinstance(statuses, int) else statuses[0]
        with self.lock:
            for name in names:
                self.fail_names[name] = status

    def fail_next_requests(self, count: int, status: int = 503) -> None:
        with self.lock:
            self.fail_next.extend([status] * count)

    def drop_next_requests(self, count: int) -> None:
        with self.lock:
            self.drop_next += count

    def clear(self) -> None:
        self.resume()
        with self.lock:
            self.latency = 0.0
            self.fail_names.clear()
            self.fail_next.clear()
            self.drop_next = 0
            self.drop_names.clear()

    def decide(self, item_names: list[str]) -> tuple[bool, int | None]:
        """(drop the connection?, 5xx status to answer or None) for one request."""
        with self.lock:
            if self.drop_next > 0:
                self.drop_next -= 1
                return True, None
            if any(n in self.drop_names for n in item_names):
                return True, None
            if self.fail_next:
                return False, self.fail_next.pop(0)
            for n in item_names:
                if n in self.fail_names:
                    return False, self.fail_names[n]
        return False, None


@dataclass
class Counters:
    """Requests seen, by (method, kind) — kind names the endpoint, e.g. ``createItem``."""

    by_kind: Counter[tuple[str, str]] = field(default_factory=Counter)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, kind: str, raw_path: str, status: int) -> None:
        with self.lock:
            self.by_kind[(method, kind)] += 1
            self.log.append((method, raw_path, status))

    def count(self, method: str | None = None, kind: str | None = None) -> int:
        with self.lock:
            return sum(
                n
                for (m, k), n in self.by_kind.items()
                if (method is None or m == method) and (kind is None or k == kind)
            )

    @property
    def total(self) -> int:
        return self.count()

    @property
    def writes(self) -> int:
        """POST and DELETE requests (every one that can change state)."""
        return self.count("POST") + self.count("DELETE")

    def reset(self) -> None:
        with self.lock:
            self.by_kind.clear()
            self.log.clear()
