"""Semantic comparison of config.xml.

Jenkins re-serialises what it stores (XStream: an XML 1.1 declaration, its own indentation
and escaping), so the live config.xml is never byte-identical to what was posted. Two
configs are the same when their canonical forms are: parsed, whitespace-only text between
elements dropped, comments dropped, written as Canonical XML.
"""

from __future__ import annotations

from lxml import etree

from jenkinsgen.errors import JenkinsError


def _parse(data: bytes, where: str) -> etree._Element:
    head = data[:64]
    for decl in (b"version='1.1'", b'version="1.1"'):
        if decl in head:
            data = data.replace(decl, b"version='1.0'", 1)
            break
    parser = etree.XMLParser(
        remove_blank_text=True, remove_comments=True, resolve_entities=False, no_network=True
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise JenkinsError(f"{where}: config.xml is not well-formed XML: {exc}") from None


def canonical_xml(data: bytes, where: str = "config.xml") -> bytes:
    """The Canonical XML form of ``data`` (for equality)."""
    root = _parse(data, where)
    for el in root.iter():
        if el.text is not None and not el.text.strip() and len(el):
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    return bytes(etree.tostring(root, method="c14n"))


def pretty_xml(data: bytes, where: str = "config.xml") -> str:
    """``data`` re-indented the same way whatever its source (for readable diffs)."""
    root = etree.fromstring(canonical_xml(data, where))
    etree.indent(root, space="  ")
    return str(etree.tostring(root, encoding="unicode")) + "\n"


def same_config(a: bytes, b: bytes, where: str = "config.xml") -> bool:
    """True when ``a`` and ``b`` are the same configuration."""
    return canonical_xml(a, where) == canonical_xml(b, where)
