"""The push trigger: a Generic Webhook Trigger (``org.jenkinsci.plugins.gwt.GenericTrigger``,
plugin generic-webhook-trigger) in a pipeline job's config.xml.

Why this one (checked in the plugins' sources, see docs/render.md): since git plugin 4.11.4
(SECURITY-284) ``/git/notifyCommit`` answers 401 without an access token, those tokens are
generated in the web UI and stored hashed (nothing a rendered file can configure), and a
pipeline job is only found by it once a first build has recorded its checkout. A
``GenericTrigger`` sits in the job's ``PipelineTriggersJobProperty``, so it works from the
first push on a controller that has never built the job; its token comes from a secret-text
credential named by id (``tokenCredentialId``), so no secret is ever in a rendered file.

One webhook per repository, the same URL in either layout::

    JENKINS_URL/generic-webhook-trigger/invoke?item=<folder>/<service>

with the token sent as ``?token=``, a ``token`` header, ``Authorization: Bearer`` or GitLab's
``X-Gitlab-Token``. Every job whose credential holds that token is offered the request and
starts only when its filter matches ``$item $push_ref $push_after``: the ``item`` query
parameter, the pushed ref (``$.ref`` of the push payload of GitHub, GitLab, Gitea, Forgejo
and Gogs) and the new head (``$.after``, all zeros when the push deleted the branch).

A job whose environment branch is a glob (``release/*``) builds the branch the push names: its
filter accepts the branches the glob matches (:mod:`jenkinsgen.render.branch_glob`), and one
more variable, ``BRANCH``, is the pushed ref with its leading ``refs/heads/`` removed (the
variable's ``regexpFilter``, which the plugin applies as ``value.replaceAll(regexpFilter,
"")``). The plugin hands a resolved variable to the job's parameter of the same name, so the
build's ``BRANCH`` parameter names the pushed branch (jenkinsgen.render.xml_pipeline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from jenkinsgen.render.branch_glob import branch_regex
from jenkinsgen.render.xml_build import sub

GWT_PLUGIN = "generic-webhook-trigger"
_GWT = "org.jenkinsci.plugins.gwt."
TRIGGER_CLASS = _GWT + "GenericTrigger"

#: Path of the webhook endpoint under the Jenkins URL.
WEBHOOK_PATH = "generic-webhook-trigger/invoke"
#: Query parameter naming the Jenkins item the pushed repository feeds.
ITEM_PARAM = "item"
#: Variables taken from the push payload (JSONPath), and the text the filter is matched on.
REF_VARIABLE = "push_ref"
AFTER_VARIABLE = "push_after"
FILTER_TEXT = f"${ITEM_PARAM} ${REF_VARIABLE} ${AFTER_VARIABLE}"
CAUSE = f"Push to ${REF_VARIABLE}"
#: The variable (and job parameter) naming the pushed branch, for a glob environment's job.
BRANCH_VARIABLE = "BRANCH"
#: Removed from the pushed ref to make ``BRANCH``: only at the start (``replaceAll``).
_HEADS = "refs/heads/"


def webhook_path(item: str) -> str:
    """The webhook's path and query for the item ``item`` (full name), after JENKINS_URL/."""
    return f"{WEBHOOK_PATH}?{ITEM_PARAM}={item}"


@dataclass(frozen=True)
class PushTrigger:
    """Start a job on a push to the repository that feeds ``item``.

    ``credentials_id`` names the secret-text credential holding the token; ``branch`` is the
    branch whose pushes start the job (None: every push, e.g. to scan a multibranch project,
    where a deleted branch matters too); with ``glob``, ``branch`` is a glob, the pushes to
    any branch it matches start the job, and the trigger hands the branch to the build as
    ``BRANCH``.
    """

    credentials_id: str
    item: str
    branch: str | None = None
    glob: bool = False

    @property
    def filter_expression(self) -> str:
        """The Java regular expression the rendered filter text must match (``find``)."""
        head = "^" + re.escape(self.item) + " "
        if self.branch is None:
            return head
        if self.glob:
            ref = re.escape(_HEADS) + branch_regex(self.branch)
        else:
            ref = re.escape(_HEADS + self.branch)
        # a deletion pushes an all-zero "after": nothing to build
        return head + ref + r" (?!0+$)\S*$"


def _variable(parent: etree._Element, key: str, json_path: str, regexp_filter: str = "") -> None:
    var = sub(parent, _GWT + "GenericVariable")
    sub(var, "expressionType", "JSONPath")
    sub(var, "key", key)
    sub(var, "value", json_path)
    sub(var, "regexpFilter", regexp_filter)
    sub(var, "defaultValue", "")


def add_push_trigger(
    triggers: etree._Element, pushed_branch: bool = False
) -> tuple[etree._Element, etree._Element]:
    """Append a ``GenericTrigger`` to ``triggers``; return its ``regexpFilterExpression`` and
    ``tokenCredentialId`` elements, whose texts the caller sets for each job. With
    ``pushed_branch``, the trigger also resolves ``BRANCH`` (the pushed branch)."""
    trigger = sub(triggers, TRIGGER_CLASS, plugin=GWT_PLUGIN)
    sub(trigger, "spec", "")  # hudson.triggers.Trigger's cron spec; null would be logged
    variables = sub(trigger, "genericVariables")
    _variable(variables, REF_VARIABLE, "$.ref")
    _variable(variables, AFTER_VARIABLE, "$.after")
    if pushed_branch:
        _variable(variables, BRANCH_VARIABLE, "$.ref", "^" + re.escape(_HEADS))
    sub(trigger, "regexpFilterText", FILTER_TEXT)
    expression = sub(trigger, "regexpFilterExpression")
    request = sub(sub(trigger, "genericRequestVariables"), _GWT + "GenericRequestVariable")
    sub(request, "key", ITEM_PARAM)
    sub(request, "regexpFilter", "")
    sub(trigger, "genericHeaderVariables")
    sub(trigger, "printPostContent", "false")
    sub(trigger, "printContributedVariables", "false")
    sub(trigger, "causeString", CAUSE)
    sub(trigger, "token", "")  # no token in the file: it is read from the credential
    credentials = sub(trigger, "tokenCredentialId")
    sub(trigger, "silentResponse", "false")
    return expression, credentials
