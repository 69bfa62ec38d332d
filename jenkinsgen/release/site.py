"""An environment's release site: the spec, the state on disk, HAProxy and the Docker engine.

:class:`Site` is what every release operation works on. It also owns the two things all of
them share: the HAProxy configuration file (rewritten from the state after each change) and
the service state itself (created with two free ports on first use, or rebuilt from the
labelled containers when the state file is missing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jenkinsgen.errors import AgentError, ReleaseError
from jenkinsgen.release.haproxy import RuntimeApi
from jenkinsgen.release.proxyconfig import (
    backend_name,
    render_proxy_config,
    slot_address,
    write_proxy_config,
)
from jenkinsgen.release.slots import SlotContainer, find_containers
from jenkinsgen.release.state import SLOTS, ReleaseRecord, ServiceState, Slot, StateStore
from jenkinsgen.spec.model import Environment, Release, Run, Service, Spec

__all__ = ["Hooks", "Site", "connect_engine"]

log = logging.getLogger("jenkinsgen.release")


def _no_step(name: str, message: str) -> None:
    log.debug("%s: %s", name, message)


@dataclass
class Hooks:
    """What a release calls besides Docker and HAProxy: ``step(name, message)`` after the
    state is written and before each side effect (progress output; tests inject crashes
    there), ``sleep`` and ``clock`` for waiting."""

    step: Callable[[str, str], None] = _no_step
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll: float = 0.2


def environment_release(spec: Spec, environment: str) -> tuple[Environment, Release]:
    """The environment and its release block; ReleaseError when it has none."""
    try:
        env = spec.environment(environment)
    except KeyError:
        known = ", ".join(e.name for e in spec.environments)
        raise ReleaseError(f"unknown environment {environment!r} (known: {known})") from None
    if env.release is None:
        raise ReleaseError(f"environment {environment!r} has no release block in {spec.source}")
    return env, env.release


def connect_engine(release: Release) -> Any:
    """A Docker client for the environment's ``docker_host``."""
    from jenkinsgen.agents.hosts import connect, parse_host

    try:
        return connect(parse_host(release.docker_host))
    except AgentError as exc:
        raise ReleaseError(str(exc)) from None


class Site:
    """One environment's release site (see module docstring)."""

    def __init__(
        self,
        spec: Spec,
        environment: str,
        docker: Any,
        *,
        proxy: RuntimeApi | None = None,
        store: StateStore | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        self.spec = spec
        self.environment = environment
        self.docker = docker
        self.env, self.release = environment_release(spec, environment)
        self.proxy = proxy or RuntimeApi(self.release.proxy.admin_socket)
        self.store = store or StateStore(self.release.state_dir, environment)
        self.hooks = hooks or Hooks()

    @property
    def address(self) -> str:
        return slot_address(self.release)

    def services(self) -> list[tuple[Service, Run]]:
        """The services released in this environment, in spec order."""
        return [
            (s, s.run)
            for s in self.spec.services
            if s.run is not None and self.env in self.spec.environments_of(s)
        ]

    def service(self, name: str) -> tuple[Service, Run]:
        for service, run in self.services():
            if service.name == name:
                return service, run
        known = ", ".join(s.name for s, _ in self.services()) or "none"
        raise ReleaseError(
            f"service {name!r} is not released in {self.environment} (released: {known})"
        )

    def backend(self, service: str) -> str:
        return backend_name(service)

    def step(self, name: str, message: str) -> None:
        self.hooks.step(name, message)

    def containers(self, service: str | None = None) -> list[SlotContainer]:
        if self.docker is None:
            raise ReleaseError(f"{self.environment}: no Docker engine ({self.release.docker_host})")
        return find_containers(self.docker, self.spec.folder, self.environment, service)

    # -- state -------------------------------------------------------------------------

    def state(self, service: str) -> ServiceState:
        """The service's state: loaded, else rebuilt from its containers, else created with
        two free ports."""
        state = self.store.load(service)
        if state is not None:
            return state
        rebuilt = self._rebuild(service)
        if rebuilt is not None:
            return rebuilt
        first, last = self.release.ports
        taken = {p for c in self.containers() if c.ports for p in c.ports}
        keep = {s.name for s, _ in self.services()}
        return self.store.allocate(service, first, last, keep, taken)

    def _rebuild(self, service: str) -> ServiceState | None:
        """State from the labels of the service's containers (the state file was lost)."""
        found = [c for c in self.containers(service) if c.slot in SLOTS and c.ports]
        if not found:
            return None
        ports = found[-1].ports
        assert ports is not None
        state = ServiceState(service=service, ports=dict(zip(SLOTS, ports, strict=True)))
        by_slot: dict[str, SlotContainer] = {c.slot: c for c in found}  # newest wins
        for slot, c in by_slot.items():
            state.slots[slot] = Slot(image=c.image, release=c.release, container=c.name)
        weights: dict[str, int] = {}
        try:
            weights = {n: s.weight for n, s in self.proxy.servers(self.backend(service)).items()}
        except ReleaseError as exc:
            log.warning("rebuilding %s without HAProxy's weights: %s", service, exc)
        live = [slot for slot in by_slot if weights.get(slot, 0) > 0]
        newest = max(by_slot.values(), key=lambda c: c.created)
        if len(live) == 1:
            state.live = live[0]
        elif len(by_slot) == 1:
            state.live = newest.slot
        else:  # two versions, HAProxy says nothing: the older one served before
            state.live = min(by_slot.values(), key=lambda c: c.created).slot
        if len(by_slot) == 2:
            older = state.other(newest.slot)
            record = self.store.load_record(newest.release) if newest.release else None
            if record is None:
                record = ReleaseRecord(
                    id=newest.release,
                    service=service,
                    environment=self.environment,
                    image=newest.image,
                    to_slot=newest.slot,
                    from_slot=older,
                    previous_image=by_slot[older].image,
                )
                status = "awaiting-confirm" if state.live == newest.slot else "deploying"
                self.store.update(record, status, "state rebuilt from the containers' labels")
            state.pending = record.id
            state.history.append(record.id)
        self.store.save(state)
        log.warning(
            "%s in %s: release state rebuilt from its containers", service, self.environment
        )
        return state

    def states(self) -> dict[str, ServiceState]:
        return {service.name: self.state(service.name) for service, _ in self.services()}

    # -- HAProxy configuration ---------------------------------------------------------

    def proxy_config(self) -> str:
        """The HAProxy configuration as the state stands now."""
        return render_proxy_config(self.spec, self.environment, self.states(), self.spec.source)

    def sync_config(self) -> None:
        """Write ``proxy.config`` from the state, so a restarted HAProxy routes as now."""
        with self.store.config_lock():
            write_proxy_config(self.release.proxy.config, self.proxy_config())
