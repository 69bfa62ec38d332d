"""config.xml of a folder (``com.cloudbees.hudson.plugins.folder.Folder``).

Only what a new folder needs: Jenkins fills in the default "All" view and tab bar when it
loads a folder without them, and a folder's children live beside config.xml (``jobs/``),
so posting this file to an existing folder never touches its jobs.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from jenkinsgen.render.slots import Slots
from jenkinsgen.render.xml_build import FOLDER_PLUGIN, sub
from jenkinsgen.render.xml_text import fill_slots, serialize, tree_slots, xml_text

FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"
_DESCRIPTION = 1


def _build_skeleton() -> etree._Element:
    root = etree.Element(FOLDER_CLASS, plugin=FOLDER_PLUGIN)
    sub(root, "actions")
    sub(root, "description")
    sub(root, "properties")
    sub(root, "healthMetrics")
    sub(root, "icon", **{"class": "com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon"})
    assert root[_DESCRIPTION].tag == "description"
    return root


@cache
def _slots() -> Slots[bytes]:
    """The folder's config.xml with its description as a slot (made once per process)."""
    root = _build_skeleton()
    return tree_slots(root, {"description": root[_DESCRIPTION]})


def folder_xml(description: str, where: str) -> bytes:
    """The folder's config.xml; ``description`` already ends with the marker line. Folders
    differ only in it: it is filled into the slot of one tree serialized once."""
    return fill_slots(_slots(), {"description": xml_text(description, f"{where}: description")})


def folder_xml_tree(description: str, where: str) -> bytes:
    """:func:`folder_xml` the general way, a tree serialized by lxml (tests compare them)."""
    root = _build_skeleton()
    root[_DESCRIPTION].text = xml_text(description, f"{where}: description")
    return serialize(root)
