"""Walk a JCasC document the way configuration-as-code reads it, against the fact table.

Every key is looked up as an attribute of the class the walk is in; a key that is unknown,
deprecated or restricted is a problem (JCasC's default policies reject all three at start).
The class for a value follows from the attribute's declared type: a concrete class is walked
as it is; an abstract type or interface takes ``{symbol: {...}}`` or a bare ``symbol``, and the
symbol must be the preferred one of an implementation in the table. Enum values must be
constants of the enum. Each problem names the key path and the class.

Roots: ``jenkins`` is the ``Jenkins`` instance; under ``unclassified`` each key is the symbol
of a ``GlobalConfiguration``; ``credentials`` is the credentials plugin's
``GlobalCredentialsConfiguration``, whose configurator gives it ``system``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.conformance.facts import SCALARS, FactTable, raw_type

__all__ = ["ROOTS", "CascWalk", "walk_casc"]

#: Root keys of a JCasC document and the class each stands for.
ROOTS = {
    "jenkins": "jenkins.model.Jenkins",
    "unclassified": "jenkins.model.GlobalConfiguration",
    # credentials' CredentialsRootConfigurator (root "credentials")
    "credentials": "com.cloudbees.plugins.credentials.GlobalCredentialsConfiguration",
}


@dataclass
class CascWalk:
    """Problems found (one line each) and every (key path, class) visited."""

    problems: list[str] = field(default_factory=list)
    visited: list[tuple[str, str]] = field(default_factory=list)


def walk_casc(document: dict[str, Any], facts: FactTable, where: str) -> CascWalk:
    """Check every key of ``document`` (the text of ``where`` names it in problems)."""
    walk = CascWalk()
    for key, value in document.items():
        path = f"{where}: {key}"
        if key not in ROOTS:
            walk.problems.append(f"{path}: unknown root element (known: {', '.join(ROOTS)})")
            continue
        if facts.get(ROOTS[key]) is None:
            walk.problems.append(f"{path}: {ROOTS[key]} is not in the fact table")
            continue
        if key == "unclassified":
            for symbol, config in (value or {}).items():
                _symbol(walk, facts, f"{path}.{symbol}", ROOTS[key], symbol, config)
        else:
            _mapping(walk, facts, path, ROOTS[key], value)
    return walk


def _mapping(walk: CascWalk, facts: FactTable, path: str, fqcn: str, value: Any) -> None:
    walk.visited.append((path, fqcn))
    if value is None:
        return
    if not isinstance(value, dict):
        walk.problems.append(f"{path}: a mapping of {fqcn} attributes is needed, not {value!r}")
        return
    attributes = facts.casc_attributes(fqcn)
    for key, child in value.items():
        child_path = f"{path}.{key}"
        attribute = attributes.get(key)
        if attribute is None:
            walk.problems.append(
                f"{child_path}: unknown attribute {key!r} of {facts.provenance(fqcn)}"
            )
            continue
        if attribute.deprecated:
            walk.problems.append(
                f"{child_path}: attribute {key!r} of {facts.provenance(fqcn)} is deprecated "
                f"({attribute.how} in {attribute.declared_in}); JCasC rejects it by default"
            )
        if attribute.restricted:
            walk.problems.append(
                f"{child_path}: attribute {key!r} of {facts.provenance(fqcn)} is restricted "
                f"(@Restricted {attribute.how} in {attribute.declared_in})"
            )
        _value(walk, facts, child_path, attribute.type, child)


def _value(walk: CascWalk, facts: FactTable, path: str, type_text: str, value: Any) -> None:
    item = facts.list_item_type(type_text)
    if item is not None:
        values = value if isinstance(value, list) else [value]
        for child in values:
            _single(walk, facts, f"{path}[]", item, child)
        return
    if isinstance(value, list):
        walk.problems.append(f"{path}: a list given where {type_text} takes one value")
        return
    _single(walk, facts, path, type_text, value)


def _single(walk: CascWalk, facts: FactTable, path: str, type_text: str, value: Any) -> None:
    raw = raw_type(type_text)
    if raw in SCALARS or raw == "java.lang.Object" or "." not in raw:
        if isinstance(value, dict | list):
            walk.problems.append(f"{path}: {raw} takes a plain value, not {type(value).__name__}")
        return
    facts_of = facts.get(raw)
    if facts_of is None:
        walk.problems.append(f"{path}: type {raw} is not in the fact table")
        return
    constants = facts.enum_constants(raw)
    if constants is not None:
        if str(value) not in constants:
            walk.problems.append(
                f"{path}: {value!r} is not a constant of {facts.provenance(raw)} "
                f"({', '.join(constants)})"
            )
        return
    if facts.is_abstract(raw) or facts.data.get("configurators", {}).get(raw, {}).get("hetero"):
        if isinstance(value, str):
            _symbol(walk, facts, f"{path}.{value}", raw, value, None)
            return
        if not isinstance(value, dict) or len(value) != 1:
            walk.problems.append(
                f"{path}: {raw} is abstract: give one implementation as {{symbol: ...}}"
            )
            return
        ((symbol, config),) = value.items()
        _symbol(walk, facts, f"{path}.{symbol}", raw, str(symbol), config)
        return
    if not isinstance(value, dict):
        return  # a scalar converted by Stapler (e.g. a permission name); checked elsewhere
    _mapping(walk, facts, path, raw, value)


def _symbol(
    walk: CascWalk, facts: FactTable, path: str, base: str, symbol: str, config: Any
) -> None:
    found = facts.implementations(symbol, base)
    if not found:
        others = [
            name
            for name in list(facts.classes)
            if not facts.is_abstract(name)
            and facts.is_subtype(name, base)
            and symbol in facts.symbols(name, base)
        ]
        if others:
            preferred = facts.preferred_symbol(others[0], base)
            walk.problems.append(
                f"{path}: {symbol!r} is an obsolete name of {facts.provenance(others[0])}; "
                f"JCasC wants {preferred!r}"
            )
            return
        known = sorted(
            {
                facts.preferred_symbol(name, base)
                for name in list(facts.classes)
                if not facts.is_abstract(name) and facts.is_subtype(name, base)
            }
        )
        hint = f" (implementations in the table: {', '.join(known)})" if known else ""
        walk.problems.append(f"{path}: no implementation of {base} has the symbol {symbol!r}{hint}")
        return
    if len(found) > 1:
        walk.problems.append(f"{path}: symbol {symbol!r} is ambiguous: {', '.join(found)}")
        return
    _mapping(walk, facts, path, found[0], config)
