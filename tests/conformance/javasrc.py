"""A small, tolerant reader of Java source: the declarations Jenkins binds configuration to.

It is not a Java parser. It finds, per class (nested ones included): the superclass and its
type arguments, the interfaces, ``abstract``, the annotations that matter to Jenkins
(``@DataBoundConstructor``, ``@DataBoundSetter``, ``@Deprecated``, ``@Restricted``,
``@Symbol``, ``@Extension``), constructors, one-parameter ``set*`` methods, zero-parameter
``get*``/``is*`` methods and instance fields with their modifiers and declared types.
Method bodies are skipped by brace matching after comments, strings and character literals
are blanked out, so braces in any of them cannot derail it.

``scripts/jenkins-facts.py`` reads the pinned Jenkins sources with it; the tests in
``tests/conformance/test_javasrc.py`` pin its behaviour on the constructs those sources use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "JavaClass",
    "JavaFile",
    "Member",
    "Param",
    "blank_literals",
    "parse_java",
    "split_top",
]

_MODIFIERS = frozenset(
    {
        *("public", "protected", "private", "static", "final", "transient", "volatile"),
        *("abstract", "synchronized", "native", "default", "strictfp", "sealed", "non-sealed"),
    }
)
_DECL = re.compile(r"\b(class|interface|enum|record|@interface)\s+([A-Za-z_$][\w$]*)")
_ANNOTATION = re.compile(r"@\s*([A-Za-z_$][\w$.]*)")
_IDENT = r"[A-Za-z_$][\w$]*"


@dataclass(frozen=True)
class Param:
    """A method or constructor parameter: its name and declared type as written."""

    name: str
    type: str


@dataclass
class Member:
    """A constructor, method or field, with its annotations (simple names) and modifiers."""

    kind: str  # "constructor" | "method" | "field"
    name: str
    type: str  # field type / method return type ("" for constructors)
    params: list[Param]
    annotations: dict[str, str]  # simple name -> argument text ("" when none)
    modifiers: frozenset[str]
    line: int


@dataclass
class JavaClass:
    """One class, interface, enum or record declaration."""

    name: str  # simple name
    qualified: str  # package.Outer$Inner
    kind: str
    superclass: str  # as written, without type arguments ("" when none)
    super_args: list[str]
    interfaces: list[str]
    annotations: dict[str, str]
    modifiers: frozenset[str]
    line: int
    members: list[Member] = field(default_factory=list)
    nested: list[JavaClass] = field(default_factory=list)
    constants: list[str] = field(default_factory=list)  # enum constants
    outer: str = ""  # qualified name of the enclosing class

    @property
    def is_abstract(self) -> bool:
        return self.kind in ("interface", "@interface") or "abstract" in self.modifiers


@dataclass
class JavaFile:
    """A parsed compilation unit: package, imports and every class declared in it."""

    package: str
    imports: list[str]  # single-type imports, fully qualified
    wildcard_imports: list[str]  # packages (or classes) imported with .*
    classes: list[JavaClass]

    def all_classes(self) -> list[JavaClass]:
        out: list[JavaClass] = []
        stack = list(self.classes)
        while stack:
            cls = stack.pop(0)
            out.append(cls)
            stack[:0] = cls.nested
        return out


def blank_literals(text: str) -> tuple[str, list[str]]:
    """Comments become spaces (newlines kept); string literals become ``"#N"`` where N
    indexes the returned list of their contents; char literals become ``' '``.

    Offsets of everything else, and line numbers, are unchanged except inside strings.
    """
    out: list[str] = []
    strings: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' and text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            strings.append(text[i + 3 : j - 3])
            out.append(f'"#{len(strings) - 1}"' + "\n" * text[i:j].count("\n"))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            strings.append(_unescape(text[i + 1 : j]))
            out.append(f'"#{len(strings) - 1}"')
            i = j + 1
        elif c == "'":
            j = i + 1
            while j < n and text[j] != "'" and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append("' '")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out), strings


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside (), <>, [] and {}; parts are stripped, empty ones dropped."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, c in enumerate(text):
        if c in "(<[{":
            depth += 1
        elif c in ")>]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _match_close(text: str, start: int, open_: str, close: str) -> int:
    """Index just after the bracket closing the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _strip_annotations(header: str, strings: list[str]) -> tuple[str, dict[str, str]]:
    """Remove every annotation (with its arguments) from ``header``; return the rest and
    the annotations by simple name with their argument text (string literals restored)."""
    found: dict[str, str] = {}
    out: list[str] = []
    i = 0
    while True:
        m = _ANNOTATION.search(header, i)
        if m is None or m.group(1) == "interface":
            out.append(header[i:])
            break
        out.append(header[i : m.start()])
        end = m.end()
        rest = header[end:]
        args = ""
        stripped = rest.lstrip()
        if stripped.startswith("("):
            open_at = end + (len(rest) - len(stripped))
            close_at = _match_close(header, open_at, "(", ")")
            args = _restore(header[open_at + 1 : close_at - 1], strings)
            end = close_at
        found[m.group(1).rsplit(".", 1)[-1]] = args
        out.append(" ")
        i = end
    return "".join(out), found


def _restore(text: str, strings: list[str]) -> str:
    return re.sub(r'"#(\d+)"', lambda m: '"' + strings[int(m.group(1))] + '"', text)


def _erase_generics(text: str) -> str:
    """``Map<String, List<X>> name`` -> ``Map name`` (outermost type arguments removed)."""
    out: list[str] = []
    depth = 0
    for c in text:
        if c == "<":
            depth += 1
        elif c == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def _split_modifiers(text: str) -> tuple[frozenset[str], str]:
    words = text.split()
    mods: set[str] = set()
    while words and words[0] in _MODIFIERS:
        mods.add(words.pop(0))
    return frozenset(mods), " ".join(words)


def _params(text: str, strings: list[str]) -> list[Param]:
    params: list[Param] = []
    for part in split_top(text):
        part, _ = _strip_annotations(part, strings)
        _, part = _split_modifiers(part)
        part = part.replace("...", "[] ")
        m = re.match(rf"^(.*?)\s*\b({_IDENT})\s*((?:\[\s*\])*)$", part.strip(), re.S)
        if not m:
            continue
        params.append(Param(m.group(2), _norm_type(m.group(1) + m.group(3))))
    return params


def _norm_type(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"\s*([<>,\[\]&])\s*", r"\1", text)
    return text.replace(",", ", ")


class _Parser:
    def __init__(self, text: str, strings: list[str]) -> None:
        self.text = text
        self.strings = strings
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def line(self, offset: int) -> int:
        lo, hi = 0, len(self.line_starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid
        return lo + 1

    def body(self, start: int, end: int, cls: JavaClass | None, package: str) -> list[JavaClass]:
        """Parse the members between ``start`` and ``end`` (a class body, or the file)."""
        text = self.text
        classes: list[JavaClass] = []
        i = start
        if cls is not None and cls.kind == "enum":
            i = self._skip_enum_constants(start, end)
            for part in split_top(text[start:i].rstrip().rstrip(";")):
                part, _ = _strip_annotations(part, self.strings)
                m = re.match(rf"\s*({_IDENT})", part)
                if m:
                    cls.constants.append(m.group(1))
        member_start = i
        paren = 0
        while i < end:
            c = text[i]
            if c == "(":
                paren += 1
            elif c == ")":
                paren -= 1
            elif c == ";" and paren == 0:
                self._member(member_start, i, None, cls, package, classes)
                member_start = i + 1
            elif c == "{" and paren == 0:
                header = text[member_start:i]
                close = _match_close(text, i, "{", "}")
                if "=" in _erase_parens(header) or header.strip().endswith("->"):
                    # a field initializer holding a block (array, lambda, anonymous class)
                    semi = self._find_semicolon(close, end)
                    self._member(member_start, semi, None, cls, package, classes)
                    member_start = i = semi + 1
                    continue
                self._member(member_start, i, (i, close), cls, package, classes)
                member_start = i = close
                continue
            elif c == "}" and paren == 0:
                member_start = i + 1  # stray (should not happen at member level)
            i += 1
        return classes

    def _find_semicolon(self, start: int, end: int) -> int:
        depth = 0
        for j in range(start, end):
            c = self.text[j]
            if c in "({[":
                depth += 1
            elif c in ")}]":
                depth -= 1
            elif c == ";" and depth <= 0:
                return j
        return end

    def _skip_enum_constants(self, start: int, end: int) -> int:
        depth = 0
        for j in range(start, end):
            c = self.text[j]
            if c in "({[":
                depth += 1
            elif c in ")}]":
                depth -= 1
            elif c == ";" and depth == 0:
                return j + 1
        return end

    def _member(
        self,
        start: int,
        stop: int,
        block: tuple[int, int] | None,
        cls: JavaClass | None,
        package: str,
        classes: list[JavaClass],
    ) -> None:
        raw = self.text[start:stop]
        if not raw.strip():
            return
        offset = start + (len(raw) - len(raw.lstrip()))
        cut = _params_start(raw)
        header, annotations = _strip_annotations(raw[:cut], self.strings)
        header = (header + raw[cut:]).strip()
        decl = _DECL.search(header)
        if block is not None and decl is not None and "(" not in header[: decl.start()]:
            mods, _ = _split_modifiers(header[: decl.start()])
            nested = self._class(decl, header, annotations, mods, offset, block, cls, package)
            if cls is None:
                classes.append(nested)
            else:
                cls.nested.append(nested)
            return
        if cls is None:
            return  # package / import statements are read elsewhere
        if header in ("static", "") and block is not None:
            return  # initializer block
        if header.startswith("record ") or header.startswith("import "):
            return
        self._callable_or_field(header, annotations, offset, block, cls)

    def _class(
        self,
        decl: re.Match[str],
        header: str,
        annotations: dict[str, str],
        mods: frozenset[str],
        offset: int,
        block: tuple[int, int],
        outer: JavaClass | None,
        package: str,
    ) -> JavaClass:
        kind, name = decl.group(1), decl.group(2)
        rest = header[decl.end() :]
        if rest.lstrip().startswith("<"):
            lt = header.index("<", decl.end())
            rest = header[_match_close(header, lt, "<", ">") :]
        if kind == "record" and rest.lstrip().startswith("("):
            lp = header.index("(", decl.end())
            rest = header[_match_close(header, lp, "(", ")") :]
        superclass, super_args, interfaces = "", [], []
        ext = re.search(r"\bextends\s+(.*?)(?=\bimplements\b|\bpermits\b|$)", rest, re.S)
        impl = re.search(r"\bimplements\s+(.*?)(?=\bpermits\b|$)", rest, re.S)
        if ext:
            types = split_top(ext.group(1))
            if kind == "interface":
                interfaces.extend(_raw(t) for t in types)
            elif types:
                superclass = _raw(types[0])
                super_args = _type_args(types[0])
        if impl:
            interfaces.extend(_raw(t) for t in split_top(impl.group(1)))
        qualified = (
            f"{outer.qualified}${name}" if outer else (f"{package}.{name}" if package else name)
        )
        cls = JavaClass(
            name=name,
            qualified=qualified,
            kind=kind,
            superclass=superclass,
            super_args=super_args,
            interfaces=interfaces,
            annotations=annotations,
            modifiers=mods,
            line=self.line(offset),
            outer=outer.qualified if outer else "",
        )
        self.body(block[0] + 1, block[1] - 1, cls, package)
        return cls

    def _callable_or_field(
        self,
        header: str,
        annotations: dict[str, str],
        offset: int,
        block: tuple[int, int] | None,
        cls: JavaClass,
    ) -> None:
        mods, rest = _split_modifiers(header)
        if cls.kind in ("interface", "@interface"):
            if "(" in rest:
                mods = mods | {"public"}
                if block is None and "default" not in mods and "static" not in mods:
                    mods = mods | {"abstract"}
            else:
                mods = mods | {"public", "static", "final"}
        paren = rest.find("(")
        assign = _erase_parens(rest).find("=")
        if paren >= 0 and (assign < 0 or paren < assign):
            before = rest[:paren].strip()
            if before.startswith("<"):  # generic method: <T> T name(...)
                before = before[_match_close(before, 0, "<", ">") :].strip()
            close = _match_close(rest, paren, "(", ")")
            params = _params(rest[paren + 1 : close - 1], self.strings)
            m = re.search(rf"({_IDENT})$", before)
            if not m:
                return
            name = m.group(1)
            rtype = before[: m.start()].strip()
            kind = "constructor" if (not rtype and name == cls.name) else "method"
            if kind == "method" and not rtype:
                return  # something else (an enum constant body, an annotation element)
            cls.members.append(
                Member(kind, name, _norm_type(rtype), params, annotations, mods, self.line(offset))
            )
            return
        # a field: Type a [= x], b [= y];
        declarators = split_top(rest)
        if not declarators:
            return
        first = declarators[0]
        first_name = first.split("=", 1)[0].strip()
        m = re.match(rf"^(.*?)\s*\b({_IDENT})\s*((?:\[\s*\])*)$", first_name, re.S)
        if not m or not m.group(1).strip():
            return
        ftype = _norm_type(m.group(1) + m.group(3))
        names = [m.group(2)]
        for extra in declarators[1:]:
            n = re.match(rf"^\s*({_IDENT})", extra.split("=", 1)[0])
            if n:
                names.append(n.group(1))
        for name in names:
            cls.members.append(
                Member("field", name, ftype, [], annotations, mods, self.line(offset))
            )


def _params_start(text: str) -> int:
    """Where a declaration's own parenthesis opens (past the annotations' arguments): the
    annotations before it belong to the member, those after it to its parameters."""
    i = 0
    while i < len(text):
        m = _ANNOTATION.match(text, i)
        if m is not None and m.group(1) != "interface":
            i = m.end()
            rest = text[i:]
            stripped = rest.lstrip()
            if stripped.startswith("("):
                i = _match_close(text, i + len(rest) - len(stripped), "(", ")")
            continue
        if text[i] == "(":
            return i
        i += 1
    return len(text)


def _erase_parens(text: str) -> str:
    out: list[str] = []
    depth = 0
    for c in text:
        if c in "(<":
            depth += 1
        elif c in ")>":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
    return "".join(out)


def _raw(type_text: str) -> str:
    return _norm_type(_erase_generics(type_text))


def _type_args(type_text: str) -> list[str]:
    lt = type_text.find("<")
    if lt < 0:
        return []
    close = _match_close(type_text, lt, "<", ">")
    return [_norm_type(a) for a in split_top(type_text[lt + 1 : close - 1])]


def parse_java(source: str) -> JavaFile:
    """Parse one ``.java`` file's text."""
    text, strings = blank_literals(source)
    pkg = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M)
    package = pkg.group(1) if pkg else ""
    imports: list[str] = []
    wildcards: list[str] = []
    for m in re.finditer(r"^\s*import\s+(static\s+)?([\w.]+)(\.\*)?\s*;", text, re.M):
        if m.group(1):
            continue
        (wildcards if m.group(3) else imports).append(m.group(2))
    parser = _Parser(text, strings)
    classes = parser.body(0, len(text), None, package)
    return JavaFile(package=package, imports=imports, wildcard_imports=wildcards, classes=classes)
