"""Base images for Docker tests, built locally because no registry image can be pulled here.

Two layers, each cached by a content key in its tag and label so reruns are instant:

* ``debian_base``: a Debian bookworm ``minbase`` rootfs made by ``debootstrap`` from the Debian
  mirror (the apt registry is reachable) and ``docker import``-ed.
* ``release_app``: the release tests' HTTP app (python3 from apt) FROM that base.
* ``stack_registry`` / ``stack_haproxy``: Debian's docker-registry and haproxy FROM that
  base, the stack tests' REGISTRY_IMAGE and PROXY_IMAGE.
* ``standin_jenkins`` / ``standin_agent``: built FROM that base, honouring the contract of the
  official ``jenkins/jenkins`` and ``jenkins/inbound-agent`` images (user jenkins 1000, the home,
  the ref directory, a start script), with a shell process standing in for java.

These cached images are kept between runs on purpose (they take minutes to make); everything a
test builds on top of them is removed by the test's fixture. ``remove_cached_bases`` drops them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docker

STANDIN_DIR = Path(__file__).resolve().parent / "standin"
STACK_IMAGES_DIR = Path(__file__).resolve().parent / "stackimages"
RELEASE_APP_DIR = Path(__file__).resolve().parent.parent / "release" / "app"
CACHE_LABEL = "org.jenkinsgen.test.cache-key"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBIAN_SUITE = "bookworm"
DEBIAN_INCLUDE = ("tini",)
_BASE_RECIPE = f"v1|{DEBIAN_SUITE}|{DEBIAN_MIRROR}|minbase|{','.join(DEBIAN_INCLUDE)}"
_LOCK_PATH = Path("/var/tmp/jenkinsgen-test-images.lock")


def _key(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _image_lock() -> Iterator[None]:
    """Serialise base builds between concurrent processes (tests and bench)."""
    with open(_LOCK_PATH, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _existing(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def debian_base(client: docker.DockerClient) -> str:
    """Return the tag of the debootstrapped bookworm image, building it on first use."""
    tag = f"jenkinsgen-test/debian:{DEBIAN_SUITE}-{_key(_BASE_RECIPE)}"
    with _image_lock():
        if _existing(client, tag):
            return tag
        work = Path(tempfile.mkdtemp(prefix="jenkinsgen-debootstrap-", dir="/var/tmp"))
        try:
            root = work / "rootfs"
            subprocess.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(DEBIAN_INCLUDE)}",
                    DEBIAN_SUITE,
                    str(root),
                    DEBIAN_MIRROR,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
            (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
            tar_path = work / "rootfs.tar"
            with tarfile.open(tar_path, "w") as tar:
                tar.add(root, arcname=".")
            shutil.rmtree(root)
            repo, _, version = tag.partition(":")
            client.api.import_image_from_file(
                str(tar_path),
                repository=repo,
                tag=version,
                changes=[f"LABEL {CACHE_LABEL}={_key(_BASE_RECIPE)}", 'CMD ["/bin/bash"]'],
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tag


def _build_from_dir(client: docker.DockerClient, context: Path, base: str, name: str) -> str:
    files = sorted(p for p in context.rglob("*") if p.is_file())
    key = _key(
        base, *(f"{p.relative_to(context)}" for p in files), *(p.read_bytes() for p in files)
    )
    tag = f"jenkinsgen-test/{name}:{key}"
    with _image_lock():
        if _existing(client, tag):
            return tag
        log = io.StringIO()
        try:
            for chunk in client.api.build(
                path=str(context),
                tag=tag,
                buildargs={"BASE": base},
                labels={CACHE_LABEL: key},
                network_mode="host",
                rm=True,
                forcerm=True,
                decode=True,
            ):
                if "stream" in chunk:
                    log.write(chunk["stream"])
                if "error" in chunk:
                    raise RuntimeError(f"building {tag} failed: {chunk['error']}\n{log.getvalue()}")
        except docker.errors.APIError as exc:
            raise RuntimeError(f"building {tag} failed: {exc}\n{log.getvalue()}") from exc
    return tag


def standin_jenkins(client: docker.DockerClient) -> str:
    """Stand-in for jenkins/jenkins: same user, home, ref dir and start-script contract."""
    return _build_from_dir(client, STANDIN_DIR / "jenkins", debian_base(client), "jenkins-standin")


def standin_agent(client: docker.DockerClient) -> str:
    """Stand-in for jenkins/inbound-agent: user jenkins 1000, agent work dir, start script."""
    return _build_from_dir(client, STANDIN_DIR / "agent", debian_base(client), "agent-standin")


#: The CA bundle this machine's own pip trusts (it may include a TLS-intercepting proxy's CA).
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
_PIP_BASE_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY host-ca-bundle.crt /etc/ssl/certs/jenkinsgen-test-host-bundle.crt
COPY pip.conf /etc/pip.conf
"""
_PIP_CONF = "[global]\ncert = /etc/ssl/certs/jenkinsgen-test-host-bundle.crt\n"


def pip_ready_base(client: docker.DockerClient) -> str:
    """The Debian base plus what pip needs to reach the package index from a build here: the
    CA bundle this machine trusts, named by ``/etc/pip.conf`` (the documented way to give the
    seed image's build a corporate CA or index). Python itself is left to the image's build."""
    with tempfile.TemporaryDirectory(prefix="jenkinsgen-pip-base-") as tmp:
        context = Path(tmp)
        (context / "Dockerfile").write_text(_PIP_BASE_DOCKERFILE)
        (context / "pip.conf").write_text(_PIP_CONF)
        bundle = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.is_file() else b""
        (context / "host-ca-bundle.crt").write_bytes(bundle)
        return _build_from_dir(client, context, debian_base(client), "pip-base")


def release_app(client: docker.DockerClient) -> str:
    """The release tests' tiny HTTP app (python3 on the base; see tests/release/app)."""
    return _build_from_dir(client, RELEASE_APP_DIR, debian_base(client), "release-app")


def stack_registry(client: docker.DockerClient) -> str:
    """Debian's docker-registry with the official registry:2 configuration (see its Dockerfile)."""
    return _build_from_dir(client, STACK_IMAGES_DIR / "registry", debian_base(client), "registry")


def stack_haproxy(client: docker.DockerClient) -> str:
    """Debian's HAProxy 2.6 (the stack's PROXY_IMAGE in tests)."""
    return _build_from_dir(client, STACK_IMAGES_DIR / "haproxy", debian_base(client), "haproxy")


def remove_cached_bases(client: docker.DockerClient) -> list[str]:
    """Remove every cached test base image (for a clean slate); returns the removed tags."""
    removed: list[str] = []
    for image in client.images.list(filters={"label": CACHE_LABEL}):
        for tag in image.tags:
            client.images.remove(tag, force=True)
            removed.append(tag)
    return removed


if __name__ == "__main__":  # build the bases ahead of a test run: python -m tests.dockerlib.base
    _client = docker.from_env()
    print(standin_jenkins(_client))
    print(standin_agent(_client))
