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

Thousands of jobs differ only in a few texts: the element tree of each kind (with or without
the trigger, with or without the parameter) is built and serialized once with markers as those
texts (:mod:`jenkinsgen.render.slots`), and each job's config.xml is that text with its own
texts filled in, escaped as lxml escapes text (:func:`pipeline_xml_tree` is the general path).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from lxml import etree

from jenkinsgen.errors import RenderError
from jenkinsgen.render.slots import Slots
from jenkinsgen.render.xml_build import WORKFLOW_CPS, WORKFLOW_JOB, sub
from jenkinsgen.render.xml_push import BRANCH_VARIABLE, PushTrigger, add_push_trigger
from jenkinsgen.render.xml_text import fill_slots, serialize, tree_slots, xml_text

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

    def varying(self) -> dict[str, etree._Element]:
        """The elements whose texts vary, by slot name (those this kind of tree has)."""
        elements = {
            "description": self.description,
            "num_to_keep": self.num_to_keep,
            "script": self.script,
            "filter_expression": self.filter_expression,
            "token_credentials": self.token_credentials,
            "branch_description": self.branch_description,
        }
        return {name: el for name, el in elements.items() if el is not None}


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


@cache
def _slots(kind: _Kind) -> Slots[bytes]:
    """The config.xml of ``kind`` with its varying texts as slots (made once per process)."""
    skeleton = _build_skeleton(kind)
    return tree_slots(skeleton.root, skeleton.varying())


def branch_parameter_text(glob: str) -> str:
    """The description of a glob environment's ``BRANCH`` parameter."""
    return (
        f"The branch to build: one that {glob} matches. A push sets it to the pushed branch; "
        "set it when you start the job by hand."
    )


def _kind_and_texts(
    description: str,
    script: str,
    builds_to_keep: int,
    where: str,
    push: PushTrigger | None,
) -> tuple[_Kind, dict[str, str]]:
    """The kind of tree the job needs and its varying texts, each through :func:`xml_text`."""
    texts = {
        "description": xml_text(description, f"{where}: description"),
        "num_to_keep": str(builds_to_keep),
        "script": xml_text(script, f"{where}: Jenkinsfile"),
    }
    if push is None:
        return "plain", texts
    texts["filter_expression"] = xml_text(push.filter_expression, f"{where}: push")
    texts["token_credentials"] = xml_text(push.credentials_id, f"{where}: push_credentials")
    if not push.glob:
        return "push", texts
    if push.branch is None:
        raise RenderError(f"{where}: a push trigger for a glob needs the glob")
    texts["branch_description"] = xml_text(branch_parameter_text(push.branch), f"{where}: branch")
    return "pushed_branch", texts


def pipeline_xml(
    description: str,
    script: str,
    builds_to_keep: int,
    where: str,
    push: PushTrigger | None = None,
) -> bytes:
    """The job's config.xml; ``description`` already ends with the marker line; ``push``
    adds the push trigger (and, for a glob, the ``BRANCH`` parameter)."""
    kind, texts = _kind_and_texts(description, script, builds_to_keep, where, push)
    return fill_slots(_slots(kind), texts)


def pipeline_xml_tree(
    description: str,
    script: str,
    builds_to_keep: int,
    where: str,
    push: PushTrigger | None = None,
) -> bytes:
    """:func:`pipeline_xml` the general way: a tree with these texts, serialized by lxml
    (what the slots of :func:`pipeline_xml` are taken from; tests compare the two)."""
    kind, texts = _kind_and_texts(description, script, builds_to_keep, where, push)
    skeleton = _build_skeleton(kind)
    for name, element in skeleton.varying().items():
        element.text = texts[name]
    return serialize(skeleton.root)
