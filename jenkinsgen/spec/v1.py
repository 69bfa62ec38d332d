"""Spec version 1, declared once: the validator and the JSON Schema both come from here."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from jenkinsgen.spec import model
from jenkinsgen.spec.agents import AGENTS
from jenkinsgen.spec.fields import Field, Int, List, Obj, ObjRule, OneOf, Str, StrMap
from jenkinsgen.spec.release import (
    RELEASE,
    RUN,
    confirm_needs_approvers,
    resolve_release,
    resolve_run,
)

#: Safe Jenkins item name: letters, digits, '.', '_', '-'; no '..', not '.' alone.
NAME = r"(?!\.\.?$)(?!.*\.\.)[A-Za-z0-9._-]+"
NAME_HINT = "use only letters, digits, '.', '_' and '-', and no '..'"
FOLDER = rf"{NAME}(?:/{NAME})*"
CREDENTIALS_ID = r"[A-Za-z0-9][A-Za-z0-9._@:-]*"
CREDENTIALS_HINT = "a Jenkins credentials id (letters, digits, '.', '_', '@', ':', '-')"
BRANCH = r"(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/*?+-]+"
BRANCH_HINT = "a Git branch name or glob (letters, digits, '.', '_', '-', '/', '*', '?', '+')"
EXACT_BRANCH = r"(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/+-]+"
EXACT_BRANCH_HINT = "an exact Git branch name (letters, digits, '.', '_', '-', '/', '+'; no glob)"
LABEL = r"[A-Za-z0-9._-]+(?:(?: && | \|\| )[A-Za-z0-9._-]+)*"
IMAGE_REF = r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
IMAGE_HINT = "a lowercase image repository path such as registry.example.com/acme"
IMAGE_WITH_TAG = rf"{IMAGE_REF}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[a-f0-9]{{64}})?"


#: Characters a URL may not hold: they would mean something to Groovy or the shell.
URL_FORBIDDEN = "$\\'\"`"
#: One scan for what ``_url_check`` refuses first (``\s`` is exactly ``str.isspace``).
_URL_BAD_CHAR = re.compile("[\\s" + re.escape(URL_FORBIDDEN) + "\x00-\x1f\x7f]")
#: The usual shape (scheme, plain host, port, path; no user info, query or brackets): a URL
#: ``_url_check`` accepts without asking ``urlsplit`` (a test holds the two to the same verdict).
_PLAIN_URL = re.compile(r"(?:https?|ssh|git)://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%+/-]*)?")


def _url_check(value: str) -> str | None:
    """A repository or webhook URL: no embedded password, a real scheme and host."""
    return None if _PLAIN_URL.fullmatch(value) is not None else _url_problem(value)


def _url_problem(value: str) -> str | None:
    """What is wrong with the URL ``value`` (None: nothing), asked of ``urlsplit``."""
    if _URL_BAD_CHAR.search(value) is not None:
        return "URL must not contain whitespace, control characters, quotes, '$', '\\' or '`'"
    if value.startswith("git@") and ":" in value:  # scp-like Git address
        before_fragment = value.partition("#")[0]
        return (
            _secret_in_query(before_fragment.partition("?")[2]) if "?" in before_fragment else None
        )
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError as exc:
        return f"{value!r} is not a valid URL: {exc}"
    if parts.scheme not in ("http", "https", "ssh", "git", "file") or not (
        parts.netloc or parts.scheme == "file"
    ):
        return f"{value!r} is not a URL (http, https, ssh, git or file)"
    if password is not None:
        return "URL must not embed a password; put it in Jenkins credentials and give their id"
    if parts.scheme in ("http", "https") and parts.username is not None:
        return (
            "an http(s) URL must not carry a user name (it may be a token); put it in Jenkins "
            "credentials and give their id"
        )
    return _secret_in_query(parts.query)


def _secret_in_query(query: str) -> str | None:
    secret = next((n for n in _query_names(query) if n.lower() in SECRET_PARAMETERS), None)
    if secret is None:
        return None
    return (
        f"URL must not carry a secret in its query ({secret}=...); put it in Jenkins "
        "credentials and give their id"
    )


#: Query parameters that carry secrets: a URL holding one is refused (it would be written
#: into config.xml and the Jenkinsfile).
SECRET_PARAMETERS = (
    "access_token",
    "api-key",
    "api_key",
    "apikey",
    "auth",
    "key",
    "pass",
    "passwd",
    "password",
    "private_token",
    "secret",
    "sig",
    "signature",
    "token",
)


def _query_names(query: str) -> list[str]:
    """The parameter names of a query string, as written (``a=1&b`` → a, b)."""
    return [part.split("=", 1)[0] for part in re.split("[&;]", query) if part]


def _any_case(word: str) -> str:
    """``word`` as an ECMA regex matching it in any case (JSON Schema has no (?i))."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _str(description: str, **kw: Any) -> Str:
    return Str(description=description, **kw)


def _name(description: str) -> Str:
    return Str(description=description, pattern=NAME, pattern_hint=NAME_HINT)


def _cred(description: str) -> Str:
    return Str(description=description, pattern=CREDENTIALS_ID, pattern_hint=CREDENTIALS_HINT)


#: ``_url_check`` as a regex: a scheme and host (or scp-like git@host:path), no whitespace,
#: no password in the user info.
_NOT_URL = r"\s$\\'\"`\x00-\x1f\x7f"
_U = rf"[^{_NOT_URL}]"
_SECRET_QUERY = "|".join(_any_case(name) for name in SECRET_PARAMETERS)
#: No user info in an http(s) URL, no query parameter named like a secret (in any case).
_NO_HTTP_USER_OR_SECRET = rf"(?![hH][tT][tT][pP][sS]?://[^/?#@\s]*@)(?![^?#]*\?(?:[^#]*[&;])?(?:{_SECRET_QUERY})(?:[=&;#]|$))"
URL_SCHEMA_PATTERN = (
    rf"^(?!{_U}*://[^/@\s]*:[^/@\s]*@){_NO_HTTP_USER_OR_SECRET}"
    rf"(?:(?:https?|ssh|git)://[^/{_NOT_URL}]+{_U}*|file://{_U}*|git@[^:{_NOT_URL}]+:{_U}*)$"
)


def _url(description: str) -> Str:
    return Str(description=description, extra_check=_url_check, schema_pattern=URL_SCHEMA_PATTERN)


def _http_url_check(value: str) -> str | None:
    """A controller URL: what ``_url_check`` accepts, with an http or https scheme."""
    problem = _url_check(value)
    if problem is None and urlsplit(value).scheme not in ("http", "https"):
        return f"{value!r} is not an http:// or https:// URL"
    return problem


HTTP_URL_SCHEMA_PATTERN = (
    rf"^(?!{_U}*://[^/@\s]*:[^/@\s]*@){_NO_HTTP_USER_OR_SECRET}https?://[^/{_NOT_URL}]+{_U}*$"
)


def _http_url(description: str) -> Str:
    return Str(
        description=description,
        extra_check=_http_url_check,
        schema_pattern=HTTP_URL_SCHEMA_PATTERN,
    )


DEFAULTS = Obj(
    "defaults",
    {
        "agent": Field(
            Str(
                description="Jenkins node label the stages run on",
                pattern=LABEL,
                pattern_hint="a label or label expression joined by ' && ' / ' || '",
            ),
            default="docker",
        ),
        "registry": Field(
            Str(
                description="Registry and path images are pushed to",
                pattern=IMAGE_REF,
                pattern_hint=IMAGE_HINT,
            ),
            required=True,
        ),
        "registry_credentials": Field(
            _cred("Credentials id for pushing to the registry"), required=True
        ),
        "container": Field(
            Str(
                description="Optional image to run Build and Test in (docker agent)",
                pattern=IMAGE_WITH_TAG,
                pattern_hint="an image reference such as maven:3.9",
            ),
        ),
        "timeout_minutes": Field(
            Int(description="Build timeout in minutes", minimum=1, maximum=10080), default=60
        ),
        "builds_to_keep": Field(
            Int(description="Builds kept by the build discarder", minimum=1, maximum=10000),
            default=20,
        ),
        "push_credentials": Field(
            _cred(
                "Credentials id (secret text) of the token Git push webhooks send; "
                "without it no push trigger is rendered"
            )
        ),
    },
    build=lambda v: model.Defaults(**v),
    description="Settings shared by every service",
)


def _manual_needs_approvers(v: dict[str, Any]) -> tuple[str, str] | None:
    if v["deploy"] == "manual" and not v["approvers"]:
        return ("approvers", "a manual environment needs at least one approver")
    return None


ENVIRONMENT = Obj(
    "environment",
    {
        "name": Field(_name("Environment name"), required=True),
        "branch": Field(
            Str(
                description=(
                    "Git branch (exact or glob) that deploys here; a glob's per-environment "
                    "job builds the branch a push names (needs defaults.push_credentials)"
                ),
                pattern=BRANCH,
                pattern_hint=BRANCH_HINT,
            ),
            required=True,
        ),
        "deploy": Field(
            Str(
                description="auto deploys on every build; manual waits for approval",
                enum=("auto", "manual"),
            ),
            default="auto",
        ),
        "approvers": Field(
            List(
                Str(
                    description="Jenkins user or group id",
                    pattern=CREDENTIALS_ID,
                    pattern_hint="a Jenkins user or group id",
                ),
                unique=True,
                description="Who may approve a manual deploy",
            ),
            default=[],
        ),
        "approval_timeout_minutes": Field(
            Int(
                description="How long a manual deploy waits for approval", minimum=1, maximum=43200
            ),
            default=60,
        ),
        "release": Field(RELEASE),
    },
    build=lambda v: model.Environment(
        **{**v, "approvers": tuple(v["approvers"]), "release": resolve_release(v)}
    ),
    rules=[
        ObjRule(
            _manual_needs_approvers,
            {
                "if": {"properties": {"deploy": {"const": "manual"}}, "required": ["deploy"]},
                "then": {"required": ["approvers"], "properties": {"approvers": {"minItems": 1}}},
            },
        ),
        confirm_needs_approvers,
    ],
)

TEST = OneOf(
    Str(description="Test command (run with sh)"),
    Obj(
        "test",
        {
            "command": Field(_str("Test command (run with sh)"), required=True),
            "junit": Field(_str("JUnit XML report pattern, published in post { always }")),
        },
        build=lambda v: model.TestStep(**v),
    ),
    description="Test command, or {command, junit}",
)

IMAGE = Obj(
    "image",
    {
        "name": Field(
            Str(
                description="Image name under defaults.registry",
                pattern=IMAGE_REF,
                pattern_hint="a lowercase image name",
            ),
            required=True,
        ),
        "dockerfile": Field(_str("Path of the Dockerfile"), default="Dockerfile"),
        "context": Field(_str("Build context directory"), default="."),
        "build_args": Field(StrMap(description="--build-arg NAME=VALUE pairs"), default={}),
    },
    build=lambda v: model.Image(**{**v, "build_args": tuple(sorted(v["build_args"].items()))}),
)

TRIGGER = Obj(
    "trigger",
    {
        "webhook": Field(_url("URL the deploy trigger POSTs to"), required=True),
        "credentials": Field(_cred("Credentials id (secret text) sent as a bearer token")),
    },
    build=lambda v: model.Trigger(**v),
)


def _build_service(v: dict[str, Any]) -> model.Service:
    test = v["test"]
    if isinstance(test, str):
        test = model.TestStep(command=test)
    image = v["image"] or model.Image(name=v["name"].lower())
    envs = tuple(v["environments"]) if v["environments"] is not None else None
    run = resolve_run(v["run"], v["name"])
    return model.Service(**{**v, "test": test, "image": image, "environments": envs, "run": run})


SERVICE = Obj(
    "service",
    {
        "name": Field(_name("Service name (a Jenkins folder)"), required=True),
        "repo": Field(_url("Git repository URL"), required=True),
        "repo_credentials": Field(_cred("Credentials id for cloning the repository")),
        "build": Field(_str("Build command (run with sh)"), required=True),
        "test": Field(TEST),
        "image": Field(IMAGE),
        "trigger": Field(TRIGGER),
        "environments": Field(
            List(
                _name("Environment name"),
                min_items=1,
                unique=True,
                description="Environments this service takes part in (default: all)",
            ),
        ),
        "run": Field(RUN),
    },
    build=_build_service,
)

SEED = Obj(
    "seed",
    {
        "repo": Field(_url("Config repository holding the spec"), required=True),
        "credentials": Field(_cred("Credentials id for cloning the config repository")),
        "branch": Field(
            Str(
                description="Branch of the config repository (an exact name)",
                pattern=EXACT_BRANCH,
                pattern_hint=EXACT_BRANCH_HINT,
            ),
            default="main",
        ),
        "spec": Field(
            _str("Path of the spec inside the config repository"), default="jenkinsgen.yaml"
        ),
        "jenkins_credentials": Field(
            _cred("Credentials id (username + API token) the seed job applies with"),
            required=True,
        ),
        "jenkins_url": Field(
            _http_url("Jenkins URL the seed job applies to, as its agents reach it"),
            required=True,
        ),
        "name": Field(_name("Seed job name"), default="seed"),
        "image": Field(
            Str(
                description=(
                    "Repository of the seed image; its tag is always the jenkinsgen version "
                    f"(default: <defaults.registry>/{model.SEED_IMAGE})"
                ),
                pattern=IMAGE_REF,
                pattern_hint=IMAGE_HINT + " (no tag: the tag is the jenkinsgen version)",
            )
        ),
        "image_credentials": Field(
            _cred(
                "Credentials id for pulling the seed image "
                "(default: defaults.registry_credentials when `image` is not set)"
            )
        ),
    },
    build=lambda v: model.Seed(**v),
    description="Seed job that re-applies the spec on every push to the config repo",
    removed={
        "install": (
            "'install' was removed: the seed job now runs in the seed image of the jenkinsgen "
            "version that rendered it (build it with `jenkinsgen image build seed`, see "
            "docs/sync.md); delete this key"
        )
    },
)


def _build_spec(v: dict[str, Any]) -> model.Spec:
    return model.Spec(
        version=v["version"],
        folder=v["folder"],
        layout=v["layout"],
        defaults=v["defaults"],
        environments=tuple(v["environments"]),
        services=tuple(v["services"]),
        seed=v["seed"],
        agents=v.get("agents"),
    )


SPEC_FIELDS: dict[str, Field] = {
    "version": Field(Int(description="Spec format version", minimum=1, maximum=1), required=True),
    "folder": Field(
        Str(
            description="Jenkins folder holding everything (nested: a/b)",
            pattern=FOLDER,
            pattern_hint=NAME_HINT + " in each '/'-separated part",
        ),
        required=True,
    ),
    "layout": Field(
        Str(
            description="One pipeline job per environment, or one multibranch project per service",
            enum=("per-environment", "multibranch"),
        ),
        default="per-environment",
    ),
    "defaults": Field(DEFAULTS, required=True),
    "environments": Field(
        List(
            ENVIRONMENT,
            min_items=1,
            description="Git workflow: which branch deploys to which environment",
        ),
        required=True,
    ),
    "services": Field(
        List(SERVICE, min_items=1, description="The services to build and deliver"), required=True
    ),
    "seed": Field(SEED),
    "agents": Field(AGENTS),
}

SPEC = Obj("spec", SPEC_FIELDS, build=_build_spec, description="jenkinsgen spec, version 1")
