"""Small lxml helpers shared by the folder, pipeline and multibranch writers."""

from __future__ import annotations

from lxml import etree

#: Plugin short names written in ``plugin=`` attributes (no version: Jenkins uses the
#: attribute only to name a missing plugin, and any installed version reads these elements).
WORKFLOW_JOB = "workflow-job"
WORKFLOW_CPS = "workflow-cps"
FOLDER_PLUGIN = "cloudbees-folder"
MULTIBRANCH = "workflow-multibranch"
BRANCH_API = "branch-api"
GIT = "git"


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append ``<tag attrs>text</tag>`` to ``parent`` and return it."""
    el = etree.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def owner_ref(parent: etree._Element, owner_class: str, reference: str) -> etree._Element:
    """XStream's back reference to the enclosing project (``<owner class=.. reference=..>``)."""
    return sub(parent, "owner", **{"class": owner_class, "reference": reference})
