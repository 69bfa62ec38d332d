"""``release status``: each service's slots as the state, the containers and HAProxy see
them, side by side; every difference between the three is reported, never smoothed over.

Reading only: nothing is written, allocated or rebuilt here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from jenkinsgen.errors import ReleaseError
from jenkinsgen.release.haproxy import ServerStat
from jenkinsgen.release.site import Site
from jenkinsgen.release.slots import SlotContainer
from jenkinsgen.release.state import SLOTS, ReleaseRecord, ServiceState

__all__ = ["ServiceStatus", "SlotStatus", "format_status", "gather_status"]


@dataclass
class SlotStatus:
    slot: str
    port: int | None
    role: str  # live, standby, new (not live yet), empty
    image: str | None = None
    release: str | None = None
    container: str | None = None
    container_state: str | None = None  # running, "exited (exit code 137)", missing
    weight: int = 0  # what the state gives it
    haproxy_weight: int | None = None
    haproxy_status: str | None = None
    check: str | None = None
    sessions: int | None = None


@dataclass
class ServiceStatus:
    environment: str
    service: str
    in_spec: bool
    live_image: str | None = None
    live_slot: str | None = None
    pending: dict[str, Any] | None = None
    busy: bool = False
    slots: list[SlotStatus] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _servers(
    site: Site, service: str, env_problems: list[str], problems: list[str]
) -> dict[str, ServerStat] | None:
    """The backend's servers; HAProxy unreachable is the environment's problem (said once),
    a missing backend the service's."""
    if env_problems:
        return None
    try:
        return site.proxy.servers(site.backend(service))
    except ReleaseError as exc:
        text = str(exc)
        if "has no backend" in text:
            problems.append(text)
        else:
            env_problems.append(text)
        return None


def _pending(site: Site, state: ServiceState, status: ServiceStatus) -> ReleaseRecord | None:
    if state.pending is None:
        return None
    record = site.store.load_record(state.pending)
    if record is None:
        status.problems.append(f"the record of pending release {state.pending} is missing")
        return None
    effective = site.store.effective_status(record)
    status.pending = {**record.to_json(), "status": effective, "stored_status": record.status}
    if effective == "interrupted":
        status.problems.append(
            f"release {record.id} of {record.image} was interrupted while {record.status}: "
            f"run rollback, or deploy {record.image} again"
        )
    return record


def _slot(
    site: Site,
    state: ServiceState,
    slot: str,
    record: ReleaseRecord | None,
    containers: dict[str, SlotContainer],
    servers: dict[str, ServerStat] | None,
    status: ServiceStatus,
) -> SlotStatus:
    occupant = state.slots.get(slot)
    role = "empty"
    if occupant is not None:
        role = "live" if state.live == slot else "standby"
        if record is not None and record.to_slot == slot and state.live != slot:
            role = "new"
    out = SlotStatus(slot=slot, port=state.ports.get(slot), role=role, weight=state.weight(slot))
    problems = status.problems
    if occupant is not None:
        out.image, out.release, out.container = occupant.image, occupant.release, occupant.container
        found = containers.get(occupant.container)
        if found is None:
            out.container_state = "missing"
            problems.append(f"{slot} ({role}): container {occupant.container} is missing")
        else:
            out.container_state = found.describe()
            if not found.running:
                problems.append(
                    f"{slot} ({role}): container {occupant.container} is {found.describe()}"
                )
    if servers is not None:
        server = servers.get(slot)
        if server is None:
            problems.append(f"{slot}: HAProxy has no server {site.backend(state.service)}/{slot}")
        else:
            out.haproxy_weight, out.haproxy_status = server.weight, server.status
            out.check, out.sessions = server.check, server.scur
            want = f"{site.address}:{state.ports.get(slot)}"
            if server.address != want:
                problems.append(
                    f"{slot}: HAProxy routes it to {server.address}, the state says {want} "
                    "(reload HAProxy with the current proxy-config)"
                )
            if server.weight != out.weight and not server.maint:
                problems.append(
                    f"{slot}: HAProxy gives it weight {server.weight}, the state {out.weight}"
                )
            if occupant is None and not server.maint:
                problems.append(f"{slot}: empty in the state, {server.status} in HAProxy")
            if occupant is not None and server.maint:
                problems.append(
                    f"{slot} ({role}): in maintenance in HAProxy, the state has {occupant.image}"
                )
            if role == "live" and not server.checked_up:
                problems.append(f"{slot} (live): {server.status} in HAProxy, {server.check}")
    return out


def _service(
    site: Site,
    service: str,
    in_spec: bool,
    containers: list[SlotContainer],
    env_problems: list[str],
) -> ServiceStatus:
    status = ServiceStatus(site.environment, service, in_spec, busy=site.store.busy(service))
    state = site.store.load(service)
    if state is None:
        if containers:
            status.problems.append(
                "no state file, but containers run: the next deploy, confirm or rollback "
                "rebuilds the state from their labels"
            )
            for c in containers:
                status.slots.append(
                    SlotStatus(
                        slot=c.slot,
                        port=None,
                        role="unknown",
                        image=c.image,
                        release=c.release,
                        container=c.name,
                        container_state=c.describe(),
                    )
                )
        return status
    if not in_spec:
        status.problems.append("not in the spec any more")
    live = state.slots.get(state.live) if state.live is not None else None
    if live is not None:
        status.live_slot, status.live_image = state.live, live.image
    record = _pending(site, state, status)
    servers = _servers(site, service, env_problems, status.problems) if in_spec else None
    by_name = {c.name: c for c in containers}
    for slot in SLOTS:
        status.slots.append(_slot(site, state, slot, record, by_name, servers, status))
    known = {s.container for s in state.slots.values() if s is not None}
    for c in containers:
        if c.name not in known:
            status.problems.append(
                f"container {c.name} ({c.slot}, {c.image}, {c.describe()}) is not in the state"
            )
    if status.busy and status.problems:
        status.problems.append("a deploy, confirm or rollback is running: the state is ahead")
    return status


def gather_status(site: Site) -> tuple[list[ServiceStatus], list[str]]:
    """Every released service of the environment (and any left in the state), and the
    environment's own problems (HAProxy or Docker unreachable)."""
    env_problems: list[str] = []
    try:
        containers = site.containers()
    except ReleaseError as exc:
        env_problems.append(str(exc))
        containers = []
    names = [s.name for s, _ in site.services()]
    extra = [n for n in site.store.services() if n not in names]
    out = []
    for name in [*names, *extra]:
        mine = [c for c in containers if c.service == name]
        out.append(_service(site, name, name in names, mine, env_problems))
    return out, env_problems


def format_status(statuses: list[ServiceStatus], env_problems: list[str]) -> str:
    """The status as text, one block per service."""
    lines: list[str] = []
    for problem in env_problems:
        lines.append(f"problem: {problem}")
    for st in statuses:
        head = f"{st.environment}/{st.service}: "
        head += f"{st.live_image} live in {st.live_slot}" if st.live_image else "nothing live"
        if st.busy:
            head += " (a release is running)"
        lines.append(head)
        for s in st.slots:
            if s.role == "empty" and s.haproxy_status in (None, "MAINT"):
                continue
            haproxy = (
                f"HAProxy {s.haproxy_status} weight {s.haproxy_weight} sessions {s.sessions}"
                if s.haproxy_status is not None
                else "HAProxy -"
            )
            lines.append(
                f"  {s.role:<8} {s.slot:<5} :{s.port}  {s.image or '-'}  "
                f"container {s.container_state or '-'}  {haproxy}"
                + (f"  check {s.check}" if s.check else "")
            )
        if st.pending is not None:
            p = st.pending
            lines.append(f"  pending  release {p['id']} of {p['image']}: {p['status']}")
        for problem in st.problems:
            lines.append(f"  problem: {problem}")
    return "\n".join(lines)
