"""The Generic Webhook Trigger plugin's handling of a push, as its source (generic-webhook-trigger
2.4.1, package ``org.jenkinsci.plugins.gwt``) does it, on the jobs jenkinsgen renders.

``JobFinder`` offers the request to every job whose ``GenericTrigger`` token (here: the secret
of ``tokenCredentialId``) equals the one sent; ``VariablesResolver`` takes each
``GenericVariable`` from the JSON body (``$.ref``, ``$.after``; a ``regexpFilter`` removes what
it matches, ``value.replaceAll(regexpFilter, "")`` in ``FlattenerUtils.filter``;
``defaultValue`` when absent or empty) and each ``GenericRequestVariable`` from the query
(absent: no variable at all); ``Renderer.renderText`` replaces ``$name`` in
``regexpFilterText``, longest names first; the job starts when
``Pattern.compile(regexpFilterExpression).matcher(text).find()``, and its build gets the
resolved variables (as environment variables, and as the values of the job's parameters of the
same names: ``ParameterActionUtil``). Both regular-expression steps run in the real Java regex
engine (``java_regex.groovy`` through Groovy).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from jenkinsgen.render import Rendered
from jenkinsgen.render.xml_push import TRIGGER_CLASS
from jenkinsgen.render.xml_text import parse_config_xml

DEFAULT_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
ZEROS = "0" * 40
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def triggers_of(rendered: Rendered) -> dict[str, etree._Element]:
    """Each job's GenericTrigger element, by job full name."""
    out = {}
    for item in rendered.items:
        root = parse_config_xml(item.config_xml)
        assert root.find(".//hudson.triggers.SCMTrigger") is None, "nothing polls"
        trigger = root.find(f".//{TRIGGER_CLASS}")
        if trigger is not None:
            out[item.full_name] = trigger
    return out


def _flatten(key: str, value: Any, out: dict[str, str], filtered: list[str]) -> None:
    """JsonFlattener: a list or object gives ``key_<index|name>`` per element (recursively);
    a scalar its text. Every name a regexpFilter applies to is added to ``filtered``."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(f"{key}_{i}", item, out, filtered)
    elif isinstance(value, dict):
        for name, item in value.items():
            _flatten(f"{key}_{name}", item, out, filtered)
    elif value is not None:
        out[key] = value if isinstance(value, str) else json.dumps(value)
        filtered.append(key)


def _variables(
    trigger: etree._Element, query: dict[str, str], payload: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """What VariablesResolver makes of the request, for the variables we render, and the
    regexpFilter of each resolved name that has one (applied by :func:`started_with`).

    A list or object is flattened as JsonFlattener does, and the variable itself is then its
    JSON (Gson's; ``json.dumps`` here, the same for the plain strings the tests send)."""
    found: dict[str, str] = {}
    filters: dict[str, str] = {}
    for var in trigger.findall("genericVariables/org.jenkinsci.plugins.gwt.GenericVariable"):
        assert var.findtext("expressionType") == "JSONPath"
        path = var.findtext("value") or ""
        assert path.startswith("$.") and "." not in path[2:], path  # a top-level key
        value = payload.get(path[2:])
        key = var.findtext("key") or ""
        resolved: dict[str, str] = {}
        names: list[str] = []
        _flatten(key, value, resolved, names)
        if value is not None and not isinstance(value, str):
            resolved[key] = json.dumps(value, separators=(",", ":"))
            names.append(key)
        if not resolved.get(key):  # not resolved, or empty: the default value
            resolved[key] = var.findtext("defaultValue") or ""
        found.update(resolved)
        regexp = var.findtext("regexpFilter")
        if regexp:
            filters.update(dict.fromkeys(names, regexp))
    for var in trigger.findall(
        "genericRequestVariables/org.jenkinsci.plugins.gwt.GenericRequestVariable"
    ):
        key = var.findtext("key") or ""
        assert not var.findtext("regexpFilter")
        if key in query:  # an absent parameter makes no variable
            found[key] = query[key]
            found[key + "_0"] = query[key]
    return found, filters


def _render_text(text: str, variables: dict[str, str]) -> str:
    """Renderer.renderText: longest names first, ``$name`` then ``${name}``."""
    for name in sorted(variables, key=lambda n: (-len(n), n)):
        text = text.replace("$" + name, variables[name]).replace("${" + name + "}", variables[name])
    return text


def groovy_json(script: str, request: Any, tmp_path: Path) -> Any:
    """Run ``script`` (a Groovy file beside this one) on ``request`` (JSON in a file) and
    return the JSON it writes."""
    groovy = shutil.which("groovy")
    if groovy is None:
        pytest.fail("groovy not found on PATH (Debian package 'groovy'; .ci/run installs it)")
    stem = Path(script).stem
    source, result = tmp_path / f"{stem}-in.json", tmp_path / f"{stem}-out.json"
    source.write_text(json.dumps(request), encoding="utf-8")
    env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME", DEFAULT_JAVA_HOME)}
    proc = subprocess.run(
        [groovy, str(Path(__file__).with_name(script)), str(source), str(result)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(result.read_text(encoding="utf-8"))


def java(cases: list[dict[str, Any]], tmp_path: Path) -> list[Any]:
    """Answers of the real Java regex engine (java_regex.groovy) for ``cases``."""
    answers: list[Any] = groovy_json("java_regex.groovy", cases, tmp_path)
    return answers


def java_find(cases: list[tuple[str, str]], tmp_path: Path) -> list[bool]:
    return [bool(a) for a in java([{"expression": e, "text": t} for e, t in cases], tmp_path)]


Push = tuple[dict[str, str], dict[str, Any]]


def started_with(
    rendered: Rendered, pushes: list[Push], tmp_path: Path
) -> list[dict[str, dict[str, str]]]:
    """For each (query, payload): the jobs the plugin would start, each with the variables it
    hands to the build (regexpFilters applied by Java's ``replaceAll``, as FlattenerUtils
    does, then ``defaultValue`` for an empty result)."""
    triggers = triggers_of(rendered)
    resolved: list[dict[str, dict[str, str]]] = []
    strips: list[tuple[dict[str, str], str, str]] = []
    for query, payload in pushes:
        per_job = {}
        for name, trigger in triggers.items():
            variables, filters = _variables(trigger, query, payload)
            per_job[name] = variables
            strips.extend((variables, key, regexp) for key, regexp in filters.items())
        resolved.append(per_job)
    if strips:
        cases = [{"expression": r, "text": v[k], "strip": True} for v, k, r in strips]
        for (variables, key, _), value in zip(strips, java(cases, tmp_path), strict=True):
            variables[key] = value  # defaultValue is '' too
    cases, owners = [], []
    for i, per_job in enumerate(resolved):
        for name, variables in per_job.items():
            trigger = triggers[name]
            text = _render_text(trigger.findtext("regexpFilterText") or "", variables)
            cases.append((trigger.findtext("regexpFilterExpression") or "", text))
            owners.append((i, name))
    started: list[dict[str, dict[str, str]]] = [{} for _ in pushes]
    for (i, name), hit in zip(owners, java_find(cases, tmp_path), strict=True):
        if hit:
            started[i][name] = resolved[i][name]
    return started


def started(rendered: Rendered, pushes: list[Push], tmp_path: Path) -> list[set[str]]:
    """For each (query, payload): the jobs the plugin would start."""
    return [set(jobs) for jobs in started_with(rendered, pushes, tmp_path)]


def push(item: str | None, ref: Any, after: str = SHA, **extra: Any) -> Push:
    query = {"item": item} if item is not None else {}
    return query, {"ref": ref, "after": after, "before": ZEROS[:-1] + "1", **extra}
