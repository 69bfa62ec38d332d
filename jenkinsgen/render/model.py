"""What rendering produces: items with their config.xml (and Jenkinsfile), in memory.

Sync (``apply``/``diff``) consumes the same objects that ``render`` writes to disk, so
what is applied is exactly what ``render`` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from jenkinsgen.plan import ItemPath

ItemKind = Literal["folder", "pipeline", "multibranch", "seed", "scan"]

#: Every description of a managed item carries this marker line (see ``marker_line``).
MARKER_PREFIX = "managed-by: jenkinsgen"


@dataclass(frozen=True)
class RenderedItem:
    """One Jenkins item ready to be written or applied.

    ``digest`` is the sha256 (hex) of the item's own rendered content; it is embedded in the
    description's marker line, so a single tree query tells whether the live job is current.
    ``jenkinsfile`` is the Jenkinsfile written beside config.xml (for a multibranch project,
    the one to commit into the service repository). ``owner`` is the owner in this item's
    marker: the spec's root folder, except for the folders *above* it (``teams`` of
    ``teams/payments``), which several specs share and whose marker names the folder itself.
    """

    path: ItemPath
    kind: ItemKind
    config_xml: bytes
    digest: str
    jenkinsfile: str | None = None
    owner: str = ""

    @property
    def full_name(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class Rendered:
    """All items of one spec, parents before children; ``owner`` identifies the spec
    (its root folder) in every marker, so prune never touches another spec's items."""

    owner: str
    items: tuple[RenderedItem, ...]
    #: Files beside the jobs (relative POSIX path, bytes), e.g. ``casc/agents.yaml``.
    extra_files: tuple[tuple[str, bytes], ...] = ()
