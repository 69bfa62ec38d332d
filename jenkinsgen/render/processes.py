"""Run a rendering task over ranges of items, in this process or in forked workers.

Nothing here forks unless the caller passes ``workers`` > 1 (the library's default is one
process; the ``jenkinsgen render`` command chooses more for large specs). Even then it forks
only when that is safe: on Linux, from a process that runs a single thread. The count is the
kernel's (``/proc/self/task``), so threads started by C extensions count too; a forked child
of a threaded process may inherit a lock another thread held. Otherwise the work runs in this
process, with the same result.

With ``workers`` = N, this process and N - 1 children forked for the call share the work; the
children are gone when it returns. They inherit the task and its data (nothing is pickled on
the way in), are handed contiguous ranges a few at a time as they finish them (a CPU busy
with other work slows a range, not a fixed share), and send back each range's result, or the
exception that stopped them, which the caller then sees as if it had been raised here. No
state outlives the call (no shared memory, no threads).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from jenkinsgen.errors import RenderError

R = TypeVar("R")

#: What a task is called with: the start and end (exclusive) of one range of items.
Task = Callable[[int, int], R]


def threads_running() -> int | None:
    """Threads of this process as the kernel counts them (None where it cannot be read)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def can_fork() -> bool:
    """True when forked workers are safe here: Linux, and no other thread in this process."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threads_running() == 1


def split(total: int, parts: int) -> list[tuple[int, int]]:
    """``[0, total)`` as at most ``parts`` contiguous ranges of (nearly) equal size, in order."""
    if total <= 0:
        return []
    size = -(-total // max(1, parts))
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def run_ranges(task: Task[R], total: int, workers: int, ranges_per_worker: int = 8) -> list[R]:
    """``task(start, end)`` over ``[0, total)``; the results in range order.

    With ``workers`` <= 1, few items, or where forking is unsafe (see :func:`can_fork`), one
    call ``task(0, total)`` runs here. Otherwise this process and ``workers - 1`` forked ones
    share ``workers * ranges_per_worker`` ranges.
    """
    if workers <= 1 or total < 2 * workers or not can_fork():
        return [task(0, total)]
    return _run_forked(task, split(total, workers * ranges_per_worker), workers)


def _run_forked(task: Task[R], ranges: list[tuple[int, int]], workers: int) -> list[R]:
    """This process and ``workers - 1`` forked ones run the ranges. Each worker has up to
    :data:`_QUEUED` range indices waiting in its pipe, topped up whenever this process looks
    (between its own ranges), so a worker never waits for this one to finish a range."""
    import multiprocessing  # only a caller that asked for workers pays for the import
    from multiprocessing.connection import Connection, wait

    ctx = multiprocessing.get_context("fork")
    results: dict[int, R] = {}
    failure: BaseException | None = None
    children: list[Any] = []
    busy: list[Connection] = []  # the workers' pipes, until they close
    stopped: set[Connection] = set()  # those already sent _STOP
    pending = iter(range(len(ranges)))

    def hand_out(conn: Connection) -> None:
        if conn in stopped:
            return
        index = next(pending, _STOP) if failure is None else _STOP
        try:
            conn.send(index)
        except OSError:  # the worker is gone: what it was sent is missing below
            stopped.add(conn)
            return
        if index == _STOP:
            stopped.add(conn)

    def collect(timeout: float | None) -> None:
        nonlocal failure
        for conn in wait(list(busy), timeout):
            assert isinstance(conn, Connection)
            try:
                index, ok, value = conn.recv()
            except (EOFError, OSError):  # the worker is gone: what it did not send is missing
                busy.remove(conn)
                continue
            if ok:
                results[index] = value
            elif failure is None:
                failure = value
            hand_out(conn)

    try:
        for _ in range(min(workers - 1, len(ranges) - 1)):
            ours, theirs = ctx.Pipe()
            child = ctx.Process(target=_work, args=(task, ranges, theirs), daemon=True)
            child.start()
            theirs.close()
            children.append(child)
            busy.append(ours)
            for _ in range(_QUEUED):
                hand_out(ours)
        while failure is None:
            index = next(pending, None)
            if index is None:
                break
            try:
                results[index] = task(*ranges[index])
            except Exception as exc:  # what a worker's failure would be: ends the call
                failure = exc
            collect(timeout=0)
        while busy:
            collect(timeout=None)
        for child in children:
            child.join()
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join()
    if failure is not None:
        raise failure
    if len(results) != len(ranges):
        codes = ", ".join(sorted({str(child.exitcode) for child in children if child.exitcode}))
        raise RenderError(f"a render worker process died (exit status {codes or 'unknown'})")
    return [results[i] for i in range(len(ranges))]


#: How many range indices a worker has waiting at most.
_QUEUED = 2

#: What a worker is sent instead of a range index when there is nothing left to do.
_STOP = -1


def _work(task: Task[Any], ranges: list[tuple[int, int]], conn: Any) -> None:
    """A forked worker: run the range whose index it is sent, send back ``(index, ok, value)``
    (the result, or the exception that stopped it), until it is sent :data:`_STOP`."""
    try:
        index = conn.recv()
        while index != _STOP:
            try:
                reply = (index, True, task(*ranges[index]))
            except BaseException as exc:  # the caller re-raises it; KeyboardInterrupt included
                reply = (index, False, _portable(exc))
            conn.send(reply)
            index = conn.recv()
    except (EOFError, OSError, KeyboardInterrupt):  # the caller went away, or Ctrl-C: it ends
        pass  # the call and reports it; nothing to add on stderr from here
    finally:
        conn.close()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (it crosses a pipe), else a RenderError saying it."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RenderError(f"in a render worker process: {type(exc).__name__}: {exc}")
    return exc
