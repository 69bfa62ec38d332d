"""Live config.xml is compared semantically: Jenkins re-serialises what it stores."""

from __future__ import annotations

import pytest

from jenkinsgen.errors import JenkinsError
from jenkinsgen.render.digest import describe
from jenkinsgen.render.xml_pipeline import pipeline_xml
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
    assert pretty_xml(a) == "<a>\n  <b>x y</b>\n  <c/>\n</a>\n"


def test_broken_live_xml_is_a_located_error() -> None:
    with pytest.raises(JenkinsError, match=r"^team/job: config\.xml is not well-formed"):
        canonical_xml(b"<a>", "team/job")


def test_what_jenkins_adds_by_itself_is_not_a_difference() -> None:
    """Plugin versions, default top-level fields, a folder's views and run-time actions."""
    for item in rendered(services=1).items:
        stored, _cls, _desc = reserialise(item.config_xml)
        assert b'@1.0-double"' in stored
        if item.kind == "folder":
            assert b"<folderViews " in stored
        else:
            assert b"<disabled>false</disabled>" in stored and b"<triggers/>" in stored
        after_a_build = stored.replace(
            b"<actions/>",
            b"<actions><org.jenkinsci.plugins.pipeline.modeldefinition.actions."
            b'DeclarativeJobAction plugin="pipeline-model-definition@2.2255"/></actions>',
        )
        assert after_a_build != stored
        assert same_config(after_a_build, item.config_xml)


def test_edits_inside_what_the_spec_renders_are_differences() -> None:
    job = next(i for i in rendered(services=1).items if i.kind == "pipeline")
    stored, _cls, _desc = reserialise(job.config_xml)
    extra_property = stored.replace(
        b"<properties>", b"<properties><hudson.model.ParametersDefinitionProperty/>", 1
    )
    assert not same_config(extra_property, job.config_xml)
    other_plugin = stored.replace(b'plugin="workflow-cps@', b'plugin="other-cps@', 1)
    assert not same_config(other_plugin, job.config_xml)
    assert not same_config(stored.replace(b"<sandbox>true", b"<sandbox>false"), job.config_xml)


#: Characters XML 1.1 holds only as character references (render writes them as Jenkins does).
CONTROL = "bell\x07 esc\x1b nel\x85 del\x7f c1\x9f sentinel\U0010fffe end"


def _with_control(script: str = CONTROL) -> bytes:
    return pipeline_xml(describe("d", "delivery"), script, 7, "delivery/x/dev")


def test_what_render_writes_sync_reads() -> None:
    """Render's XML 1.1 character references parse (they failed once the declaration was
    rewritten to 1.0); the same references as Jenkins writes them (hex) are the same config."""
    rendered_xml = _with_control()
    assert b"&#7;" in rendered_xml and b"&#27;" in rendered_xml
    assert same_config(rendered_xml, rendered_xml)
    assert canonical_xml(rendered_xml) == canonical_xml(rendered_xml)
    stored, _cls, _desc = reserialise(rendered_xml)
    assert b"&#x7;" in stored and b"&#x1b;" in stored  # XStream's spelling
    assert same_config(stored, rendered_xml)
    assert not same_config(stored, _with_control(CONTROL.replace("\x07", "\x08")))
    assert "bell&#7; esc&#27;" in pretty_xml(rendered_xml)


def test_comments_are_dropped_and_the_text_around_them_kept() -> None:
    assert canonical_xml(b"<a><b>x<!-- c -->y</b><!-- d --><c/></a>") == canonical_xml(
        b"<a><b>xy</b><c/></a>"
    )
