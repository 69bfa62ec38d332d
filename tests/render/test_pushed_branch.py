"""Issue 8, defect 3: a glob environment in the per-environment layout builds exactly the branch
a push names.

The chain, each link run for real where it can run here:

1. the push trigger of the rendered config.xml, as generic-webhook-trigger 2.4.1 evaluates it
   (``push_sim.py``: variables, ``regexpFilter`` as ``replaceAll``, filter by the Java regex
   engine): which jobs start, and the ``BRANCH`` each build gets;
2. the rendered Jenkinsfile, run by Groovy 2.4 under a stand-in for the Declarative runtime
   (``declarative_standin.groovy``): its Branch stage checks ``params.BRANCH`` as written, and
   the ``git`` step receives the branch as a value;
3. real git, with the argument lists the git plugin's client (git-client 6.6.0,
   ``CliGitAPIImpl``) gives it for that branch: ``rev-parse <remote branch>^{commit}``,
   ``checkout -f <sha>``, ``checkout -b <branch> <sha>``.

What no test here can run is the git plugin itself; what it does with the branch was read in
git 5.10.1 (docs/jenkinsfile.md).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from jenkinsgen.render import Rendered, render_spec
from jenkinsgen.render.xml_text import parse_config_xml
from jenkinsgen.spec import load_spec_text
from tests.render.groovy_ast import GroovyParser
from tests.render.push_sim import ZEROS, groovy_json, push, started_with

SPEC = """\
version: 1
folder: delivery
defaults:
  registry: registry.example.com/acme
  registry_credentials: registry-push
  push_credentials: git-push-token
environments:
  - {name: dev, branch: develop}
  - {name: staging, branch: 'release/*'}
  - {name: prod, branch: main, deploy: manual, approvers: [ops]}
services:
  - {name: orders, repo: 'https://git.example.com/acme/orders.git', repo_credentials: git-ro,
     build: make}
"""
ITEM = "delivery/orders"
STAGING = "delivery/orders/staging"
#: Branch names Git accepts and the glob's job builds: they reach git as data.
ODD_BUT_VALID = ["release/-x", "release/1.2+hotfix_5", "release/v1_2-rc.1"]
#: Names a Git ref may have (or a crafted payload may send) that the job refuses.
HOSTILE = [
    "release/$(id)",
    "release/${HOME}",
    "release/`id`",
    "release/a'b",
    'release/a"b',
    "release/a;b",
    "release/(x)",
    "release/a\nb",
    "release/a b",
    "release/a\\b",
    "release/a..b",
    "release/ä",
]
MISSING = (
    "No branch to build: BRANCH is empty. This job is started by the push webhook, for a push "
    "to a branch that release/* matches, and builds that branch; to start it by hand, use "
    "Build with Parameters and set BRANCH to such a branch."
)
REFUSED = (
    "BRANCH does not name a branch that release/* matches (letters, digits, . _ + - and /, not "
    "starting with -, without ..); nothing was checked out."
)


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return render_spec(load_spec_text(SPEC, "spec.yaml"))


def _jenkinsfile(rendered: Rendered, name: str) -> str:
    item = next(i for i in rendered.items if i.full_name == name)
    assert item.jenkinsfile is not None
    return item.jenkinsfile


def _run(jenkinsfile: str, runs: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """Run the Jenkinsfile under the Declarative stand-in once per params object."""
    results: list[dict[str, Any]] = groovy_json(
        "declarative_standin.groovy", {"jenkinsfile": jenkinsfile, "runs": runs}, tmp_path
    )
    return results


def _calls(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [c for c in result["calls"] if c["name"] == name]


def _stages(result: dict[str, Any]) -> list[str]:
    return [c["args"][0] for c in _calls(result, "stage")]


def test_a_push_starts_the_glob_job_with_the_pushed_branch(
    rendered: Rendered, tmp_path: Path
) -> None:
    pushes = {
        "refs/heads/release/1.2": {STAGING: "release/1.2"},
        "refs/heads/release/1.2/x": {},  # '*' stays within one segment
        "refs/heads/releases/1": {},
        "refs/heads/release": {},
        "refs/heads/RELEASE/1.2": {},  # branch names are case-sensitive
        "refs/tags/release/1.2": {},
        "refs/heads/develop": {"delivery/orders/dev": None},
        **{"refs/heads/" + name: {STAGING: name} for name in ODD_BUT_VALID},
        **{"refs/heads/" + name: {} for name in HOSTILE},
    }
    requests = [push(ITEM, ref) for ref in pushes]
    requests += [
        push(ITEM, "refs/heads/release/1.2", after=ZEROS),  # the branch was deleted
        push(ITEM, ["refs/heads/release/1.2"]),  # not a string: flattened to JSON, refused
        push("delivery/other", "refs/heads/release/1.2"),
    ]
    expected = [*pushes.values(), {}, {}, {}]
    got = []
    for jobs in started_with(rendered, requests, tmp_path):
        got.append({name: variables.get("BRANCH") for name, variables in jobs.items()})
    assert got == expected


def test_the_build_checks_out_exactly_the_pushed_branch(rendered: Rendered, tmp_path: Path) -> None:
    branches = ["release/1.2", *ODD_BUT_VALID]
    results = _run(_jenkinsfile(rendered, STAGING), [{"BRANCH": b} for b in branches], tmp_path)
    for branch, result in zip(branches, results, strict=True):
        assert result["error"] is None, result["error"]
        assert _stages(result)[:3] == ["Branch", "Build and publish", "Checkout"]
        [git] = _calls(result, "git")
        assert git["named"] == {
            "url": "https://git.example.com/acme/orders.git",
            "branch": branch,
            "credentialsId": "git-ro",
        }
        assert set(git["types"]) == {"java.lang.String"}


def test_the_branch_never_becomes_script_text(rendered: Rendered, groovy: GroovyParser) -> None:
    summary = groovy.parse(_jenkinsfile(rendered, STAGING))
    assert summary.ok and summary.gstrings == 0
    [git] = summary.calls_named("git")
    assert "branch" not in git.named_dict(), "the branch is params.BRANCH, not a constant"
    assert git.named_dict()["url"] == "https://git.example.com/acme/orders.git"
    dev = groovy.parse(_jenkinsfile(rendered, "delivery/orders/dev"))
    assert dev.calls_named("git")[0].named_dict()["branch"] == "develop"
    assert "params" not in _jenkinsfile(rendered, "delivery/orders/dev")


@pytest.mark.parametrize("params", [{}, {"BRANCH": ""}], ids=["no-parameter", "empty"])
def test_a_start_by_hand_without_a_branch_fails_at_once(
    rendered: Rendered, params: dict[str, str], tmp_path: Path
) -> None:
    [result] = _run(_jenkinsfile(rendered, STAGING), [params], tmp_path)
    assert result["error"] == MISSING
    assert _stages(result) == ["Branch"], "no agent taken, nothing checked out"
    assert _calls(result, "label") == [] and _calls(result, "git") == []


def test_a_branch_the_glob_does_not_match_is_refused_before_checkout(
    rendered: Rendered, tmp_path: Path
) -> None:
    refused = ["main", "release", "release/1.2/x", "RELEASE/1.2", "-x", *HOSTILE]
    results = _run(_jenkinsfile(rendered, STAGING), [{"BRANCH": b} for b in refused], tmp_path)
    for branch, result in zip(refused, results, strict=True):
        assert result["error"] == REFUSED, branch
        assert _stages(result) == ["Branch"] and _calls(result, "git") == [], branch


def test_the_plugin_substitution_can_fool_the_filter_but_not_the_build(tmp_path: Path) -> None:
    """The plugin renders the filter text by replacing ``$name`` with each variable's value in
    turn, longest names first, so a ref holding ``$item`` is compared with the item's value in
    its place. With ``release/**`` a crafted push to ``release/$item`` therefore starts the job;
    its build refuses the branch before checking anything out."""
    rendered = render_spec(load_spec_text(SPEC.replace("'release/*'", "'release/**'"), "s.yaml"))
    [jobs] = started_with(rendered, [push(ITEM, "refs/heads/release/$item")], tmp_path)
    assert {name: v["BRANCH"] for name, v in jobs.items()} == {STAGING: "release/$item"}
    [result] = _run(_jenkinsfile(rendered, STAGING), [{"BRANCH": "release/$item"}], tmp_path)
    assert result["error"] == REFUSED.replace("release/*", "release/**")
    assert _calls(result, "git") == []


def test_only_glob_jobs_carry_the_branch_parameter(rendered: Rendered) -> None:
    for item in rendered.items:
        if item.kind != "pipeline":
            continue
        root = parse_config_xml(item.config_xml)
        names = [e.text for e in root.iterfind(".//hudson.model.StringParameterDefinition/name")]
        keys = [e.text for e in root.iterfind(".//org.jenkinsci.plugins.gwt.GenericVariable/key")]
        if item.full_name == STAGING:
            assert names == ["BRANCH"] and keys == ["push_ref", "push_after", "BRANCH"]
            assert root.findtext(".//hudson.model.StringParameterDefinition/defaultValue") == ""
        else:
            assert names == [] and keys == ["push_ref", "push_after"], item.full_name


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_git_checks_out_the_branch_as_data(rendered: Rendered, tmp_path: Path) -> None:
    """The names the Jenkinsfile hands to the ``git`` step, through the git commands the git
    plugin runs for a single branch with a local branch of the same name."""
    origin = tmp_path / "origin"
    origin.mkdir()
    _git(origin, "init", "-q")
    _git(
        origin,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "0",
    )
    heads = {}
    branches = ["release/1.2", "release/1.3", *ODD_BUT_VALID]
    for name in branches:
        _git(origin, "checkout", "-q", "-b", name, "main")
        _git(
            origin, "-c", "user.name=t", "-c", "user.email=t@e",
            "commit", "-q", "--allow-empty", "-m", name,
        )  # fmt: skip
        heads[name] = _git(origin, "rev-parse", "HEAD")
    asked = _run(_jenkinsfile(rendered, STAGING), [{"BRANCH": b} for b in branches], tmp_path)
    for branch, result in zip(branches, asked, strict=True):
        name = _calls(result, "git")[0]["named"]["branch"]
        workspace = tmp_path / ("ws-" + str(branches.index(branch)))
        workspace.mkdir()
        _git(workspace, "init", "-q")
        _git(
            workspace,
            "fetch",
            "-q",
            "--force",
            "--",
            str(origin),
            "+refs/heads/*:refs/remotes/origin/*",
        )
        sha = _git(workspace, "rev-parse", f"refs/remotes/origin/{name}^{{commit}}")
        _git(workspace, "checkout", "-q", "-f", sha)
        _git(workspace, "checkout", "-q", "-b", name, sha)
        assert _git(workspace, "symbolic-ref", "HEAD") == "refs/heads/" + branch
        assert _git(workspace, "rev-parse", "HEAD") == heads[branch] == sha
