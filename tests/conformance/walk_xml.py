"""Walk a job ``config.xml`` the way XStream reads it, against the fact table.

The root element is an XStream alias (``flow-definition``) or a class name. A child element
of an object is one of its serialized fields (non-static, non-transient, declared in the class
or an ancestor). The field's class is the element's ``class`` attribute when present (it must
be in the table and, where both are known, a subtype of the field's type), else the field's
declared type. Children of a collection field are items named by their class (or an alias).
``reference`` elements point back to an object already read; XStream built-in aliases such as
``empty-list`` are accepted as written. A ``plugin`` attribute must name the plugin that holds
the element's class. Each problem names the element path and the class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from tests.conformance.facts import SCALARS, FactTable, raw_type

__all__ = ["XSTREAM_BUILTINS", "XmlWalk", "walk_xml"]

#: XStream's own aliases that can appear as a ``class`` attribute or an item element.
XSTREAM_BUILTINS = {
    "empty-list": "java.util.Collections$EmptyList",
    "empty-set": "java.util.Collections$EmptySet",
    "list": "java.util.ArrayList",
    "linked-list": "java.util.LinkedList",
    "string": "java.lang.String",
    "int": "java.lang.Integer",
    "boolean": "java.lang.Boolean",
    "long": "java.lang.Long",
}
_KNOWN_ATTRIBUTES = {"class", "plugin", "reference"}


@dataclass
class XmlWalk:
    """Problems found (one line each) and every (element path, class) visited."""

    problems: list[str] = field(default_factory=list)
    visited: list[tuple[str, str]] = field(default_factory=list)


def walk_xml(text: bytes, facts: FactTable, where: str) -> XmlWalk:
    walk = XmlWalk()
    root = etree.fromstring(text)
    path = f"{where}: <{root.tag}>"
    fqcn = facts.alias(root.tag) or _class_name(root.tag)
    if facts.get(fqcn) is None:
        walk.problems.append(f"{path}: {fqcn} is neither an XStream alias nor in the fact table")
        return walk
    _object(walk, facts, path, root, fqcn)
    return walk


def _class_name(element: str) -> str:
    """XStream writes ``$`` in nested class names as ``_-`` in element names."""
    return element.replace("_-", "$")


def _check_attributes(
    walk: XmlWalk, facts: FactTable, path: str, element: etree._Element, fqcn: str | None
) -> None:
    for name in element.attrib:
        if name not in _KNOWN_ATTRIBUTES:
            walk.problems.append(f"{path}: unknown attribute {name!r} (XStream knows class, ...)")
    plugin = element.get("plugin")
    if plugin is not None and fqcn is not None:
        owner = facts.plugin_of(fqcn)
        if owner is not None and plugin.split("@", 1)[0] != owner:
            walk.problems.append(
                f"{path}: plugin={plugin!r} but {fqcn} belongs to {owner!r} "
                f"({facts.provenance(fqcn)})"
            )


def _object(walk: XmlWalk, facts: FactTable, path: str, element: etree._Element, fqcn: str) -> None:
    walk.visited.append((path, fqcn))
    _check_attributes(walk, facts, path, element, fqcn)
    if element.get("reference") is not None:
        return
    fields = facts.xstream_fields(fqcn)
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments
        child_path = f"{path}/{child.tag}"
        declared = fields.get(child.tag)
        if declared is None:
            walk.problems.append(
                f"{child_path}: {facts.provenance(fqcn)} has no serialized field {child.tag!r}"
            )
            continue
        _field(walk, facts, child_path, child, declared[0])


def _field(
    walk: XmlWalk, facts: FactTable, path: str, element: etree._Element, type_text: str
) -> None:
    given = element.get("class")
    if given is not None:
        concrete = XSTREAM_BUILTINS.get(given) or given
        if given in XSTREAM_BUILTINS:
            _check_attributes(walk, facts, path, element, None)
            if len(element):
                _items(walk, facts, path, element)
            return
        if facts.get(concrete) is None:
            walk.problems.append(f"{path}: class {concrete} is not in the fact table")
            return
        declared = raw_type(type_text)
        if facts.get(declared) is not None and not facts.is_subtype(concrete, declared):
            walk.problems.append(f"{path}: {concrete} is not a {declared}")
        _object(walk, facts, path, element, concrete)
        return
    _check_attributes(walk, facts, path, element, None)
    if not len(element):
        return  # a value, or an empty collection/object
    item = facts.list_item_type(type_text)
    if item is not None:
        _items(walk, facts, path, element)
        return
    raw = raw_type(type_text)
    if raw in SCALARS or facts.get(raw) is None:
        walk.problems.append(f"{path}: elements inside a field of type {type_text}")
        return
    _object(walk, facts, path, element, raw)


def _items(walk: XmlWalk, facts: FactTable, path: str, element: etree._Element) -> None:
    for child in element:
        if not isinstance(child.tag, str):
            continue
        child_path = f"{path}/{child.tag}"
        if child.tag in XSTREAM_BUILTINS:
            continue
        fqcn = facts.alias(child.tag) or _class_name(child.tag)
        if facts.get(fqcn) is None:
            walk.problems.append(f"{child_path}: item class {fqcn} is not in the fact table")
            continue
        _object(walk, facts, child_path, child, fqcn)
