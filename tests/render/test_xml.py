"""config.xml writers: structure, escaping of user text, XML 1.1 characters, determinism."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from jenkinsgen.errors import RenderError
from jenkinsgen.render import render_spec
from jenkinsgen.render.digest import describe
from jenkinsgen.render.xml_folder import folder_xml
from jenkinsgen.render.xml_multibranch import multibranch_xml, wildcard_includes
from jenkinsgen.render.xml_pipeline import pipeline_xml
from jenkinsgen.render.xml_text import XML_DECLARATION, element_text, parse_config_xml
from jenkinsgen.spec import load_spec_text

HOSTILE = "a < b && c > d ]]> \"q\" 'a' ${x} \\ \t tab\r\n\u00e9\u4e2d \U0001f680 </script>"
CONTROL = "bell\x07 esc\x1b nel\x85 ls\u2028 del\x7f c1\x9f sentinel\U0010fffe end"
ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"


def _pipeline(description: str = "d", script: str = "pipeline {}\n", keep: int = 7) -> bytes:
    return pipeline_xml(describe(description, "delivery"), script, keep, "delivery/x/dev")


def test_pipeline_structure() -> None:
    root = parse_config_xml(_pipeline(keep=7))
    assert root.tag == "flow-definition"
    assert [c.tag for c in root] == [
        "actions",
        "description",
        "keepDependencies",
        "properties",
        "definition",
        "triggers",
        "disabled",
    ]
    keep = root.findtext("properties/jenkins.model.BuildDiscarderProperty/strategy/numToKeep")
    assert keep == "7"
    props = [c.tag.rsplit(".", 1)[-1] for c in root.find("properties")]  # type: ignore[union-attr]
    assert props == ["BuildDiscarderProperty", "DisableConcurrentBuildsJobProperty"]
    assert root.find(".//hudson.triggers.SCMTrigger") is None, "nothing polls"
    definition = root.find("definition")
    assert definition is not None
    assert definition.get("class") == "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
    assert definition.findtext("sandbox") == "true"


def test_declaration_is_jenkins_xml_1_1() -> None:
    for data in (_pipeline(), folder_xml("d", "f")):
        assert data.startswith(XML_DECLARATION)
        assert XML_DECLARATION == b"<?xml version='1.1' encoding='UTF-8'?>\n"
        assert data.endswith(b">\n")


def test_user_text_is_escaped_and_round_trips() -> None:
    data = _pipeline(description=HOSTILE, script=HOSTILE)
    assert b"]]>" not in data and b"</script> " not in data
    root = parse_config_xml(data)
    assert element_text(root.find("definition/script")) == HOSTILE  # type: ignore[arg-type]
    assert element_text(root.find("description")).startswith(HOSTILE)  # type: ignore[arg-type]


def test_control_characters_become_xml_1_1_references() -> None:
    data = _pipeline(script=CONTROL)
    for ref in (b"&#7;", b"&#27;", b"&#133;", b"&#8232;", b"&#127;", b"&#159;", b"&#1114110;"):
        assert ref in data
    root = parse_config_xml(data)
    assert element_text(root.find("definition/script")) == CONTROL  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["nul\x00", "nonchar\ufffe", "nonchar\uffff", "lone\ud800"])
def test_characters_xml_cannot_hold_are_refused(bad: str) -> None:
    with pytest.raises(RenderError, match=r"delivery/x/dev: Jenkinsfile: character U\+"):
        _pipeline(script=bad)


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(blacklist_characters="\x00\ufffe\uffff", blacklist_categories=("Cs",)))
)
def test_any_text_round_trips(text: str) -> None:
    root = parse_config_xml(_pipeline(description=text, script=text))
    assert element_text(root.find("definition/script")) == text  # type: ignore[arg-type]


def test_jenkins_stax_parser_reads_exact_text(tmp_path: Path) -> None:
    """The JDK StAX parser (what Jenkins' XStream2 reads config.xml with) sees the exact text."""
    groovy = shutil.which("groovy")
    if groovy is None:
        pytest.fail("groovy not found on PATH (Debian package 'groovy'; .ci/run installs it)")
    texts = {"plain": HOSTILE, "control": CONTROL}
    files = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(_pipeline(description=text, script=text))
        files.append(str(path))
    multi = tmp_path / "multi.xml"
    multi.write_bytes(
        multibranch_xml(
            describe("m", "o"), "id", "https://h/r.git", "c", ["develop", "release/*"], "o/m"
        )
    )
    files.append(str(multi))
    result = tmp_path / "result.json"
    env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME", DEFAULT_JAVA_HOME)}
    proc = subprocess.run(
        [groovy, str(Path(__file__).with_name("stax_read.groovy")), str(result), *files],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    read = json.loads(result.read_text(encoding="utf-8"))
    for name, text in texts.items():
        got = read[str(tmp_path / f"{name}.xml")]
        assert got["flow-definition/definition/script"] == text
        assert got["flow-definition/description"] == describe(text, "delivery")
    got = read[str(multi)]
    base = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
    assert got[f"{base}/factory/scriptPath"] == "Jenkinsfile"


def test_folder_structure() -> None:
    root = parse_config_xml(folder_xml(describe("Folder <x>", "teams"), "teams"))
    assert root.tag == "com.cloudbees.hudson.plugins.folder.Folder"
    assert element_text(root.find("description")).startswith("Folder <x>\n\n")  # type: ignore[arg-type]


def test_multibranch_structure() -> None:
    data = multibranch_xml(
        describe("m", "o"),
        "jenkinsgen-orders",
        "https://git/x.git",
        "git-ro",
        ["develop", "release/*", "main"],
        "o/orders",
    )
    root = parse_config_xml(data)
    src = root.find("sources/data/jenkins.branch.BranchSource/source")
    assert src is not None and src.get("class") == "jenkins.plugins.git.GitSCMSource"
    assert src.findtext("remote") == "https://git/x.git"
    assert src.findtext("credentialsId") == "git-ro"
    assert src.find("traits/jenkins.plugins.git.traits.BranchDiscoveryTrait") is not None
    assert src.findtext("traits/jenkins.scm.impl.trait.WildcardSCMHeadFilterTrait/includes") == (
        "develop release/* main"
    )
    factory = root.find("factory")
    assert factory is not None
    assert factory.get("class") == (
        "org.jenkinsci.plugins.workflow.multibranch.WorkflowBranchProjectFactory"
    )
    assert factory.findtext("scriptPath") == "Jenkinsfile"
    no_creds = parse_config_xml(
        multibranch_xml(describe("m", "o"), "i", "https://g/x.git", None, ["a?"], "o/x")
    )
    assert no_creds.find(".//credentialsId") is None
    assert no_creds.find(".//jenkins.scm.impl.trait.WildcardSCMHeadFilterTrait") is None


def test_wildcard_includes() -> None:
    assert wildcard_includes(["develop", "release/*", "develop"]) == "develop release/*"
    assert wildcard_includes(["release/[0-9]*"]) is None
    # a '**' segment may match no segment (release/** matches release): no filter can say it
    assert wildcard_includes(["develop", "release/**"]) is None
    assert wildcard_includes(["**/hotfix"]) is None
    assert wildcard_includes(["rel**"]) == "rel**"  # inside a segment '**' is just '*'


SPEC = """\
version: 1
folder: teams/payments
layout: {layout}
defaults: {{registry: r.example.com/x, registry_credentials: push}}
environments:
  - {{name: dev, branch: develop}}
  - {{name: prod, branch: main, deploy: manual, approvers: [ops]}}
services:
  - {{name: b, repo: https://g.example.com/b.git, build: make}}
  - {{name: a, repo: https://g.example.com/a.git, build: make, repo_credentials: ro}}
"""


@pytest.mark.parametrize("layout", ["per-environment", "multibranch"])
def test_every_rendered_config_is_well_formed(layout: str) -> None:
    rendered = render_spec(load_spec_text(SPEC.format(layout=layout), "s.yaml"))
    for item in rendered.items:
        root = etree.fromstring(item.config_xml)  # plain lxml: no references it cannot hold
        assert root.findtext("description") is not None


def _tree_digest_in_subprocess(env_extra: dict[str, str]) -> str:
    code = (
        "import hashlib,sys\n"
        "from jenkinsgen.render import render_spec\n"
        "from jenkinsgen.render.output import tree_files\n"
        "from jenkinsgen.spec import load_spec\n"
        "h=hashlib.sha256()\n"
        "for k,v in tree_files(render_spec(load_spec(sys.argv[1]))).items():\n"
        "    h.update(k.encode()+b'\\0'+v+b'\\0')\n"
        "print(h.hexdigest())\n"
    )
    env = {**os.environ, **env_extra}
    proc = subprocess.run(
        [sys.executable, "-c", code, "examples/jenkinsgen.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    return proc.stdout.strip()


def test_output_is_deterministic_across_processes() -> None:
    """Hash seed, time zone and locale do not change a single byte."""
    a = _tree_digest_in_subprocess({"PYTHONHASHSEED": "1", "TZ": "UTC", "LC_ALL": "C"})
    b = _tree_digest_in_subprocess(
        {"PYTHONHASHSEED": "4242", "TZ": "Asia/Kolkata", "LC_ALL": "C.UTF-8"}
    )
    assert a == b
