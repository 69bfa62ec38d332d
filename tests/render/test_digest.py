"""The managed marker and the digest of each item's own content."""

from __future__ import annotations

import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render import parse_marker, render_spec
from jenkinsgen.render.digest import BLANK_DIGEST, compute_digest, describe, marker_line, seal
from jenkinsgen.render.model import MARKER_PREFIX, RenderedItem
from jenkinsgen.render.xml_text import element_text, parse_config_xml
from jenkinsgen.spec import load_spec_text

SPEC = """\
version: 1
folder: teams/payments
layout: {layout}
defaults: {{registry: r.example.com/x, registry_credentials: push}}
environments:
  - {{name: dev, branch: develop}}
services:
  - {{name: ledger, repo: https://g.example.com/l.git, build: {build}}}
"""

HEX = "ab" * 32


def _render(layout: str = "per-environment", build: str = "make") -> dict[str, RenderedItem]:
    spec = load_spec_text(SPEC.format(layout=layout, build=build), "s.yaml")
    return {item.full_name: item for item in render_spec(spec).items}


def test_parse_marker() -> None:
    assert parse_marker(f"text\n\n{marker_line('teams/payments', HEX)}") == ("teams/payments", HEX)
    assert parse_marker(f"{marker_line('a', HEX)}\r\n") == ("a", HEX)
    assert parse_marker(None) is None
    assert parse_marker("") is None
    assert parse_marker("a job made by hand") is None
    assert parse_marker(f"{MARKER_PREFIX}; owner=a; sha256=xyz") is None
    assert parse_marker(f"{MARKER_PREFIX}; owner=a b; sha256={HEX}") is None
    # A marker-looking line typed by a user before ours does not win: the last one does.
    fake = marker_line("other", "cd" * 32)
    assert parse_marker(f"{fake}\n{marker_line('mine', HEX)}") == ("mine", HEX)


def test_every_item_carries_owner_and_its_own_digest() -> None:
    items = _render()
    owners = {}
    for name, item in items.items():
        root = parse_config_xml(item.config_xml)
        description = root.find("description")
        assert description is not None
        marker = parse_marker(element_text(description))
        assert marker is not None, name
        owners[name] = marker[0]
        assert marker[1] == item.digest == compute_digest(item.config_xml, item.jenkinsfile)
        assert item.digest != BLANK_DIGEST
        assert item.owner == marker[0]
    assert owners == {
        "teams": "teams",  # shared by every spec under teams/: names itself, never a spec
        "teams/payments": "teams/payments",
        "teams/payments/ledger": "teams/payments",
        "teams/payments/ledger/dev": "teams/payments",
    }


def test_digest_follows_content() -> None:
    a = _render(build="make")["teams/payments/ledger/dev"]
    b = _render(build="make all")["teams/payments/ledger/dev"]
    assert a.digest != b.digest
    again = _render(build="make")["teams/payments/ledger/dev"]
    assert a == again
    # Jenkinsfile alone changes the digest (multibranch: it is not inside config.xml).
    m1 = _render("multibranch", "make")["teams/payments/ledger"]
    m2 = _render("multibranch", "make all")["teams/payments/ledger"]
    assert m1.config_xml.replace(m1.digest.encode(), b"") == (
        m2.config_xml.replace(m2.digest.encode(), b"")
    )
    assert m1.digest != m2.digest
    # A hand edit of the config is detected by recomputing.
    edited = a.config_xml.replace(b"<sandbox>true", b"<sandbox>false")
    assert compute_digest(edited, a.jenkinsfile) != a.digest


def test_seal_needs_the_marker() -> None:
    with pytest.raises(RenderError, match="no jenkinsgen marker"):
        seal(b"<a><description>hello</description></a>", None)
    data = f"<a><description>{describe('x', 'o')}</description></a>".encode()
    sealed, digest = seal(data, "jf")
    assert digest.encode() in sealed and compute_digest(sealed, "jf") == digest
