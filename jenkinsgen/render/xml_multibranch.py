"""config.xml of a multibranch project (``WorkflowMultiBranchProject``).

One project per service with a git branch source: ``remote`` is the service repository,
``credentialsId`` its (optional) credentials, and the traits discover branches and, when
every environment's branch can be written as a wildcard (``develop``, ``release/*``), keep
only those branches, so a feature branch does not get a job. The filter (scm-api's
``WildcardSCMHeadFilterTrait``) turns ``*`` into "any characters, ``/`` included", so for such
globs it is wider than the Jenkinsfile's ``when { branch ..., comparator: 'GLOB' }``, which
then decides. A glob using ``?`` or ``[...]`` cannot be said in the filter, and a ``**``
segment can match no segment at all (``release/**`` matches ``release``), which the filter's
``release/.*`` would not let through; for those every branch is discovered and the ``when``
alone chooses the environment stages.

Pushes reach the project through its scan job (``<service>-scan``, rendered with
``defaults.push_credentials``): the push webhook starts that pipeline job, which schedules a
scan of this project (a multibranch project cannot carry the Generic Webhook Trigger itself,
and the git plugin's ``notifyCommit`` needs an access token no rendered file can configure).
A daily ``PeriodicFolderTrigger`` re-indexes as a safety net for a missed hook.
``WorkflowBranchProjectFactory`` reads ``Jenkinsfile`` from the root of each branch.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from jenkinsgen.render.xml_build import (
    BRANCH_API,
    FOLDER_PLUGIN,
    GIT,
    MULTIBRANCH,
    owner_ref,
    sub,
)
from jenkinsgen.render.xml_text import serialize, xml_text

PROJECT_CLASS = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
SCRIPT_PATH = "Jenkinsfile"
_DAY_MS = str(24 * 60 * 60 * 1000)


def wildcard_includes(branches: Sequence[str]) -> str | None:
    """The wildcard filter for ``branches`` (space separated), or None if one needs more."""
    if any(ch in b for b in branches for ch in "?[]"):
        return None
    if any("**" in b.split("/") for b in branches):
        return None
    return " ".join(dict.fromkeys(branches))


def multibranch_xml(
    description: str,
    source_id: str,
    remote: str,
    credentials_id: str | None,
    branches: Sequence[str],
    where: str,
) -> bytes:
    """The project's config.xml; ``description`` already ends with the marker line."""
    root = etree.Element(PROJECT_CLASS, plugin=MULTIBRANCH)
    sub(root, "actions")
    sub(root, "description", xml_text(description, f"{where}: description"))
    sub(root, "properties")
    views = sub(
        root,
        "folderViews",
        **{"class": "jenkins.branch.MultiBranchProjectViewHolder", "plugin": BRANCH_API},
    )
    owner_ref(views, PROJECT_CLASS, "../..")
    sub(root, "healthMetrics")
    icon = sub(
        root, "icon", **{"class": "jenkins.branch.MetadataActionFolderIcon", "plugin": BRANCH_API}
    )
    owner_ref(icon, PROJECT_CLASS, "../..")
    orphans = sub(
        root,
        "orphanedItemStrategy",
        **{
            "class": "com.cloudbees.hudson.plugins.folder.computed.DefaultOrphanedItemStrategy",
            "plugin": FOLDER_PLUGIN,
        },
    )
    sub(orphans, "pruneDeadBranches", "true")
    sub(orphans, "daysToKeep", "-1")
    sub(orphans, "numToKeep", "-1")
    sub(orphans, "abortBuilds", "false")
    triggers = sub(root, "triggers")
    periodic = sub(
        triggers,
        "com.cloudbees.hudson.plugins.folder.computed.PeriodicFolderTrigger",
        plugin=FOLDER_PLUGIN,
    )
    sub(periodic, "spec", "H H * * *")
    sub(periodic, "interval", _DAY_MS)
    sub(root, "disabled", "false")
    sources = sub(
        root,
        "sources",
        **{"class": "jenkins.branch.MultiBranchProject$BranchSourceList", "plugin": BRANCH_API},
    )
    branch_source = sub(sub(sources, "data"), "jenkins.branch.BranchSource")
    source = sub(
        branch_source, "source", **{"class": "jenkins.plugins.git.GitSCMSource", "plugin": GIT}
    )
    sub(source, "id", xml_text(source_id, f"{where}: source id"))
    sub(source, "remote", xml_text(remote, f"{where}: repo"))
    if credentials_id is not None:
        sub(source, "credentialsId", xml_text(credentials_id, f"{where}: repo_credentials"))
    traits = sub(source, "traits")
    sub(traits, "jenkins.plugins.git.traits.BranchDiscoveryTrait")
    includes = wildcard_includes(branches)
    if includes is not None:
        wildcard = sub(
            traits, "jenkins.scm.impl.trait.WildcardSCMHeadFilterTrait", plugin="scm-api"
        )
        sub(wildcard, "includes", xml_text(includes, f"{where}: branches"))
        sub(wildcard, "excludes")
    strategy = sub(
        branch_source, "strategy", **{"class": "jenkins.branch.DefaultBranchPropertyStrategy"}
    )
    sub(strategy, "properties", **{"class": "empty-list"})
    owner_ref(sources, PROJECT_CLASS, "../..")
    factory = sub(
        root,
        "factory",
        **{"class": "org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory"},
    )
    owner_ref(factory, PROJECT_CLASS, "../..")
    sub(factory, "scriptPath", SCRIPT_PATH)
    return serialize(root)
