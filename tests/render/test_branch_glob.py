"""Issue 8, defect 3: the branches a glob environment's per-environment job accepts.

``branch_regex`` must accept exactly what Declarative's ``when { branch comparator: 'GLOB' }``
accepts (pipeline-model-definition 2.2277's ``Comparator.GLOB`` calls Ant's
``SelectorUtils.matchPath``), compared case-sensitively, among the names made of safe
characters (letters, digits, ``. _ + - /``, not starting with ``-``, without ``..`` or an empty
segment), and nothing else. Checked against the real Ant matcher and the real Java regex engine
(``ant_glob.groovy``): Ant from the Debian package ``ant`` (1.10.13; its ``SelectorUtils`` is
byte-identical to 1.10.15, the version Jenkins 2.555.2 bundles), the regex as the Jenkinsfile's
``String.matches`` runs it. Python's ``re`` must agree with Java on every case too.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.render.branch_glob import branch_regex
from jenkinsgen.spec.v1 import BRANCH
from tests.render.push_sim import groovy_json

#: Pieces globs are made of (every glob passes the spec's branch pattern).
GLOB_PIECES = ["a", "b", "rel", "1.2", "-", "+", "_", "*", "?", "x"]
#: Pieces names are made of: safe ones, and characters a Git ref may hold that are refused.
NAME_PIECES = ["a", "b", "rel", "1.2", "A", "-", ".", "+", "_", "x", "..", "$", "'", "`", " ", ";"]

SAFE_NAME = re.compile(r"[A-Za-z0-9._+/-]+")


def _safe(name: str) -> bool:
    """The names a pushed branch may have, said independently of branch_regex (an empty
    segment, which Ant skips, is no Git branch name either)."""
    return (
        bool(SAFE_NAME.fullmatch(name))
        and not name.startswith("-")
        and ".." not in name
        and "" not in name.split("/")
    )


def _globs(rng: random.Random, count: int) -> list[str]:
    globs = set()
    while len(globs) < count:
        segments = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.2:
                segments.append("**")
            else:
                segments.append("".join(rng.choice(GLOB_PIECES) for _ in range(rng.randint(1, 3))))
        glob = "/".join(segments)
        if re.fullmatch(BRANCH, glob):
            globs.add(glob)
    return sorted(globs)


def _names(rng: random.Random, count: int) -> list[str]:
    names = set()
    while len(names) < count:
        segments = [
            "".join(rng.choice(NAME_PIECES) for _ in range(rng.randint(1, 3)))
            for _ in range(rng.randint(1, 5))
        ]
        names.add("/".join(segments))
    return sorted(names)


#: Where Debian's ``ant`` package puts the jar Groovy's launcher loads (its lib/ant.jar link).
ANT_JAR = Path("/usr/share/java/ant.jar")


def _run(cases: list[tuple[str, str]], tmp_path: Path) -> list[dict[str, Any]]:
    if not ANT_JAR.exists():
        pytest.fail("Ant not installed (Debian package 'ant'; scripts/ci-services.sh installs it)")
    request = [{"glob": g, "name": n, "regex": branch_regex(g)} for g, n in cases]
    answers: list[dict[str, Any]] = groovy_json("ant_glob.groovy", request, tmp_path)
    assert len(answers) == len(cases)
    return answers


def test_the_regex_accepts_what_declarative_glob_accepts_case_sensitively(tmp_path: Path) -> None:
    rng = random.Random(8)
    globs = [*_globs(rng, 60), "release/*", "release/**", "**", "**/x", "a/**/b", "*/**/*"]
    names = _names(rng, 400)
    # names built from each glob's own literal parts, so that many of them match
    for glob in globs[:30]:
        names.append(glob.replace("**", "a/b").replace("*", "x1").replace("?", "q"))
        names.append(glob.replace("**", "").replace("*", "").replace("?", "z").strip("/"))
    cases = [(g, n) for g in globs for n in names if n]
    answers = _run(cases, tmp_path)
    wrong = [
        (g, n, a)
        for (g, n), a in zip(cases, answers, strict=True)
        if a["regex"] != (a["ant"] and _safe(n))
    ]
    assert wrong == [], wrong[:10]
    python = [bool(re.fullmatch(branch_regex(g), n)) for g, n in cases]
    assert python == [a["regex"] for a in answers], "Python's re and Java's regex disagree"
    # not vacuous: many matches, matches Ant accepts but a refused character excludes, and
    # names only a case-blind comparison (Declarative's GLOB) accepts
    assert sum(a["regex"] for a in answers) > 200
    assert any(a["ant"] and not _safe(n) for (_, n), a in zip(cases, answers, strict=True))
    assert any(a["ant_ignore_case"] and not a["ant"] for a in answers)


SEMANTICS = [
    # glob, name, accepted
    ("release/*", "release/1.2", True),
    ("release/*", "release/1.2/x", False),  # '*' stays within one segment
    ("release/*", "releases/1", False),
    ("release/*", "release", False),
    ("release/*", "RELEASE/1.2", False),  # case-sensitive (Declarative's GLOB is not)
    ("release/*", "release/-x", True),  # odd but valid: a segment may start with '-'
    ("release/*", "release/1.2+hotfix_5", True),
    ("release/**", "release", True),  # '**' matches no segment too
    ("release/**", "release/1.2/x", True),
    ("**/hotfix", "hotfix", True),
    ("**/hotfix", "a/b/hotfix", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("rel**", "release", True),  # '**' inside a segment is '*'
    ("rel**", "rel/x", False),
    ("hotfix-?", "hotfix-1", True),
    ("hotfix-?", "hotfix-12", False),
    ("hotfix-?", "hotfix-/", False),
    ("*", "-x", False),  # a name starting with '-' would read as an option
    ("*", "main", True),
    ("release/*", "release/a..b", False),
    ("release/*", "release/$(id)", False),
    ("release/*", "release/${HOME}", False),
    ("release/*", "release/`id`", False),
    ("release/*", "release/a'b", False),
    ("release/*", 'release/a"b', False),
    ("release/*", "release/a;b", False),
    ("release/*", "release/(x)", False),
    ("release/*", "release/a\nb", False),
    ("release/*", "release/a b", False),
    ("release/*", "release/ä", False),
]


@pytest.mark.parametrize("table", [SEMANTICS], ids=["semantics"])
def test_glob_semantics_by_example(table: list[tuple[str, str, bool]], tmp_path: Path) -> None:
    answers = _run([(g, n) for g, n, _ in table], tmp_path)
    got = [(g, n, a["regex"]) for (g, n, _), a in zip(table, answers, strict=True)]
    assert got == table
    # where we accept, Ant accepts; where only a refused character or case stops us, Ant
    # (case-blind, as Declarative calls it) accepts too
    for (glob, name, accepted), answer in zip(table, answers, strict=True):
        if accepted:
            assert answer["ant"], (glob, name)
