"""Issue 8 on a real controller: the controller image built FROM the real jenkins/jenkins base
at the pinned core, with the pinned plugin bundle and our default casc, boots (controller casc
plus the rendered clouds casc), and its approval gate holds: an ordinary user reads and builds
but cannot settle an ``input``, an approver named in ``submitter`` can.

Skips where the base image cannot be pulled ("image not available"), or where no plugin bundle
can be had: set JENKINSGEN_E2E_BUNDLE to a plugins.lock or a directory of .jpi files, or let
the test resolve images/controller/plugins.txt against the public update center (network).
Everything it starts is removed afterwards, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from jenkinsgen.bundle import download, pluginlist, resolve, updatecenter
from jenkinsgen.casc.controller import ControllerConfig
from jenkinsgen.errors import BundleError
from jenkinsgen.images import ImageInputs, build_image, plugins_from_bundle
from tests.conformance import pins
from tests.dockerlib.fixtures import DockerCleanup, free_port
from tests.dockerlib.pull import image_or_skip
from tests.e2e.test_controller_image_e2e import wait_for_login

#: Building the image and booting Jenkins with ~80 plugins happens in the first test's setup.
pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]

BASE = os.environ.get(
    "JENKINSGEN_E2E_BASE", f"jenkins/jenkins:{pins.core_pin()}-lts-jdk21"
)  # the Dockerfile's pin
UPDATE_CENTER = f"https://updates.jenkins.io/update-center.json?version={pins.core_pin()}"
PLUGIN_VERSIONS = "https://updates.jenkins.io/current/plugin-versions.json"
CLOUDS = Path(__file__).resolve().parents[1] / "golden/agents-clouds/expected/casc/agents.yaml"
APPROVERS = "release-managers"
GATE_JOB = """<?xml version='1.1' encoding='UTF-8'?>
<flow-definition plugin="workflow-job">
  <description>approval gate (e2e)</description>
  <definition class="org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition" plugin="workflow-cps">
    <script>input id: 'Gate', message: 'Deploy?', ok: 'Deploy', submitter: '{approvers}'
echo 'deployed after approval'</script>
    <sandbox>true</sandbox>
  </definition>
</flow-definition>
"""
FAILURES = ("ConfiguratorException", "UnknownAttributesException", "is deprecated")


@dataclass
class Controller:
    url: str
    container: Any
    admin_password: str


def _base(client: Any, cleanup: DockerCleanup) -> str:
    _, pulled = image_or_skip(client, BASE)
    if pulled:
        cleanup.images.append(BASE)  # pulled here: removed again afterwards
    return BASE


def _bundle(where: Path) -> Path:
    given = os.environ.get("JENKINSGEN_E2E_BUNDLE")
    if given:
        return plugins_from_bundle(Path(given), where)
    try:
        center = updatecenter.load(UPDATE_CENTER, PLUGIN_VERSIONS)
        lock = resolve(pluginlist.load(pins.PLUGINS_TXT), center, pins.core_pin()).lock
        download(lock, where)
    except BundleError as exc:  # the update center or the archives cannot be reached
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        pytest.skip(f"plugin bundle not available ({first}); set JENKINSGEN_E2E_BUNDLE")
    return where


def _session(controller: Controller, user: str, password: str) -> requests.Session:
    """A logged-in session carrying the crumb (DefaultCrumbIssuer ties it to the session)."""
    session = requests.Session()
    session.auth = (user, password)
    reply = session.get(f"{controller.url}/crumbIssuer/api/json", timeout=30)
    reply.raise_for_status()
    crumb = reply.json()
    session.headers[crumb["crumbRequestField"]] = crumb["crumb"]
    return session


def _script(controller: Controller, text: str) -> str:
    admin = _session(controller, "admin", controller.admin_password)
    reply = admin.post(f"{controller.url}/scriptText", data={"script": text}, timeout=60)
    reply.raise_for_status()
    return reply.text.strip()


@pytest.fixture(scope="module")
def controller(docker_client: Any) -> Iterator[Controller]:
    cleanup = DockerCleanup(docker_client)
    try:
        base = _base(docker_client, cleanup)
        with tempfile.TemporaryDirectory(prefix="jenkinsgen-e2e-") as tmp:
            plugins = _bundle(Path(tmp) / "plugins")
            tag = f"jenkinsgen-test/controller-gate:{uuid.uuid4().hex[:10]}"
            cleanup.images.insert(0, tag)
            config = ControllerConfig(approvers=(APPROVERS,))  # as --spec gives it
            build_image(docker_client, ImageInputs("controller", plugins, None, config), tag, base)
        port = free_port()
        password = uuid.uuid4().hex
        env = dict(e.split("=", 1) for e in docker_client.images.get(tag).attrs["Config"]["Env"])
        casc = env["CASC_JENKINS_CONFIG"]  # the image's own (a file or a directory)
        container = cleanup.run(
            tag,
            environment={
                "JENKINS_OPTS": f"--httpPort={port} --httpListenAddress=127.0.0.1",
                "JENKINS_ADMIN_PASSWORD": password,
                # our controller casc plus the rendered clouds (docker and kubernetes)
                "CASC_JENKINS_CONFIG": f"{casc},/extra/agents.yaml",
            },
            volumes={str(CLOUDS): {"bind": "/extra/agents.yaml", "mode": "ro"}},
            labels={"jenkinsgen.test": "e2e"},
        )
        assert wait_for_login(port, container, timeout=600) == 200
        url = f"http://127.0.0.1:{port}"
        _wait(lambda: _admin_answers(url, password), "the admin account (casc applied)", 300)
        yield Controller(url, container, password)
    finally:
        cleanup.close()


def test_the_controller_boots_with_our_casc_and_clouds(controller: Controller) -> None:
    logs = controller.container.logs().decode(errors="replace")
    assert not [f for f in FAILURES if f in logs], logs[-3000:]
    assert requests.get(f"{controller.url}/api/json", timeout=10).status_code == 403
    facts = _script(
        controller,
        "def j = jenkins.model.Jenkins.get()\n"
        "println(j.authorizationStrategy.class.name)\n"
        "println(j.crumbIssuer.class.name)\n"
        "println(j.numExecutors)\n"
        "println(j.clouds.collect { it.class.simpleName }.sort().join(','))\n"
        "println(j.clouds.find { it.class.simpleName == 'KubernetesCloud' }"
        ".templates[0].containers[0].workingDir)",
    ).splitlines()
    assert facts == [
        "hudson.security.GlobalMatrixAuthorizationStrategy",
        "hudson.security.csrf.DefaultCrumbIssuer",
        "0",
        "DockerCloud,DockerCloud,KubernetesCloud",
        "/home/jenkins/agent",
    ]


@pytest.fixture(scope="module")
def waiting_gate(controller: Controller) -> str:
    """Users dev1 (ordinary) and release-managers (the approver, by user id: the built-in user
    database has no groups), a job with a gate, and a build waiting at it."""
    _script(
        controller,
        "def realm = jenkins.model.Jenkins.get().securityRealm\n"
        "realm.createAccount('dev1', 'dev1-pw')\n"
        f"realm.createAccount('{APPROVERS}', 'approver-pw')\n",
    )
    admin = _session(controller, "admin", controller.admin_password)
    reply = admin.post(
        f"{controller.url}/createItem",
        params={"name": "gate"},
        data=GATE_JOB.replace("{approvers}", APPROVERS).encode(),
        headers={"Content-Type": "application/xml"},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text[:500]
    assert admin.post(f"{controller.url}/job/gate/build", timeout=30).status_code == 201
    _wait(lambda: _input_pending(controller, 1), "build 1 to wait at the gate")
    return f"{controller.url}/job/gate/1"


def _admin_answers(url: str, password: str) -> bool:
    try:
        return requests.get(f"{url}/api/json", auth=("admin", password), timeout=10).ok
    except requests.RequestException:
        return False


def _input_pending(controller: Controller, build: int) -> bool:
    reply = requests.get(
        f"{controller.url}/job/gate/{build}/input/Gate/",
        auth=("admin", controller.admin_password),
        timeout=10,
    )
    return reply.status_code == 200


def _wait(condition: Any, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(2)


def _result(controller: Controller, build: int) -> Any:
    reply = requests.get(
        f"{controller.url}/job/gate/{build}/api/json",
        auth=("admin", controller.admin_password),
        timeout=10,
    )
    reply.raise_for_status()
    return reply.json()["result"]


def test_an_ordinary_user_reads_and_builds_but_cannot_settle_the_gate(
    controller: Controller, waiting_gate: str
) -> None:
    dev = _session(controller, "dev1", "dev1-pw")
    assert dev.get(f"{controller.url}/job/gate/api/json", timeout=10).status_code == 200
    for action in ("proceedEmpty", "abort"):
        dev.post(f"{waiting_gate}/input/Gate/{action}", timeout=30)
        time.sleep(3)
        assert _input_pending(controller, 1), f"dev1 settled the gate with {action}"
        assert _result(controller, 1) is None  # still running
    # Job/Build: dev1 may start the job (the new build then waits at the gate as well)
    assert dev.post(f"{controller.url}/job/gate/build", timeout=30).status_code == 201
    assert "Overall/Administer" not in _script(
        controller,
        "def dev = hudson.model.User.getById('dev1', false).impersonate2()\n"
        "println(jenkins.model.Jenkins.get().getACL().hasPermission2(dev, "
        "jenkins.model.Jenkins.ADMINISTER) ? 'Overall/Administer' : 'no')",
    )


def test_an_approver_settles_the_gate(controller: Controller, waiting_gate: str) -> None:
    approver = _session(controller, APPROVERS, "approver-pw")
    reply = approver.post(f"{waiting_gate}/input/Gate/proceedEmpty", timeout=30)
    assert reply.status_code < 400, reply.text[:500]
    _wait(lambda: _result(controller, 1) is not None, "build 1 to finish")
    assert _result(controller, 1) == "SUCCESS"
    log = requests.get(
        f"{waiting_gate}/consoleText", auth=("admin", controller.admin_password), timeout=10
    ).text
    assert f"Approved by {APPROVERS}" in log and "deployed after approval" in log
    with contextlib.suppress(requests.RequestException):  # leave no build waiting
        _session(controller, "admin", controller.admin_password).post(
            f"{controller.url}/job/gate/2/input/Gate/abort", timeout=30
        )
