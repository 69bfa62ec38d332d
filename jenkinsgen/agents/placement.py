"""Which Docker host each new agent goes to: pure functions, no I/O.

Two strategies:

* ``round-robin`` (the default): each new agent goes to the host that has the fewest of this
  pool's agents, ties broken by the order the hosts were given.  From an empty start this is
  plain round-robin; after removals or failures it rebalances.  It needs nothing from the
  engines, so it is predictable and cannot be skewed by unrelated containers.
* ``capacity``: each new agent goes to the host with the most CPUs per running container
  (``NCPU / (ContainersRunning + 1)`` from ``docker info``, counting the agents placed so far),
  ties broken by memory per container, then host order.  Use it when hosts differ in size or
  run other workloads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["STRATEGIES", "Capacity", "Strategy", "place"]

Strategy = Literal["round-robin", "capacity"]
STRATEGIES: tuple[Strategy, ...] = ("round-robin", "capacity")


@dataclass(frozen=True)
class Capacity:
    """What ``docker info`` says about a host's size and load."""

    cpus: int
    memory: int
    running: int


def place(
    hosts: Sequence[str],
    count: int,
    *,
    current: Mapping[str, int] | None = None,
    strategy: Strategy = "round-robin",
    capacity: Mapping[str, Capacity] | None = None,
) -> list[str]:
    """Hosts for ``count`` new agents, in creation order.

    ``current`` counts this pool's agents already on each host; ``capacity`` is required for
    the ``capacity`` strategy.
    """
    if not hosts:
        raise ValueError("no Docker host to place agents on")
    ours = {h: (current or {}).get(h, 0) for h in hosts}
    order = {h: i for i, h in enumerate(hosts)}
    out: list[str] = []
    if strategy == "round-robin":
        for _ in range(count):
            host = min(hosts, key=lambda h: (ours[h], order[h]))
            ours[host] += 1
            out.append(host)
        return out
    if capacity is None or any(h not in capacity for h in hosts):
        raise ValueError("the capacity strategy needs the capacity of every host")
    running = {h: capacity[h].running for h in hosts}

    def score(h: str) -> tuple[float, float, int]:
        per = running[h] + 1
        return (-capacity[h].cpus / per, -capacity[h].memory / per, order[h])

    for _ in range(count):
        host = min(hosts, key=score)
        running[host] += 1
        out.append(host)
    return out
