"""config.xml of a pipeline job (``flow-definition``, the workflow-job plugin's WorkflowJob).

The Jenkinsfile is embedded verbatim in a ``CpsFlowDefinition`` with the Groovy sandbox on,
so the job runs without a script approval and without reading its script from SCM.

Properties, in the order Jenkins writes them:

* ``BuildDiscarderProperty`` with a ``LogRotator`` keeping ``builds_to_keep`` builds;
* ``DisableConcurrentBuildsJobProperty`` (a second push queues behind the running build);
* ``PipelineTriggersJobProperty`` with an ``SCMTrigger`` whose schedule is empty: Jenkins
  never polls on a timer, but the git plugin's push hook (``/git/notifyCommit?url=...``)
  polls every job whose checkout matches the pushed repository and builds it when the
  branch moved. The checkout is registered by the job's first build.

The seed job is the same kind of job with its own Jenkinsfile; its trigger fires on every
push of the config repository.

The element tree is built once per thread (:func:`_skeleton`) and reused: thousands of jobs
differ only in three texts, which every call sets before it serializes.
"""

from __future__ import annotations

import threading

from lxml import etree

from jenkinsgen.render.xml_build import WORKFLOW_CPS, WORKFLOW_JOB, sub
from jenkinsgen.render.xml_text import serialize, xml_text

_PROPS = "org.jenkinsci.plugins.workflow.job.properties."

# Positions in the skeleton of the three texts that vary (checked in _build_skeleton).
_DESCRIPTION = (1,)
_NUM_TO_KEEP = (3, 0, 0, 1)
_SCRIPT = (4, 0)


def _build_skeleton() -> etree._Element:
    root = etree.Element("flow-definition", plugin=WORKFLOW_JOB)
    sub(root, "actions")
    sub(root, "description")
    sub(root, "keepDependencies", "false")
    props = sub(root, "properties")
    discarder = sub(props, "jenkins.model.BuildDiscarderProperty")
    rotator = sub(discarder, "strategy", **{"class": "hudson.tasks.LogRotator"})
    sub(rotator, "daysToKeep", "-1")
    sub(rotator, "numToKeep")
    sub(rotator, "artifactDaysToKeep", "-1")
    sub(rotator, "artifactNumToKeep", "-1")
    concurrent = sub(props, _PROPS + "DisableConcurrentBuildsJobProperty")
    sub(concurrent, "abortPrevious", "false")
    triggers = sub(sub(props, _PROPS + "PipelineTriggersJobProperty"), "triggers")
    scm = sub(triggers, "hudson.triggers.SCMTrigger")
    sub(scm, "spec")
    sub(scm, "ignorePostCommitHooks", "false")
    definition = sub(
        root,
        "definition",
        **{"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition", "plugin": WORKFLOW_CPS},
    )
    sub(definition, "script")
    sub(definition, "sandbox", "true")
    sub(root, "triggers")
    sub(root, "disabled", "false")
    for where, tag in (
        (_DESCRIPTION, "description"),
        (_NUM_TO_KEEP, "numToKeep"),
        (_SCRIPT, "script"),
    ):
        assert _at(root, where).tag == tag
    return root


_LOCAL = threading.local()


def _skeleton() -> etree._Element:
    """This thread's tree (threads must not share one: each call rewrites its texts)."""
    root: etree._Element | None = getattr(_LOCAL, "root", None)
    if root is None:
        root = _LOCAL.root = _build_skeleton()
    return root


def _at(root: etree._Element, where: tuple[int, ...]) -> etree._Element:
    el = root
    for index in where:
        el = el[index]
    return el


def pipeline_xml(description: str, script: str, builds_to_keep: int, where: str) -> bytes:
    """The job's config.xml; ``description`` already ends with the marker line."""
    description = xml_text(description, f"{where}: description")
    script = xml_text(script, f"{where}: Jenkinsfile")
    root = _skeleton()
    _at(root, _DESCRIPTION).text = description
    _at(root, _NUM_TO_KEEP).text = str(builds_to_keep)
    _at(root, _SCRIPT).text = script
    return serialize(root)
