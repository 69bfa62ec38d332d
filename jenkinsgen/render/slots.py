"""Text with slots: output made once by the general path, then filled per item.

Thousands of jobs differ only in a few values. The general path (a Jinja block, an lxml
tree) is run once with a *marker* in place of each value; where the marker comes out is a
slot, and every other character is kept as it came out. Filling a slot with what the general
path writes for a value (the same escaping filter applied to it) gives the text the general
path would have given for that value, because the text around a value does not depend on it:
the general path must use a slotted value only through that filter (:class:`Slots` refuses
the bare marker anywhere else when it is made; a test reads the templates' syntax tree for
uses that would not show the marker, such as a test or a slice of the value), and a value
that decides the shape of the text (``{% if credentials is not none %}``) is never a slot
but part of the key the caller caches each :class:`Slots` under. Tests compare both paths on
hostile values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import AnyStr, Generic

from jenkinsgen.errors import RenderError

__all__ = ["Slots", "marker"]


def marker(name: str) -> str:
    """The stand-in value of slot ``name``: letters, digits and dashes, which every Groovy
    filter quotes as they are and XML carries as they are."""
    return f"jenkinsgen-slot-{name}-7d1c5b"


class Slots(Generic[AnyStr]):
    """``text`` with each of ``forms`` (slot name → how the general path wrote that slot's
    marker) as a slot; each must occur in ``text``, and no marker anywhere else. Text and
    forms are both ``str`` or both UTF-8 ``bytes``."""

    __slots__ = ("_empty", "_literals", "_names", "names")

    def __init__(self, text: AnyStr, forms: Mapping[str, AnyStr]) -> None:
        found = sorted(
            (start, name) for name, form in forms.items() for start in _occurrences(text, form)
        )
        literals: list[AnyStr] = []
        names: list[str] = []
        end = 0
        for start, name in found:
            if start < end:
                raise RenderError(f"slot {name}: its marker overlaps another slot")
            literals.append(text[end:start])
            names.append(name)
            end = start + len(forms[name])
        literals.append(text[end:])
        for name in forms:
            if name not in names:
                raise RenderError(f"slot {name}: the text does not use the value")
            bare = marker(name) if isinstance(text, str) else marker(name).encode()
            if any(bare in literal for literal in literals):
                raise RenderError(f"slot {name}: the text uses the value other than as a slot")
        self._empty: AnyStr = text[:0]
        self._literals: tuple[AnyStr, ...] = tuple(literals)
        self._names = tuple(names)
        #: The slots this text uses, in the order they first occur.
        self.names = tuple(dict.fromkeys(names))

    def fill(self, values: Mapping[str, AnyStr]) -> AnyStr:
        """The text with each slot replaced by ``values[slot]`` (as written, not escaped)."""
        literals = self._literals
        parts = [literals[0]]
        for i, name in enumerate(self._names, 1):
            parts.append(values[name])
            parts.append(literals[i])
        return self._empty.join(parts)


def _occurrences(text: AnyStr, form: AnyStr) -> list[int]:
    starts = []
    start = text.find(form)
    while start >= 0:
        starts.append(start)
        start = text.find(form, start + len(form))
    return starts
