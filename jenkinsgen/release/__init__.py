"""Blue-green releases through HAProxy, and the receiver of the pipeline's deploy trigger.

The library behind ``jenkinsgen release``; the CLI is a thin layer over it. Each service
of an environment with a ``release`` block has two slots (blue, green) behind one HAProxy
backend: :func:`deploy` starts a new version in the idle slot and moves traffic to it once
healthy, :func:`confirm` drains and removes the old one, :func:`rollback` moves traffic
back and removes the new one. The Docker client and HAProxy's runtime API are reached
through a :class:`Site`; the library starts no thread, process or server of its own
(:class:`Receiver` answers requests; the caller serves them and runs its jobs).
"""

from jenkinsgen.release.haproxy import RuntimeApi, ServerStat
from jenkinsgen.release.operations import confirm, deploy, rollback
from jenkinsgen.release.proxyconfig import render_proxy_config, write_proxy_config
from jenkinsgen.release.receiver import Receiver, Response
from jenkinsgen.release.receiver_http import ReceiverServer, make_handler
from jenkinsgen.release.site import Hooks, Site, connect_engine
from jenkinsgen.release.state import ReleaseRecord, ServiceState, StateStore
from jenkinsgen.release.status import ServiceStatus, format_status, gather_status

__all__ = [
    "Hooks",
    "Receiver",
    "ReceiverServer",
    "ReleaseRecord",
    "Response",
    "RuntimeApi",
    "ServerStat",
    "ServiceState",
    "ServiceStatus",
    "Site",
    "StateStore",
    "confirm",
    "connect_engine",
    "deploy",
    "format_status",
    "gather_status",
    "make_handler",
    "render_proxy_config",
    "rollback",
    "write_proxy_config",
]
