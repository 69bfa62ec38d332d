"""Plugin and core version numbers ordered the way Jenkins orders them.

Jenkins compares versions with ``hudson.util.VersionNumber``, a fork of Maven's
``ComparableVersion``: a version is split into numeric and textual items at ``.``, ``-`` and at
every switch between digits and letters; numbers compare numerically, known qualifiers rank
``alpha < beta < milestone < rc/cr < snapshot < (release) < sp`` and any other word ranks after
them, alphabetically; a number beats a word, so ``1.0.1 > 1.0-rc1 > 1.0-beta``. Trailing zeros and
release markers are ignored (``1.0 == 1``). Incremental versions such as ``2.19-rc289.d09828a05a74``
and ``1234.v5678abcd`` need no special case: the hash is just a trailing word.
"""

from __future__ import annotations

from functools import cache, total_ordering

_QUALIFIERS = {
    "alpha": 0,
    "beta": 1,
    "milestone": 2,
    "rc": 3,
    "cr": 3,
    "snapshot": 4,
    "": 5,
    "ga": 5,
    "final": 5,
    "sp": 6,
}
# One-letter shorthands count only when a number follows (``1.0b2``), as in Maven.
_SHORTHANDS = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE = 5

# An item is an int, a str (qualifier) or a tuple of items (a "-" sub-list).
_Item = int | str | tuple["_Item", ...]


def _qualifier_key(word: str) -> tuple[int, str]:
    rank = _QUALIFIERS.get(word)
    return (rank, "") if rank is not None else (len(_QUALIFIERS), word)


def _cmp_item(a: _Item | None, b: _Item | None) -> int:
    """Compare two items; ``None`` stands for a missing item (padding)."""
    if a is None and b is None:
        return 0
    if a is None:
        return -_cmp_item(b, None)
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1  # a number beats a word or a sub-list
    if isinstance(a, str):
        if b is None:
            ka, kb = _qualifier_key(a), (_RELEASE, "")
            return (ka > kb) - (ka < kb)
        if isinstance(b, int):
            return -1
        if isinstance(b, str):
            ka, kb = _qualifier_key(a), _qualifier_key(b)
            return (ka > kb) - (ka < kb)
        return -1  # a word ranks below a sub-list
    # a is a sub-list
    if b is None:
        return _cmp_item(a[0], None) if a else 0
    if isinstance(b, tuple):
        return _cmp_list(a, b)
    return -_cmp_item(b, a)


def _cmp_list(a: tuple[_Item, ...], b: tuple[_Item, ...]) -> int:
    for i in range(max(len(a), len(b))):
        result = _cmp_item(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
        if result:
            return result
    return 0


def _is_null(item: _Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, str):
        return _QUALIFIERS.get(item) == _RELEASE
    return not item


def _normalize(items: list[_Item]) -> tuple[_Item, ...]:
    while items and _is_null(items[-1]):
        items.pop()
    return tuple(items)


@cache
def _parse(text: str) -> tuple[_Item, ...]:
    """Split a version into nested items (``-`` opens a sub-list, as in Maven)."""
    stack: list[list[_Item]] = [[]]
    token = ""

    def flush() -> None:
        nonlocal token
        if token:
            stack[-1].append(int(token) if token.isdigit() else token)
        token = ""

    for ch in text.strip().lower():
        if ch == ".":
            flush()
        elif ch == "-":
            flush()
            stack.append([])
        elif token and ch.isdigit() != token[-1].isdigit():
            if ch.isdigit():
                token = _SHORTHANDS.get(token, token)
            flush()
            token = ch
        else:
            token += ch
    flush()
    while len(stack) > 1:
        inner = _normalize(stack.pop())
        stack[-1].append(inner)
    return _normalize(stack[0])


@total_ordering
class Version:
    """A version string with Jenkins' ordering; equal versions may differ in spelling."""

    __slots__ = ("_items", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._items = _parse(text)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return _cmp_list(self._items, other._items) == 0

    def __lt__(self, other: Version) -> bool:
        return _cmp_list(self._items, other._items) < 0

    def __hash__(self) -> int:
        return hash(self._items)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older than, equal to or newer than ``b``."""
    return _cmp_list(_parse(a), _parse(b))
