"""apply against the double: convergence, constant requests, verify, prune, adopt, faults."""

from __future__ import annotations

import threading
import time

from jenkinsgen.render.model import Rendered
from jenkinsgen.sync import apply_changes, find_drift, plan_changes
from jenkinsgen.sync.apply import ApplyReport
from tests.jenkins_double import JenkinsDouble, Request, Response
from tests.sync.helpers import FOLDER_XML, client_for, freestyle, rendered


def _apply(
    double: JenkinsDouble,
    r: Rendered,
    *,
    prune: bool = False,
    verify: bool = False,
    dry_run: bool = False,
    adopt: tuple[str, ...] = (),
    workers: int = 4,
) -> ApplyReport:
    client = client_for(double.url)
    changes = plan_changes(r, client.list_items(), adopt)
    if verify:
        find_drift(client, changes, workers)
    return apply_changes(client, changes, workers, prune, dry_run)


def test_cold_apply_creates_everything(jenkins_double: JenkinsDouble) -> None:
    r = rendered(services=3)
    report = _apply(jenkins_double, r)
    assert report.ok
    assert sorted(jenkins_double.job_names()) == sorted(i.full_name for i in r.items)
    for item in r.items:
        live = jenkins_double.item(item.full_name)
        assert live is not None and item.digest in live.description
    assert jenkins_double.counters.count("POST", "createItem") == len(r.items)


def test_second_apply_writes_nothing_with_constant_requests(jenkins_double: JenkinsDouble) -> None:
    requests_per_rerun = []
    for services in (2, 10):
        r = rendered(services=services, folder=f"f{services}")
        assert _apply(jenkins_double, r).ok
        jenkins_double.counters.reset()
        report = _apply(jenkins_double, r)
        assert report.ok and report.count("unchanged") == len(r.items)
        assert jenkins_double.counters.writes == 0
        requests_per_rerun.append(jenkins_double.counters.total)
    assert requests_per_rerun == [1, 1]  # the one tree query, whatever the size


def test_changed_spec_updates_only_changed_jobs(jenkins_double: JenkinsDouble) -> None:
    assert _apply(jenkins_double, rendered(services=3)).ok
    jenkins_double.counters.reset()
    r2 = rendered(services=3, envs=("dev", "prod"), build="make all")
    report = _apply(jenkins_double, r2)
    assert report.ok
    jobs = sum(1 for i in r2.items if i.kind != "folder")
    assert report.count("update", "done") == jobs
    assert jenkins_double.counters.count("POST", "config.xml") == jobs
    assert jenkins_double.counters.count("POST", "createItem") == 0


def test_verify_finds_and_repairs_a_hand_edit(jenkins_double: JenkinsDouble) -> None:
    r = rendered(services=2)
    assert _apply(jenkins_double, r).ok
    name = "delivery/s1/prod"
    jenkins_double.edit_config(
        name, lambda x: x.replace(b"<script>", b"<script>echo 'HAND-EDIT'\n")
    )
    assert _apply(jenkins_double, r).count("update") == 0  # the digest cannot see it
    dry = _apply(jenkins_double, r, verify=True, dry_run=True)
    assert [o.change.full_name for o in dry.outcomes if o.change.action == "drift"] == [name]
    assert b"HAND-EDIT" in jenkins_double.config(name)
    fixed = _apply(jenkins_double, r, verify=True)
    assert fixed.ok and fixed.count("drift", "done") == 1
    assert b"HAND-EDIT" not in jenkins_double.config(name)
    assert _apply(jenkins_double, r, verify=True).count("drift") == 0


def test_verify_ignores_what_jenkins_records_itself(jenkins_double: JenkinsDouble) -> None:
    """After a build, the declarative pipeline adds its actions to config.xml; the double
    also stores plugin versions and default fields. None of it is drift."""
    r = rendered(services=1)
    assert _apply(jenkins_double, r).ok
    action = (
        b"<actions><org.jenkinsci.plugins.pipeline.modeldefinition.actions.DeclarativeJobAction"
        b' plugin="pipeline-model-definition@2.2255.v56a_15e805f12"/></actions>'
    )
    for item in r.items:
        if item.kind == "pipeline":
            jenkins_double.edit_config(item.full_name, lambda x: x.replace(b"<actions/>", action))
    assert b"DeclarativeJobAction" in jenkins_double.config("delivery/s0/dev")
    jenkins_double.counters.reset()
    report = _apply(jenkins_double, r, verify=True)
    assert report.ok and report.count("unchanged") == len(r.items)
    assert jenkins_double.counters.writes == 0


def test_prune_leaves_unmanaged_and_other_specs_alone(jenkins_double: JenkinsDouble) -> None:
    big = rendered(services=3)
    other = rendered(services=2, folder="other")
    assert _apply(jenkins_double, big).ok and _apply(jenkins_double, other).ok
    jenkins_double.put_item("delivery/s2/handmade", freestyle())
    jenkins_double.put_item("delivery/loose", freestyle())
    small = rendered(services=1)
    dry = _apply(jenkins_double, small, prune=True, dry_run=True)
    assert dry.count("prune", "planned") > 0 and jenkins_double.item("delivery/s1/dev")
    report = _apply(jenkins_double, small, prune=True)
    assert report.ok
    names = set(jenkins_double.job_names())
    assert "delivery/s1" not in names and "delivery/s1/dev" not in names  # ours: gone
    assert {"delivery/s2", "delivery/s2/handmade", "delivery/loose"} <= names  # kept
    assert "delivery/s2/dev" not in names
    assert {i.full_name for i in other.items} <= names  # another spec's items
    assert {i.full_name for i in small.items} <= names
    blocked = [o for o in report.outcomes if o.change.action == "prune-blocked"]
    assert [o.change.full_name for o in blocked] == ["delivery/s2"]


def test_nested_spec_never_rewrites_the_folder_another_spec_is_rooted_in(
    jenkins_double: JenkinsDouble,
) -> None:
    """Spec A is rooted at ``teams``; spec B at ``teams/platform`` names ``teams`` as its
    parent folder. Neither may keep rewriting the other's folder."""
    a = rendered(services=1, folder="teams")
    b = rendered(services=1, folder="teams/platform")
    assert _apply(jenkins_double, a).ok
    before = jenkins_double.config("teams")
    first_b = _apply(jenkins_double, b)
    assert first_b.ok and first_b.count("keep") == 1 and first_b.count("update") == 0
    assert jenkins_double.config("teams") == before
    jenkins_double.counters.reset()
    for spec in (a, b, a):
        report = _apply(jenkins_double, spec, prune=True)
        assert report.ok and report.count("update") == 0 and report.count("prune") == 0
    assert jenkins_double.counters.writes == 0


def test_prune_spares_copies_made_in_the_web_ui(jenkins_double: JenkinsDouble) -> None:
    """ "Copy from" copies the description, marker and all: such a copy is not a leftover."""
    r = rendered(services=2)
    assert _apply(jenkins_double, r).ok
    jenkins_double.put_item("delivery/s0/dev-hotfix", jenkins_double.config("delivery/s0/dev"))
    jenkins_double.put_item("delivery/s0-copy", jenkins_double.config("delivery/s0"))
    jenkins_double.put_item("delivery/s0-copy/dev", jenkins_double.config("delivery/s0/dev"))
    report = _apply(jenkins_double, rendered(services=1), prune=True)
    assert report.ok
    names = set(jenkins_double.job_names())
    assert {"delivery/s0/dev-hotfix", "delivery/s0-copy", "delivery/s0-copy/dev"} <= names
    assert not any(n.startswith("delivery/s1") for n in names)  # the real leftovers went
    blocked = {o.change.full_name: o.change.reason for o in report.outcomes if o.status == "noop"}
    assert blocked["delivery/s0/dev-hotfix"].startswith("same content as delivery/s0/dev")
    assert "delivery/s0-copy" in blocked


def test_without_prune_nothing_is_deleted(jenkins_double: JenkinsDouble) -> None:
    assert _apply(jenkins_double, rendered(services=2)).ok
    before = jenkins_double.job_names()
    report = _apply(jenkins_double, rendered(services=1))
    assert report.count("prune") > 0 and jenkins_double.job_names() == before
    assert jenkins_double.counters.count("DELETE") == 0


def test_unmanaged_job_is_not_overwritten_without_adopt(jenkins_double: JenkinsDouble) -> None:
    r = rendered(services=1)
    jenkins_double.put_item("delivery", FOLDER_XML)
    jenkins_double.put_item("delivery/s0", FOLDER_XML)
    pipeline = r.items[-1].config_xml.replace(b"managed-by: jenkinsgen", b"hand made")
    jenkins_double.put_item("delivery/s0/prod", pipeline)
    before = jenkins_double.config("delivery/s0/prod")
    report = _apply(jenkins_double, r)
    assert not report.ok
    [failure] = report.failures
    assert failure.change.full_name == "delivery/s0/prod" and "--adopt" in failure.error
    assert jenkins_double.config("delivery/s0/prod") == before
    assert jenkins_double.item("delivery/s0/dev") is not None  # the rest was applied
    assert jenkins_double.item("delivery").description == "hand-made folder"  # type: ignore[union-attr]
    adopted = _apply(jenkins_double, r, adopt=("delivery/s0/prod",))
    assert adopted.ok and adopted.count("adopt", "done") == 1
    assert r.items[-1].digest in jenkins_double.item("delivery/s0/prod").description  # type: ignore[union-attr]


def test_5xx_storm_reports_items_applies_rest_and_rerun_converges(
    jenkins_double: JenkinsDouble,
) -> None:
    r = rendered(services=4)
    jenkins_double.faults.fail_for(["delivery/s1/dev", "delivery/s3"], 503)
    report = _apply(jenkins_double, r)
    failed = {o.change.full_name for o in report.failures}
    skipped = {o.change.full_name for o in report.outcomes if o.status == "skipped"}
    assert failed == {"delivery/s1/dev", "delivery/s3"}
    assert skipped == {"delivery/s3/dev", "delivery/s3/prod"}  # children of a failed folder
    assert all("HTTP 503" in o.error for o in report.failures)
    assert jenkins_double.item("delivery/s2/prod") is not None
    jenkins_double.faults.clear()
    again = _apply(jenkins_double, r)
    assert again.ok and again.count("create", "done") == 4
    assert _apply(jenkins_double, r).count("unchanged") == len(r.items)


def test_workers_bound_the_requests_in_flight(jenkins_double: JenkinsDouble) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def track(req: Request) -> Response | None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)  # hold the request open so concurrent ones overlap
        return None

    original = jenkins_double.counters.record

    def record(method: str, kind: str, raw: str, status: int) -> None:
        with lock:
            state["now"] -= 1
        original(method, kind, raw, status)

    jenkins_double.before_request(track)
    jenkins_double.counters.record = record  # type: ignore[method-assign,assignment]
    report = _apply(jenkins_double, rendered(services=8), workers=3)
    assert report.ok
    assert 2 <= state["peak"] <= 3


def test_a_job_made_by_hand_after_the_tree_query_is_refused(
    jenkins_double: JenkinsDouble,
) -> None:
    """Someone creates a job between the tree query and apply's createItem: Jenkins answers
    "already exists"; apply reads the item, sees it is not ours, and refuses it by name;
    the others are applied."""
    raced = "delivery/s0/dev"

    def create_first(req: Request) -> Response | None:
        if (
            req.method == "POST"
            and req.path.endswith("/job/s0/createItem")
            and req.query.get("name") == ["dev"]
            and jenkins_double.item(raced) is None
        ):
            jenkins_double.put_item(raced, freestyle())
        return None

    jenkins_double.before_request(create_first)
    report = _apply(jenkins_double, rendered(services=1))
    [failure] = report.failures
    assert failure.change.action == "conflict" and failure.change.full_name == raced
    assert failure.error.startswith("exists as FreeStyleProject; the spec wants a pipeline")
    assert "made by someone else after apply read the list, not overwritten" in failure.error
    assert jenkins_double.item(raced).description == "made by hand"  # type: ignore[union-attr]
    assert jenkins_double.item("delivery/s0/prod") is not None
    again = _apply(jenkins_double, rendered(services=1))
    assert [o.change.action for o in again.failures] == ["conflict"]  # now it is unmanaged
