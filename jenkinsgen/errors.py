"""The one error root of jenkinsgen and its branches.

::

    JenkinsgenError                 what the CLI prints as one clear line, exit 1
    ├── SpecError                   the spec is invalid; carries every SpecProblem found
    ├── RenderError                 the output tree cannot be written or checked
    ├── JenkinsError                a Jenkins controller refused or failed a request
    │   └── ApplyError              some jobs failed during apply; the rest were applied
    ├── BundleError                 plugin resolution or download failed
    ├── ImageError                  a Docker image build or push failed (carries the log)
    ├── AgentError                  agent provisioning failed
    ├── ReleaseError                a release step failed (Docker, HAProxy, state)
    │   └── ReleaseConflict         another release of the service is running or awaits confirm
    └── StackError                  init/up/down of a whole stack failed (files, compose)

Anything that is not a JenkinsgenError reaching the CLI is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class JenkinsgenError(Exception):
    """Root of every error jenkinsgen reports to a user."""


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One problem in a spec, located as FILE:LINE:COL (1-based) and a YAML path."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"


class SpecError(JenkinsgenError):
    """A spec failed to load or validate; ``problems`` holds all of them, sorted."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RenderError(JenkinsgenError):
    """The output tree could not be rendered, written or checked."""


class JenkinsError(JenkinsgenError):
    """A Jenkins controller refused or failed a request."""


class ApplyError(JenkinsError):
    """Some items failed during apply; the others were applied."""


class BundleError(JenkinsgenError):
    """Plugin resolution or download failed."""


class ImageError(JenkinsgenError):
    """A Docker image build or push failed."""

    def __init__(self, message: str, log: str = "") -> None:
        self.log = log
        super().__init__(message)


class AgentError(JenkinsgenError):
    """Agent provisioning failed."""


class ReleaseError(JenkinsgenError):
    """A release step failed: Docker, HAProxy or the release state refused."""


class ReleaseConflict(ReleaseError):
    """Another release of the service is running, awaits confirm, or was interrupted."""


class StackError(JenkinsgenError):
    """Setting up, starting or stopping a whole stack (``init``, ``up``, ``down``) failed."""
