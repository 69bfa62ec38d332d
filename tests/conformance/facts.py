"""The fact table (tests/data/jenkins-facts.json) and what Jenkins derives from it.

The table holds, per Java class of the pinned core and plugins that jenkinsgen's output names
(directly or as a superclass): where it was read (source key, path; the source gives repo, tag
and commit), its superclass and interfaces, ``@Symbol`` names, the ``@DataBoundConstructor``
parameters, public one-argument setters (``@DataBoundSetter``, ``@Deprecated`` and
``@Restricted`` marked), public getters and instance fields. From those this module computes
what the two readers of our output accept:

- JCasC (configuration-as-code ``BaseConfigurator``/``DataBoundConfigurator``): the
  constructor parameters, every public ``setX`` that has a public ``getX``/``isX`` in the class
  or its ancestors, public ``PersistedList`` fields, plus what a plugin's own configurator adds
  or replaces (recorded under ``configurators``). An attribute is deprecated (rejected by
  JCasC's default policy) when its setter is ``@Deprecated``, restricted when ``@Restricted``.
- XStream (config.xml): every non-static, non-transient field of the class and its ancestors.

The table is written by ``scripts/jenkins-facts.py``; while it runs, the same code asks the
script for classes it has not read yet (``loader``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "COLLECTIONS",
    "Attribute",
    "FactTable",
    "element_type",
    "raw_type",
    "type_args",
]

#: Java types whose values are sequences (JCasC lists, XStream item elements).
COLLECTIONS = frozenset(
    {
        "java.util.List",
        "java.util.ArrayList",
        "java.util.LinkedList",
        "java.util.Collection",
        "java.util.Set",
        "java.util.SortedSet",
        "java.util.TreeSet",
        "java.util.HashSet",
        "java.util.LinkedHashSet",
        "java.util.concurrent.CopyOnWriteArrayList",
        "java.lang.Iterable",
        "hudson.util.CopyOnWriteList",
        "hudson.util.PersistedList",
        "hudson.util.DescribableList",
    }
)
SCALARS = frozenset(
    {
        "boolean",
        "int",
        "long",
        "short",
        "byte",
        "char",
        "float",
        "double",
        "java.lang.String",
        "java.lang.Boolean",
        "java.lang.Integer",
        "java.lang.Long",
        "java.lang.Short",
        "java.lang.Double",
        "java.lang.Float",
        "java.lang.Character",
        "java.lang.CharSequence",
        "hudson.util.Secret",
    }
)


def split_args(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for i, c in enumerate(text):
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def raw_type(type_text: str) -> str:
    """``java.util.List<a.B>`` -> ``java.util.List``; ``a.B[]`` -> ``a.B[]``."""
    lt = type_text.find("<")
    base = type_text if lt < 0 else type_text[:lt] + type_text[type_text.rfind(">") + 1 :]
    return base.strip()


def type_args(type_text: str) -> list[str]:
    lt = type_text.find("<")
    if lt < 0:
        return []
    return [_wild(a) for a in split_args(type_text[lt + 1 : type_text.rfind(">")])]


def _wild(arg: str) -> str:
    """``? extends a.B`` -> ``a.B``; ``?`` -> ``java.lang.Object``."""
    m = re.match(r"^\?\s*(?:extends|super)\s+(.*)$", arg)
    if m:
        return m.group(1).strip()
    return "java.lang.Object" if arg.strip() == "?" else arg.strip()


def element_type(type_text: str) -> str | None:
    """The item type of an array or a generic collection type as written, else None."""
    raw = raw_type(type_text)
    if raw.endswith("[]"):
        return raw[:-2]
    if raw in COLLECTIONS:
        args = type_args(type_text)
        return args[0] if args else "java.lang.Object"
    return None


@dataclass(frozen=True)
class Attribute:
    """One JCasC attribute of a class: where it comes from and how JCasC treats it."""

    name: str
    type: str
    declared_in: str
    how: str  # "constructor" | "setter" | "field" | "configurator"
    deprecated: bool = False
    restricted: bool = False


Loader = Callable[[str], "dict[str, Any] | None"]


class FactTable:
    """The facts of tests/data/jenkins-facts.json, with the derivations JCasC and XStream
    make. ``loader`` (used only by the generating script) supplies classes not yet in it."""

    def __init__(self, data: dict[str, Any], loader: Loader | None = None) -> None:
        self.data = data
        self.classes: dict[str, dict[str, Any]] = data.setdefault("classes", {})
        self.loader = loader
        self.missing: set[str] = set()

    @classmethod
    def load(cls, path: Path) -> FactTable:
        return cls(json.loads(path.read_text()))

    # -- classes ---------------------------------------------------------------------------
    def get(self, fqcn: str) -> dict[str, Any] | None:
        found = self.classes.get(fqcn)
        if found is None and self.loader is not None and fqcn not in self.missing:
            found = self.loader(fqcn)
            if found is None:
                self.missing.add(fqcn)
            else:
                self.classes[fqcn] = found
        return found

    def ancestors(self, fqcn: str) -> list[str]:
        """The class, then its superclasses (as far as the table knows them)."""
        chain: list[str] = []
        current: str | None = fqcn
        while current and current not in chain:
            facts = self.get(current)
            if facts is None:
                break
            chain.append(current)
            current = facts.get("superclass") or None
        return chain

    def supertypes(self, fqcn: str) -> set[str]:
        """Every known superclass and interface of ``fqcn`` (itself included)."""
        seen: set[str] = set()
        todo = [fqcn]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            facts = self.get(name)
            if facts is None:
                continue
            if facts.get("superclass"):
                todo.append(facts["superclass"])
            todo.extend(facts.get("interfaces", []))
        return seen

    def is_subtype(self, fqcn: str, base: str) -> bool:
        return base in self.supertypes(fqcn)

    def plugin_of(self, fqcn: str) -> str | None:
        facts = self.get(fqcn)
        if facts is None:
            return None
        return str(self.data["sources"][facts["source"]]["plugin"])

    def is_abstract(self, fqcn: str) -> bool:
        facts = self.get(fqcn)
        return bool(facts and facts.get("abstract"))

    # -- symbols and aliases -----------------------------------------------------------------
    def symbols(self, fqcn: str, base: str) -> list[str]:
        """The names JCasC accepts for ``fqcn`` under an attribute of type ``base``, the
        preferred first (configuration-as-code ``DescribableAttribute.getSymbols``): its
        @Symbol values (or its configurator's name), then names derived from the class name:
        ``DockerCloud`` under ``Cloud`` is ``docker``, then ``dockerCloud``."""
        out: list[str] = []
        configurator = self.data.get("configurators", {}).get(fqcn, {})
        if configurator.get("symbol"):
            out.append(str(configurator["symbol"]))
        facts = self.get(fqcn)
        out.extend(str(s) for s in (facts.get("symbols", []) if facts else []))
        simple = _simple(fqcn)
        ext = _simple(base)
        for suffix in (ext, ext + "Impl"):
            if simple.endswith(suffix) and simple != suffix:
                out.append(_normalize(simple[: -len(suffix)]))
        out.append(_normalize(simple))
        return list(dict.fromkeys(out))

    def preferred_symbol(self, fqcn: str, base: str) -> str:
        return self.symbols(fqcn, base)[0]

    def implementations(self, symbol: str, base: str) -> list[str]:
        """Classes in the table whose preferred symbol under ``base`` is ``symbol`` and that
        extend ``base``."""
        return sorted(
            name
            for name in list(self.classes)
            if not self.is_abstract(name)
            and self.is_subtype(name, base)
            and self.preferred_symbol(name, base) == symbol
        )

    def alias(self, element: str) -> str | None:
        entry = self.data.get("aliases", {}).get(element)
        return str(entry["class"]) if entry else None

    # -- JCasC ------------------------------------------------------------------------------
    def casc_attributes(self, fqcn: str) -> dict[str, Attribute]:
        """Every JCasC attribute of ``fqcn`` by name (see the module docstring)."""
        configurator = self.data.get("configurators", {}).get(fqcn)
        out: dict[str, Attribute] = {}
        if configurator and configurator.get("replaces"):
            for name, extra in configurator["attributes"].items():
                out[name] = self._configured(fqcn, name, extra)
            return out
        chain = self.ancestors(fqcn)
        getters: dict[str, str] = {}
        for name in chain:
            for suffix, rtype in self.classes[name].get("getters", {}).items():
                getters.setdefault(suffix, rtype)
        for name in chain:
            facts = self.classes[name]
            for field_name, field in facts.get("fields", {}).items():
                if field.get("public") and self._persisted_list(field["type"]):
                    out.setdefault(field_name, Attribute(field_name, field["type"], name, "field"))
            for prop, overloads in facts.get("setters", {}).items():
                suffix = prop[:1].upper() + prop[1:]
                getter = getters.get(suffix)
                if getter is None or prop in out:
                    continue
                best = _best_setter(overloads, getter)
                out[prop] = Attribute(
                    prop,
                    best["type"],
                    name,
                    "setter",
                    deprecated=bool(best.get("deprecated")),
                    restricted=bool(best.get("restricted")),
                )
        ctor = self.classes[fqcn].get("constructor") if fqcn in self.classes else None
        for param in (ctor or {}).get("params", []):
            out[param["name"]] = Attribute(param["name"], param["type"], fqcn, "constructor")
        if configurator:
            for name in configurator.get("excludes", []):
                out.pop(name, None)
            for name, extra in configurator.get("attributes", {}).items():
                out[name] = self._configured(fqcn, name, extra)
        return out

    def _configured(self, fqcn: str, name: str, extra: dict[str, Any]) -> Attribute:
        return Attribute(
            name,
            extra["type"],
            fqcn,
            "configurator",
            deprecated=bool(extra.get("deprecated")),
        )

    def _persisted_list(self, type_text: str) -> bool:
        raw = raw_type(type_text)
        return raw == "hudson.util.PersistedList" or (
            self.get(raw) is not None and self.is_subtype(raw, "hudson.util.PersistedList")
        )

    def list_item_type(self, type_text: str) -> str | None:
        """The item type of a collection, array or PersistedList subclass, else None."""
        item = element_type(type_text)
        if item is not None:
            return item
        raw = raw_type(type_text)
        for name in self.ancestors(raw):
            facts = self.classes[name]
            if facts.get("superclass") in COLLECTIONS:
                args = facts.get("super_args", [])
                return _wild(args[0]) if args else "java.lang.Object"
        return None

    # -- XStream ----------------------------------------------------------------------------
    def xstream_fields(self, fqcn: str) -> dict[str, tuple[str, str]]:
        """Serialized fields of ``fqcn`` and its ancestors: name -> (type, declaring class)."""
        out: dict[str, tuple[str, str]] = {}
        for name in self.ancestors(fqcn):
            for field_name, field in self.classes[name].get("fields", {}).items():
                if not field.get("transient"):
                    out.setdefault(field_name, (field["type"], name))
        return out

    def enum_constants(self, fqcn: str) -> list[str] | None:
        facts = self.get(fqcn)
        if facts is None or facts.get("kind") != "enum":
            return None
        return list(facts.get("constants", []))

    def provenance(self, fqcn: str) -> str:
        facts = self.classes.get(fqcn)
        if facts is None:
            return f"{fqcn} (not in the fact table)"
        source = self.data["sources"][facts["source"]]
        return f"{fqcn} ({source['repo']}@{source['tag']}:{facts['path']})"

    def permissions(self) -> dict[str, list[str]]:
        return {k: list(v["names"]) for k, v in self.data.get("permissions", {}).items()}

    def iter_classes(self) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from sorted(self.classes.items())


def _simple(fqcn: str) -> str:
    return re.split(r"[.$]", fqcn)[-1]


def _normalize(name: str) -> str:
    """configuration-as-code ``Configurator.normalize``."""
    return name.lower() if name.upper() == name else name[:1].lower() + name[1:]


def _best_setter(overloads: list[dict[str, Any]], getter_type: str) -> dict[str, Any]:
    """JCasC's choice among overloaded setters: the one whose parameter type is the getter's
    type (else the first); an attribute is deprecated when that one is."""
    for overload in overloads:
        if raw_type(overload["type"]) == raw_type(getter_type):
            return overload
    return overloads[0]
