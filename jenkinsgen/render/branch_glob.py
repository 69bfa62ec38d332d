"""An environment's branch glob as a regular expression: which pushed branches it accepts.

A per-environment job whose environment has a glob (``release/*``) builds the very branch a
push names. Which names the glob accepts follows Declarative's ``when { branch pattern: ...,
comparator: 'GLOB' }`` (pipeline-model-definition's ``Comparator.GLOB``, Ant's
``SelectorUtils.matchPath``), the condition the multibranch layout deploys by, with Ant's path
rules:

* the glob and the name are split at ``/`` into segments (empty segments dropped);
* ``*`` matches any characters within one segment (never ``/``), ``?`` exactly one;
* a segment that is exactly ``**`` matches any number of whole segments, none included
  (``release/**`` accepts ``release``, ``release/1`` and ``release/1/x``); ``**`` inside a
  segment (``rel**``) is just ``*``.

Two deliberate differences, both narrowing: letters are compared **case-sensitively** (Git
branch names are; Declarative's GLOB ignores case), and a pushed name must consist of the
characters an exact branch of the spec may hold (letters, digits, ``.``, ``_``, ``+``, ``-``
and ``/``), must not start with ``-`` and must not contain ``..``. The name later reaches the
git plugin, which expands ``$VAR`` in branch names, and git's command line, where a leading
``-`` could pass for an option (git refuses such branch names anyway); every other character a
Git ref may hold (``$``, quotes, ``;``, backticks, ``(``...) is refused rather than carried.

The same expression (Java and Python regex syntax alike) is used twice: after ``refs/heads/``
in the push trigger's filter, and in the Jenkinsfile's check of the branch it is asked to
build (``String.matches``), which is the check that counts: the trigger's filter text is
rendered by substituting variables into it, so a crafted ref could look different there.
"""

from __future__ import annotations

import re

__all__ = ["NAME_CHARS_HINT", "branch_regex"]

#: What a pushed branch name may hold, in words (for messages and docs).
NAME_CHARS_HINT = "letters, digits, . _ + - and /, not starting with -, without .."

_CHARS = "A-Za-z0-9._+"  # and '-', written last in a class so it is no range
_CHAR = f"[{_CHARS}-]"
_SEGMENT = f"{_CHAR}+"
#: Every accepted name: does not start with '-', holds no '..' (scanned over name characters
#: only, so the check stops where the name ends in a longer text).
_GUARD = rf"(?!-)(?![{_CHARS}/-]*\.\.)"
_DEEP = "**"


def _segment(token: str) -> str:
    """One segment of the glob: ``*`` any run of name characters, ``?`` one of them."""
    if set(token) == {"*"}:
        return _SEGMENT  # a segment is never empty
    out: list[str] = []
    for char in token:
        if char == "*":
            if not out or out[-1] != f"{_CHAR}*":
                out.append(f"{_CHAR}*")
        elif char == "?":
            out.append(_CHAR)
        else:
            out.append(re.escape(char))
    return "".join(out)


def branch_regex(glob: str) -> str:
    """The regular expression a whole pushed branch name (``release/1.2``, no ``refs/heads/``)
    must match for ``glob``: anchor it at both ends (``String.matches``, ``re.fullmatch``) or
    follow it with a character no name holds."""
    tokens: list[str] = []
    for token in glob.split("/"):
        if token and not (token == _DEEP and tokens and tokens[-1] == _DEEP):
            tokens.append(token)
    body: list[str] = []
    need_slash = False  # whether the next plain segment must be preceded by '/'
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if token != _DEEP:
            body.append(("/" if need_slash else "") + _segment(token))
            need_slash = True
        elif last and need_slash:
            body.append(f"(?:/{_SEGMENT})*")
        elif last:
            body.append(f"{_SEGMENT}(?:/{_SEGMENT})*")  # the glob is just '**'
        else:
            body.append(("/" if need_slash else "") + f"(?:{_SEGMENT}/)*")
            need_slash = False
    return _GUARD + "".join(body)
