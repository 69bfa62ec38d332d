"""Declarative field types: one description drives both validation and the JSON Schema.

Each type checks a PyYAML node and returns a plain Python value, or ``INVALID`` after
reporting its problems to a :class:`Collector`.  Because the JSON Schema is generated from
the very same objects, the editor schema and the validator cannot drift apart; the few
checks that JSON Schema cannot express (duplicates across a list, cross references) live in
the loader and are listed in ``SEMANTIC_CHECKS`` there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from jenkinsgen.errors import SpecProblem

JSON = dict[str, Any]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"

#: A spec is small; these caps stop alias bombs and absurd nesting from hostile input.
MAX_NODES = 200_000
MAX_DEPTH = 64


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {
        _STR: "a string",
        _INT: "an integer",
        _BOOL: "a boolean",
        _NULL: "null",
        "tag:yaml.org,2002:float": "a number",
    }.get(node.tag, "a scalar")


class Collector:
    """Gathers every problem of one spec file, so a user sees them all in one run."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[SpecProblem] = []
        self.visits = 0

    def add(self, node: yaml.Node | None, path: str, message: str) -> None:
        line, col = (1, 1)
        if node is not None:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(SpecProblem(self.file, line, col, path, message))

    def visit(self, node: yaml.Node, path: str, depth: int) -> bool:
        """Count a node; refuse (once) when the document is hostile-large or too deep."""
        self.visits += 1
        if self.visits == MAX_NODES + 1 or depth == MAX_DEPTH + 1:
            self.add(node, path, "spec too large or too deeply nested (aliases expanded)")
        return self.visits <= MAX_NODES and depth <= MAX_DEPTH


class FieldType:
    """Base of every field type."""

    description: str = ""

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        raise NotImplementedError

    def schema(self) -> JSON:
        raise NotImplementedError

    def _with_description(self, s: JSON) -> JSON:
        if self.description:
            s["description"] = self.description
        return s


@dataclass
class Str(FieldType):
    """A string scalar, optionally restricted by a regex, a predicate, or a set of values."""

    description: str = ""
    pattern: str | None = None
    pattern_hint: str = ""
    enum: tuple[str, ...] = ()
    extra_check: Callable[[str], str | None] | None = None
    min_length: int = 1
    #: What ``extra_check`` enforces, said as a regex for the JSON Schema.
    schema_pattern: str | None = None
    _fullmatch: Callable[[str], Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.pattern is not None:  # compiled once, not looked up for every value
            self._fullmatch = re.compile(self.pattern).fullmatch

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if node.tag != _STR or not isinstance(node, yaml.ScalarNode):
            hint = " (quote it to make it a string)" if isinstance(node, yaml.ScalarNode) else ""
            c.add(node, path, f"expected a string, got {_kind(node)}{hint}")
            return INVALID
        value = str(node.value)
        if len(value) < self.min_length:
            c.add(node, path, "must not be empty")
            return INVALID
        if self.enum and value not in self.enum:
            c.add(
                node,
                path,
                f"must be one of {', '.join(self.enum)}, got {value!r}"
                + _did_you_mean(value, self.enum),
            )
            return INVALID
        if self._fullmatch is not None and self._fullmatch(value) is None:
            c.add(node, path, f"{value!r} is not valid: {self.pattern_hint or self.pattern}")
            return INVALID
        if self.extra_check is not None:
            message = self.extra_check(value)
            if message:
                c.add(node, path, message)
                return INVALID
        return value

    def schema(self) -> JSON:
        s: JSON = {"type": "string"}
        if self.enum:
            s["enum"] = list(self.enum)
        if self.pattern is not None:
            s["pattern"] = f"^(?:{self.pattern})$"
        elif self.schema_pattern is not None:
            s["pattern"] = self.schema_pattern
        if self.min_length:
            s["minLength"] = self.min_length
        return self._with_description(s)


@dataclass
class Int(FieldType):
    """An integer scalar within bounds."""

    description: str = ""
    minimum: int = 0
    maximum: int = 1_000_000

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            c.add(node, path, f"expected an integer, got {_kind(node)}")
            return INVALID
        value = int(SafeConstructor().construct_yaml_int(node))
        if not self.minimum <= value <= self.maximum:
            c.add(node, path, f"must be between {self.minimum} and {self.maximum}, got {value}")
            return INVALID
        return value

    def schema(self) -> JSON:
        return self._with_description(
            {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        )


@dataclass
class Bool(FieldType):
    """A boolean scalar."""

    description: str = ""

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            c.add(node, path, f"expected true or false, got {_kind(node)}")
            return INVALID
        return bool(SafeConstructor().construct_yaml_bool(node))

    def schema(self) -> JSON:
        return self._with_description({"type": "boolean"})


@dataclass
class List(FieldType):
    """A list of items of one type; ``unique`` rejects repeated scalar items."""

    item: FieldType
    description: str = ""
    min_items: int = 0
    unique: bool = False

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            c.add(node, path, f"expected a list, got {_kind(node)}")
            return INVALID
        if len(node.value) < self.min_items:
            c.add(node, path, f"needs at least {self.min_items} item(s)")
            return INVALID
        out: list[Any] = []
        seen: set[Any] = set()
        for i, child in enumerate(node.value):
            child_path = f"{path}[{i}]"
            if not c.visit(child, child_path, depth + 1):
                return INVALID
            value = self.item.check(child, child_path, c, depth + 1)
            if self.unique and value is not INVALID and isinstance(value, str):
                if value in seen:
                    c.add(child, child_path, f"duplicate item {value!r}")
                    value = INVALID
                seen.add(value)
            out.append(value)
        return INVALID if any(v is INVALID for v in out) else out

    def schema(self) -> JSON:
        s: JSON = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            s["minItems"] = self.min_items
        if self.unique:
            s["uniqueItems"] = True
        return self._with_description(s)


@dataclass
class StrMap(FieldType):
    """A mapping of string keys (matching ``key_pattern``) to string values."""

    description: str = ""
    key_pattern: str = r"[A-Za-z_][A-Za-z0-9_]*"
    key_hint: str = "letters, digits and _, not starting with a digit"

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if not isinstance(node, yaml.MappingNode):
            c.add(node, path, f"expected a mapping, got {_kind(node)}")
            return INVALID
        out: dict[str, str] = {}
        ok = True
        value_type = Str(min_length=0)
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            child_path = f"{path}.{key}" if key is not None else path
            if not c.visit(value_node, child_path, depth + 1):
                return INVALID
            if key_node.tag != _STR or not re.fullmatch(self.key_pattern, str(key)):
                c.add(key_node, child_path, f"invalid key: {self.key_hint}")
                ok = False
                continue
            if key in out:
                c.add(key_node, child_path, f"duplicate key {key!r}")
                ok = False
                continue
            value = value_type.check(value_node, child_path, c, depth + 1)
            ok = ok and value is not INVALID
            out[str(key)] = value
        return out if ok else INVALID

    def schema(self) -> JSON:
        return self._with_description(
            {
                "type": "object",
                "propertyNames": {"pattern": f"^(?:{self.key_pattern})$"},
                "additionalProperties": {"type": "string"},
            }
        )


@dataclass
class Field:
    """One key of an :class:`Obj`."""

    type: FieldType
    required: bool = False
    default: Any = None


@dataclass
class Obj(FieldType):
    """A mapping with a fixed set of keys; unknown keys are errors with a suggestion.

    ``build`` turns the checked ``dict`` into the model object; ``rules`` are extra
    whole-object checks expressible in JSON Schema (given as ``(check, schema)`` pairs).
    ``removed`` maps keys that an earlier release accepted to the message that says what
    replaced them: still an error (the schema refuses them like any unknown key), but one that
    tells the user what to do instead of guessing a similar name.
    """

    title: str
    fields: Mapping[str, Field]
    build: Callable[[dict[str, Any]], Any] = dict
    description: str = ""
    rules: list[ObjRule] = field(default_factory=list)
    removed: Mapping[str, str] = field(default_factory=dict)

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if not isinstance(node, yaml.MappingNode):
            c.add(node, path, f"expected a mapping ({self.title}), got {_kind(node)}")
            return INVALID
        fields = self.fields
        values: dict[str, Any] = {}
        nodes: dict[str, yaml.Node] = {}
        ok = True
        prefix = f"{path}." if path else ""
        child_depth = depth + 1
        for key_node, value_node in node.value:
            if key_node.tag != _STR or not isinstance(key_node, yaml.ScalarNode):
                c.add(key_node, path, f"keys must be strings, got {_kind(key_node)}")
                ok = False
                continue
            key = str(key_node.value)
            child_path = prefix + key
            f = fields.get(key)
            if f is None and key in self.removed:
                c.add(key_node, child_path, self.removed[key])
                ok = False
                continue
            if f is None:
                c.add(
                    key_node,
                    child_path,
                    f"unknown key {key!r} in {self.title}" + _did_you_mean(key, fields),
                )
                ok = False
                continue
            if key in nodes:
                c.add(key_node, child_path, f"duplicate key {key!r}")
                ok = False
                continue
            nodes[key] = value_node
            if not c.visit(value_node, child_path, child_depth):
                return INVALID
            value = f.type.check(value_node, child_path, c, child_depth)
            if value is INVALID:
                ok = False
            values[key] = value
        if len(nodes) < len(fields):
            for key, f in fields.items():
                if key in nodes:
                    continue
                if f.required:
                    c.add(node, prefix + key, f"missing required key {key!r} in {self.title}")
                    ok = False
                else:
                    values[key] = f.default
        if not ok:
            return INVALID
        for rule in self.rules:
            problem = rule.check(values)
            if problem is not None:
                key, message = problem
                where = nodes.get(key, node)
                c.add(where, f"{path}.{key}" if path else key, message)
                ok = False
        return self.build(values) if ok else INVALID

    def schema(self) -> JSON:
        s: JSON = {
            "type": "object",
            "title": self.title,
            "additionalProperties": False,
            "properties": {k: f.type.schema() for k, f in self.fields.items()},
        }
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            s["required"] = required
        rule_schemas = [r.schema for r in self.rules]
        if rule_schemas:
            s["allOf"] = rule_schemas
        return self._with_description(s)


@dataclass
class ObjRule:
    """A whole-object rule: ``check`` returns ``(key, message)`` or None; ``schema`` says
    the same thing in JSON Schema."""

    check: Callable[[dict[str, Any]], tuple[str, str] | None]
    schema: JSON


@dataclass
class OneOf(FieldType):
    """A value that may take one of several forms, chosen by the YAML node kind."""

    scalar: FieldType
    mapping: Obj
    description: str = ""

    def check(self, node: yaml.Node, path: str, c: Collector, depth: int) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self.mapping.check(node, path, c, depth)
        return self.scalar.check(node, path, c, depth)

    def schema(self) -> JSON:
        return self._with_description({"oneOf": [self.scalar.schema(), self.mapping.schema()]})


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib  # only on the way to an error message

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
