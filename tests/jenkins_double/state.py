"""The controller's items (folders and jobs) and how Jenkins stores and exports them.

Jenkins keeps each item as a Java object and re-serialises ``config.xml`` with XStream, so
what comes back from ``GET config.xml`` is never byte-identical to what was posted: the
declaration says ``version='1.1'`` and the document is re-indented. :func:`reserialise` does
the same, so clients that compare bytes fail against the double as they would against Jenkins.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"
MULTIBRANCH_CLASS = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"

#: config.xml root element → the item's Java class (``_class`` in the JSON API).
ROOT_CLASSES = {
    "flow-definition": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
    "project": "hudson.model.FreeStyleProject",
    FOLDER_CLASS: FOLDER_CLASS,
    MULTIBRANCH_CLASS: MULTIBRANCH_CLASS,
    "jenkins.branch.OrganizationFolder": "jenkins.branch.OrganizationFolder",
}
#: Classes that are item groups (nest ``jobs``); only a plain Folder accepts createItem.
GROUP_CLASSES = {FOLDER_CLASS, MULTIBRANCH_CLASS, "jenkins.branch.OrganizationFolder"}

UNSAFE_NAME_CHARS = "?*/\\%!@#$^&|<>[]:;"


class BadConfig(Exception):
    """config.xml that Jenkins could not load (it answers 500)."""


def reserialise(config_xml: bytes) -> tuple[bytes, str, str]:
    """Parse ``config_xml`` as Jenkins would and return (stored bytes, class, description)."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(_as_xml10(config_xml), parser)
    except etree.XMLSyntaxError as exc:
        raise BadConfig(f"Failed to parse config.xml: {exc}") from exc
    tag = root.tag if isinstance(root.tag, str) else ""
    cls = ROOT_CLASSES.get(tag)
    if cls is None:
        raise BadConfig(f"Unable to read config.xml: unknown element {tag!r}")
    desc_el = root.find("description")
    description = _from_placeholders(desc_el.text or "") if desc_el is not None else ""
    _add_what_jenkins_adds(root, cls)
    out: list[str] = ["<?xml version='1.1' encoding='UTF-8'?>\n"]
    _write(root, 0, out)
    return "".join(out).encode("utf-8"), cls, description


#: The version the double reports for every plugin in ``plugin="name@version"``.
PLUGIN_VERSION = "1.0-double"
_FOLDER_VIEWS = (
    '<folderViews class="com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder">'
    "<views><hudson.model.AllView>"
    '<owner class="com.cloudbees.hudson.plugins.folder.Folder" reference="../../../.."/>'
    "<name>All</name><filterExecutors>false</filterExecutors><filterQueue>false</filterQueue>"
    '<properties class="hudson.model.View$PropertyList"/>'
    '</hudson.model.AllView></views><tabBar class="hudson.views.DefaultViewsTabBar"/>'
    "</folderViews>"
)


def _add_what_jenkins_adds(root: etree._Element, cls: str) -> None:
    """What XStream writes that nobody posted: the installed version in each ``plugin``
    attribute, a pipeline job's default ``<triggers/>`` and ``<disabled>``, a folder's
    default view holder."""
    for el in root.iter():
        plugin = el.get("plugin")
        if plugin is not None and "@" not in plugin:
            el.set("plugin", f"{plugin}@{PLUGIN_VERSION}")
    if root.tag == "flow-definition":
        if root.find("triggers") is None:
            etree.SubElement(root, "triggers")
        if root.find("disabled") is None:
            etree.SubElement(root, "disabled").text = "false"
    if cls in GROUP_CLASSES and root.find("folderViews") is None:
        views = etree.fromstring(_FOLDER_VIEWS)
        props = root.find("properties")
        if props is not None:
            props.addnext(views)
        else:
            root.append(views)


def _write(el: etree._Element, level: int, out: list[str]) -> None:
    """XStream's PrettyPrintWriter: two-space indent, ``<x/>`` when empty, and text with
    quotes and apostrophes escaped as entities (``&quot;`` ``&apos;``)."""
    pad = "  " * level
    attrs = "".join(f' {k!s}="{_escape(str(v), attr=True)}"' for k, v in el.attrib.items())
    children = [c for c in el if isinstance(c.tag, str)]
    text = el.text or ""
    if not children and not text:
        out.append(f"{pad}<{el.tag}{attrs}/>\n")
    elif not children:
        out.append(f"{pad}<{el.tag}{attrs}>{_escape(text)}</{el.tag}>\n")
    else:
        out.append(f"{pad}<{el.tag}{attrs}>\n")
        for child in children:
            _write(child, level + 1, out)
        out.append(f"{pad}</{el.tag}>\n")


def _escape(text: str, attr: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("\r", "&#xd;")
    if _UNUSUAL.search(text):
        text = _UNUSUAL.sub(_char_ref, text)
    return text if attr else text.replace("'", "&apos;")


# XML 1.1 (what Jenkins reads and writes) holds the C0 controls as character references;
# libxml2 reads only XML 1.0, which has no way to hold them. The double parses such a
# reference as a private-use placeholder (U+F0000 + code) and writes it back as XStream's
# PrettyPrintWriter does: ISO controls and undefined characters as ``&#x..;``.
_C0_REF = re.compile(
    rb"&#(?:x0*([1-8bcefBCEF]|1[0-9a-fA-F])|0*([1-8]|1[1-2]|1[4-9]|2[0-9]|3[01]));"
)
_PLACEHOLDER = 0xF0000
_UNUSUAL = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]")


def _c0_to_placeholder(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return chr(_PLACEHOLDER + code).encode("utf-8")


def _from_placeholders(text: str) -> str:
    return re.sub("[\U000f0001-\U000f001f]", lambda m: chr(ord(m.group()) - _PLACEHOLDER), text)


def _char_ref(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if _PLACEHOLDER < code < _PLACEHOLDER + 0x20:
        return f"&#x{code - _PLACEHOLDER:x};"
    if unicodedata.category(ch) in ("Cc", "Cn"):
        return f"&#x{code:x};"
    return ch


def _as_xml10(data: bytes) -> bytes:
    """libxml2 reads XML 1.1 declarations poorly; Jenkins' own output uses one."""
    if b"&#" in data:
        data = _C0_REF.sub(_c0_to_placeholder, data)
    head = data[:64]
    for old in (b"version='1.1'", b'version="1.1"'):
        if old in head:
            return data.replace(old, b"version='1.0'", 1)
    return data


@dataclass
class Item:
    """A folder or job. ``children`` is only used by item groups."""

    name: str
    config_xml: bytes
    cls: str
    description: str
    parent: Item | None = None
    children: dict[str, Item] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.cls in GROUP_CLASSES

    @property
    def accepts_items(self) -> bool:
        return self.cls == FOLDER_CLASS

    @property
    def path(self) -> tuple[str, ...]:
        out: list[str] = []
        node: Item | None = self
        while node is not None and node.parent is not None:
            out.append(node.name)
            node = node.parent
        return tuple(reversed(out))

    @property
    def full_name(self) -> str:
        return "/".join(self.path)

    def url_path(self) -> str:
        return "".join(f"job/{n}/" for n in self.path)

    def walk(self) -> Iterator[Item]:
        """Every descendant, parents before children."""
        for child in self.children.values():
            yield child
            yield from child.walk()


class ItemTree:
    """All items under the root object, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.root = Item("", b"", "hudson.model.Hudson", "")

    def find(self, path: tuple[str, ...]) -> Item | None:
        node = self.root
        for name in path:
            nxt = node.children.get(name)
            if nxt is None:
                return None
            node = nxt
        return node

    def create(self, parent: Item, name: str, config_xml: bytes) -> Item:
        """Add an item (the caller checked name and existence)."""
        stored, cls, description = reserialise(config_xml)
        item = Item(name, stored, cls, description, parent)
        parent.children[name] = item
        return item

    def update(self, item: Item, config_xml: bytes) -> None:
        """``updateByXml``: the item keeps its children; class changes are refused."""
        stored, cls, description = reserialise(config_xml)
        if cls != item.cls:
            raise BadConfig(f"Expecting class {item.cls} but got {cls}")
        item.config_xml, item.description = stored, description

    def delete(self, item: Item) -> None:
        assert item.parent is not None
        del item.parent.children[item.name]

    def all_items(self) -> list[Item]:
        return list(self.root.walk())


def check_good_name(name: str) -> str | None:
    """Jenkins.checkGoodName: the Failure message, or None when the name is fine."""
    if not name.strip():
        return "No name is specified"
    for ch in name:
        if ch in UNSAFE_NAME_CHARS:
            return f"\u2018{ch}\u2019 is an unsafe character"
    if name in (".", ".."):
        return f"\u201c{name}\u201d is not an allowed name"
    return None
