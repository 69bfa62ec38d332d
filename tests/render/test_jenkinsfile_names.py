"""Every value the validator accepts for names, ids, labels, branches and images renders into a
Jenkinsfile that parses and carries the value exactly (property-based, real Groovy parser)."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from jenkinsgen.render.jenkinsfile import render_jenkinsfile
from jenkinsgen.spec import model
from jenkinsgen.spec.v1 import BRANCH, CREDENTIALS_ID, IMAGE_REF, IMAGE_WITH_TAG, LABEL, NAME
from tests.render.groovy_ast import AstSummary, GroovyParser
from tests.render.jenkinsfile_specs import job, service, spec


def within(pattern: str, bounded: str) -> st.SearchStrategy[str]:
    """Strings of the ``bounded`` regex (short by construction) that the validator's ``pattern``
    accepts: the test stays inside exactly what a valid spec can hold."""
    return st.from_regex(rf"\A(?:{bounded})\Z").filter(
        lambda v: re.fullmatch(pattern, v) is not None
    )


_ATOM = r"[A-Za-z0-9._-]{1,12}"
_REF = (
    r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,6}){0,2}(?::[0-9]{1,5})?"
    r"(?:/[a-z0-9]{1,8}(?:[._-]{1,2}[a-z0-9]{1,6}){0,2}){0,3}"
)

URL = st.builds(
    "https://{}.example.com/{}".format,
    st.from_regex(r"\A[a-z0-9-]{1,12}\Z"),
    st.text(alphabet="abc/%?=&:@!*()+,;~._-", max_size=20),
)


def render(
    layout: str,
    env_name: str,
    branch: str,
    approver: str,
    cred: str,
    label: str,
    registry: str,
    image_name: str,
    container: str,
    webhook: str,
) -> str:
    env = model.Environment(
        name=env_name, branch=branch, deploy="manual", approvers=(approver, "ops")
    )
    svc = service(
        repo_credentials=cred,
        image=model.Image(name=image_name),
        trigger=model.Trigger(webhook=webhook, credentials=cred),
    )
    s = replace(
        spec(
            svc,
            layout=layout,
            agent=label,
            registry=registry,
            registry_credentials=cred,
            container=container,
        ),
        environments=(env,),
    )
    kind = "pipeline" if layout == "per-environment" else "multibranch"
    return render_jenkinsfile(*job(s, kind))


BENIGN = {
    "env_name": "dev",
    "branch": "develop",
    "approver": "ops-lead",
    "cred": "c1",
    "label": "docker",
    "registry": "registry.example.com/acme",
    "image_name": "orders",
    "container": "maven:3.9",
    "webhook": "https://deploy.example.com/hook",
}
_BASELINES: dict[str, AstSummary] = {}


@settings(
    max_examples=60,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking these regexes is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    layout=st.sampled_from(["per-environment", "multibranch"]),
    env_name=within(NAME, _ATOM),
    branch=within(BRANCH, r"[A-Za-z0-9._/*?+-]{1,20}"),
    approver=within(CREDENTIALS_ID, r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,15}"),
    cred=within(CREDENTIALS_ID, r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,15}"),
    label=within(LABEL, rf"{_ATOM}(?:(?: && | \|\| ){_ATOM}){{0,2}}"),
    registry=within(IMAGE_REF, _REF),
    image_name=within(IMAGE_REF, _REF),
    container=within(
        IMAGE_WITH_TAG,
        rf"{_REF}(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,20}})?(?:@sha256:[a-f0-9]{{64}})?",
    ),
    webhook=URL,
)
def test_validated_values_arrive_exactly(
    groovy: GroovyParser,
    layout: str,
    env_name: str,
    branch: str,
    approver: str,
    cred: str,
    label: str,
    registry: str,
    image_name: str,
    container: str,
    webhook: str,
) -> None:
    values = {
        "env_name": env_name,
        "branch": branch,
        "approver": approver,
        "cred": cred,
        "label": label,
        "registry": registry,
        "image_name": image_name,
        "container": container,
        "webhook": webhook,
    }
    kind = "pipeline" if layout == "per-environment" else "multibranch"
    is_glob = model.Environment(name="x", branch=branch).is_glob
    assume(kind == "multibranch" or not is_glob)  # the validator refuses the rest
    summary = groovy.parse(render(layout, **values))
    assert summary.ok, summary.errors
    assert summary.gstrings == 0

    assert {c.args[0] for c in summary.calls_named("label")} == {label}
    assert [c.args for c in summary.calls_named("image")] == [(container,)] * 2
    assert summary.calls_named("input")[0].named_dict()["submitter"] == f"{approver},ops"
    assert f"Image ({env_name})" in [c.args[0] for c in summary.calls_named("stage")]
    creds = {
        c.named_dict()["credentialsId"] for c in summary.calls if "credentialsId" in c.named_dict()
    }
    assert creds == {cred}
    assert f"{registry}/{image_name}" in summary.strings
    assert webhook in summary.strings and env_name in summary.strings
    if kind == "multibranch":
        whens = summary.calls_named("branch")  # Deliver, Approve and Deploy trigger
        assert len(whens) == 3
        for when in whens:
            assert when.named_dict()["pattern"] == branch
            assert when.named_dict()["comparator"] == ("GLOB" if is_glob else "EQUALS")
    else:
        assert summary.calls_named("git")[0].named_dict()["branch"] == branch
    if layout not in _BASELINES:
        _BASELINES[layout] = groovy.parse(render(layout, **BENIGN))
    assert [c.name for c in summary.calls] == [c.name for c in _BASELINES[layout].calls]
