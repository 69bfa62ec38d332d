"""A REST double of the Jenkins controller: a real HTTP server on 127.0.0.1.

python-jenkins (and ``jenkins-jobs``) talk to it over the network exactly as they talk to
Jenkins; it answers as Jenkins core does (see /work/shared/JENKINS-REST.md) and lets tests
inject latency, 5xx answers and dropped connections, and count requests. Extensions (the
agents' node endpoints) plug in through :class:`Router`; see README.md.
"""

from tests.jenkins_double.routing import Request, Response, Router
from tests.jenkins_double.server import JenkinsDouble
from tests.jenkins_double.state import Item, ItemTree

__all__ = ["Item", "ItemTree", "JenkinsDouble", "Request", "Response", "Router"]
