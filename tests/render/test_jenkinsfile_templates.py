"""Template rules: every value a template emits goes through an escaping filter."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from jenkinsgen.errors import RenderError
from jenkinsgen.render.groovy import FILTERS
from jenkinsgen.render.templates import environment, template_dir

TEMPLATES = sorted(template_dir().glob("*.j2"))
EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.S)
#: A call of a macro from macros.j2 emits text its own filtered expressions built.
MACRO_CALL = re.compile(r"\s*m\.[a-z_]+\(.*\)\s*", re.S)
#: Shell fragments may only quote for the shell; the whole script is then a Groovy literal.
SHELL_FILTERS = {"sh_quote"}
GROOVY_FILTERS = set(FILTERS) - SHELL_FILTERS


def test_templates_are_found() -> None:
    names = {p.name for p in TEMPLATES}
    assert {"Jenkinsfile.j2", "seed.Jenkinsfile.j2", "macros.j2", "image.sh.j2"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_expression_ends_with_an_escaping_filter(path: Path) -> None:
    allowed = SHELL_FILTERS if path.name.endswith(".sh.j2") else GROOVY_FILTERS
    source = path.read_text(encoding="utf-8")
    for match in EXPRESSION.finditer(source):
        expr = match.group(1)
        if MACRO_CALL.fullmatch(expr) and not path.name.endswith(".sh.j2"):
            continue
        last = expr.rsplit("|", 1)
        assert len(last) == 2, f"{path.name}: {{{{{expr}}}}} has no filter"
        name = last[1].strip().split("(")[0].strip()
        assert name in allowed, f"{path.name}: {{{{{expr}}}}} ends with {name!r}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_compile_in_the_strict_environment(path: Path) -> None:
    environment().get_template(path.name)


def test_environment_is_strict_and_does_not_autoescape() -> None:
    env = environment()
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape is False
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(RenderError, match="StrictUndefined"):
        env.from_string("{{ missing | groovy_str }}").render()


def test_the_rule_checker_catches_a_bare_expression(tmp_path: Path) -> None:
    bad = "sh {{ service.build }}\nsh {{ x | upper }}\n"
    found = [m.group(1) for m in EXPRESSION.finditer(bad)]
    assert [len(e.rsplit("|", 1)) for e in found] == [1, 2]
    assert found[1].rsplit("|", 1)[1].strip() not in GROOVY_FILTERS


def test_templates_inside_the_package_win(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A wheel carries jenkinsgen/job-templates; the source tree's job-templates is the fallback."""
    import jenkinsgen.render.templates as templates

    package = tmp_path / "site" / "jenkinsgen"
    (package / "job-templates").mkdir(parents=True)
    monkeypatch.setattr(templates, "_PACKAGE_DIR", package)
    assert templates.template_dir() == package / "job-templates"
    (package / "job-templates").rmdir()
    with pytest.raises(RenderError, match="job templates not found"):
        templates.template_dir()
    (tmp_path / "site" / "job-templates").mkdir()
    assert templates.template_dir() == tmp_path / "site" / "job-templates"
