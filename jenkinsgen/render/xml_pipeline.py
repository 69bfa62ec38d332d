"""config.xml of a pipeline job (``flow-definition``, the workflow-job plugin's WorkflowJob).

The Jenkinsfile is embedded verbatim in a ``CpsFlowDefinition`` with the Groovy sandbox on,
so the job runs without a script approval and without reading its script from SCM.

Properties, in the order Jenkins writes them:

* ``BuildDiscarderProperty`` with a ``LogRotator`` keeping ``builds_to_keep`` builds;
* ``DisableConcurrentBuildsJobProperty`` (a second push queues behind the running build);
* for a glob environment, ``ParametersDefinitionProperty`` with the string parameter
  ``BRANCH``: the branch to build, which the push trigger sets to the pushed branch (a
  person starting the job by hand sets it; the Jenkinsfile checks it against the glob);
* with a push trigger (``defaults.push_credentials``), ``PipelineTriggersJobProperty`` holding
  a Generic Webhook Trigger (:mod:`jenkinsgen.render.xml_push`): the Git server's push webhook
  starts the job from the first push, authenticated by a token kept in a credential. Nothing
  polls, and no trigger needs a first build to take effect.

The seed job and a multibranch project's scan job are the same kind of job with their own
Jenkinsfile.

The element tree is built once per thread and kind (with or without the trigger) and reused:
thousands of jobs differ only in a few texts, which every call sets before it serializes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from jenkinsgen.render.xml_build import WORKFLOW_CPS, WORKFLOW_JOB, sub
from jenkinsgen.render.xml_push import BRANCH_VARIABLE, PushTrigger, add_push_trigger
from jenkinsgen.render.xml_text import serialize, xml_text

_PROPS = "org.jenkinsci.plugins.workflow.job.properties."


@dataclass(frozen=True)
class _Skeleton:
    """A job's element tree and the elements whose texts vary from job to job."""

    root: etree._Element
    description: etree._Element
    num_to_keep: etree._Element
    script: etree._Element
    filter_expression: etree._Element | None
    token_credentials: etree._Element | None
    branch_description: etree._Element | None


#: Kinds of job tree: no trigger, the push trigger, the push trigger and the BRANCH parameter.
_Kind = Literal["plain", "push", "pushed_branch"]


def _branch_parameter(props: etree._Element) -> etree._Element:
    """The ``BRANCH`` string parameter; return its description element."""
    definitions = sub(props, "hudson.model.ParametersDefinitionProperty")
    parameters = sub(definitions, "parameterDefinitions")
    string = sub(parameters, "hudson.model.StringParameterDefinition")
    sub(string, "name", BRANCH_VARIABLE)
    description = sub(string, "description")
    sub(string, "defaultValue", "")
    sub(string, "trim", "true")
    return description


def _build_skeleton(kind: _Kind) -> _Skeleton:
    root = etree.Element("flow-definition", plugin=WORKFLOW_JOB)
    sub(root, "actions")
    description = sub(root, "description")
    sub(root, "keepDependencies", "false")
    props = sub(root, "properties")
    discarder = sub(props, "jenkins.model.BuildDiscarderProperty")
    rotator = sub(discarder, "strategy", **{"class": "hudson.tasks.LogRotator"})
    sub(rotator, "daysToKeep", "-1")
    num_to_keep = sub(rotator, "numToKeep")
    sub(rotator, "artifactDaysToKeep", "-1")
    sub(rotator, "artifactNumToKeep", "-1")
    concurrent = sub(props, _PROPS + "DisableConcurrentBuildsJobProperty")
    sub(concurrent, "abortPrevious", "false")
    expression = credentials = branch_description = None
    if kind == "pushed_branch":
        branch_description = _branch_parameter(props)
    if kind != "plain":
        triggers = sub(sub(props, _PROPS + "PipelineTriggersJobProperty"), "triggers")
        expression, credentials = add_push_trigger(triggers, kind == "pushed_branch")
    definition = sub(
        root,
        "definition",
        **{"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition", "plugin": WORKFLOW_CPS},
    )
    script = sub(definition, "script")
    sub(definition, "sandbox", "true")
    sub(root, "triggers")
    sub(root, "disabled", "false")
    return _Skeleton(
        root, description, num_to_keep, script, expression, credentials, branch_description
    )


_LOCAL = threading.local()


def _skeleton(kind: _Kind) -> _Skeleton:
    """This thread's tree (threads must not share one: each call rewrites its texts)."""
    skeleton: _Skeleton | None = getattr(_LOCAL, kind, None)
    if skeleton is None:
        skeleton = _build_skeleton(kind)
        setattr(_LOCAL, kind, skeleton)
    return skeleton


def branch_parameter_text(glob: str) -> str:
    """The description of a glob environment's ``BRANCH`` parameter."""
    return (
        f"The branch to build: one that {glob} matches. A push sets it to the pushed branch; "
        "set it when you start the job by hand."
    )


def pipeline_xml(
    description: str,
    script: str,
    builds_to_keep: int,
    where: str,
    push: PushTrigger | None = None,
) -> bytes:
    """The job's config.xml; ``description`` already ends with the marker line; ``push``
    adds the push trigger (and, for a glob, the ``BRANCH`` parameter)."""
    description = xml_text(description, f"{where}: description")
    script = xml_text(script, f"{where}: Jenkinsfile")
    kind: _Kind = "plain" if push is None else "pushed_branch" if push.glob else "push"
    skeleton = _skeleton(kind)
    skeleton.description.text = description
    skeleton.num_to_keep.text = str(builds_to_keep)
    skeleton.script.text = script
    if push is not None:
        assert skeleton.filter_expression is not None and skeleton.token_credentials is not None
        skeleton.filter_expression.text = xml_text(push.filter_expression, f"{where}: push")
        skeleton.token_credentials.text = xml_text(
            push.credentials_id, f"{where}: push_credentials"
        )
        if skeleton.branch_description is not None and push.branch is not None:
            skeleton.branch_description.text = branch_parameter_text(push.branch)
    return serialize(skeleton.root)
