"""Slots (jenkinsgen.render.slots) give the very bytes of the general path they stand in for.

The per-job Checkout and ``environment { }`` blocks are filled into slots taken from the Jinja
block rendered once with markers; the pipeline and folder config.xml into slots taken from
the lxml tree serialized once with markers. Here both paths render the same values, hostile
ones included (quotes, backslashes, ``\\u``, ``${``, control characters, XML 1.1-only
characters, the sentinel, non-ASCII, characters no XML can hold), and must give the same text
or the same error: block by block, and item by item on generated specs.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from jenkinsgen import render
from jenkinsgen.errors import RenderError
from jenkinsgen.plan import plan
from jenkinsgen.render import jenkinsfile as jf
from jenkinsgen.render.digest import describe, seal
from jenkinsgen.render.slots import Slots, marker
from jenkinsgen.render.xml_folder import folder_xml, folder_xml_tree
from jenkinsgen.render.xml_pipeline import pipeline_xml, pipeline_xml_tree
from jenkinsgen.render.xml_push import PushTrigger
from jenkinsgen.render.xml_text import SENTINEL, escape_text, fill_slots, serialize, xml_text
from jenkinsgen.spec import model
from jenkinsgen.spec.model import Environment, Image, Spec, Trigger
from tests.render.jenkinsfile_specs import service, spec

#: What breaks out of a Groovy literal, a shell word or XML text, or needs a reference there.
NASTY = [
    "'", '"', "\\", "\\u", "\\u0027", "${", "$", "`", "'''", "&", "<", ">", "]]>", "\r",
    "\n", "\t", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\u2028",
    "\u2029", SENTINEL, "\U0010fffd", "é", "中", "\U0001f680", "&#1;", "{{", "%}", " ",
]  # fmt: skip
#: Characters no config.xml (U+0000, U+FFFE, U+FFFF) or Jenkinsfile (U+FFFF) can hold, and
#: lone surrogates: both paths must refuse them alike.
UNWRITABLE = ["\x00", "\ufffe", "\uffff", "\ud800"]

writable = st.lists(
    st.one_of(
        st.sampled_from(NASTY),
        st.text(string.ascii_letters + string.digits + "./:-_", max_size=4),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufffe\uffff"),
    ),
    max_size=10,
).map("".join)
unwritable = st.tuples(writable, st.sampled_from(UNWRITABLE), writable).map("".join)
#: Mostly values some path can write, sometimes one that none can.
anything = st.one_of(writable, writable, writable, unwritable)


def same(general: Callable[[], Any], fast: Callable[[], Any]) -> None:
    """Both give the same value, or both raise RenderError with the same message."""
    try:
        expected = general()
    except RenderError as exc:
        with pytest.raises(RenderError) as got:
            fast()
        assert str(got.value) == str(exc)
        return
    assert fast() == expected


# --- Slots -------------------------------------------------------------------------------


def test_slots_fill_every_occurrence_in_text_order() -> None:
    a, b = marker("a"), marker("b")
    slots = Slots(f"x'{a}'y'{b}'z'{a}'", {"a": f"'{a}'", "b": f"'{b}'"})
    assert slots.names == ("a", "b")
    assert slots.fill({"a": "1", "b": "2"}) == "x1y2z1"
    raw = Slots(f"<{a}>".encode(), {"a": a.encode()})
    assert raw.fill({"a": b"&amp;"}) == b"<&amp;>"


def test_slots_refuse_a_value_used_other_than_through_its_filter() -> None:
    a = marker("a")
    with pytest.raises(RenderError, match="other than as a slot"):
        Slots(f"'{a}' and {a}", {"a": f"'{a}'"})  # e.g. the value unfiltered, or sh_quote'd
    with pytest.raises(RenderError, match="does not use"):
        Slots("no slot here", {"a": f"'{a}'"})  # e.g. a filter that changed the marker


# --- XML text -----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(text=anything)
def test_text_filled_into_a_slot_equals_what_lxml_writes(text: str) -> None:
    el = etree.Element("t")
    el.text = marker("t")
    slotted = Slots(serialize(el), {"t": marker("t").encode()})

    def lxml() -> bytes:
        tree = etree.Element("t")
        tree.text = xml_text(text, "where")
        return serialize(tree)

    same(lxml, lambda: fill_slots(slotted, {"t": xml_text(text, "where")}))


def test_escape_text_examples() -> None:
    assert escape_text(b"a&b<c>d\re\tf\"g'h") == b"a&amp;b&lt;c&gt;d&#13;e\tf\"g'h"
    assert escape_text("é中".encode()) == "é中".encode()


push_triggers = st.one_of(
    st.none(),
    st.builds(PushTrigger, anything, anything, st.one_of(st.none(), anything)),
    st.builds(
        PushTrigger,
        anything,
        anything,
        st.sampled_from(["release/*", "feature/**", "hot?ix/[0-9]*", "r/*/x"]),
        st.just(True),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    description=anything,
    script=anything,
    keep=st.integers(min_value=0, max_value=10**6),
    push=push_triggers,
)
def test_pipeline_config_equals_the_lxml_tree(
    description: str, script: str, keep: int, push: PushTrigger | None
) -> None:
    same(
        lambda: pipeline_xml_tree(description, script, keep, "f/s/e", push),
        lambda: pipeline_xml(description, script, keep, "f/s/e", push),
    )


@settings(max_examples=200, deadline=None)
@given(description=anything)
def test_folder_config_equals_the_lxml_tree(description: str) -> None:
    same(lambda: folder_xml_tree(description, "f/s"), lambda: folder_xml(description, "f/s"))


# --- Jenkinsfile blocks -------------------------------------------------------------------

optional = st.one_of(st.none(), anything)


@settings(max_examples=400, deadline=None)
@given(url=anything, branch=anything, credentials=optional, pushed=st.booleans())
def test_checkout_block_equals_the_jinja_block(
    url: str, branch: str, credentials: str | None, pushed: bool
) -> None:
    checkout = {"url": url, "branch": branch, "credentials": credentials, "pushed": pushed}
    same(
        lambda: jf._render_block("checkout", {"checkout": checkout}),
        lambda: jf._checkout_block(checkout),
    )


#: groovy_env refuses most nasty characters: half the values come from what it accepts.
accepted = st.text(string.ascii_letters + string.digits + "./:-_@%é中", min_size=0, max_size=20)
env_values = st.one_of(accepted, accepted, anything)


@settings(max_examples=400, deadline=None)
@given(
    image_repo=env_values,
    host=st.one_of(st.none(), st.just(""), env_values),
    webhook=st.one_of(st.none(), env_values),
)
def test_environment_block_equals_the_jinja_block(
    image_repo: str, host: str | None, webhook: str | None
) -> None:
    jf._environment_block.cache_clear()
    same(
        lambda: jf._render_block(
            "environment",
            {"image_repo": image_repo, "registry_host": host, "deploy_webhook": webhook},
        ),
        lambda: jf._environment_block(image_repo, host, webhook),
    )


# --- Whole items on generated specs -------------------------------------------------------


def _general_job(p: Any, job: Any) -> tuple[bytes, str, str]:
    """A pipeline job the general way: the whole Jinja template, an lxml tree, then sealed."""
    name = "/".join(job.path)
    try:
        text = jf._service_text_whole(jf._service_context(p, job, job.service))
    except RenderError as exc:
        raise RenderError(f"{name}: Jenkinsfile: {exc}") from exc
    script = text if text.endswith("\n") else text + "\n"
    description = describe(render._job_text(p, job), p.spec.folder)
    push = render._push_trigger(p, job)
    xml = pipeline_xml_tree(description, script, p.spec.defaults.builds_to_keep, name, push)
    config, digest = seal(xml, script)
    return config, digest, script


def _general_folder(p: Any, folder: Any) -> tuple[bytes, str]:
    owner = render._folder_owner(p, folder, p.spec.folder)
    description = describe(render._folder_text(p, folder), owner)
    return seal(folder_xml_tree(description, "/".join(folder.path)), None)


def _both_ways(s: Spec) -> int:
    """Every folder and pipeline job of ``s`` both ways; returns how many items rendered."""
    p = plan(s)
    rendered = 0
    for folder in p.folders:
        same(
            lambda f=folder: _general_folder(p, f),  # type: ignore[misc]
            lambda f=folder: render._folder_config(p, f, p.spec.folder),  # type: ignore[misc]
        )
        rendered += 1
    for job in p.jobs:
        if job.kind != "pipeline":
            continue
        try:
            expected = _general_job(p, job)
        except RenderError:
            # the whole template may meet a bad value in another place first: both refuse
            with pytest.raises(RenderError):
                render._job_config(p, job, p.spec.folder)
            continue
        assert render._job_config(p, job, p.spec.folder) == expected, job.path
        rendered += 1
    return rendered


names = st.text(string.ascii_letters + string.digits + "._-", min_size=1, max_size=12).filter(
    lambda n: n not in (".", "..") and ".." not in n
)


def _spec(
    names: list[str], values: dict[str, Any], push_credentials: str | None, registry: str
) -> Spec:
    """Services named ``names`` holding ``values``, in the environments of jenkinsfile_specs
    and one more whose branch is ``values["branch"]``."""
    test = values["test"]
    services = [
        service(
            name=name,
            repo=values["repo"],
            repo_credentials=values["repo_credentials"],
            build=values["build"],
            test=None if test is None else model.TestStep(*test),
            image=Image(name=values["image"]),
            trigger=None if values["webhook"] is None else Trigger(values["webhook"], "tok"),
        )
        for name in names
    ]
    s = spec(*services, registry=registry, push_credentials=push_credentials)
    odd = Environment(name="odd", branch=values["branch"])
    return replace(s, environments=(*s.environments, odd), seed=None)


spec_values = st.fixed_dictionaries(
    {
        "repo": writable,
        "repo_credentials": st.one_of(st.none(), writable),
        "build": writable,
        "test": st.one_of(st.none(), st.tuples(writable, st.one_of(st.none(), writable))),
        # what groovy_env accepts (it refuses the rest, tested above block by block)
        "image": st.one_of(accepted, st.just("orders")),
        "webhook": st.one_of(st.none(), accepted),
        "branch": st.one_of(writable, st.sampled_from(["main", "release/*", "feature/**"])),
    }
)
registries = st.one_of(st.just("registry.example.com/acme"), accepted)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(names, min_size=1, max_size=3, unique_by=str.lower),
    values=spec_values,
    push_credentials=st.one_of(st.none(), writable),
    registry=registries,
)
def test_generated_specs_render_the_same_items_both_ways(
    names: list[str], values: dict[str, Any], push_credentials: str | None, registry: str
) -> None:
    s = _spec(names, values, push_credentials, registry)
    assume(not (s.environments[-1].is_glob and push_credentials is None))  # the validator's
    assert _both_ways(s) == len(plan(s).folders) + len(plan(s).jobs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=spec_values,
    field=st.sampled_from(["repo", "repo_credentials", "build", "branch", "push_credentials"]),
    bad=unwritable,
)
def test_generated_specs_with_an_unwritable_character_render_or_refuse_alike(
    values: dict[str, Any], field: str, bad: str
) -> None:
    push_credentials = bad if field == "push_credentials" else "push-token"
    s = _spec(
        ["svc"],
        {**values, field: bad} if field in values else values,
        push_credentials,
        "registry.example.com/acme",
    )
    _both_ways(s)  # each item equal both ways, or refused both ways (U+0000 in a Groovy
    # literal is written as an escape; in a description no XML can hold it)


def test_a_benign_generated_spec_renders_every_item() -> None:
    """The property above is not vacuous: a plain spec renders every item both ways."""
    s = replace(spec(service(), service(name="web")), seed=None)
    assert _both_ways(s) == len(plan(s).folders) + len(plan(s).jobs)


# The template side of the slots' contract, read from the Jinja source: a slotted value may
# reach the text only through its filter, and may decide the shape of the text only by the
# tests the slots are keyed on (``_checkout_slots(pushed, credentials is not None)``,
# ``_environment_slots(bool(registry_host), deploy_webhook is not None)``). Slots itself only
# sees the rendered marker, so ``{% if checkout.url.startswith('git@') %}`` or
# ``checkout.url[:8]`` would pass it and make the two paths differ.
SLOTTED: dict[str, dict[str, set[str]]] = {
    "checkout": {
        "url": {"filter:groovy_str"},
        "branch": {"filter:groovy_str"},
        "credentials": {"filter:groovy_str", "test:none"},
    },
    "environment": {
        "image_repo": {"filter:groovy_env"},
        "registry_host": {"filter:groovy_env", "truth"},
        "deploy_webhook": {"filter:groovy_env", "test:none"},
    },
}


def _template_source() -> str:
    from jenkinsgen.render.templates import environment

    env = environment()
    assert env.loader is not None
    return env.loader.get_source(env, "Jenkinsfile.j2")[0]


def _how(node: Any, parent: Any) -> str:
    from jinja2 import nodes

    if isinstance(parent, nodes.Filter) and parent.node is node and not parent.args:
        return f"filter:{parent.name}"
    if isinstance(parent, nodes.Test) and parent.node is node and parent.name == "none":
        return "test:none"
    if isinstance(parent, nodes.If) and parent.test is node:
        return "truth"
    return f"other:{type(parent).__name__}"


def slotted_uses(source: str, block: str) -> dict[str, set[str]]:
    """How each slotted value of ``block`` is used in ``source`` (see :func:`_how`)."""
    from jinja2 import nodes

    from jenkinsgen.render.templates import environment

    names = SLOTTED[block]
    uses: dict[str, set[str]] = {}

    def walk(node: Any, parent: Any) -> None:
        if block == "checkout" and isinstance(node, nodes.Name) and node.name == "checkout":
            is_attr = isinstance(parent, nodes.Getattr) and parent.node is node
            if not is_attr and _how(node, parent) != "test:none":
                uses.setdefault("checkout", set()).add(_how(node, parent))
            return
        if (
            block == "checkout"
            and isinstance(node, nodes.Getattr)
            and node.attr in names
            and isinstance(node.node, nodes.Name)
            and node.node.name == "checkout"
        ):
            uses.setdefault(node.attr, set()).add(_how(node, parent))
            return
        if block == "environment" and isinstance(node, nodes.Name) and node.name in names:
            uses.setdefault(node.name, set()).add(_how(node, parent))
            return
        for child in node.iter_child_nodes():
            walk(child, node)

    tree = environment().parse(source)
    (found,) = [b for b in tree.find_all(nodes.Block) if b.name == block]
    walk(found, None)
    return uses


@pytest.mark.parametrize("block", sorted(SLOTTED))
def test_the_template_uses_slotted_values_only_through_their_filter(block: str) -> None:
    uses = slotted_uses(_template_source(), block)
    assert set(uses) == set(SLOTTED[block]), "every slotted value is used, nothing else slotted"
    for name, how in uses.items():
        assert how <= SLOTTED[block][name], (block, name, how - SLOTTED[block][name])
        assert any(h.startswith("filter:") for h in how), (block, name, "never written")


@pytest.mark.parametrize(
    ("block", "old", "new", "refused"),
    [
        (
            "checkout",
            "                stage('Checkout') {",
            "{% if checkout.url.startswith('git@') %}//ssh\n{% endif %}"
            "                stage('Checkout') {",
            ("url", "other:Getattr"),
        ),
        (
            "checkout",
            "branch: {{ checkout.branch | groovy_str }}, credentialsId",
            "branch: {{ checkout.branch[:8] | groovy_str }}, credentialsId",
            ("branch", "other:Getitem"),
        ),
        (
            "checkout",
            "                stage('Checkout') {",
            "// {{ checkout | tojson }}\n                stage('Checkout') {",
            ("checkout", "filter:tojson"),
        ),
        (
            "environment",
            "        IMAGE_REPO = {{ image_repo | groovy_env }}",
            "        IMAGE_REPO = {{ image_repo | lower | groovy_env }}",
            ("image_repo", "filter:lower"),
        ),
        (
            "environment",
            "{% if registry_host %}",
            "{% if registry_host|length > 20 %}",
            ("registry_host", "filter:length"),
        ),
    ],
)
def test_the_template_check_refuses_a_value_that_steers_or_is_cut(
    block: str, old: str, new: str, refused: tuple[str, str]
) -> None:
    source = _template_source()
    assert old in source
    name, how = refused
    assert how in slotted_uses(source.replace(old, new, 1), block).get(name, set())
