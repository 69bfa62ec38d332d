"""The render fast paths give the very same bytes as the plain paths they shortcut.

* ``groovy_str`` quotes plain ASCII at once; the full escaper must give the same literal.
* The service Jenkinsfile is rendered block by block, with the blocks that name no service
  cached; joining them must equal rendering the whole template, for every golden spec and for
  arbitrary values in every field.
* config.xml of a pipeline job or folder is filled into slots of one serialized tree; it must
  equal a fresh tree serialized by lxml (hostile values: tests/render/test_render_slots.py).
"""

from __future__ import annotations

import string
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from jenkinsgen.errors import RenderError
from jenkinsgen.plan import plan
from jenkinsgen.render import jenkinsfile as jf
from jenkinsgen.render.groovy import groovy_str, groovy_str_slow
from jenkinsgen.render.xml_text import serialize
from jenkinsgen.spec import load_spec, model
from tests.render.jenkinsfile_specs import service, spec

GOLDEN = sorted((Path(__file__).resolve().parent.parent / "golden").glob("*/spec.yaml"))

#: Printable ASCII (the fast path) mixed with everything the slow path escapes.
MIXED = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.printable),
        st.characters(exclude_categories=["Cs"], exclude_characters="\uffff"),
    ),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(value=MIXED)
def test_groovy_str_fast_path_equals_the_full_escaper(value: str) -> None:
    assert groovy_str(value) == groovy_str_slow(value)


def test_groovy_str_fast_path_examples() -> None:
    for value in ["", "abc", "a b", "it's", "a\\b", "a\tb", "a\nb", "\x7f", "~", "é"]:
        assert groovy_str(value) == groovy_str_slow(value), value
    with pytest.raises(RenderError):
        groovy_str(3)


def _compare_every_job(s: object) -> int:
    p = plan(s)  # type: ignore[arg-type]
    n = 0
    for job in p.jobs:
        if job.kind in ("seed", "scan") or job.service is None:
            continue
        context = jf._service_context(p, job, job.service)
        whole = jf._service_text_whole(context)
        assert jf._service_text(p, job, job.service) == whole, job.path
        n += 1
    return n


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.parent.name)
def test_blocks_equal_the_whole_template_on_golden_specs(path: Path) -> None:
    assert _compare_every_job(load_spec(path)) > 0


optional = st.one_of(st.none(), MIXED)
#: Names and URLs are validated before they reach ``environment { }`` entries (groovy_env).
SAFE = st.text(alphabet=string.ascii_letters + string.digits + "._-/:", min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    build=MIXED,
    test=st.one_of(st.none(), st.tuples(MIXED, optional)),
    trigger=st.one_of(st.none(), st.tuples(SAFE, optional)),
    repo_credentials=optional,
    container=optional,
    agent=MIXED,
    manual=st.booleans(),
    approvers=st.lists(MIXED, max_size=2),
    name=SAFE,
    layout=st.sampled_from(["per-environment", "multibranch"]),
)
def test_blocks_equal_the_whole_template_for_any_values(
    build: str,
    test: tuple[str, str | None] | None,
    trigger: tuple[str, str | None] | None,
    repo_credentials: str | None,
    container: str | None,
    agent: str,
    manual: bool,
    approvers: list[str],
    name: str,
    layout: str,
) -> None:
    svc = service(
        build=build,
        test=None if test is None else model.TestStep(*test),
        trigger=None if trigger is None else model.Trigger(*trigger),
        repo_credentials=repo_credentials,
    )
    s = spec(svc, layout=layout, container=container, agent=agent)
    env = model.Environment(
        name=name,
        # a glob only where a layout can build it (multibranch); per-environment: exact
        branch="feature/*" if layout == "multibranch" else "feature/x",
        deploy="manual" if manual else "auto",
        approvers=tuple(approvers),
    )
    s = replace(s, environments=(*s.environments, env))
    try:
        assert _compare_every_job(s) > 0
    except RenderError:
        # a value no Groovy literal (or environment entry) can carry: both paths refuse it
        with pytest.raises(RenderError):
            for job in plan(s).jobs:
                if job.service is not None:
                    jf._service_text_whole(jf._service_context(plan(s), job, job.service))


def test_pipeline_xml_equals_a_fresh_tree() -> None:
    from jenkinsgen.render import xml_pipeline
    from jenkinsgen.render.xml_push import PushTrigger

    first = xml_pipeline.pipeline_xml("one\n\nmarker", "node {}\n", 5, "a/b")
    second = xml_pipeline.pipeline_xml("two & <three>", "x = '''\n'''\n", 7, "a/c")
    fresh = xml_pipeline._build_skeleton("plain")
    fresh.description.text = "two & <three>"
    fresh.num_to_keep.text = "7"
    fresh.script.text = "x = '''\n'''\n"
    assert second == serialize(fresh.root)
    assert etree.fromstring(first.split(b"\n", 1)[1]).findtext("description") == "one\n\nmarker"
    push = PushTrigger("tok-a", "f/s", "main")
    xml_pipeline.pipeline_xml("one", "node {}\n", 5, "a/b", push)
    other = PushTrigger("tok-b", "g/t", None)
    third = xml_pipeline.pipeline_xml("three", "node {}\n", 9, "a/d", other)
    fresh = xml_pipeline._build_skeleton("push")
    fresh.description.text = "three"
    fresh.num_to_keep.text = "9"
    fresh.script.text = "node {}\n"
    assert fresh.filter_expression is not None and fresh.token_credentials is not None
    fresh.filter_expression.text = other.filter_expression
    fresh.token_credentials.text = "tok-b"
    assert third == serialize(fresh.root)
    # a glob environment's job: the BRANCH parameter's description is set per job too
    xml_pipeline.pipeline_xml("g1", "node {}\n", 5, "a/e", PushTrigger("t", "f/s", "rel/*", True))
    glob = PushTrigger("tok-c", "h/u", "release/**", glob=True)
    fourth = xml_pipeline.pipeline_xml("four", "node {}\n", 3, "a/f", glob)
    fresh = xml_pipeline._build_skeleton("pushed_branch")
    fresh.description.text = "four"
    fresh.num_to_keep.text = "3"
    fresh.script.text = "node {}\n"
    assert fresh.filter_expression is not None and fresh.token_credentials is not None
    assert fresh.branch_description is not None
    fresh.filter_expression.text = glob.filter_expression
    fresh.token_credentials.text = "tok-c"
    fresh.branch_description.text = xml_pipeline.branch_parameter_text("release/**")
    assert fourth == serialize(fresh.root)


def test_folder_xml_equals_a_fresh_tree() -> None:
    from jenkinsgen.render import xml_folder

    xml_folder.folder_xml("first", "a")
    second = xml_folder.folder_xml("second <&>", "b")
    fresh = xml_folder._build_skeleton()
    fresh[1].text = "second <&>"
    assert second == serialize(fresh)
