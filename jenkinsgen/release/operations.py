"""deploy, confirm and rollback of one service in one environment.

A release moves through these statuses (its record in ``state_dir/releases``)::

    deploying ─▶ switching ─▶ awaiting-confirm ─▶ confirming ─▶ confirmed
        │            │               │                              │
        ▼            └───────────────┴──▶ rolling-back ─▶ rolled-back ◀┘ (rollback after
      failed (never healthy: the new container is removed,                 confirm)
              the live version untouched)

Each operation holds the service's lock for its whole run. A release left in ``deploying``,
``switching``, ``confirming`` or ``rolling-back`` by a dead process is *interrupted*:
``rollback`` brings back the version that served before it (starting it again from its image
if its container is gone), and ``deploy`` of the same image rolls the interrupted part back
and starts over (or finishes a confirm that was under way). A release's record is settled
before the service state lets go of it, so a record never claims less than happened.
"""

from __future__ import annotations

import contextlib
import logging

from jenkinsgen.errors import ReleaseConflict, ReleaseError
from jenkinsgen.release.site import Site
from jenkinsgen.release.slotops import (
    NotHealthy,
    bring_up,
    check_proxy,
    drain,
    remove_strays,
    retire,
    switch,
)
from jenkinsgen.release.slots import container_name, container_state, ensure_image
from jenkinsgen.release.state import ACTIVE, TERMINAL, ReleaseRecord, ServiceState, Slot
from jenkinsgen.spec.model import Run

__all__ = ["confirm", "deploy", "rollback"]

log = logging.getLogger("jenkinsgen.release")


def _pending(site: Site, state: ServiceState) -> ReleaseRecord | None:
    """The release the state is busy with; a settled one is let go of here (the process
    that settled it died before the state said so)."""
    if state.pending is None:
        return None
    record = site.store.load_record(state.pending)
    if record is None:
        raise ReleaseError(
            f"{state.service} in {site.environment}: the record of release {state.pending} is "
            f"missing from {site.store.root / 'releases'}"
        )
    if record.status in TERMINAL:
        state.pending = None
        site.store.save(state)
        return None
    return record


def _describe(record: ReleaseRecord) -> str:
    status = record.status
    if status in ACTIVE:
        status = f"interrupted while {status}"
    return f"release {record.id} of {record.image} is {status}"


def _settle(
    site: Site, state: ServiceState, record: ReleaseRecord, status: str, message: str, step: str
) -> None:
    """The record first, then the state lets go of it."""
    site.store.update(record, status, message)
    site.step(step, message)
    state.pending = None
    site.store.save(state)


def deploy(site: Site, service: str, image: str, release_id: str | None = None) -> ReleaseRecord:
    """Start ``image`` in the idle slot, wait until healthy, move all traffic to it; then
    confirm at once (``confirm: auto``) or leave the old version at weight 0 awaiting
    confirm. NotHealthy (the new container removed, the live version untouched) when it
    does not become healthy; ReleaseConflict when another release of a different image
    awaits confirm or was interrupted. ``release_id`` names the new release (the receiver
    announces it before the deploy runs)."""
    _, run = site.service(service)
    with site.store.service_lock(service):
        state = site.state(service)
        check_proxy(site, state)
        remove_strays(site, state)
        record = _pending(site, state)
        if record is not None:
            if record.image != image:
                raise ReleaseConflict(
                    f"{service} in {site.environment}: {_describe(record)}; confirm or roll it "
                    "back first"
                )
            if record.status in ("awaiting-confirm", "confirming"):
                if record.status == "confirming" or site.release.confirm == "auto":
                    return _confirm(site, state, record)
                return record
            _rollback(site, state, record, "interrupted; rolling back before deploying again")
        live = state.live
        occupant = state.slots[live] if live is not None else None
        if (
            live is not None
            and occupant is not None
            and occupant.image == image
            and _running(site, occupant.container)
        ):
            current = site.store.load_record(occupant.release)
            if current is not None and current.image == image:
                return current
            record = site.store.new_record(state, image, live, live, image, release_id)
            site.store.save(state)
            site.store.update(record, "confirmed", f"{image} serves already; nothing to do")
            return record
        record = _release(site, state, run, image, release_id, "deploy")
        if record.status == "awaiting-confirm" and site.release.confirm == "auto":
            return _confirm(site, state, record)
        return record


def _running(site: Site, container: str) -> bool:
    current = container_state(site.docker, container)
    return current is not None and current[0] == "running"


def _release(
    site: Site,
    state: ServiceState,
    run: Run,
    image: str,
    release_id: str | None,
    kind: str,
    rollback_of: str | None = None,
) -> ReleaseRecord:
    """Start ``image`` in the idle slot, wait until healthy, move all traffic to it; the
    record ends ``awaiting-confirm`` (``confirmed`` when nothing served before)."""
    live = state.live
    occupant = state.slots[live] if live is not None else None
    target = state.idle()
    if state.slots[target] is not None:  # left by a crash after a failed release
        retire(site, state, target, f"{kind}.clear")
    record = site.store.new_record(
        state,
        image,
        target,
        live if occupant else None,
        occupant.image if occupant else None,
        release_id,
        rollback_of,
    )
    state.pending = record.id
    site.store.save(state)
    site.step(f"{kind}.recorded", f"release {record.id}: {image} to the {target} slot")
    try:
        ensure_image(site.docker, image)
    except ReleaseError as exc:
        _fail(site, state, record, target, str(exc))
        raise
    name = container_name(site.environment, state.service, target, record.id)
    state.slots[target] = Slot(image=image, release=record.id, container=name)
    site.store.save(state)
    site.step(f"{kind}.reserved", f"{target} slot reserved for {image}")
    site.sync_config()
    try:
        bring_up(site, state, run, target, f"{kind}.start")
    except NotHealthy as exc:
        _fail(site, state, record, target, str(exc))
        raise
    site.store.update(record, "switching", f"{image} is healthy; moving traffic to it")
    switch(site, state, target, record.from_slot, f"{kind}.switch")
    if record.from_slot is None:
        _settle(site, state, record, "confirmed", f"{image} serves (first release)", f"{kind}.done")
        return record
    site.store.update(
        record,
        "awaiting-confirm",
        f"{image} serves; {record.previous_image} stands by in the {record.from_slot} slot",
    )
    site.step(f"{kind}.switched", f"{image} serves all traffic")
    return record


def _fail(site: Site, state: ServiceState, record: ReleaseRecord, slot: str, message: str) -> None:
    """The new version did not come up: remove it, then settle; the live one is untouched."""
    occupant = state.slots[slot]
    if occupant is not None and occupant.release == record.id:
        with contextlib.suppress(ReleaseError):
            retire(site, state, slot, "deploy.fail")
    _settle(site, state, record, "failed", message, "deploy.failed")


def confirm(site: Site, service: str, release_id: str | None = None) -> ReleaseRecord:
    """Drain the old slot (bounded by ``drain_timeout``) and remove its container."""
    site.service(service)
    with site.store.service_lock(service):
        state = site.state(service)
        record = _pending(site, state)
        if record is None and release_id is None:
            last = _last(site, state)
            if last is not None and last.status == "confirmed":
                return last  # confirmed already (again: a crash may have hidden it)
        _check_id(site, service, record, release_id)
        if record is None:
            raise ReleaseError(f"{service} in {site.environment}: no release awaits confirm")
        if record.status not in ("awaiting-confirm", "confirming") and not _serves(state, record):
            raise ReleaseConflict(
                f"{service} in {site.environment}: {_describe(record)}; roll it back, or "
                "deploy the same image again"
            )
        check_proxy(site, state)
        remove_strays(site, state)
        return _confirm(site, state, record)


def _serves(state: ServiceState, record: ReleaseRecord) -> bool:
    """A rollback that could not bring the old version back left the new one serving: it
    may still be confirmed."""
    occupant = state.slots[record.to_slot]
    return (
        record.status == "rolling-back"
        and state.live == record.to_slot
        and occupant is not None
        and occupant.release == record.id
    )


def _confirm(site: Site, state: ServiceState, record: ReleaseRecord) -> ReleaseRecord:
    site.store.update(record, "confirming", f"draining {record.previous_image}")
    old, new = record.from_slot, record.to_slot
    backend = site.backend(state.service)
    message = f"{record.image} serves; the {old} slot is removed"
    if old is not None:  # even when its slot is empty already: HAProxy may not know yet
        site.step("confirm.drain", f"draining the {old} slot ({record.previous_image})")
        site.proxy.set_weight(backend, new, 100)
        site.proxy.set_weight(backend, old, 0)
        left = drain(site, state.service, old, site.release.drain_timeout)
        if left:
            message += f" ({left} session(s) still open after {site.release.drain_timeout} s)"
        retire(site, state, old, "confirm.retire")
    _settle(site, state, record, "confirmed", message, "confirm.done")
    return record


def rollback(site: Site, service: str, release_id: str | None = None) -> ReleaseRecord:
    """Move traffic back to the version that served before the pending release (starting it
    again from its image if its container is gone), then drain and remove the new one.

    With no release pending, the last release (confirmed, still live) is rolled back: its
    previous image is started again in the idle slot, takes the traffic, and the
    confirmed version is drained and removed."""
    _, run = site.service(service)
    with site.store.service_lock(service):
        state = site.state(service)
        record = _pending(site, state)
        last = _last(site, state)
        if (
            record is None
            and release_id is None
            and last is not None
            and (last.status in ("rolled-back", "failed") or last.rollback_of is not None)
        ):
            return last  # rolled back already (again: a crash may have hidden it)
        if record is None:
            record = _live_release(site, state)
            _check_id(site, service, record, release_id)
            check_proxy(site, state)
            remove_strays(site, state)
            return _rollback_confirmed(site, state, run, record)
        _check_id(site, service, record, release_id)
        check_proxy(site, state)
        remove_strays(site, state)
        _rollback(site, state, record, "rolling back")
        return record


def _last(site: Site, state: ServiceState) -> ReleaseRecord | None:
    """The newest release of the service."""
    return site.store.load_record(state.history[-1]) if state.history else None


def _check_id(
    site: Site, service: str, record: ReleaseRecord | None, release_id: str | None
) -> None:
    if release_id is not None and (record is None or record.id != release_id):
        current = f"release {record.id} is" if record else "no release is"
        raise ReleaseConflict(
            f"{service} in {site.environment}: release {release_id} is not pending ({current})"
        )


def _live_release(site: Site, state: ServiceState) -> ReleaseRecord:
    """The confirmed release that put the live version there, if it can be rolled back."""
    where = f"{state.service} in {site.environment}"
    occupant = state.slots[state.live] if state.live is not None else None
    if occupant is None:
        raise ReleaseError(f"{where}: nothing to roll back (nothing is live)")
    record = site.store.load_record(occupant.release)
    if record is None or record.status != "confirmed" or record.image != occupant.image:
        raise ReleaseError(f"{where}: nothing to roll back (no release record of the live version)")
    if not record.previous_image or record.previous_image == record.image:
        raise ReleaseError(
            f"{where}: nothing to roll back: release {record.id} ({record.image}) was the first"
        )
    return record


def _rollback_confirmed(
    site: Site, state: ServiceState, run: Run, record: ReleaseRecord
) -> ReleaseRecord:
    """Roll back a confirmed release: its previous image is released anew and confirmed."""
    assert record.previous_image is not None
    back = _release(site, state, run, record.previous_image, None, "rollback", record.id)
    site.store.update(record, "rolled-back", f"rolled back after confirm by release {back.id}")
    if back.status == "awaiting-confirm":
        _confirm(site, state, back)
    return record


def _rollback(site: Site, state: ServiceState, record: ReleaseRecord, why: str) -> None:
    site.store.update(record, "rolling-back", why)
    old, new = record.from_slot, record.to_slot
    if old is not None and record.previous_image is not None:
        _restore(site, state, record, old)
    switch(site, state, old, new, "rollback.switch")
    drain(site, state.service, new, site.release.drain_timeout)
    retire(site, state, new, "rollback.retire")
    previous = record.previous_image or "nothing (first release)"
    _settle(
        site,
        state,
        record,
        "rolled-back",
        f"{previous} serves again; {record.image} removed",
        "rollback.done",
    )


def _restore(site: Site, state: ServiceState, record: ReleaseRecord, slot: str) -> None:
    """Make sure the old version runs healthy in ``slot`` (start it again if needed)."""
    _, run = site.service(state.service)
    occupant = state.slots[slot]
    current = container_state(site.docker, occupant.container) if occupant else None
    if occupant is None or current is None or current[0] != "running":
        assert record.previous_image is not None
        if occupant is not None:
            retire(site, state, slot, "rollback.clear")
        try:
            ensure_image(site.docker, record.previous_image)
        except ReleaseError as exc:
            raise ReleaseError(f"cannot roll back: {exc}") from None
        release_id = occupant.release if occupant else record.id
        name = container_name(site.environment, state.service, slot, record.id)
        state.slots[slot] = Slot(image=record.previous_image, release=release_id, container=name)
        site.store.save(state)
        site.step("rollback.reserve", f"bringing {record.previous_image} back in the {slot} slot")
        site.sync_config()
    try:
        bring_up(site, state, run, slot, "rollback.start")
    except NotHealthy as exc:
        raise ReleaseError(
            f"cannot roll back {state.service} in {site.environment}: {exc}; "
            f"{record.image} keeps serving"
        ) from None
