"""Semantic comparison of config.xml.

Jenkins re-serialises what it stores (XStream: an XML 1.1 declaration, its own indentation
and escaping), so the live config.xml is never byte-identical to what was posted. Two
configs are the same when their canonical forms are: parsed, whitespace-only text between
elements dropped, comments dropped, written as Canonical XML.

Jenkins also adds to what it stores, and none of that is a hand edit: the installed version
in every ``plugin="name@version"`` attribute, top-level fields with their defaults that the
rendered config leaves out (``<triggers/>``, ``<disabled>``, a folder's ``<folderViews>``),
and run-time ``<actions>`` (the declarative pipeline records its own after a build). A live
config is compared with the rendered one after setting those aside
(:func:`comparable_trees`); everything the rendered config specifies must match exactly.
"""

from __future__ import annotations

import re

from lxml import etree

from jenkinsgen.errors import JenkinsError, RenderError
from jenkinsgen.render.xml_text import SENTINEL, parse_config_xml


def _tree(data: bytes, where: str) -> etree._Element:
    """``data`` parsed as render reads it (XML 1.1 character references included, see
    :func:`jenkinsgen.render.xml_text.parse_config_xml`), with comments and whitespace-only
    text between elements dropped."""
    try:
        root = parse_config_xml(data)
    except RenderError as exc:
        raise JenkinsError(f"{where}: {exc}") from None
    for comment in list(root.iter(etree.Comment)):
        _drop(comment)
    for el in root.iter():
        if el.text is not None and not el.text.strip() and len(el):
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    return root


def _drop(node: etree._Element) -> None:
    """Remove ``node`` and keep the text after it (lxml would remove its tail with it)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        before = node.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def canonical_xml(data: bytes, where: str = "config.xml") -> bytes:
    """The Canonical XML form of ``data`` (for equality)."""
    return bytes(etree.tostring(_tree(data, where), method="c14n"))


def comparable_trees(
    live: bytes, rendered: bytes, where: str = "config.xml"
) -> tuple[etree._Element, etree._Element]:
    """Both configs parsed, with what Jenkins adds by itself set aside (module docstring)."""
    a, b = _tree(live, where), _tree(rendered, where)
    for root in (a, b):
        for el in root.iter():
            plugin = el.get("plugin")
            if plugin is not None and "@" in plugin:
                el.set("plugin", plugin.split("@", 1)[0])
        for actions in root.findall("actions"):
            actions[:] = []
            actions.text = None
    ours = {child.tag for child in b}
    for child in list(a):
        if child.tag not in ours:
            a.remove(child)
    return a, b


def pretty_xml(data: bytes, where: str = "config.xml") -> str:
    """``data`` re-indented the same way whatever its source (for readable diffs)."""
    return _pretty(_tree(data, where))


def _pretty(root: etree._Element) -> str:
    root = etree.fromstring(etree.tostring(root, method="c14n"))
    etree.indent(root, space="  ")
    text = str(etree.tostring(root, encoding="unicode")) + "\n"
    # characters only XML 1.1 can hold are shown as the references Jenkins writes
    return _ENCODED.sub(r"&#\1;", text) if SENTINEL in text else text


_ENCODED = re.compile(re.escape(SENTINEL) + "([0-9]+);")


def pretty_pair(live: bytes, rendered: bytes, where: str = "config.xml") -> tuple[str, str]:
    """The live and rendered configs as :func:`same_config` compares them, re-indented."""
    a, b = comparable_trees(live, rendered, where)
    return _pretty(a), _pretty(b)


def same_config(live: bytes, rendered: bytes, where: str = "config.xml") -> bool:
    """True when the ``live`` config holds exactly the ``rendered`` configuration."""
    a, b = comparable_trees(live, rendered, where)
    return bytes(etree.tostring(a, method="c14n")) == bytes(etree.tostring(b, method="c14n"))
