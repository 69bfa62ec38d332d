"""The JSON API: exported properties of items and the ``tree``/``depth`` filters.

``tree=jobs[name,url,jobs[name]]{0,10}`` selects properties (nested with ``[...]``, a list
range with ``{a,b}``); without ``tree``, ``depth`` decides how far nested objects are
expanded (0: nested items show only name, url, colour and class). ``_class`` is always
included, as in Jenkins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.jenkins_double.state import Item

Tree = dict[str, "TreeField"]


@dataclass
class TreeField:
    sub: Tree | None
    start: int | None = None
    end: int | None = None


class TreeSyntaxError(ValueError):
    """A malformed ``tree`` parameter (Jenkins answers 400)."""


def parse_tree(text: str) -> Tree:
    """Parse a ``tree`` query value into nested field selections."""
    fields, pos = _parse_fields(text, 0)
    if pos != len(text):
        raise TreeSyntaxError(f"unexpected {text[pos]!r} at {pos} in tree={text}")
    return fields


def _parse_fields(text: str, pos: int) -> tuple[Tree, int]:
    out: Tree = {}
    while True:
        start = pos
        while pos < len(text) and text[pos] not in ",[]{}":
            pos += 1
        name = text[start:pos].strip()
        if not name:
            raise TreeSyntaxError(f"empty field name at {start} in tree={text}")
        sub: Tree | None = None
        lo: int | None = None
        hi: int | None = None
        if pos < len(text) and text[pos] == "[":
            sub, pos = _parse_fields(text, pos + 1)
            if pos >= len(text) or text[pos] != "]":
                raise TreeSyntaxError(f"unclosed '[' in tree={text}")
            pos += 1
        if pos < len(text) and text[pos] == "{":
            end = text.find("}", pos)
            if end < 0:
                raise TreeSyntaxError(f"unclosed '{{' in tree={text}")
            lo, hi = _parse_range(text[pos + 1 : end], text)
            pos = end + 1
        out[name] = TreeField(sub, lo, hi)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return out, pos


def _parse_range(spec: str, text: str) -> tuple[int | None, int | None]:
    try:
        if "," in spec:
            a, b = spec.split(",", 1)
            return (int(a) if a else None, int(b) if b else None)
        n = int(spec)
        return n, n + 1
    except ValueError as exc:
        raise TreeSyntaxError(f"bad range {{{spec}}} in tree={text}") from exc


def properties(item: Item, base_url: str) -> dict[str, Any]:
    """Everything the item exports; nested items stay ``Item`` objects until rendered."""
    url = base_url + item.url_path()
    if item.parent is None:
        return {
            "_class": item.cls,
            "assignedLabels": [{"name": "built-in"}],
            "description": None,
            "jobs": list(item.children.values()),
            "mode": "NORMAL",
            "nodeDescription": "the Jenkins controller's built-in node",
            "nodeName": "",
            "numExecutors": 2,
            "quietingDown": False,
            "url": url,
            "useCrumbs": True,
            "useSecurity": True,
            "views": [{"_class": "hudson.model.AllView", "name": "all", "url": url}],
        }
    common: dict[str, Any] = {
        "_class": item.cls,
        "actions": [],
        "description": item.description,
        "displayName": item.name,
        "displayNameOrNull": None,
        "fullDisplayName": " » ".join(item.path),
        "fullName": item.full_name,
        "name": item.name,
        "url": url,
        "healthReport": [],
    }
    if item.is_group:
        common["jobs"] = list(item.children.values())
        common["primaryView"] = {"_class": "hudson.model.AllView", "name": "All", "url": url}
        common["views"] = [common["primaryView"]]
        return common
    common.update(
        buildable=True,
        builds=[],
        color="notbuilt",
        firstBuild=None,
        inQueue=False,
        keepDependencies=False,
        lastBuild=None,
        lastCompletedBuild=None,
        lastFailedBuild=None,
        lastSuccessfulBuild=None,
        nextBuildNumber=1,
        property=[],
        queueItem=None,
        concurrentBuild=False,
        resumeBlocked=False,
    )
    return common


def _shallow(item: Item, base_url: str) -> dict[str, Any]:
    out: dict[str, Any] = {"_class": item.cls, "name": item.name, "url": base_url + item.url_path()}
    if not item.is_group:
        out["color"] = "notbuilt"
    return out


def export(item: Item, base_url: str, tree: Tree | None, depth: int) -> dict[str, Any]:
    """The JSON document for ``item``'s ``api/json``."""
    if tree is not None:
        return _export_tree(item, base_url, tree)
    return _export_depth(item, base_url, depth)


def _export_depth(item: Item, base_url: str, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in properties(item, base_url).items():
        if isinstance(value, list) and value and isinstance(value[0], Item):
            out[key] = [
                _export_depth(v, base_url, depth - 1) if depth > 0 else _shallow(v, base_url)
                for v in value
            ]
        else:
            out[key] = value
    return out


def _export_tree(item: Item, base_url: str, tree: Tree) -> dict[str, Any]:
    props = properties(item, base_url)
    out: dict[str, Any] = {"_class": item.cls}
    for key, sel in tree.items():
        if key not in props:
            continue
        value = props[key]
        if isinstance(value, list):
            value = value[sel.start : sel.end]
            out[key] = [_select(v, base_url, sel.sub) for v in value]
        else:
            out[key] = _select(value, base_url, sel.sub)
    return out


def _select(value: Any, base_url: str, sub: Tree | None) -> Any:
    if isinstance(value, Item):
        return _export_tree(value, base_url, sub or {})
    if isinstance(value, dict):
        if sub is None:
            return {"_class": value["_class"]} if "_class" in value else {}
        picked = {k: v for k, v in value.items() if k in sub or k == "_class"}
        return picked
    return value
