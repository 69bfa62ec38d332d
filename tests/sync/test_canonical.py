"""Live config.xml is compared semantically: Jenkins re-serialises what it stores."""

from __future__ import annotations

import pytest

from jenkinsgen.errors import JenkinsError
from jenkinsgen.sync.canonical import canonical_xml, pretty_xml, same_config
from tests.jenkins_double.state import reserialise
from tests.sync.helpers import rendered


def test_reserialised_config_is_the_same_config() -> None:
    items = rendered(services=1).items
    differ = 0
    for item in items:
        stored, _cls, _desc = reserialise(item.config_xml)
        differ += stored != item.config_xml
        assert same_config(stored, item.config_xml)
    assert differ > 0  # the jobs' scripts come back with &apos; and &quot;


def test_a_changed_value_is_different() -> None:
    item = rendered(services=1).items[-1]
    stored, _cls, _desc = reserialise(item.config_xml.replace(b"<script>", b"<script>//x\n"))
    assert not same_config(stored, item.config_xml)


def test_whitespace_inside_text_matters_and_between_elements_does_not() -> None:
    a = b"<a><b>x y</b>\n  <c/></a>"
    assert canonical_xml(a) == canonical_xml(b"<?xml version='1.1'?><a><b>x y</b><c></c></a>")
    assert canonical_xml(a) != canonical_xml(b"<a><b>x  y</b><c/></a>")
    assert pretty_xml(a) == "<a>\n  <b>x y</b>\n  <c/>\n</a>\n" or "<b>x y</b>" in pretty_xml(a)


def test_broken_live_xml_is_a_located_error() -> None:
    with pytest.raises(JenkinsError, match=r"^team/job: config\.xml is not well-formed"):
        canonical_xml(b"<a>", "team/job")
