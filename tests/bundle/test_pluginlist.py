"""plugins.txt / plugins.yaml parsing on jenkins-plugin-cli's own edge-case files."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.bundle import pluginlist
from jenkinsgen.bundle.pluginlist import PluginRequest
from jenkinsgen.errors import BundleError

INCREMENTAL_URL = (
    "https://repo.jenkins-ci.org/incrementals/org/jenkins-ci/plugins/workflow/"
    "workflow-step-api/2.19-rc289.d09828a05a74/workflow-step-api-2.19-rc289.d09828a05a74.hpi"
)

# What every entry of the shared edge-case files means (name, version, url, groupId), the bad
# ``httttp://`` URL of matrix-project repaired to ``http://``.
EXPECTED = {
    "git": ("latest", None, None),
    "google-api-client-plugin": (
        "latest",
        "https://updates.jenkins.io/latest/google-api-client-plugin.hpi",
        None,
    ),
    "job-import-plugin": ("2.1", None, None),
    "docker": ("latest", None, None),
    "cloudbees-bitbucket-branch-source": ("2.4.4", None, None),
    "script-security": (
        "latest",
        "http://ftp-chi.osuosl.org/pub/jenkins/plugins/script-security/1.56/script-security.hpi",
        None,
    ),
    "workflow-step-api": (
        "2.19-rc289.d09828a05a74",
        INCREMENTAL_URL,
        "org.jenkins-ci.plugins.workflow",
    ),
    "matrix-project": (
        "latest",
        "http://ftp-chi.osuosl.org/pub/jenkins/plugins/matrix-project/1.7.1/matrix-project.hpi",
        None,
    ),
    "junit": ("experimental", None, None),
    "credentials": (
        "latest",
        "http://ftp-chi.osuosl.org/pub/jenkins/plugins/credentials/2.2.0/credentials.hpi",
        None,
    ),
    "blueocean": ("latest", None, None),
    "build-timeout": ("1.20", None, None),
}


def _meaning(requests: list[PluginRequest]) -> dict[str, tuple[str, str | None, str | None]]:
    return {r.name: (r.version, r.url, r.group_id) for r in requests}


def _repaired(test_data: Path, name: str) -> str:
    text = (test_data / "plugins-txt" / name).read_text(encoding="utf-8")
    assert "httttp://" in text
    return text.replace("httttp://", "http://")


def test_txt_edge_cases(test_data: Path) -> None:
    requests = pluginlist.parse_txt(_repaired(test_data, "parser-edge-cases.txt"), "p.txt")
    assert _meaning(requests) == EXPECTED
    # order is kept and every entry is located at its line
    assert [r.where for r in requests][:4] == ["p.txt:1", "p.txt:2", "p.txt:3", "p.txt:6"]
    assert requests[-1].where == "p.txt:16"


def test_yaml_edge_cases(test_data: Path) -> None:
    requests = pluginlist.parse_yaml(_repaired(test_data, "parser-edge-cases.yaml"), "p.yaml")
    assert _meaning(requests) == EXPECTED
    # ``version: 1.20`` must not turn into the float 1.2
    assert next(r for r in requests if r.name == "build-timeout").version == "1.20"
    assert next(r for r in requests if r.name == "git").where == "p.yaml:4"


def test_cli_txt_matches_edge_cases_without_build_timeout(test_data: Path) -> None:
    requests = pluginlist.parse_txt(_repaired(test_data, "cli.txt"), "cli.txt")
    expected = dict(EXPECTED)
    del expected["build-timeout"]
    assert _meaning(requests) == expected


@pytest.mark.parametrize(
    ("name", "line"),
    [("parser-edge-cases.txt", 11), ("cli.txt", 11), ("parser-edge-cases.yaml", 21)],
)
def test_bad_url_in_shared_files_is_a_located_error(test_data: Path, name: str, line: int) -> None:
    path = test_data / "plugins-txt" / name
    with pytest.raises(BundleError) as caught:
        pluginlist.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: matrix-project: ")
    assert "httttp://" in message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("git\n:1.0\n", "p.txt:2: invalid plugin name ''"),
        ("git\nbad name!\n", "p.txt:2: invalid plugin name 'badname!'"),
        ("git:1.0:ftp://host/x.hpi\n", "p.txt:1: git: not a http, https or file URL"),
        ("git:1.0:https:///x.hpi\n", "p.txt:1: git: URL has no host"),
        ("git::https://u:pw@h/x.hpi\n", "p.txt:1: git: credentials in a plugin URL would be"),
        ("git:https://h/x.hpi\n", "p.txt:1: git: a URL needs an empty version: git::URL"),
        ("git:incrementals;org.x\n", "p.txt:1: git: expected incrementals;GROUP_ID;VERSION"),
        ("git:experimental:https://h/x.hpi\n", "p.txt:1: git: 'experimental' cannot"),
        ("git:1.0\n#c\ngit:2.0\n", "p.txt:3: git is already listed differently at p.txt:1"),
        ("git:1.0 ;x\n", "p.txt:1: git: invalid version '1.0;x'"),
    ],
)
def test_bad_txt_lines(text: str, message: str) -> None:
    with pytest.raises(BundleError) as caught:
        pluginlist.parse_txt(text, "p.txt")
    assert str(caught.value).startswith(message)


def test_all_bad_lines_reported_at_once() -> None:
    with pytest.raises(BundleError) as caught:
        pluginlist.parse_txt("a:1:gopher://x\nok\nb c:d:e:f\n", "p.txt")
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["1", "3"]


def test_duplicates_are_reported_with_the_bad_lines() -> None:
    with pytest.raises(BundleError) as caught:
        pluginlist.parse_txt("a:1:gopher://x\ngit\ngit:1.0\n", "p.txt")
    assert str(caught.value).splitlines() == [
        "p.txt:1: a: not a http, https or file URL: 'gopher://x'",
        "p.txt:3: git is already listed differently at p.txt:2",
    ]
    with pytest.raises(BundleError) as caught:
        pluginlist.parse_yaml(
            "plugins:\n  - artifactId: git\n  - artifactId: git\n    source: {version: '1'}\n"
            "  - artifactId: 'bad name'\n",
            "p.yaml",
        )
    assert len(str(caught.value).splitlines()) == 2, str(caught.value)


def test_repeat_of_the_same_entry_is_harmless() -> None:
    assert [r.name for r in pluginlist.parse_txt("git\ngit:latest\n")] == ["git"]


def test_comment_rules() -> None:
    # '#' after whitespace ends the line; '#' glued to a name does not start a comment
    requests = pluginlist.parse_txt("  # full line\ngit # trailing\n\t\ncredentials:2.3.0\t#x\n")
    assert _meaning(requests) == {
        "git": ("latest", None, None),
        "credentials": ("2.3.0", None, None),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plugins: [\n", "p.yaml:2: invalid YAML"),
        ("jenkins: {}\n", "p.yaml:1: expected a top-level 'plugins:' list"),
        ("plugins:\n  - source: {version: '1'}\n", "p.yaml:2: plugins[0]: artifactId is required"),
        ("plugins:\n  - artifactId: git\n    sauce: 1\n", "p.yaml:2: git: unknown key 'sauce'"),
        (
            "plugins:\n  - artifactId: git\n    groupId: org.x\n",
            "p.yaml:2: git: a groupId needs source.version",
        ),
        (
            "plugins:\n  - artifactId: git\n    source: {url: 'nope'}\n",
            "p.yaml:2: git: not a http, https or file URL",
        ),
        (
            "plugins:\n  - artifactId: git\n    source: {versio: '1'}\n",
            "p.yaml:2: git: unknown key source.versio",
        ),
    ],
)
def test_bad_yaml(text: str, message: str) -> None:
    with pytest.raises(BundleError) as caught:
        pluginlist.parse_yaml(text, "p.yaml")
    assert str(caught.value).startswith(message)


def test_yaml_group_id_with_version_builds_the_incrementals_url() -> None:
    text = (
        "plugins:\n  - artifactId: workflow-step-api\n    groupId: org.jenkins-ci.plugins."
        "workflow\n    source:\n      version: 2.19-rc289.d09828a05a74\n"
    )
    (request,) = pluginlist.parse_yaml(text)
    assert request.url == INCREMENTAL_URL


def test_missing_file_is_a_bundle_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"cannot read plugin list"):
        pluginlist.load(tmp_path / "nope.txt")


def test_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "plugins.txt"
    path.write_bytes(b"\xef\xbb\xbfgit\r\njunit:1.43\r\n")
    assert [(r.name, r.version) for r in pluginlist.load(path)] == [
        ("git", "latest"),
        ("junit", "1.43"),
    ]
