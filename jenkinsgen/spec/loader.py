"""Load a spec file: YAML → checked nodes → typed :class:`~jenkinsgen.spec.model.Spec`.

Every problem is collected (syntax, structure, then the cross-item checks below) and raised
together as one :class:`~jenkinsgen.errors.SpecError`, each located as FILE:LINE:COL.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from jenkinsgen.errors import SpecError, SpecProblem
from jenkinsgen.gc_pause import gc_paused
from jenkinsgen.spec.fields import INVALID, Collector
from jenkinsgen.spec.model import Spec
from jenkinsgen.spec.nodes import get as _get
from jenkinsgen.spec.nodes import items as _items
from jenkinsgen.spec.nodes import scalar as _scalar
from jenkinsgen.spec.release import SEMANTIC_CHECKS as _RELEASE_CHECKS
from jenkinsgen.spec.release import release_checks
from jenkinsgen.spec.v1 import SPEC

#: Message prefixes of the checks that span items and so cannot be said in JSON Schema.
SEMANTIC_CHECKS = (
    "duplicate service name",
    "duplicate environment name",
    "duplicate environment branch",
    "duplicate image name",
    "unknown environment",
    "glob branch",
    *_RELEASE_CHECKS,
)

MAX_BYTES = 4 * 1024 * 1024


def _fast_loader() -> type[Any] | None:
    """libyaml's parser and composer (about 4x faster on large specs, same nodes and marks),
    resolving each distinct plain scalar's tag once per document; None without libyaml."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return None
    resolve: Callable[..., str] = yaml.resolver.Resolver.resolve
    scalar = yaml.ScalarNode
    scalar_tag = yaml.resolver.Resolver.DEFAULT_SCALAR_TAG
    sequence_tag = yaml.resolver.Resolver.DEFAULT_SEQUENCE_TAG
    mapping_tag = yaml.resolver.Resolver.DEFAULT_MAPPING_TAG

    class FastLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.yaml_path_resolvers = {}  # none here, whatever is added to Resolver
            self.plain_tags: dict[str, str] = {}

        def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> Any:
            # Resolver.resolve without path resolvers: a plain scalar's tag depends on its
            # text alone, and a spec repeats most texts (keys, commands, ids), so each is
            # resolved once per document; any other node gets its kind's default tag.
            if kind is scalar:
                if not implicit[0]:
                    return scalar_tag
                tag = self.plain_tags.get(value)
                if tag is None:
                    tag = self.plain_tags[value] = resolve(self, kind, value, implicit)
                return tag
            return sequence_tag if kind is yaml.SequenceNode else mapping_tag

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass  # only path resolvers need the path, and there are none

        def ascend_resolver(self) -> None:
            pass

    return FastLoader


_FAST_LOADER = _fast_loader()


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml; on any YAML error compose again with the pure-Python loader, so
    syntax errors keep its wording and its RecursionError for deep nesting."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Load and validate the spec at ``path``; raise SpecError listing every problem."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        message = f"cannot read spec: {exc.strerror}"
        raise SpecError([SpecProblem(name, 1, 1, "", message)]) from None
    return load_spec_text(data, name)


def load_spec_text(data: bytes | str, name: str = "<spec>") -> Spec:
    """Validate spec text; ``name`` is used in messages."""
    with gc_paused():
        return _load_spec_text(data, name)


def _load_spec_text(data: bytes | str, name: str) -> Spec:
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise SpecError([SpecProblem(name, 1, 1, "", "spec is larger than 4 MiB")])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SpecError([SpecProblem(name, line, 1, "", "spec is not valid UTF-8")]) from None
    else:
        text = data
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax error: {exc.problem or exc.context}"
        raise SpecError([SpecProblem(name, line, col, "", message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecProblem(name, 1, 1, "", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise SpecError([SpecProblem(name, 1, 1, "", "YAML nesting is too deep")]) from None
    if root is None or (isinstance(root, yaml.ScalarNode) and root.value == ""):
        raise SpecError([SpecProblem(name, 1, 1, "", "spec is empty")])
    collector = Collector(name)
    _semantic_checks(root, collector)
    release_checks(root, collector)
    spec = SPEC.check(root, "", collector, 0)
    if collector.problems or spec is INVALID:
        raise SpecError(collector.problems)
    assert isinstance(spec, Spec)
    return dataclasses.replace(spec, source=name)


def _unique(
    c: Collector,
    seq: str,
    entries: list[yaml.Node],
    key: str,
    what: str,
    value_of: Callable[[str], str] | None = None,
) -> dict[str, int]:
    """Report entries whose ``key`` repeats an earlier one; return value → first index."""
    first: dict[str, int] = {}
    for i, entry in enumerate(entries):
        node = _get(entry, key)
        value = _scalar(node)
        if value is None:
            continue
        if value_of is not None:
            value = value_of(value)
        if value in first:
            c.add(
                node,
                f"{seq}[{i}].{key}",
                f"duplicate {what} {value!r} (first used by {seq}[{first[value]}])",
            )
        else:
            first[value] = i
    return first


#: Characters that make an environment branch a glob (as ``Environment.is_glob`` says).
_GLOB_CHARS = frozenset("*?[")


def _globs_need_push_trigger(root: yaml.Node, envs: list[yaml.Node], c: Collector) -> None:
    """In the per-environment layout a glob environment's job builds the branch a push names
    (docs/jenkinsfile.md), so it needs the push trigger; the multibranch layout needs none."""
    layout = _get(root, "layout")
    if layout is not None and _scalar(layout) != "per-environment":
        return
    if _scalar(_get(_get(root, "defaults"), "push_credentials")) is not None:
        return
    for i, env in enumerate(envs):
        node = _get(env, "branch")
        branch = _scalar(node)
        if node is not None and branch is not None and _GLOB_CHARS.intersection(branch):
            c.add(
                node,
                f"environments[{i}].branch",
                f"glob branch {branch!r} needs defaults.push_credentials (a per-environment "
                "job builds the branch a push names) or layout: multibranch (a job per "
                "matching branch)",
            )


def _semantic_checks(root: yaml.Node, c: Collector) -> None:
    envs = _items(_get(root, "environments"))
    services = _items(_get(root, "services"))
    env_names = _unique(c, "environments", envs, "name", "environment name")
    _unique(c, "environments", envs, "branch", "environment branch")
    _globs_need_push_trigger(root, envs, c)
    _unique(c, "services", services, "name", "service name", value_of=str.lower)
    image_owner: dict[str, int] = {}
    for i, svc in enumerate(services):
        image_node = _get(_get(svc, "image"), "name")
        image = _scalar(image_node) or (_scalar(_get(svc, "name")) or "").lower()
        if image and image in image_owner and image_node is not None:
            c.add(
                image_node,
                f"services[{i}].image.name",
                f"duplicate image name {image!r} (first used by services[{image_owner[image]}])",
            )
        image_owner.setdefault(image, i)
        for j, env_node in enumerate(_items(_get(svc, "environments"))):
            env = _scalar(env_node)
            if env is not None and envs and env not in env_names:
                known = ", ".join(sorted(env_names)) or "none"
                c.add(
                    env_node,
                    f"services[{i}].environments[{j}]",
                    f"unknown environment {env!r} (known: {known})",
                )
