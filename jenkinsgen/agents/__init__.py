"""Docker-socket agents for a Jenkins controller: provision, inspect, wait, remove.

The library behind ``jenkinsgen agents``; the CLI is a thin layer over these functions.
Jenkins is reached through :class:`jenkinsgen.jenkins.client.JenkinsClient`, Docker engines
through clients from :func:`connect`; both are passed in.
"""

from jenkinsgen.agents.containers import AgentSettings, controller_id
from jenkinsgen.agents.down import down
from jenkinsgen.agents.hosts import DockerHost, connect, parse_host
from jenkinsgen.agents.inventory import Engine
from jenkinsgen.agents.placement import STRATEGIES, Strategy
from jenkinsgen.agents.provision import UpOptions, UpReport, up
from jenkinsgen.agents.status import StatusRow, format_table, status
from jenkinsgen.agents.wait import wait_online

__all__ = [
    "STRATEGIES",
    "AgentSettings",
    "DockerHost",
    "Engine",
    "StatusRow",
    "Strategy",
    "UpOptions",
    "UpReport",
    "connect",
    "controller_id",
    "down",
    "format_table",
    "parse_host",
    "status",
    "up",
    "wait_online",
]
