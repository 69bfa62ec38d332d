"""Generated sections of Markdown files: text between ``<!-- NAME:begin ... -->`` and
``<!-- NAME:end -->`` is replaced by what a generator produces (``make docs``), and tests
compare each section with a fresh rendering so documentation cannot go stale."""

from __future__ import annotations

from pathlib import Path

from jenkinsgen.atomic import write_atomic

__all__ = ["read_section", "write_section"]


def _bounds(text: str, name: str, where: str) -> tuple[int, int]:
    begin_mark, end_mark = f"<!-- {name}:begin", f"<!-- {name}:end -->"
    try:
        begin = text.index("-->", text.index(begin_mark)) + 3
        end = text.index(end_mark, begin)
    except ValueError:
        raise ValueError(f"{where}: no {begin_mark} ... {end_mark} section") from None
    return begin, end


def read_section(path: Path, name: str) -> str:
    """The text of section ``name`` of ``path``, without surrounding blank lines."""
    text = path.read_text(encoding="utf-8")
    begin, end = _bounds(text, name, str(path))
    return text[begin:end].strip()


def write_section(path: Path, name: str, body: str) -> None:
    """Replace section ``name`` of ``path`` with ``body`` (atomically: temp file + rename)."""
    text = path.read_text(encoding="utf-8")
    begin, end = _bounds(text, name, str(path))
    new = text[:begin] + "\n\n" + body.strip() + "\n\n" + text[end:]
    write_atomic(path, new)
