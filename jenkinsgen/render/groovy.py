"""Escaping filters: the only way a spec value reaches a Jenkinsfile.

Every value is emitted as a single-quoted Groovy string literal (no interpolation), built so
that it cannot be broken out of:

* ``\\`` becomes ``\\\\`` and ``'`` becomes ``\\'``, so the literal ends only where we end it;
* control characters become escapes, so the text of a Jenkinsfile holds no raw control
  character but newlines (it can be embedded in XML 1.0); a value with newlines is written as a
  triple-quoted literal holding its lines as they are, for readability;
* other non-ASCII characters are written as they are (UTF-8), never as ``\\uXXXX``.

Groovy, like Java, replaces ``\\uXXXX`` sequences in the source *before* it lexes it
(``UnicodeEscapingReader``): ``'\\u0027'`` in source text is a quote that ends the literal. Its
reader only starts such an escape at a backslash that is not itself the second half of an
escaped backslash, so doubling every backslash of a value means no ``\\u`` escape can form from
user text; the escapes this module writes itself are complete and stand for the very character
they replace. U+FFFF cannot be carried at all (Groovy 2.4's ANTLR lexer reads it as end of
input), so it is refused with a RenderError, and so are lone surrogates (not text; a
Jenkinsfile is UTF-8).

Shell text that jenkinsgen composes around user values uses :func:`sh_quote` (POSIX single
quotes), and the composed script then goes through :func:`groovy_str` like any other value.
"""

from __future__ import annotations

import re
import shlex

from jenkinsgen.errors import RenderError

_SIMPLE = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}

#: Characters written as an escape: the simple ones above, C0/C1 controls, DEL, the Unicode line
#: and paragraph separators and the noncharacter U+FFFE (XML 1.0 forbids it).
_NEEDS_ESCAPE = re.compile("[\\\\'\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe]")
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Values of ``environment { }`` entries must not hold these: Declarative Pipeline expands
#: ``$NAME`` / ``${NAME}`` references in them even when the literal is single-quoted.
_ENV_FORBIDDEN = re.compile(r"[$\\'\"`\x00-\x1f\x7f]")


_TRIPLE = "'" * 3


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    simple = _SIMPLE.get(char)
    if simple is not None:
        return simple
    return f"\\u{ord(char):04x}"


def groovy_str(value: object) -> str:
    """``value`` (a str) as a single-quoted Groovy string literal that evaluates to it exactly.

    Plain text (printable ASCII without a backslash or a quote: names, URLs, most commands)
    needs no escape, so it is quoted at once; everything else takes :func:`groovy_str_slow`.
    Both give the same literal (a property test checks it).
    """
    if (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and "'" not in value
        and "\\" not in value
    ):
        return "'" + value + "'"
    return groovy_str_slow(value)


def groovy_str_slow(value: object) -> str:
    """:func:`groovy_str` for any value: escapes what needs it, refuses what cannot be carried."""
    if not isinstance(value, str):
        raise RenderError(f"expected a string for a Groovy literal, got {type(value).__name__}")
    if "\uffff" in value:
        raise RenderError(
            "U+FFFF cannot appear in a Jenkinsfile (Groovy's parser reads it as end of input)"
        )
    surrogate = _SURROGATE.search(value)
    if surrogate is not None:
        raise RenderError(
            f"{value!r} holds a lone surrogate (U+{ord(surrogate.group(0)):04X}), not text"
        )
    if "\n" not in value:
        return "'" + _NEEDS_ESCAPE.sub(_escape, value) + "'"
    # Several lines: a triple-quoted literal keeps them readable. Every quote is still escaped,
    # so nothing can close it early; every backslash is doubled, so none continues a line.
    lines = value.split("\n")
    return _TRIPLE + "\n".join(_NEEDS_ESCAPE.sub(_escape, line) for line in lines) + _TRIPLE


def groovy_int(value: object) -> str:
    """An integer as a Groovy number literal; anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RenderError(f"expected an integer, got {value!r}")
    return str(value)


def groovy_env(value: object) -> str:
    """A value for a Declarative ``environment { }`` entry, as a Groovy literal.

    Declarative expands ``$`` references inside these values (it re-evaluates them as Groovy
    strings), so values that could be expanded or re-read differently (``$``, backslashes,
    quotes, backticks, control characters) are refused rather than altered. Only validated
    names, image references and URLs are ever passed this way; a URL can percent-encode them.
    """
    if not isinstance(value, str):
        raise RenderError(f"expected a string for an environment value, got {type(value).__name__}")
    bad = _ENV_FORBIDDEN.search(value)
    if bad is not None:
        raise RenderError(
            f"{value!r} cannot be passed as a pipeline environment value "
            f"(it contains {bad.group(0)!r}, which Declarative would re-read; "
            "percent-encode it in a URL)"
        )
    return groovy_str(value)


def sh_quote(value: object) -> str:
    """``value`` as one POSIX shell word that the shell reads back exactly (single quotes)."""
    if not isinstance(value, str):
        raise RenderError(f"expected a string for a shell word, got {type(value).__name__}")
    return shlex.quote(value)


#: The filters a template may end a ``{{ }}`` expression with (tests enforce it).
FILTERS = {
    "groovy_str": groovy_str,
    "groovy_int": groovy_int,
    "groovy_env": groovy_env,
    "sh_quote": sh_quote,
}
