"""The spec reference in Markdown, generated from the v1 declaration (kept in the README;
a test fails when the README's copy is out of date)."""

from __future__ import annotations

from jenkinsgen.spec.fields import Field, FieldType, Int, List, Obj, OneOf, Str, StrMap
from jenkinsgen.spec.v1 import SPEC


def _type_name(t: FieldType) -> str:
    if isinstance(t, Str):
        return "one of " + ", ".join(f"`{v}`" for v in t.enum) if t.enum else "string"
    if isinstance(t, Int):
        return f"integer {t.minimum}..{t.maximum}"
    if isinstance(t, List):
        inner = t.item.title if isinstance(t.item, Obj) else _type_name(t.item)
        return f"list of {inner}"
    if isinstance(t, StrMap):
        return "mapping of string to string"
    if isinstance(t, OneOf):
        return f"{_type_name(t.scalar)} or {t.mapping.title} mapping"
    if isinstance(t, Obj):
        return f"{t.title} mapping"
    return type(t).__name__.lower()


def _default(f: Field) -> str:
    if f.required:
        return "**required**"
    if f.default in (None, [], {}):
        return ""
    return f"`{f.default}`"


def _objects(root: Obj) -> list[Obj]:
    """Every object type reachable from ``root``, in first-seen order."""
    seen: list[Obj] = []

    def walk(t: FieldType) -> None:
        if isinstance(t, Obj):
            if any(o is t for o in seen):
                return
            seen.append(t)
            for f in t.fields.values():
                walk(f.type)
        elif isinstance(t, List):
            walk(t.item)
        elif isinstance(t, OneOf):
            walk(t.mapping)

    walk(root)
    return seen


def spec_reference_markdown() -> str:
    """One table per object of the spec: key, type, default, meaning."""
    parts: list[str] = []
    for obj in _objects(SPEC):
        parts.append(f"#### `{obj.title}`\n")
        if obj.description:
            parts.append(f"{obj.description}.\n")
        parts.append("| key | type | default | meaning |\n| --- | --- | --- | --- |")
        for key, f in obj.fields.items():
            parts.append(
                f"| `{key}` | {_type_name(f.type)} | {_default(f)} | {f.type.description} |"
            )
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    from jenkinsgen.docgen import write_section

    if "--write" in sys.argv:
        write_section(Path("README.md"), "spec-reference", spec_reference_markdown())
    else:
        print(spec_reference_markdown())
