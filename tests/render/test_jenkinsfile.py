"""The generated Jenkinsfiles: they parse with Groovy 2.4 and hold the stages the spec asks for."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from jenkinsgen import __version__
from jenkinsgen.errors import RenderError
from jenkinsgen.render.jenkinsfile import SeedImage, registry_host, render_jenkinsfile, seed_image
from jenkinsgen.spec import model
from tests.render.groovy_ast import AstSummary, GroovyParser
from tests.render.jenkinsfile_specs import ENVIRONMENTS, job, jobs, service, spec


def parsed(groovy: GroovyParser, text: str) -> AstSummary:
    summary = groovy.parse(text)
    assert summary.ok, (summary.errors, text)
    assert summary.gstrings == 0, "no interpolating string may appear"
    return summary


def stage_names(summary: AstSummary) -> list[str]:
    return [c.args[0] for c in summary.calls_named("stage")]


@pytest.mark.parametrize("layout", ["per-environment", "multibranch"])
@pytest.mark.parametrize("container", [None, "maven:3.9"])
def test_every_job_kind_parses(groovy: GroovyParser, layout: str, container: str | None) -> None:
    p, all_jobs = jobs(spec(layout=layout, container=container))
    kinds = set()
    for j in all_jobs:
        text = render_jenkinsfile(p, j)
        assert text.endswith("\n") and not text.endswith("\n\n")
        parsed(groovy, text)
        kinds.add(j.kind)
    assert kinds == {"seed", "pipeline" if layout == "per-environment" else "multibranch"}


def test_pipeline_options_agent_and_stages(groovy: GroovyParser) -> None:
    p, j = job(spec(), "pipeline", "dev")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    assert text.split("options {")[0].endswith("pipeline {\n    agent none\n    ")
    assert s.calls_named("label")[0].args == ("docker",)
    assert s.calls_named("logRotator")[0].named_dict() == {"numToKeepStr": "15"}
    assert {
        "timestamps",
        "disableConcurrentBuilds",
        "buildDiscarder",
        "skipDefaultCheckout",
    } <= s.call_names()
    [timeout] = s.calls_named("timeout")
    assert timeout.named_dict() == {"unit": "MINUTES"}
    assert timeout.within[:4] == ("pipeline", "stages", "stage", "options"), "a stage timeout"
    assert "time: 45" in text
    assert stage_names(s) == [
        "Build and publish",
        "Checkout",
        "Build",
        "Test",
        "Deliver to dev",
        "Image (dev)",
        "Deploy trigger (dev)",
    ]
    git = s.calls_named("git")[0].named_dict()
    assert git == {
        "url": "https://git.example.com/acme/orders.git",
        "branch": "develop",
        "credentialsId": "git-ro",
    }
    assert s.captured_commands() == ["git rev-parse HEAD"]
    assert "env.JENKINSGEN_COMMIT = sh(script: 'git rev-parse HEAD', returnStdout: true)" in text
    assert s.shell_commands()[:2] == ["mvn -B -DskipTests package", "mvn -B test"]
    assert "docker" not in s.call_names(), "no build container unless defaults.container is set"
    assert "when" not in s.call_names(), "a per-environment job deploys its one environment"


def test_container_runs_build_and_test_in_a_docker_agent(groovy: GroovyParser) -> None:
    p, j = job(spec(container="maven:3.9-eclipse-temurin-21"), "pipeline", "dev")
    s = parsed(groovy, render_jenkinsfile(p, j))
    assert [c.args for c in s.calls_named("image")] == [("maven:3.9-eclipse-temurin-21",)] * 2
    assert len(s.calls_named("reuseNode")) == 2


def test_junit_is_published_in_post_always(groovy: GroovyParser) -> None:
    p, j = job(spec(), "pipeline", "dev")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    assert s.calls_named("junit")[0].named_dict()["testResults"] == "target/surefire-reports/*.xml"
    test_stage = text[text.index("stage('Test')") : text.index("stage('Deliver to dev')")]
    assert re.search(r"post \{\s+always \{\s+junit testResults:", test_stage)


def test_no_junit_without_pattern_and_no_test_stage_without_test(groovy: GroovyParser) -> None:
    p, j = job(spec(service(test=model.TestStep(command="make check"))), "pipeline", "dev")
    s = parsed(groovy, render_jenkinsfile(p, j))
    assert "junit" not in s.call_names() and "post" not in s.call_names()
    assert "make check" in s.shell_commands()
    p, j = job(spec(service(test=None)), "pipeline", "dev")
    s = parsed(groovy, render_jenkinsfile(p, j))
    assert "Test" not in stage_names(s)


def test_image_stage_pushes_with_registry_credentials(groovy: GroovyParser) -> None:
    p, j = job(spec(), "pipeline", "staging")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    binding = s.calls_named("usernamePassword")[0].named_dict()
    assert binding == {
        "credentialsId": "registry-push",
        "usernameVariable": "REGISTRY_USER",
        "passwordVariable": "REGISTRY_PASSWORD",
    }
    script = s.shell_commands()[2]
    assert "--password-stdin" in script
    assert '--tag "$IMAGE_REPO:$commit"' in script
    assert '--tag "$IMAGE_REPO:$DEPLOY_ENV"' in script
    assert 'docker push "$IMAGE_REPO:$commit"' in script
    assert "docker logout" in script
    assert "IMAGE_REPO = 'registry.example.com/acme/orders'" in text
    assert "DEPLOY_ENV = 'staging'" in text
    assert "REGISTRY_HOST = 'registry.example.com'" in text


def test_deploy_trigger_binds_the_token_for_the_shell_only(groovy: GroovyParser) -> None:
    p, j = job(spec(), "pipeline", "dev")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    assert s.calls_named("string")[0].named_dict() == {
        "credentialsId": "deploy-tok",
        "variable": "DEPLOY_TOKEN",
    }
    script = s.shell_commands()[-1]
    assert '"$DEPLOY_TOKEN"' in script and "--header @-" in script
    assert '"$DEPLOY_WEBHOOK"' in script
    assert "DEPLOY_WEBHOOK = 'https://deploy.example.com/hooks/orders'" in text
    # the token is never on a command line: it reaches curl on stdin
    assert "Authorization: Bearer %s" in script
    assert not re.search(r"curl[^\n]*DEPLOY_TOKEN", script)


def test_trigger_without_credentials_sends_no_token(groovy: GroovyParser) -> None:
    svc = service(trigger=model.Trigger(webhook="https://deploy.example.com/hooks/orders"))
    p, j = job(spec(svc), "pipeline", "dev")
    s = parsed(groovy, render_jenkinsfile(p, j))
    assert "string" not in s.call_names()
    assert "DEPLOY_TOKEN" not in s.shell_commands()[-1]


def test_no_trigger_no_deploy_stage(groovy: GroovyParser) -> None:
    p, j = job(spec(service(trigger=None)), "pipeline", "dev")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    assert not [n for n in stage_names(s) if n.startswith("Deploy")]
    assert "DEPLOY_WEBHOOK" not in text


def _stage_blocks(text: str) -> dict[str, str]:
    """Each top-level stage of the pipeline (8 spaces deep) and its text."""
    parts = re.split(r"(?m)^        stage\('([^']*)'\) \{\n", text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_manual_environment_waits_for_approvers_with_timeout(groovy: GroovyParser) -> None:
    p, j = job(spec(), "pipeline", "prod")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    [approval] = s.calls_named("input")
    assert approval.named_dict() == {
        "message": "Deploy to prod?",
        "ok": "Deploy",
        "submitter": "release-managers,ops",
    }
    assert approval.within[-1] == "timeout"
    p, j = job(spec(), "pipeline", "dev")
    assert "input" not in parsed(groovy, render_jenkinsfile(p, j)).call_names()


def test_the_approval_holds_no_executor_and_has_its_own_timeout(groovy: GroovyParser) -> None:
    """Issue 8, defect 4: no pipeline-wide agent or timeout; the approval waits in a stage
    without an agent under approval_timeout_minutes; Checkout to Image share one agent; the
    Deploy trigger takes an agent only after the approval."""
    p, j = job(spec(), "pipeline", "prod")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    top = (("pipeline",), ("pipeline", "options"))
    pipeline_level = [c.name for c in s.calls if c.within in top]
    assert "timeout" not in pipeline_level, "a pipeline-wide timeout would cut the approval short"
    assert "agent none" in text.split("stages {")[0]
    stages = _stage_blocks(text)
    assert list(stages) == ["Build and publish", "Approve (prod)", "Deploy trigger (prod)"]
    build = stages["Build and publish"]
    assert build.startswith("            agent {\n                label 'docker'\n")
    assert "timeout(time: 45, unit: 'MINUTES')" in build
    for inner in ("Checkout", "Build", "Test", "Image (prod)"):
        assert f"stage('{inner}')" in build, inner
    assert "input" not in build
    approve = stages["Approve (prod)"]
    assert "agent" not in approve, "the approval must not hold an executor"
    assert re.search(
        r"timeout\(time: 30, unit: 'MINUTES'\) \{\s+input message: 'Deploy to prod\?'", approve
    )
    deploy = stages["Deploy trigger (prod)"]
    assert deploy.startswith("            agent {\n                label 'docker'\n")
    assert "timeout(time: 45, unit: 'MINUTES')" in deploy
    assert "DEPLOY_ENV = 'prod'" in deploy and "Deploy to" not in deploy
    # the image is tagged with, and the webhook names, the commit the Checkout stage recorded
    image_script, deploy_script = s.shell_commands()[2], s.shell_commands()[3]
    for script in (image_script, deploy_script):
        assert 'commit="$JENKINSGEN_COMMIT"' in script and "git " not in script
    # whichever layout: the same shape, and the multibranch gate waits only on its branch
    p, j = job(spec(layout="multibranch"), "multibranch")
    mb = _stage_blocks(render_jenkinsfile(p, j))
    assert list(mb) == ["Build and publish", "Approve (prod)", "Deploy trigger (prod)"]
    assert "when {\n                branch pattern: 'main'" in mb["Approve (prod)"]
    assert "beforeAgent true" in mb["Deploy trigger (prod)"]


def test_multibranch_when_branch_exact_and_glob(groovy: GroovyParser) -> None:
    p, j = job(spec(layout="multibranch"), "multibranch")
    text = render_jenkinsfile(p, j)
    s = parsed(groovy, text)
    whens = [c.named_dict() for c in s.calls_named("branch")]
    assert whens == [
        {"pattern": "develop", "comparator": "EQUALS"},
        {"pattern": "release/*", "comparator": "GLOB"},
        {"pattern": "main", "comparator": "EQUALS"},  # Deliver to prod
        {"pattern": "main", "comparator": "EQUALS"},  # Approve (prod)
        {"pattern": "main", "comparator": "EQUALS"},  # Deploy trigger (prod)
    ]
    assert "git" not in s.call_names(), "a multibranch Jenkinsfile uses the project's own checkout"
    assert "checkout scm" in text
    names = stage_names(s)
    assert names[:4] == ["Build and publish", "Checkout", "Build", "Test"]
    assert len(names) == len(set(names)), "Declarative rejects duplicate stage names"
    for env in ("dev", "staging", "prod"):
        assert f"Deliver to {env}" in names and f"Image ({env})" in names
    assert len(s.calls_named("input")) == 1


def test_service_in_a_subset_of_environments() -> None:
    s = spec(service(environments=("dev", "prod")), layout="multibranch")
    p, j = job(s, "multibranch")
    text = render_jenkinsfile(p, j)
    assert "Deliver to staging" not in text and "Deliver to prod" in text


def test_seed_job(groovy: GroovyParser) -> None:
    """Checkout on an agent, then Apply inside the seed image of this very version, the API
    token bound around the apply step only; nothing is installed at run time."""
    s = spec()
    assert s.seed is not None
    seed = replace(s.seed, spec="teams/jenkinsgen.yaml")
    s = replace(s, seed=seed)
    p, j = job(s, "seed")
    text = render_jenkinsfile(p, j)
    summary = parsed(groovy, text)
    assert stage_names(summary) == ["Checkout", "Apply"]
    assert summary.calls_named("git")[0].named_dict() == {
        "url": "https://git.example.com/acme/config.git",
        "branch": "main",
        "credentialsId": "git-ro",
    }
    assert summary.calls_named("git")[0].within[-2:] == ("stage", "steps")
    creds = summary.calls_named("usernamePassword")[0]
    assert creds.named_dict() == {
        "credentialsId": "jenkins-api",
        "usernameVariable": "JENKINS_USER",
        "passwordVariable": "JENKINS_API_TOKEN",
    }
    assert creds.within[-1] == "withCredentials"
    [apply] = summary.shell_commands()
    [sh] = summary.calls_named("sh")
    assert sh.within[-1] == "withCredentials", "the token is bound around the apply step only"
    assert apply.splitlines() == [
        "set +x -eu",
        'jenkinsgen apply teams/jenkinsgen.yaml --url "$SEED_JENKINS_URL" --prune',
    ]
    assert not re.search(r"\bpip\b|python|venv", text), "nothing is installed at run time"
    assert "SEED_JENKINS_URL = 'https://jenkins.example.com/'" in text
    image = summary.calls_named("image")
    assert [c.args for c in image] == [
        (f"registry.example.com/acme/jenkinsgen-seed:{__version__}",)
    ]
    assert image[0].within[-3:] == ("stage", "agent", "docker")
    assert [c.args for c in summary.calls_named("registryUrl")] == [
        ("https://registry.example.com",)
    ]
    assert [c.args for c in summary.calls_named("registryCredentialsId")] == [("registry-push",)]
    assert summary.calls_named("reuseNode")
    assert [c.args for c in summary.calls_named("args")] == [("--network host",)]


def test_seed_image_follows_the_spec() -> None:
    """seed.image replaces the repository (the tag stays the version); its pull credentials
    are seed.image_credentials then, never the push credentials of defaults.registry."""
    s = spec()
    assert s.seed is not None
    assert seed_image(s) == SeedImage(
        f"registry.example.com/acme/jenkinsgen-seed:{__version__}",
        "https://registry.example.com",
        "registry-push",
    )
    own = replace(s, seed=replace(s.seed, image="tools.example.com:5000/ci/seed"))
    assert seed_image(own) == SeedImage(
        f"tools.example.com:5000/ci/seed:{__version__}", "https://tools.example.com:5000", None
    )
    pulled = replace(own, seed=replace(own.seed, image="acme/seed", image_credentials="hub"))  # type: ignore[arg-type]
    assert seed_image(pulled) == SeedImage(f"acme/seed:{__version__}", None, "hub")
    text = render_jenkinsfile(*job(own, "seed"))
    assert "registryCredentialsId" not in text and "registryUrl 'https://tools" in text


def test_output_is_deterministic() -> None:
    first = [render_jenkinsfile(*job(spec(), "pipeline", e.name)) for e in ENVIRONMENTS]
    second = [render_jenkinsfile(*job(spec(), "pipeline", e.name)) for e in ENVIRONMENTS]
    assert first == second
    assert len(set(first)) == 3


SECRETISH = re.compile(r"(?i)(password|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{8,}")


def test_only_credential_ids_appear(groovy: GroovyParser) -> None:
    p, all_jobs = jobs(spec(layout="multibranch"))
    for j in all_jobs:
        text = render_jenkinsfile(p, j)
        assert not SECRETISH.search(text), text
        s = parsed(groovy, text)
        for name in ("usernamePassword", "string"):
            for call in s.calls_named(name):
                assert set(call.named_dict()) <= {
                    "credentialsId",
                    "usernameVariable",
                    "passwordVariable",
                    "variable",
                }


def test_values_that_could_be_expanded_by_declarative_environment_are_refused() -> None:
    svc = service(trigger=model.Trigger(webhook="https://deploy.example.com/${SECRET}"))
    p, j = job(spec(svc), "pipeline", "dev")
    with pytest.raises(RenderError, match=r"delivery/orders/dev: Jenkinsfile: .*'\$'"):
        render_jenkinsfile(p, j)


def test_u_ffff_is_refused_with_the_job_name() -> None:
    p, j = job(spec(service(build="echo \uffff")), "pipeline", "dev")
    with pytest.raises(RenderError, match="delivery/orders/dev: Jenkinsfile: U\\+FFFF"):
        render_jenkinsfile(p, j)


def test_a_pipeline_job_needs_exactly_one_environment() -> None:
    p, j = job(spec(), "pipeline", "dev")
    j = replace(j, environments=ENVIRONMENTS[:2])
    with pytest.raises(RenderError, match="exactly one environment"):
        render_jenkinsfile(p, j)


def test_registry_host() -> None:
    assert registry_host("registry.example.com/acme") == "registry.example.com"
    assert registry_host("localhost:5000/acme") == "localhost:5000"
    assert registry_host("127.0.0.1:5000") == "127.0.0.1:5000"
    assert registry_host("acme") is None  # Docker Hub namespace


def test_docker_hub_registry_has_no_registry_host(groovy: GroovyParser) -> None:
    p, j = job(spec(registry="acme"), "pipeline", "dev")
    text = render_jenkinsfile(p, j)
    parsed(groovy, text)
    assert "REGISTRY_HOST =" not in text and "IMAGE_REPO = 'acme/orders'" in text


def test_environment_names_reach_stage_names(groovy: GroovyParser) -> None:
    envs = (model.Environment(name="qa-1.eu", branch="qa"),)
    s = replace(spec(service(image=model.Image(name="orders"))), environments=envs)
    p, j = job(s, "pipeline", "qa-1.eu")
    assert "Image (qa-1.eu)" in stage_names(parsed(groovy, render_jenkinsfile(p, j)))


def test_parser_reports_syntax_errors_with_position(groovy: GroovyParser) -> None:
    summary = groovy.parse("pipeline {\n    stages {\n        stage('x' {\n")
    assert not summary.ok
    assert summary.errors[0].line >= 3 and summary.errors[0].column > 0


def test_a_per_environment_glob_job_needs_the_push_trigger() -> None:
    """Issue 8, defect 3: ``git branch: 'release/*'`` becomes the git plugin's LocalBranch and
    ``git checkout -b release/* <sha>``, which git refuses. A glob environment's job builds the
    branch the push trigger names instead (tests/render/test_pushed_branch.py), so without
    ``push_credentials`` the validator refuses it with a location, and a Spec built in Python
    is refused here, naming the job and both ways out."""
    envs = (model.Environment(name="staging", branch="release/*"),)
    s = replace(spec(), environments=envs)
    p, j = job(s, "pipeline", "staging")
    with pytest.raises(
        RenderError, match=r"delivery/orders/staging: .*push_credentials.*layout: multibranch"
    ):
        render_jenkinsfile(p, j)
    p, j = job(replace(s, defaults=replace(s.defaults, push_credentials="push")), "pipeline")
    text = render_jenkinsfile(p, j)
    assert "stage('Branch')" in text and "branch: params.BRANCH" in text
    assert "'release/*'" not in text, "the glob is never a git branch argument"
    p, j = job(replace(spec(layout="multibranch"), environments=envs), "multibranch")
    assert "comparator: 'GLOB'" in render_jenkinsfile(p, j)
