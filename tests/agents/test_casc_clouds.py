"""The agents: section renders JCasC for the docker-plugin and kubernetes clouds whose shape
matches the plugins' own examples (real files in tests/data/jcasc/ and the key paths of
the kubernetes-plugin's JCasC test resources)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from jenkinsgen.casc.clouds import agents_casc, cloud_name, render_agents_casc
from jenkinsgen.errors import SpecError
from jenkinsgen.spec import agents as agents_spec
from jenkinsgen.spec import v1
from jenkinsgen.spec.loader import load_spec_text

BASE = """\
version: 1
folder: delivery
defaults: {registry: registry.example.com/acme, registry_credentials: reg}
environments: [{name: dev, branch: develop}]
services: [{name: orders, repo: "https://git.example.com/o.git", build: make}]
"""

FULL = (
    BASE
    + """\
agents:
  label: docker
  image: registry.example.com/acme/jenkins-agent:1
  idle_minutes: 5
  docker:
    hosts: ["unix:///var/run/docker.sock", "tcp://build-1.example.com:2376"]
    max_instances: 6
    credentials: docker-tls
  kubernetes:
    namespace: ci
    server_url: https://k8s.example.com
    credentials: k8s-token
    jenkins_url: http://jenkins.ci.svc:8080/
    websocket: true
"""
)

#: Key paths of the kubernetes cloud, from jenkinsci/kubernetes-plugin
#: src/test/resources/org/csanchez/jenkins/plugins/kubernetes/casc/ (configuration-as-code.yaml,
#: casc_volume_hostPath.yaml, casc_volume_emptyDir.yaml, casc_envVar_keyValue.yaml; a82d78a0).
K8S_RESOURCE_PATHS = {
    "kubernetes",
    "kubernetes.containerCapStr",
    "kubernetes.jenkinsUrl",
    "kubernetes.maxRequestsPerHostStr",
    "kubernetes.name",
    "kubernetes.templates",
    "kubernetes.templates[]",
    "kubernetes.templates[].hostNetwork",
    "kubernetes.templates[].label",
    "kubernetes.templates[].name",
    "kubernetes.templates[].yamlMergeStrategy",
    "kubernetes.templates[].containers",
    "kubernetes.templates[].containers[]",
    "kubernetes.templates[].containers[].args",
    "kubernetes.templates[].containers[].command",
    "kubernetes.templates[].containers[].image",
    "kubernetes.templates[].containers[].name",
    "kubernetes.templates[].containers[].ttyEnabled",
    "kubernetes.templates[].containers[].workingDir",
    "kubernetes.templates[].volumes",
    "kubernetes.templates[].volumes[]",
    "kubernetes.templates[].volumes[].hostPathVolume",
    "kubernetes.templates[].volumes[].hostPathVolume.hostPath",
    "kubernetes.templates[].volumes[].hostPathVolume.mountPath",
    "kubernetes.templates[].volumes[].emptyDirVolume",
    "kubernetes.templates[].volumes[].emptyDirVolume.mountPath",
    "kubernetes.templates[].envVars",
    "kubernetes.templates[].envVars[]",
    "kubernetes.templates[].envVars[].envVar",
    "kubernetes.templates[].envVars[].envVar.key",
    "kubernetes.templates[].envVars[].envVar.value",
}
#: Keys we emit that the resources do not show, each a @DataBoundSetter of the plugin
#: (KubernetesCloud.setNamespace/setServerUrl/setCredentialsId/setWebSocket; PodTemplate.
#: setNamespace/setIdleMinutes/setInstanceCapStr; ContainerTemplate.setPrivileged/
#: setEnvVars, whose list items have the same envVar shape as the template's). Not
#: PodTemplate.setRemoteFs: it is @Deprecated (tests/conformance checks every key against the
#: plugin's source at the pinned version).
K8S_SETTER_PATHS = {
    "kubernetes.namespace",
    "kubernetes.serverUrl",
    "kubernetes.credentialsId",
    "kubernetes.webSocket",
    "kubernetes.templates[].namespace",
    "kubernetes.templates[].idleMinutes",
    "kubernetes.templates[].instanceCapStr",
    "kubernetes.templates[].containers[].privileged",
    "kubernetes.templates[].containers[].envVars",
    "kubernetes.templates[].containers[].envVars[]",
    "kubernetes.templates[].containers[].envVars[].envVar",
    "kubernetes.templates[].containers[].envVars[].envVar.key",
    "kubernetes.templates[].containers[].envVars[].envVar.value",
}
#: DockerServerEndpoint(uri, credentialsId) (docker-commons), the TLS client certificate id.
DOCKER_SETTER_PATHS = {"docker.dockerApi.dockerHost.credentialsId"}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a YAML value; list items are ``[]``."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.add(path)
            out |= key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            out.add(f"{prefix}[]")
            out |= key_paths(child, f"{prefix}[]")
    return out


def _clouds(kind: str, text: str = FULL) -> list[dict[str, Any]]:
    spec = load_spec_text(text, "spec.yaml")
    rendered = render_agents_casc(spec)
    assert rendered is not None
    doc = yaml.safe_load(rendered)
    assert set(doc) == {"jenkins"} and set(doc["jenkins"]) == {"clouds"}
    return [c for c in doc["jenkins"]["clouds"] if kind in c]


def test_no_agents_section_renders_nothing() -> None:
    assert render_agents_casc(load_spec_text(BASE, "spec.yaml")) is None


def test_docker_cloud_key_paths_exist_in_the_real_docker_plugin_example(test_data: Path) -> None:
    real = yaml.safe_load(
        (test_data / "jcasc/docker-plugin-configuration-as-code_current.yml").read_text()
    )
    real_paths = set()
    for cloud in real["jenkins"]["clouds"]:
        real_paths |= key_paths(cloud)
    exported = yaml.safe_load(
        (test_data / "jcasc/docker-plugin-expected_output_current.yml").read_text()
    )
    exported_paths = key_paths(exported)
    clouds = _clouds("docker")
    assert clouds
    for cloud in clouds:
        ours = key_paths(cloud)
        assert ours - real_paths - DOCKER_SETTER_PATHS == set()
        # What Jenkins exports back has the same keys for what we set.
        assert ours - exported_paths - DOCKER_SETTER_PATHS == set()


def test_docker_cloud_per_host_with_socket_mount_label_image_and_cap() -> None:
    clouds = [c["docker"] for c in _clouds("docker")]
    assert [c["dockerApi"]["dockerHost"]["uri"] for c in clouds] == [
        "unix:///var/run/docker.sock",
        "tcp://build-1.example.com:2376",
    ]
    assert [c["name"] for c in clouds] == ["docker-local", "docker-build-1.example.com-2376"]
    assert "credentialsId" not in clouds[0]["dockerApi"]["dockerHost"]
    assert clouds[1]["dockerApi"]["dockerHost"]["credentialsId"] == "docker-tls"
    for cloud in clouds:
        (template,) = cloud["templates"]
        assert template["labelString"] == "docker"
        assert (
            template["dockerTemplateBase"]["image"] == "registry.example.com/acme/jenkins-agent:1"
        )
        assert template["dockerTemplateBase"]["mounts"] == [
            "type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock"
        ]
        assert template["instanceCapStr"] == "6"  # a string, as in the example
        assert template["remoteFs"] == "/home/jenkins/agent"
        assert template["retentionStrategy"] == {"idleMinutes": 5}
        assert template["connector"] == {"attach": {"user": "jenkins"}}


def test_kubernetes_socket_mode_mounts_the_node_socket() -> None:
    (cloud,) = [c["kubernetes"] for c in _clouds("kubernetes")]
    assert key_paths({"kubernetes": cloud}) - K8S_RESOURCE_PATHS - K8S_SETTER_PATHS == set()
    assert cloud["namespace"] == "ci"
    assert cloud["serverUrl"] == "https://k8s.example.com"
    assert cloud["credentialsId"] == "k8s-token"
    assert cloud["jenkinsUrl"] == "http://jenkins.ci.svc:8080/"
    assert cloud["webSocket"] is True
    assert cloud["containerCapStr"] == "10"
    (template,) = cloud["templates"]
    assert template["label"] == "docker"
    assert [c["name"] for c in template["containers"]] == ["jnlp"]
    assert template["containers"][0]["image"] == "registry.example.com/acme/jenkins-agent:1"
    # the agent's work directory is the container's, not the deprecated template remoteFs
    assert template["containers"][0]["workingDir"] == "/home/jenkins/agent"
    assert "remoteFs" not in template
    assert template["volumes"] == [
        {
            "hostPathVolume": {
                "hostPath": "/var/run/docker.sock",
                "mountPath": "/var/run/docker.sock",
            }
        }
    ]


def test_kubernetes_dind_mode_adds_a_privileged_sidecar() -> None:
    text = BASE + (
        "agents:\n  label: docker\n  image: acme/agent:2\n"
        "  kubernetes: {docker: dind, dind_image: 'docker:27-dind'}\n"
    )
    (cloud,) = [c["kubernetes"] for c in _clouds("kubernetes", text)]
    assert key_paths({"kubernetes": cloud}) - K8S_RESOURCE_PATHS - K8S_SETTER_PATHS == set()
    assert cloud["namespace"] == "jenkins"
    assert "serverUrl" not in cloud and "credentialsId" not in cloud
    (template,) = cloud["templates"]
    agent, dind = template["containers"]
    assert agent["envVars"] == [{"envVar": {"key": "DOCKER_HOST", "value": "tcp://127.0.0.1:2375"}}]
    assert dind["image"] == "docker:27-dind" and dind["privileged"] is True
    # dockerd itself, on the pod's loopback only: the image's entrypoint defaults (taken when
    # the first argument is an option) would listen without TLS on 0.0.0.0 for the whole cluster
    args = dind["args"].split()
    assert args[0] == "dockerd"
    assert [a for a in args if a.startswith("--host=tcp://")] == ["--host=tcp://127.0.0.1:2375"]
    assert "0.0.0.0" not in dind["args"] and "envVars" not in dind
    assert all("hostPathVolume" not in v for v in template["volumes"])
    assert _clouds("docker", text) == []


def test_rendering_is_deterministic() -> None:
    spec = load_spec_text(FULL, "spec.yaml")
    assert render_agents_casc(spec) == render_agents_casc(load_spec_text(FULL, "spec.yaml"))
    assert spec.agents is not None
    assert agents_casc(spec.agents) == yaml.safe_load(render_agents_casc(spec) or "")


def test_cloud_names() -> None:
    assert cloud_name("unix:///var/run/docker.sock") == "docker-local"
    assert cloud_name("unix:///srv/d/docker.sock") == "docker-srv-d-docker.sock"
    assert cloud_name("tcp://10.0.0.1:2376") == "docker-10.0.0.1-2376"


@pytest.mark.parametrize(
    ("agents", "message"),
    [
        ("{label: docker, image: a/b}", "agents needs a 'docker' or a 'kubernetes' cloud"),
        ("{label: docker, image: a/b, docker: {hosts: ['ssh://x']}}", "is not valid"),
        ("{label: docker, image: a/b, docker: {hosts: []}}", "needs at least 1 item"),
        ("{label: docker, image: a/b, docker: {hosts: ['tcp://h:99999']}}", "port must be 1-65535"),
        ("{label: docker, image: a/b, kubernetes: {docker: sock}}", "must be one of socket, dind"),
        (
            "{label: docker, image: a/b, kubernetes: {server_url: 'https://u:p@k'}}",
            "must not embed credentials",
        ),
        ("{label: docker, image: a/b, kubernetes: {}, clouds: 1}", "unknown key 'clouds'"),
    ],
)
def test_bad_agents_sections_are_located_errors(agents: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(BASE + f"agents: {agents}\n", "spec.yaml")
    text = str(info.value)
    assert message in text
    assert text.startswith("spec.yaml:6:")


def test_agents_patterns_match_v1() -> None:
    assert agents_spec.CREDENTIALS_ID == v1.CREDENTIALS_ID
    assert agents_spec.LABEL == v1.LABEL


def test_jcasc_variables_in_urls_are_kept_literal() -> None:
    text = BASE + (
        "agents:\n  label: docker\n  image: acme/agent:2\n"
        "  kubernetes: {jenkins_url: 'http://jenkins/${JENKINS_HOME}/'}\n"
    )
    (cloud,) = [c["kubernetes"] for c in _clouds("kubernetes", text)]
    assert cloud["jenkinsUrl"] == "http://jenkins/^${JENKINS_HOME}/"
