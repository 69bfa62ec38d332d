"""XML 1.1 text handling shared by every config.xml writer (and reader).

Jenkins writes and reads ``config.xml`` as XML 1.1 (XStream's StAX driver). XML 1.1 can
carry control characters such as U+0001, but only as character references (``&#1;``), and
it folds U+0085 and U+2028 into line feeds unless they are references too. lxml refuses
such characters in text, so user text is *encoded* before it enters the tree: each such
character (and the sentinel itself) becomes ``SENTINEL + "<code>;"``, and :func:`serialize`
turns those runs into character references in the final bytes. The mapping is one-to-one,
so what Jenkins reads back is exactly the original text. U+0000, U+FFFE, U+FFFF and lone
surrogates cannot be represented in any XML and are refused with a :class:`RenderError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from jenkinsgen.errors import RenderError
from jenkinsgen.render.slots import Slots, marker

#: What Jenkins itself puts at the top of every config.xml.
XML_DECLARATION = b"<?xml version='1.1' encoding='UTF-8'?>\n"

#: A noncharacter that XML allows as raw text; marks an encoded character reference.
SENTINEL = "\U0010fffe"
_SENTINEL_BYTES = SENTINEL.encode("utf-8")

# Characters XML 1.1 only allows as references, the two it would normalise to "\n",
# and the sentinel itself (so user text holding it still round-trips).
_NEEDS_REF = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028" + SENTINEL + "]")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff\ufffe\uffff]")
# Everything above in one class: a single scan of ordinary text finds nothing and returns.
_UNUSUAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\ud800-\udfff\ufffe\uffff" + SENTINEL + "]"
)
_ENCODED = re.compile(re.escape(_SENTINEL_BYTES) + rb"([0-9]+);")
_REF = re.compile(rb"&#(x[0-9a-fA-F]+|[0-9]+);")


#: Bytes of ordinary ASCII text (printable, tab, newline, carriage return).
_PLAIN_ASCII = bytes([9, 10, 13, *range(32, 127)])


def xml_text(value: str, where: str) -> str:
    """``value`` ready to be set as lxml text; ``where`` names the item and field in errors."""
    if value.isascii():
        if not value.encode("ascii").translate(None, _PLAIN_ASCII):
            return value
    elif _UNUSUAL.search(value) is None:
        return value
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        raise RenderError(
            f"{where}: character U+{ord(bad.group()):04X} cannot be written to config.xml "
            "(XML has no way to hold it)"
        )
    if _NEEDS_REF.search(value) is None:
        return value
    return _NEEDS_REF.sub(lambda m: f"{SENTINEL}{ord(m.group())};", value)


def serialize(root: etree._Element) -> bytes:
    """The config.xml bytes of ``root``: Jenkins' declaration, UTF-8, two-space indent."""
    return XML_DECLARATION + _references(etree.tostring(root, encoding="UTF-8", pretty_print=True))


def _references(data: bytes) -> bytes:
    """``data`` with each character :func:`xml_text` encoded as a character reference."""
    if _SENTINEL_BYTES in data:
        return _ENCODED.sub(lambda m: b"&#" + m.group(1) + b";", data)
    return data


def escape_text(text: bytes) -> bytes:
    """UTF-8 ``text`` (from :func:`xml_text`) as libxml2 writes the text of an element:
    ``&``, ``<``, ``>`` and carriage return as references, every other character as it is.
    (Bytes: ``bytes.replace`` is several times faster than ``str.replace`` here, and no byte
    of a multi-byte UTF-8 character is ASCII.)"""
    if b"&" in text:
        text = text.replace(b"&", b"&amp;")
    if b"<" in text:
        text = text.replace(b"<", b"&lt;")
    if b">" in text:
        text = text.replace(b">", b"&gt;")
    if b"\r" in text:
        text = text.replace(b"\r", b"&#13;")
    return text


def tree_slots(root: etree._Element, elements: Mapping[str, etree._Element]) -> Slots[bytes]:
    """The config.xml of ``root`` with the text of each of ``elements`` (by slot name) as a
    slot, for :func:`fill_slots` (``root`` is left with the markers as those texts)."""
    for name, element in elements.items():
        element.text = marker(name)
    return Slots(serialize(root), {name: marker(name).encode() for name in elements})


def fill_slots(slots: Slots[bytes], texts: Mapping[str, str]) -> bytes:
    """What :func:`serialize` gives for the tree of ``slots`` with these element texts (each
    from :func:`xml_text`), without building or serializing a tree."""
    filled = slots.fill({name: escape_text(texts[name].encode("utf-8")) for name in slots.names})
    # Only the texts can hold encoded references (``in`` returns at once on an ASCII str).
    if any(SENTINEL in texts[name] for name in slots.names):
        return _references(filled)
    return filled


def _ref_to_sentinel(match: re.Match[bytes]) -> bytes:
    raw = match.group(1)
    code = int(raw[1:], 16) if raw[:1] in (b"x", b"X") else int(raw)
    char = chr(code)
    if _NEEDS_REF.fullmatch(char) is None:
        return match.group(0)
    return _SENTINEL_BYTES + str(code).encode() + b";"


def element_text(el: etree._Element) -> str:
    """The text of ``el`` as Jenkins reads it (decodes what :func:`parse_config_xml` kept)."""
    text = el.text or ""
    if SENTINEL not in text:
        return text
    return re.sub(SENTINEL + "([0-9]+);", lambda m: chr(int(m.group(1))), text)


def parse_config_xml(data: bytes) -> etree._Element:
    """Parse a config.xml as Jenkins would, including XML 1.1 character references.

    libxml2 only speaks XML 1.0 and lxml refuses control characters in text, so references
    it cannot hold stay in the sentinel encoding; read text with :func:`element_text`.
    Raises :class:`RenderError` when the document is not well-formed.
    """
    prepared = _REF.sub(_ref_to_sentinel, data) if b"&#" in data else data
    try:
        return etree.fromstring(prepared, etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise RenderError(f"config.xml is not well-formed: {exc}") from exc
