"""Specs and clients for sync tests: real specs rendered by the real renderer."""

from __future__ import annotations

from jenkinsgen.jenkins.client import JenkinsClient, RetryPolicy
from jenkinsgen.render import render_spec
from jenkinsgen.render.model import Rendered
from jenkinsgen.spec import load_spec_text

FAST_RETRY = RetryPolicy(attempts=4, base=0.01, cap=0.05)


def spec_text(
    folder: str = "delivery",
    services: int = 2,
    envs: tuple[str, ...] = ("dev", "prod"),
    build: str = "make",
    names: list[str] | None = None,
) -> str:
    """A valid v1 spec with ``services`` services (s0, s1, ...) in ``folder``."""
    env_lines = "\n".join(
        f"  - {{name: {e}, branch: {'main' if e == 'prod' else e}}}" for e in envs
    )
    svc_names = names if names is not None else [f"s{i}" for i in range(services)]
    svc_lines = "\n".join(
        f"  - {{name: {n}, repo: https://git.example.com/{n}.git, build: {build}, "
        f"test: make test, image: {{name: {n}}}}}"
        for n in svc_names
    )
    return (
        f"version: 1\nfolder: {folder}\n"
        "defaults: {registry: registry.example.com/acme, registry_credentials: push}\n"
        f"environments:\n{env_lines}\nservices:\n{svc_lines}\n"
    )


def rendered(**kwargs: object) -> Rendered:
    return render_spec(load_spec_text(spec_text(**kwargs)))  # type: ignore[arg-type]


def client_for(url: str, **kwargs: object) -> JenkinsClient:
    return JenkinsClient(url, retry=FAST_RETRY, **kwargs)  # type: ignore[arg-type]


def freestyle(description: str = "made by hand") -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?><project>"
        f"<description>{description}</description><builders/></project>"
    ).encode()


FOLDER_XML = (
    b"<?xml version='1.0' encoding='UTF-8'?><com.cloudbees.hudson.plugins.folder.Folder>"
    b"<description>hand-made folder</description></com.cloudbees.hudson.plugins.folder.Folder>"
)
