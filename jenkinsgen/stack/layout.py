"""What a stack directory holds, by name: the files ``init`` writes and the secrets.

A stack directory (``jenkinsgen init DIR``) holds ``jenkinsgen.yaml`` (the spec),
``plugins.txt`` (the plugins it needs), ``compose.yaml`` (the stack), ``.env`` (settings that
compose reads too), ``secrets/`` (one file per secret, mode 0600) and a ``.gitignore`` that
keeps the secrets out of a repository. ``up`` adds
``plugins.lock`` (the resolved bundle) and ``.jenkinsgen/`` (downloaded plugins).

Each secret has a file name in ``secrets/`` and a name in the stack: the compose secret, the
file under ``/run/secrets`` in the containers and the Configuration-as-Code variable that
refers to it are all that one name.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADMIN_PASSWORD",
    "CACHE_DIR",
    "COMPOSE_FILE",
    "DEPLOY_TOKEN",
    "ENV_FILE",
    "GITIGNORE_FILE",
    "LOCK_FILE",
    "PLUGINS_FILE",
    "PUSH_TOKEN",
    "REGISTRY_HTPASSWD",
    "REGISTRY_PASSWORD",
    "REGISTRY_USER",
    "SECRETS",
    "SECRETS_DIR",
    "SPEC_FILE",
    "Secret",
    "secret",
]

SPEC_FILE = "jenkinsgen.yaml"
PLUGINS_FILE = "plugins.txt"
COMPOSE_FILE = "compose.yaml"
ENV_FILE = ".env"
SECRETS_DIR = "secrets"
LOCK_FILE = "plugins.lock"
CACHE_DIR = ".jenkinsgen"
#: Keeps the secrets and the download cache out of git when the directory is a repository
#: (the seed job's config repository, for one).
GITIGNORE_FILE = ".gitignore"
#: The one registry user (htpasswd) and the username of the registry push credentials.
REGISTRY_USER = "jenkinsgen"


@dataclass(frozen=True)
class Secret:
    """One secret of the stack: its file under ``secrets/`` and its name in the containers."""

    file: str
    name: str
    what: str

    @property
    def path(self) -> str:
        """Relative to the stack directory."""
        return f"{SECRETS_DIR}/{self.file}"


ADMIN_PASSWORD = Secret("admin-password", "JENKINS_ADMIN_PASSWORD", "the Jenkins admin password")
REGISTRY_PASSWORD = Secret(
    "registry-password", "REGISTRY_PASSWORD", "the registry password of user jenkinsgen"
)
REGISTRY_HTPASSWD = Secret(
    "registry-htpasswd", "REGISTRY_HTPASSWD", "the registry's htpasswd file (bcrypt)"
)
DEPLOY_TOKEN = Secret("deploy-token", "DEPLOY_TOKEN", "the token of the deploy trigger")
PUSH_TOKEN = Secret("push-token", "PUSH_TOKEN", "the token Git push webhooks send")

#: Every secret, in the order ``init`` writes them (the htpasswd after its password).
SECRETS = (ADMIN_PASSWORD, REGISTRY_PASSWORD, REGISTRY_HTPASSWD, DEPLOY_TOKEN, PUSH_TOKEN)


def secret(name: str) -> Secret:
    """The secret called ``name`` in the stack (``JENKINS_ADMIN_PASSWORD``, ...)."""
    for candidate in SECRETS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
