"""The JSON Schema and the validator agree: on every good and bad spec, and on random
mutations of a valid spec (except the cross-item checks JSON Schema cannot express)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jenkinsgen.errors import SpecError
from jenkinsgen.spec import json_schema, json_schema_text, load_spec_text
from jenkinsgen.spec.loader import SEMANTIC_CHECKS

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
BAD = sorted((HERE / "bad").glob("*.yaml"))
GOOD = sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("tests/golden/*/spec.yaml")])
VALIDATOR = jsonschema.Draft202012Validator(json_schema())

#: Messages of checks that JSON Schema cannot say (YAML duplicate keys vanish in a dict).
NOT_IN_SCHEMA = (*SEMANTIC_CHECKS, "duplicate key")


def schema_valid(data: Any) -> bool:
    return VALIDATOR.is_valid(data)


def validator_verdict(text: str) -> tuple[bool, list[str]]:
    try:
        load_spec_text(text, "m.yaml")
    except SpecError as exc:
        return False, [p.message for p in exc.problems]
    return True, []


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_cli_schema_prints_the_schema() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == json_schema_text()
    assert json.loads(proc.stdout)["properties"]["layout"]["enum"] == [
        "per-environment",
        "multibranch",
    ]


@pytest.mark.parametrize("path", GOOD, ids=lambda p: str(p.relative_to(ROOT)))
def test_good_specs_pass_the_schema(path: Path) -> None:
    assert schema_valid(yaml.safe_load(path.read_text(encoding="utf-8")))


def _is_yaml(path: Path) -> bool:
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return True


#: Bad specs that are YAML documents at all (a syntax error leaves nothing to judge).
BAD_YAML = [p for p in BAD if _is_yaml(p)]


@pytest.mark.parametrize("path", BAD_YAML, ids=lambda p: p.stem)
def test_bad_specs_fail_the_schema_unless_only_semantic(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    ok, messages = validator_verdict(text)
    assert not ok
    only_semantic = all(any(m.startswith(s) or s in m for s in NOT_IN_SCHEMA) for m in messages)
    if data is None:
        assert not only_semantic
        return
    assert schema_valid(data) == only_semantic, messages


BASE = yaml.safe_load((ROOT / "examples" / "jenkinsgen.yaml").read_text(encoding="utf-8"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]
KEYS = sorted({p[-1] for p in PATHS if isinstance(p[-1], str)} | {"bogus", "approvers"})
scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "auto",
            "manual",
            "multibranch",
            "dev",
            "main",
            "release/*",
            "a..b",
            "https://h.example/x",
            "https://u:p@h.example/x",
            "git@h:x",
            "",
            " ",
            "registry.example.com/x",
            "UPPER",
            "1",
            "-",
            "ok-name",
        ]
    ),
    st.integers(-5, 20_000),
    st.booleans(),
    st.none(),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(KEYS), scalars, max_size=3),
)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def _delete(doc: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        doc = doc[part]
    del doc[path[-1]]


mutation = st.tuples(
    st.sampled_from(PATHS), st.sampled_from(["set", "delete", "add"]), values, st.sampled_from(KEYS)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=3))
def test_schema_and_validator_agree_on_mutated_specs(mutations: list[Any]) -> None:
    doc = copy.deepcopy(BASE)
    for path, op, value, key in mutations:
        try:
            if op == "set":
                _set(doc, path, value)
            elif op == "delete":
                _delete(doc, path)
            else:
                _set(doc, (*path[:-1], key), value)
        except (KeyError, IndexError, TypeError):
            continue
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    ok, messages = validator_verdict(text)
    semantic = bool(messages) and all(any(s in m for s in NOT_IN_SCHEMA) for m in messages)
    assert schema_valid(yaml.safe_load(text)) == (ok or semantic), messages
