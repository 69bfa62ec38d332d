"""The loader's fast paths decide exactly as the slow ones: libyaml with a per-document tag
memo composes the nodes (tags, values, FILE:LINE:COL marks) the pure-Python loader composes,
and a URL accepted without ``urlsplit`` is one ``urlsplit`` would accept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jenkinsgen.spec import loader, v1

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SPECS = sorted(
    [
        *ROOT.glob("examples/*.yaml"),
        *ROOT.glob("tests/golden/*/spec.yaml"),
        *(HERE / "bad").glob("*.yaml"),
    ]
)

#: Plain scalars of every implicit type, repeated (the memo's hits), non-ASCII text before
#: values on a line (columns count characters), flow and block styles, anchors and aliases.
MIXED = """\
a: 1
b: [1, 1, "1", '1', 1.5, .inf, ~, null, true, True, yes, off, 0x1F, 0o17, 2001-12-14, ""]
c: {x: 1, y: "1", z: !!str 1}
d: &anchor
  - ünïcödé: ok
    naïve: [true, true]
  - plain text
e: *anchor
f: |
  block
  text
"""


def _tree(node: yaml.Node | None) -> Any:
    if node is None:
        return None
    where = (node.start_mark.line, node.start_mark.column, node.end_mark.line)
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, where)
    if isinstance(node, yaml.SequenceNode):
        return (node.tag, [_tree(n) for n in node.value], where)
    return (node.tag, [(_tree(k), _tree(v)) for k, v in node.value], where)


def _both(text: str) -> tuple[Any, Any]:
    assert loader._FAST_LOADER is not None, "PyYAML without libyaml: the fast path is untested"
    fast = yaml.compose(text, Loader=loader._FAST_LOADER)
    slow = yaml.compose(text, Loader=yaml.SafeLoader)
    return _tree(fast), _tree(slow)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fast_loader_composes_what_the_python_loader_composes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        fast, slow = _both(text)
    except yaml.YAMLError:  # not YAML: the Python loader must refuse it too (its message is used)
        with pytest.raises(yaml.YAMLError):
            yaml.compose(text, Loader=yaml.SafeLoader)
        return
    assert fast == slow


def test_fast_loader_on_every_scalar_type_and_unicode() -> None:
    fast, slow = _both(MIXED)
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(max_size=12), max_size=8),
    st.lists(st.from_regex(r"[A-Za-z0-9+.][A-Za-z0-9._:+-]{0,10}", fullmatch=True), max_size=8),
)
def test_fast_loader_on_arbitrary_plain_and_quoted_scalars(
    texts: list[str], plain: list[str]
) -> None:
    """Any text as the emitter quotes it, and plain tokens (numbers, booleans, dates, words)
    written as they are, each twice (the second from the memo)."""
    emitted = "".join(
        yaml.safe_dump({f"{prefix}{i}": t for i, t in enumerate(texts)}, default_flow_style=False)
        for prefix in ("t", "u")
    )
    raw = "".join(f"p{i}: {p}\nq{i}: [{p}, {p}]\n" for i, p in enumerate(plain))
    try:
        fast, slow = _both(emitted + raw)
    except yaml.YAMLError:
        return  # a token that is no plain scalar (e.g. "a:b:"); both loaders refuse it
    assert fast == slow


@settings(max_examples=500, deadline=None)
@given(st.from_regex(v1._PLAIN_URL, fullmatch=True))
def test_plain_url_shortcut_only_accepts_what_urlsplit_accepts(url: str) -> None:
    assert v1._url_problem(url) is None
    assert v1._url_check(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@git.example.com/a.git",
        "https://git.example.com/a b.git",
        "ftp://git.example.com/a.git",
        "https://",
        "https://[::1/a.git",
        "https://git.example.com/$HOME",
    ],
)
def test_urls_the_shortcut_passes_on_are_still_refused(url: str) -> None:
    assert v1._PLAIN_URL.fullmatch(url) is None
    assert v1._url_check(url) is not None
