"""Release state on disk: one file per service, one per release, locks; all writes atomic.

Layout of an environment's ``state_dir``::

    services/<service>.json   slots (image, release, container), live slot, ports, pending
    releases/<id>.json        one release: image, slots, status, messages
    locks/service.<name>.lock held (flock) for the whole of a deploy, confirm or rollback
    locks/env.ports.lock      held while slot ports are allocated
    locks/env.config.lock     held while the HAProxy configuration is rendered and written

Every change is written before the side effect it announces (temp file, fsync, rename), so
after a crash of any process the files say what may have happened, never less. Locks are
``flock``s: a killed process releases them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jenkinsgen.atomic import write_atomic
from jenkinsgen.errors import ReleaseConflict, ReleaseError

_T = TypeVar("_T")

__all__ = [
    "ACTIVE",
    "SLOTS",
    "TERMINAL",
    "ReleaseRecord",
    "ServiceState",
    "Slot",
    "StateStore",
    "new_release_id",
    "now",
]

SLOTS = ("blue", "green")
#: Statuses of a release that is under way: if no process holds the service lock, it was
#: interrupted (see :meth:`StateStore.effective_status`).
ACTIVE = ("deploying", "switching", "confirming", "rolling-back")
TERMINAL = ("confirmed", "rolled-back", "failed")
STATUSES = (*ACTIVE, "awaiting-confirm", *TERMINAL)
RELEASE_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
#: How many releases of a service are kept on disk.
HISTORY = 50
_VERSION = 1


def new_release_id() -> str:
    """A new release id: UTC time and 24 random bits (sortable, unguessable enough)."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def now() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class Slot:
    """What occupies a slot: the image, the release that put it there, its container."""

    image: str
    release: str
    container: str


@dataclass
class ServiceState:
    """One service in one environment: its two slots, which one is live, what is pending."""

    service: str
    ports: dict[str, int]
    slots: dict[str, Slot | None] = field(default_factory=lambda: dict.fromkeys(SLOTS))
    live: str | None = None
    pending: str | None = None  # id of the release under way or awaiting confirm
    history: list[str] = field(default_factory=list)  # release ids, oldest first

    def other(self, slot: str) -> str:
        return SLOTS[1] if slot == SLOTS[0] else SLOTS[0]

    def idle(self) -> str:
        """The slot a new version goes to: the one not live (blue when nothing is)."""
        return SLOTS[0] if self.live is None else self.other(self.live)

    def weight(self, slot: str) -> int:
        """The HAProxy weight the state gives ``slot``: all traffic to the live slot."""
        return 100 if slot == self.live and self.slots.get(slot) is not None else 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = _VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceState:
        slots = {
            name: (Slot(**value) if isinstance(value, dict) else None)
            for name, value in data["slots"].items()
        }
        return cls(
            service=str(data["service"]),
            ports={str(k): int(v) for k, v in data["ports"].items()},
            slots={name: slots.get(name) for name in SLOTS},
            live=data.get("live"),
            pending=data.get("pending"),
            history=[str(x) for x in data.get("history", [])],
        )


@dataclass
class ReleaseRecord:
    """One release: started by ``deploy``, settled by confirm, rollback or failure."""

    id: str
    service: str
    environment: str
    image: str
    to_slot: str
    from_slot: str | None  # the slot that was live when it started (None: first deploy)
    previous_image: str | None  # what that slot ran
    status: str = "deploying"
    message: str = ""
    rollback_of: str | None = None  # set on the release a rollback after confirm makes
    created: str = field(default_factory=now)
    updated: str = field(default_factory=now)
    events: list[list[str]] = field(default_factory=list)  # [time, status, message]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = _VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseRecord:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


class StateStore:
    """The state files of one environment under ``root`` (its ``release.state_dir``)."""

    def __init__(self, root: str | os.PathLike[str], environment: str) -> None:
        self.root = Path(root)
        self.environment = environment

    # -- paths and files -------------------------------------------------------------

    def _dir(self, name: str) -> Path:
        path = self.root / name
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o750)
        except OSError as exc:
            raise ReleaseError(f"state directory {path}: {exc.strerror}") from None
        return path

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        try:
            write_atomic(path, text, mode=0o640)
        except OSError as exc:
            raise ReleaseError(f"cannot write release state {path}: {exc.strerror}") from None

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ReleaseError(f"cannot read release state {path}: {exc.strerror}") from None
        try:
            data = json.loads(raw.decode("utf-8"))  # not UTF-8: a ValueError as well
            if not isinstance(data, dict) or data.get("version") != _VERSION:
                raise ValueError("not a jenkinsgen release state (version 1)")
        except ValueError as exc:
            raise ReleaseError(
                f"release state {path} is damaged ({exc}); move it away and run "
                "`jenkinsgen release status` to rebuild it from the containers"
            ) from None
        return data

    # -- services ----------------------------------------------------------------------

    def service_path(self, service: str) -> Path:
        return self.root / "services" / f"{service}.json"

    def load(self, service: str) -> ServiceState | None:
        data = self._read(self.service_path(service))
        if data is None:
            return None
        return _decoded(ServiceState.from_json, data, self.service_path(service))

    def save(self, state: ServiceState) -> None:
        self._dir("services")
        self._write(self.service_path(state.service), state.to_json())

    def services(self) -> list[str]:
        """Services that have a state file, sorted."""
        directory = self.root / "services"
        if not directory.is_dir():
            return []
        return sorted(p.stem for p in directory.glob("*.json") if not p.name.startswith("."))

    def allocate(
        self,
        service: str,
        first: int,
        last: int,
        keep: Collection[str],
        taken: Collection[int] = (),
    ) -> ServiceState:
        """The state of ``service``, created with two free ports of ``first..last`` if new.

        A port stays with its service for good; services that are not in ``keep`` (left the
        spec) and have no container lose their state here, and their ports go to new ones.
        ``taken`` are ports known to be in use otherwise (containers whose state was lost).
        """
        with self._lock("env.ports", wait=True):
            state = self.load(service)
            if state is not None:
                return state
            used = set(taken)
            for other in self.services():
                st = self.load(other)
                if st is None:
                    continue
                if other in keep or any(st.slots.values()) or st.pending is not None:
                    used.update(st.ports.values())
                else:  # left the spec, runs nothing: its ports are free, its state is gone
                    self.service_path(other).unlink(missing_ok=True)
            free = [p for p in range(first, last + 1) if p not in used]
            if len(free) < 2:
                raise ReleaseError(
                    f"{self.environment}: no two free ports left in {first}-{last} for "
                    f"{service} ({len(used)} in use); widen release.ports"
                )
            state = ServiceState(service=service, ports=dict(zip(SLOTS, free[:2], strict=True)))
            self.save(state)
            return state

    # -- releases ----------------------------------------------------------------------

    def record_path(self, release_id: str) -> Path:
        if not RELEASE_ID.fullmatch(release_id):
            raise ReleaseError(f"{release_id!r} is not a release id")
        return self.root / "releases" / f"{release_id}.json"

    def new_record(
        self,
        state: ServiceState,
        image: str,
        to_slot: str,
        from_slot: str | None,
        previous_image: str | None,
        release_id: str | None = None,
        rollback_of: str | None = None,
    ) -> ReleaseRecord:
        """A new release record (written), remembered in the service's history."""
        release_id = release_id or new_release_id()
        record = ReleaseRecord(
            id=release_id,
            service=state.service,
            environment=self.environment,
            image=image,
            to_slot=to_slot,
            from_slot=from_slot,
            previous_image=previous_image,
            rollback_of=rollback_of,
        )
        self.update(record, "deploying", f"deploying {image} to the {to_slot} slot")
        state.history.append(release_id)
        for old in state.history[:-HISTORY]:
            with contextlib.suppress(OSError, ReleaseError):
                self.record_path(old).unlink(missing_ok=True)
        state.history = state.history[-HISTORY:]
        return record

    def load_record(self, release_id: str) -> ReleaseRecord | None:
        if not RELEASE_ID.fullmatch(release_id):
            return None
        data = self._read(self.record_path(release_id))
        return (
            None
            if data is None
            else _decoded(ReleaseRecord.from_json, data, self.record_path(release_id))
        )

    def update(self, record: ReleaseRecord, status: str, message: str) -> None:
        """Set the record's status and message, keep the event, write it."""
        assert status in STATUSES, status
        record.status, record.message, record.updated = status, message, now()
        record.events.append([record.updated, status, message])
        del record.events[:-100]
        self._dir("releases")
        self._write(self.record_path(record.id), record.to_json())

    def effective_status(self, record: ReleaseRecord) -> str:
        """The record's status, or ``interrupted`` when it is under way and nobody works on
        it (its process died: no one holds the service lock)."""
        if record.status in ACTIVE and not self.busy(record.service):
            return "interrupted"
        return record.status

    # -- locks -------------------------------------------------------------------------

    def service_lock(self, service: str) -> contextlib.AbstractContextManager[None]:
        """Hold the lock of ``service`` (deploy, confirm, rollback); ReleaseConflict when
        another process or thread holds it."""
        return self._lock(f"service.{service}", what=service)

    def config_lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the lock of the environment's HAProxy configuration (waits for it)."""
        return self._lock("env.config", wait=True)

    def busy(self, service: str) -> bool:
        """Whether a deploy, confirm or rollback of ``service`` is running now."""
        return self._locked(f"service.{service}")

    @contextlib.contextmanager
    def _lock(self, name: str, wait: bool = False, what: str = "") -> Iterator[None]:
        path = self._dir("locks") / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise ReleaseConflict(
                        f"{what} in {self.environment}: another deploy, confirm or rollback "
                        "is running"
                    ) from None
                raise
            yield
        finally:
            os.close(fd)

    def _locked(self, name: str) -> bool:
        path = self.root / "locks" / f"{name}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False


def _decoded(decode: Callable[[dict[str, Any]], _T], data: dict[str, Any], path: Path) -> _T:
    """``decode(data)``, or one error naming ``path`` when its content has the wrong shape."""
    try:
        return decode(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReleaseError(f"release state {path} is damaged ({exc!r})") from None
