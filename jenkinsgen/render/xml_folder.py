"""config.xml of a folder (``com.cloudbees.hudson.plugins.folder.Folder``).

Only what a new folder needs: Jenkins fills in the default "All" view and tab bar when it
loads a folder without them, and a folder's children live beside config.xml (``jobs/``),
so posting this file to an existing folder never touches its jobs.
"""

from __future__ import annotations

import threading

from lxml import etree

from jenkinsgen.render.xml_build import FOLDER_PLUGIN, sub
from jenkinsgen.render.xml_text import serialize, xml_text

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


_LOCAL = threading.local()


def folder_xml(description: str, where: str) -> bytes:
    """The folder's config.xml; ``description`` already ends with the marker line.

    One tree per thread is reused: only the description differs, and it is set every call.
    """
    text = xml_text(description, f"{where}: description")
    root: etree._Element | None = getattr(_LOCAL, "root", None)
    if root is None:
        root = _LOCAL.root = _build_skeleton()
    root[_DESCRIPTION].text = text
    return serialize(root)
