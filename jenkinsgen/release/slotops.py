"""The moves every release is made of: bring a slot up, switch traffic, drain, retire a slot.

Each move writes the state before its side effect and calls the site's ``step`` hook between
the two; each side effect is idempotent, so a move interrupted at any point can be done again.
Two traps are avoided here: traffic moves to a slot only once HAProxy's own health check has
passed on it (an unchecked server is reported UP, and weight on a server that is not
listening yet turns into 503s), and a slot is removed only after its sessions reached zero
(removing it with requests in flight turns them into 502s).
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from jenkinsgen.errors import ReleaseError
from jenkinsgen.release.site import Site
from jenkinsgen.release.slots import (
    container_state,
    find_containers,
    logs_tail,
    remove_container,
    start_container,
)
from jenkinsgen.release.state import SLOTS, ServiceState
from jenkinsgen.spec.model import Run

__all__ = ["NotHealthy", "bring_up", "check_proxy", "drain", "remove_strays", "retire", "switch"]

log = logging.getLogger("jenkinsgen.release")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NotHealthy(ReleaseError):
    """A new container did not become healthy in time (it has been removed)."""


def check_proxy(site: Site, state: ServiceState) -> None:
    """HAProxy answers and runs a configuration with this service's two slots on the
    state's ports; checked before any side effect."""
    servers = site.proxy.servers(site.backend(state.service))
    for slot in SLOTS:
        want = f"{site.address}:{state.ports[slot]}"
        got = servers.get(slot)
        if got is None or got.address != want:
            raise ReleaseError(
                f"HAProxy at {site.proxy.path} routes {state.service}/{slot} to "
                f"{got.address if got else 'nothing'}, the state says {want}: reload it with "
                f"the configuration in {site.release.proxy.config} "
                "(`jenkinsgen release proxy-config` writes it)"
            )


def remove_strays(site: Site, state: ServiceState) -> None:
    """Remove the service's containers the state does not know (left by a crash between
    clearing a slot and removing its container; they never carry traffic)."""
    known = {s.container for s in state.slots.values() if s is not None}
    for c in find_containers(site.docker, site.spec.folder, site.environment, state.service):
        if c.name not in known:
            site.step("stray", f"removing container {c.name} ({c.image}), unknown to the state")
            remove_container(site.docker, c.name)


def _probe(url: str, host: str) -> tuple[bool, str]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with _NO_PROXY.open(request, timeout=2) as response:
            code = int(response.status)
    except urllib.error.HTTPError as exc:
        code = exc.code
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, str(reason)
    return 200 <= code < 300, f"HTTP {code}"


def bring_up(site: Site, state: ServiceState, run: Run, slot: str, step: str) -> None:
    """Start the container the state has reserved in ``slot`` and wait until the app
    answers 2xx on ``run.health`` and HAProxy's own check has passed, within
    ``run.health_timeout``; NotHealthy otherwise (the container is left for the caller)."""
    occupant = state.slots[slot]
    assert occupant is not None
    backend = site.backend(state.service)
    if container_state(site.docker, occupant.container) is None:
        site.step(step, f"starting {occupant.image} in the {slot} slot ({occupant.container})")
        start_container(
            site.docker,
            site.release,
            run,
            folder=site.spec.folder,
            environment=site.environment,
            service=state.service,
            slot=slot,
            ports=state.ports,
            release_id=occupant.release,
            image=occupant.image,
            name=occupant.container,
        )
    hooks = site.hooks
    deadline = hooks.clock() + run.health_timeout
    url = f"http://{site.address}:{state.ports[slot]}{run.health}"
    last = "no answer yet"
    while True:
        current = container_state(site.docker, occupant.container)
        if current is None or current[0] in ("exited", "dead", "restarting") or current[2]:
            what = "is gone"
            if current is not None and current[2]:
                what = f"keeps exiting (restarted {current[2]} time(s))"
            elif current is not None:
                what = f"exited with code {current[1]}"
            tail = "; ".join(logs_tail(site.docker, occupant.container, 5)) or "no output"
            raise NotHealthy(f"{occupant.image}: container {occupant.container} {what} ({tail})")
        ok, last = _probe(url, run.hosts[0])
        if ok:
            break
        if hooks.clock() >= deadline:
            raise NotHealthy(
                f"{occupant.image} did not answer 2xx on {run.health} within "
                f"{run.health_timeout} s (last: {last})"
            )
        hooks.sleep(hooks.poll)
    site.step(f"{step}.ready", f"{occupant.image} answers; waiting for HAProxy's check")
    site.proxy.set_state(backend, slot, "ready")
    while True:
        server = site.proxy.server(backend, slot)
        if server.checked_up:
            return
        if hooks.clock() >= deadline:
            raise NotHealthy(
                f"HAProxy's health check of {occupant.image} ({backend}/{slot}) did not pass "
                f"within {run.health_timeout} s: {server.status}, {server.check}"
            )
        hooks.sleep(hooks.poll)


def switch(
    site: Site, state: ServiceState, to_slot: str | None, from_slot: str | None, step: str
) -> None:
    """All traffic to ``to_slot`` (None: to nothing), none to ``from_slot``."""
    state.live = to_slot
    site.store.save(state)
    target = "nothing" if to_slot is None else f"the {to_slot} slot"
    site.step(step, f"moving the traffic of {state.service} to {target}")
    site.sync_config()
    backend = site.backend(state.service)
    if to_slot is not None:
        site.proxy.set_weight(backend, to_slot, 100)
    if from_slot is not None and from_slot != to_slot:
        site.proxy.set_weight(backend, from_slot, 0)


def drain(site: Site, service: str, slot: str, timeout: int) -> int:
    """Wait until ``slot`` has no session and nothing queued (at most ``timeout`` s); the
    number still open when the time ran out."""
    hooks = site.hooks
    backend = site.backend(service)
    deadline = hooks.clock() + timeout
    while True:
        server = site.proxy.server(backend, slot)
        if server.idle:
            return 0
        if hooks.clock() >= deadline:
            left = server.scur + server.qcur
            log.warning(
                "%s/%s: %d session(s) still open after %d s; removing it anyway",
                backend,
                slot,
                left,
                timeout,
            )
            return left
        hooks.sleep(hooks.poll)


def retire(site: Site, state: ServiceState, slot: str, step: str) -> None:
    """Empty ``slot``: the state first, then HAProxy (maintenance), then the container."""
    occupant = state.slots[slot]
    state.slots[slot] = None
    site.store.save(state)
    what = occupant.image if occupant else "nothing"
    site.step(step, f"removing the {slot} slot of {state.service} ({what})")
    site.sync_config()
    site.proxy.set_state(site.backend(state.service), slot, "maint")
    if occupant is not None:
        remove_container(site.docker, occupant.container)
