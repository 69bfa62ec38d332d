"""The escaping guarantee, proved with the real Groovy 2.4 parser and a real POSIX shell.

Arbitrary text in every free-text field must arrive exactly: a shell command as the very same
string constant of its ``sh`` call, paths and build arguments as the very same ``docker``
arguments when the generated script runs, and nothing injected (the method calls are those of a
benign baseline, no interpolating string appears).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jenkinsgen.errors import RenderError
from jenkinsgen.render.groovy import groovy_env, groovy_int, groovy_str, sh_quote
from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import model
from tests.render.groovy_ast import AstSummary, GroovyParser
from tests.render.jenkinsfile_specs import job, service, spec

#: Pieces that break naive escapers: quotes, Groovy and shell interpolation, backslashes before
#: quotes and before 'u' (Groovy's unicode-escape pre-pass), line breaks, non-ASCII.
TRAPS = [
    "'",
    "'''",
    '"',
    '"""',
    "$",
    "${",
    "}",
    "${x}",
    "$(id)",
    "`id`",
    "\\",
    "\\\\",
    "\\'",
    "\\u0027",
    "\\\\u0027",
    "\\uu0027",
    "\\u005c",
    "\\u000a",
    "\\n",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\u2028",
    "é",
    "漢字",
    "😀",
    "\u0085",
    "\ufffe",
    "*/",
    "/*",
    "//",
    ") + sh('x') + (",
    "'); sh('id'); echo('",
]

#: Any character but NUL (a shell argument cannot hold it), U+FFFF and lone surrogates (both
#: refused, tested separately).
TEXT_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00\uffff")
free_text = st.one_of(
    st.text(alphabet=TEXT_CHARS, max_size=40),
    st.lists(
        st.one_of(
            st.sampled_from(TRAPS),
            st.text(alphabet=TEXT_CHARS, max_size=4),
        ),
        max_size=12,
    ).map("".join),
)

FAKE_TOOL = """#!/bin/sh
# records one invocation: the argument count, then each argument, NUL-terminated
printf '%s\\0' "$(basename "$0")" "$#" "$@" >> "$FAKE_LOG"
if [ "$(basename "$0")" = git ]; then echo 0123456789abcdef0123456789abcdef01234567; fi
if [ "$1" = login ]; then cat > /dev/null; fi
exit 0
"""


@pytest.fixture(scope="module")
def fake_bin() -> Iterator[Path]:
    """A directory with fake ``docker``, ``git`` and ``curl`` that record their arguments."""
    with tempfile.TemporaryDirectory(prefix="jenkinsgen-fakebin-") as tmp:
        root = Path(tmp)
        for tool in ("docker", "git", "curl"):
            path = root / tool
            path.write_text(FAKE_TOOL, encoding="utf-8")
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
        yield root


def run_script(script: str, fake_bin: Path, env: dict[str, str]) -> list[list[str]]:
    """Run ``script`` as the sh step does (``sh -xe FILE``); the recorded tool invocations."""
    with tempfile.TemporaryDirectory(prefix="jenkinsgen-sh-") as tmp:
        script_file = Path(tmp) / "script.sh"
        script_file.write_bytes(script.encode("utf-8"))
        log = Path(tmp) / "log"
        log.touch()
        full_env = {
            "PATH": f"{fake_bin}{os.pathsep}/usr/bin:/bin",
            "FAKE_LOG": str(log),
            "TMPDIR": tmp,
            **env,
        }
        proc = subprocess.run(
            ["/bin/sh", "-xe", str(script_file)],
            env=full_env,
            cwd=tmp,
            capture_output=True,
            check=False,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        fields = [f.decode("utf-8") for f in log.read_bytes().split(b"\0")[:-1]]
    calls: list[list[str]] = []
    i = 0
    while i < len(fields):
        name, count = fields[i], int(fields[i + 1])
        calls.append([name, *fields[i + 2 : i + 2 + count]])
        i += 2 + count
    return calls


IMAGE_ENV = {
    # what the Checkout stage records with git rev-parse HEAD
    "JENKINSGEN_COMMIT": "0123456789abcdef0123456789abcdef01234567",
    "IMAGE_REPO": "registry.example.com/acme/orders",
    "REGISTRY_HOST": "registry.example.com",
    "DEPLOY_ENV": "dev",
    "REGISTRY_USER": "robot",
    "REGISTRY_PASSWORD": "not-a-real-password",
}


def service_with(
    build: str, test: str, junit: str, dockerfile: str, context: str, arg: str
) -> model.Service:
    return service(
        build=build,
        test=model.TestStep(command=test, junit=junit),
        image=model.Image(
            name="orders",
            dockerfile=dockerfile,
            context=context,
            build_args=(("A", arg), ("B", arg + "!")),
        ),
    )


BENIGN = service_with("make", "make test", "reports/*.xml", "Dockerfile", ".", "1")
_BASELINES: dict[str, AstSummary] = {}
#: Characters that may not appear raw in a Jenkinsfile (XML 1.0 cannot hold most of them).
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def check_no_injection(summary: AstSummary, baseline: AstSummary, expected: set[str]) -> None:
    assert summary.ok, summary.errors
    assert summary.gstrings == 0
    assert [c.name for c in summary.calls] == [c.name for c in baseline.calls]
    unexpected = set(summary.strings) - set(baseline.strings) - expected
    assert not unexpected


@pytest.mark.parametrize("layout", ["per-environment", "multibranch"])
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    build=free_text,
    test=free_text,
    junit=free_text,
    dockerfile=free_text,
    context=free_text,
    arg=free_text,
)
@example(
    build="echo '\\u0027 + sh('id') + '",
    test="'''\n${env.X}\\",
    junit="\\u0027",
    dockerfile="a\\u000ab",
    context="$(id)",
    arg="x'\"$HOME\\",
)
def test_free_text_arrives_exactly_and_injects_nothing(
    groovy: GroovyParser,
    fake_bin: Path,
    layout: str,
    build: str,
    test: str,
    junit: str,
    dockerfile: str,
    context: str,
    arg: str,
) -> None:
    kind = "pipeline" if layout == "per-environment" else "multibranch"
    if layout not in _BASELINES:
        _BASELINES[layout] = groovy.parse(
            render_jenkinsfile(*job(spec(BENIGN, layout=layout), kind))
        )
    baseline = _BASELINES[layout]
    svc = service_with(build, test, junit, dockerfile, context, arg)
    text = render_jenkinsfile(*job(spec(svc, layout=layout), kind))
    summary = groovy.parse(text)
    assert not RAW_CONTROL.search(text), "a Jenkinsfile must stay embeddable in XML 1.0"

    commands = summary.shell_commands()
    assert commands[0] == build
    assert commands[1] == test
    assert [c.named_dict()["testResults"] for c in summary.calls_named("junit")] == [junit]
    image_script = commands[2]
    check_no_injection(summary, baseline, {build, test, junit, image_script})

    calls = run_script(image_script, fake_bin, IMAGE_ENV)
    docker_build = next(c for c in calls if c[:2] == ["docker", "build"])
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert docker_build[2:] == [
        "--file",
        dockerfile,
        "--build-arg",
        f"A={arg}",
        "--build-arg",
        f"B={arg}!",
        "--tag",
        f"registry.example.com/acme/orders:{commit}",
        "--tag",
        "registry.example.com/acme/orders:dev",
        context,
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_path=free_text)
def test_seed_free_text_arrives_exactly(
    groovy: GroovyParser, fake_bin: Path, spec_path: str
) -> None:
    base = spec()
    assert base.seed is not None
    baseline = groovy.parse(render_jenkinsfile(*job(base, "seed")))
    s = replace(base, seed=replace(base.seed, spec=spec_path))
    summary = groovy.parse(render_jenkinsfile(*job(s, "seed")))
    [apply_script] = summary.shell_commands()
    check_no_injection(summary, baseline, {apply_script})
    # the seed image has jenkinsgen on PATH; a recorder stands in for it here
    target = fake_bin / "jenkinsgen"
    if not target.exists():
        target.symlink_to(fake_bin / "git")
    calls = run_script(apply_script, fake_bin, {"SEED_JENKINS_URL": "http://127.0.0.1:8080/"})
    assert calls == [
        ["jenkinsgen", "apply", spec_path, "--url", "http://127.0.0.1:8080/", "--prune"]
    ]


@given(
    value=st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\uffff"))
)
@settings(max_examples=200, deadline=None)
def test_groovy_str_never_emits_a_unicode_escape_from_user_text(value: str) -> None:
    literal = groovy_str(value)
    body = literal[3:-3] if literal.startswith("'''") else literal[1:-1]
    # every backslash of the body starts a pair we wrote: \\ \' \n \r \t \b \f or \uXXXX
    i = 0
    while i < len(body):
        if body[i] == "\\":
            nxt = body[i + 1]
            assert nxt in "\\'nrtbfu", (value, body)
            if nxt == "u":
                char = chr(int(body[i + 2 : i + 6], 16))
                assert char not in "\\'\n", "an escape must never stand for a quote or backslash"
                i += 6
                continue
            i += 2
            continue
        assert body[i] not in "'\r" and (body[i] != "\n" or literal.startswith("'''"))
        i += 1


def test_groovy_str_examples() -> None:
    assert groovy_str("it's") == "'it\\'s'"
    assert groovy_str("a\\u0027b") == "'a\\\\u0027b'"
    assert groovy_str("é") == "'é'"
    assert groovy_str("a\nb") == "'''a\nb'''"
    assert groovy_str("\x01") == "'\\u0001'"
    assert groovy_str("'''") == "'\\'\\'\\''"


def test_u_ffff_and_lone_surrogates_cannot_be_carried() -> None:
    with pytest.raises(RenderError, match="U\\+FFFF"):
        groovy_str("a\uffffb")
    with pytest.raises(RenderError, match="lone surrogate \\(U\\+D800\\)"):
        groovy_str("a\ud800b")


def test_u_ffff_really_ends_groovy_input(groovy: GroovyParser) -> None:
    """Why U+FFFF is refused: Groovy 2.4 reads it (raw or escaped) as end of input."""
    for text in ("x = 'a\uffffb'\n", "x = 'a\\uffffb'\n"):
        assert not groovy.parse(text).ok


def test_the_unicode_escape_trap_is_real(groovy: GroovyParser) -> None:
    """A naive escaper (quotes only) is broken by \\u0027; ours is not."""
    hostile = "\\u0027 + evil() + \\u0027"
    naive = "sh '" + hostile.replace("'", "\\'") + "'\n"
    summary = groovy.parse(naive)
    assert "evil" in summary.call_names()
    ours = groovy.parse(f"sh {groovy_str(hostile)}\n")
    assert ours.ok and ours.shell_commands() == [hostile] and "evil" not in ours.call_names()


def test_other_filters_refuse_bad_values() -> None:
    with pytest.raises(RenderError):
        groovy_int("5")
    with pytest.raises(RenderError):
        groovy_int(True)
    assert groovy_int(30) == "30"
    for bad in ("a$b", "a\\b", "a\nb", "a'b", 'a"b', "a`b"):
        with pytest.raises(RenderError):
            groovy_env(bad)
    assert groovy_env("https://x.example/h") == "'https://x.example/h'"
    with pytest.raises(RenderError):
        sh_quote(3)
    with pytest.raises(RenderError):
        groovy_str(None)
