"""Our pipeline config.xml against what jenkins-job-builder renders for the same job.

JJB's XML is what many Jenkins installations have accepted for years, so it is the reference
for element names and structure. The same script, description, sandbox flag, build discarder,
disabled concurrency and push trigger (Generic Webhook Trigger), and for a glob environment's
job the ``BRANCH`` string parameter and the trigger's ``BRANCH`` variable, are given to
``jenkins-jobs test``; both documents are normalised (``plugin=`` attributes and layout
whitespace dropped, JJB's own description suffix removed) and compared as sets of (element
path, attributes, text). The only elements we write that JJB does not are listed in
``OURS_ONLY``, each for a stated reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from jenkinsgen.render import render_spec
from jenkinsgen.render.xml_text import element_text, parse_config_xml
from jenkinsgen.spec import load_spec_text

JJB_SUFFIX = "<!-- Managed by Jenkins Job Builder -->"

#: Elements we write and JJB 6 does not: both are what current Jenkins itself writes.
OURS_ONLY = {
    # WorkflowJob's own (deprecated, always empty) trigger list, kept as Jenkins saves it.
    ("flow-definition/triggers", (), None),
    # DisableConcurrentBuildsJobProperty gained abortPrevious (default false) in workflow-job 2.42.
    (
        "flow-definition/properties/org.jenkinsci.plugins.workflow.job.properties."
        "DisableConcurrentBuildsJobProperty/abortPrevious",
        (),
        "false",
    ),
    # GenericTrigger's header variable list, empty, as Jenkins saves it: XStream does not run
    # field initialisers, so a missing list element would leave the field null.
    (
        "flow-definition/properties/org.jenkinsci.plugins.workflow.job.properties."
        "PipelineTriggersJobProperty/triggers/org.jenkinsci.plugins.gwt.GenericTrigger/"
        "genericHeaderVariables",
        (),
        None,
    ),
}

SPEC = """\
version: 1
folder: delivery
defaults:
  registry: registry.example.com/acme
  registry_credentials: registry-push
  builds_to_keep: 17
  push_credentials: git-push-token
environments:
  - {name: prod, branch: main, deploy: manual, approvers: [ops]}
services:
  - name: orders
    repo: https://git.example.com/acme/orders.git
    build: "echo '<b>&amp;</b>' \\"$HOME\\" ]]> ünïcode"
    test: {command: make test, junit: 'reports/*.xml'}
    trigger: {webhook: https://deploy.example.com/hooks/orders, credentials: deploy-token}
"""

Entry = tuple[str, tuple[tuple[str, str], ...], str | None]


def _normalise(root: etree._Element) -> Counter[Entry]:
    entries: Counter[Entry] = Counter()
    tree = root.getroottree()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        path = "/".join(part.split("[")[0] for part in tree.getpath(el).strip("/").split("/"))
        attrs = tuple(sorted((k, v) for k, v in el.attrib.items() if k != "plugin"))
        text = element_text(el) if len(el) == 0 else None
        if el.tag == "description" and text is not None:
            text = text.removesuffix(JJB_SUFFIX)
        entries[(path, attrs, text or None)] += 1
    return entries


#: For a glob environment's job: the BRANCH parameter and the trigger's BRANCH variable.
GLOB_PARAMETERS = """\
    parameters:
      - string:
          name: BRANCH
          default: ''
          description: {description}
          trim: true
"""
GLOB_VARIABLE = """\
            - {type: JSONPath, key: BRANCH, value: "$.ref", regex-filter: "^refs/heads/"}
"""


def _jjb_xml(
    tmp_path: Path,
    name: str,
    description: str,
    script: str,
    keep: int,
    push_filter: str,
    branch_parameter: str | None = None,
) -> bytes:
    jenkins_jobs = shutil.which("jenkins-jobs", path=str(Path(sys.executable).parent))
    if jenkins_jobs is None:
        pytest.fail("jenkins-jobs not installed (test dependency jenkins-job-builder)")
    (tmp_path / "Jenkinsfile").write_text(script, encoding="utf-8")
    (tmp_path / "description.txt").write_text(description, encoding="utf-8")
    parameters = variable = ""
    if branch_parameter is not None:
        parameters = GLOB_PARAMETERS.format(description=json.dumps(branch_parameter))
        variable = GLOB_VARIABLE
    (tmp_path / "jobs.yaml").write_text(
        f"""\
- job:
    name: {name}
    project-type: pipeline
    description: !include-raw-verbatim: description.txt
    disabled: false
    sandbox: true
    concurrent: false
    dsl: !include-raw-verbatim: Jenkinsfile
    properties:
      - build-discarder:
          num-to-keep: {keep}
{parameters}    triggers:
      - generic-webhook-trigger:
          post-content-params:
            - {{type: JSONPath, key: push_ref, value: "$.ref"}}
            - {{type: JSONPath, key: push_after, value: "$.after"}}
{variable}          regex-filter-text: "$item $push_ref $push_after"
          regex-filter-expression: {json.dumps(push_filter)}
          request-params:
            - {{key: item}}
          print-post-content: false
          print-contrib-var: false
          cause: "Push to $push_ref"
          token-credential-id: git-push-token
          silent-response: false
""",
        encoding="utf-8",
    )
    out = tmp_path / "jjb-out"
    proc = subprocess.run(
        [jenkins_jobs, "--conf", "/dev/null", "test", str(tmp_path / "jobs.yaml"), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return (out / name).read_bytes()


def test_pipeline_matches_jenkins_job_builder(tmp_path: Path) -> None:
    rendered = render_spec(load_spec_text(SPEC, "spec.yaml"))
    job = next(i for i in rendered.items if i.kind == "pipeline")
    ours_root = parse_config_xml(job.config_xml)
    description = ours_root.find("description")
    assert description is not None and job.jenkinsfile is not None
    push_filter = ours_root.findtext(".//regexpFilterExpression")
    assert push_filter == r"^delivery/orders refs/heads/main (?!0+$)\S*$"
    theirs = _jjb_xml(tmp_path, "prod", element_text(description), job.jenkinsfile, 17, push_filter)
    ours_n = _normalise(ours_root)
    theirs_n = _normalise(etree.fromstring(theirs))
    only_ours = set((ours_n - theirs_n).keys())
    only_theirs = set((theirs_n - ours_n).keys())
    assert only_theirs == set(), f"JJB writes elements we do not: {sorted(only_theirs)}"
    extra = sorted(only_ours - OURS_ONLY)
    assert only_ours == OURS_ONLY, f"we write elements JJB does not: {extra}"
    script = [e for e in ours_n if e[0] == "flow-definition/definition/script"]
    assert script and script[0][2] == job.jenkinsfile


def test_glob_environment_job_matches_jenkins_job_builder(tmp_path: Path) -> None:
    """A glob environment's job adds the BRANCH parameter and the trigger's BRANCH variable
    (with its regexpFilter); JJB writes the same elements for them."""
    text = SPEC.replace("name: prod, branch: main", "name: prod, branch: 'release/*'")
    rendered = render_spec(load_spec_text(text, "spec.yaml"))
    job = next(i for i in rendered.items if i.kind == "pipeline")
    ours_root = parse_config_xml(job.config_xml)
    description = ours_root.find("description")
    assert description is not None and job.jenkinsfile is not None
    push_filter = ours_root.findtext(".//regexpFilterExpression")
    assert push_filter is not None and "release/[A-Za-z0-9._+-]+ " in push_filter
    parameter = ours_root.findtext(".//hudson.model.StringParameterDefinition/description")
    assert parameter is not None
    theirs = _jjb_xml(
        tmp_path,
        "prod",
        element_text(description),
        job.jenkinsfile,
        17,
        push_filter,
        branch_parameter=parameter,
    )
    ours_n = _normalise(ours_root)
    theirs_n = _normalise(etree.fromstring(theirs))
    assert set((theirs_n - ours_n).keys()) == set()
    assert set((ours_n - theirs_n).keys()) == OURS_ONLY
    assert any(e[0].endswith("StringParameterDefinition/trim") for e in theirs_n)


def test_normalisation_notices_drift(tmp_path: Path) -> None:
    """The comparison is not vacuous: a changed value or element shows up."""
    rendered = render_spec(load_spec_text(SPEC, "spec.yaml"))
    job = next(i for i in rendered.items if i.kind == "pipeline")
    drifted = parse_config_xml(job.config_xml.replace(b"<sandbox>true", b"<sandbox>false"))
    base = _normalise(parse_config_xml(job.config_xml))
    assert _normalise(drifted) != base
    renamed = parse_config_xml(job.config_xml.replace(b"numToKeep>", b"numToKeepStr>"))
    assert _normalise(renamed) != base
