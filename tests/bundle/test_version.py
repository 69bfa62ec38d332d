"""Version ordering follows Jenkins' VersionNumber on the shapes the update center publishes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jenkinsgen.bundle.version import Version, compare


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.9", "1.10"),
        ("1.0-beta", "1.0-rc1"),
        ("1.0-rc1", "1.0"),
        ("1.0-alpha-1", "1.0-beta-1"),
        ("1.0-SNAPSHOT", "1.0"),
        ("1.0", "1.0.1"),
        ("1.0", "1.0-sp1"),
        ("1.0-rc2", "1.0-rc10"),
        ("4.5.3", "4.5.3-1"),
        ("4.5.3-1", "4.5.3-2"),
        ("2.18", "2.19-rc289.d09828a05a74"),
        ("2.19-rc289.d09828a05a74", "2.19"),
        ("2.222.4", "2.249.3"),
        ("0.1.55.2", "0.1.55.10"),
        ("59", "60.b1ee6375b940"),
        ("1.0b2", "1.0"),
        ("1.4.4", "1.4.4b"),
        # "build number . v + commit hash" versions of today's plugins
        ("1429.v09b_044a_c93de", "1430.v1f2e3d4c5b6a"),
        ("2.6", "581.v0c46fa_697ffd"),
        ("3600.v144b_cd192ca_a_", "3601.vaaaaaaaaaaaa"),
        ("1.0.1", "1.0.1.v20200101"),
    ],
)
def test_ordering(older: str, newer: str) -> None:
    assert compare(older, newer) == -1
    assert compare(newer, older) == 1
    assert Version(older) < Version(newer)


@pytest.mark.parametrize(
    ("a", "b"),
    [("1.0", "1"), ("1.0.0", "1"), ("1.0-final", "1"), ("1-GA", "1.0"), ("2.0-RC1", "2.0-rc1")],
)
def test_equal_spellings(a: str, b: str) -> None:
    assert compare(a, b) == 0
    assert Version(a) == Version(b)
    assert hash(Version(a)) == hash(Version(b))


def test_previous_version_is_older_for_every_real_plugin(uc_path: Path) -> None:
    """The update center says which version came before each release: it must sort lower."""
    plugins = json.loads(uc_path.read_text(encoding="utf-8"))["plugins"]
    checked = 0
    for entry in plugins.values():
        previous = entry.get("previousVersion")
        if previous and previous != entry["version"]:
            assert Version(previous) < Version(entry["version"]), entry["name"]
            checked += 1
    assert checked > 1400


# Jenkins' ordering (Maven's ComparableVersion) is not transitive everywhere: a word, a number
# and the padding of a shorter version compare inconsistently, e.g. 1 < 1.v5678abcd < 1-alpha
# < 1, and 1 == 1-ga1 < 1-ga2 == 1. We keep Jenkins' answers there, so the order laws are
# checked on the shapes plugin versions really take: dotted numbers with a "-qualifier[N]"
# suffix (1.0-beta-2, 2.19-rc289.d09828a05a74), or CD versions (1160.v4c9a_3e8a_2c2e).
_NUMBERS = st.lists(st.integers(0, 12).map(str), min_size=1, max_size=4).map(".".join)
_QUALIFIED = st.tuples(
    _NUMBERS,
    st.one_of(
        st.just(""),
        st.tuples(
            st.sampled_from(["alpha", "beta", "rc", "SNAPSHOT", "sp", "abc", "v9f", "a", "b"]),
            st.sampled_from(["", "1", "2", "-1", ".3", "289.d09828a05a74"]),
        ).map(lambda parts: "-" + "".join(parts)),
    ),
).map("".join)
_CD = st.tuples(_NUMBERS, st.sampled_from(["", ".v5678abcd", ".v0c9639c1a_eb_3", ".vabc"])).map(
    "".join
)


def _order_laws(a: str, b: str, c: str) -> None:
    assert compare(a, b) == -compare(b, a)
    assert compare(a, a) == 0
    if compare(a, b) <= 0 and compare(b, c) <= 0:
        assert compare(a, c) <= 0
    if compare(a, b) == 0:
        assert compare(a, c) == compare(b, c)


@settings(max_examples=300, deadline=None)
@given(_QUALIFIED, _QUALIFIED, _QUALIFIED)
def test_ordering_is_a_total_preorder(a: str, b: str, c: str) -> None:
    _order_laws(a, b, c)


@settings(max_examples=300, deadline=None)
@given(_CD, _CD, _CD)
def test_ordering_of_cd_versions_is_a_total_preorder(a: str, b: str, c: str) -> None:
    _order_laws(a, b, c)
