"""The order apply writes in: parents before children, children deleted before their folder,
and a failure stops exactly what depends on it (counted down, not rescanned)."""

from __future__ import annotations

from jenkinsgen.sync import apply_changes, plan_changes
from tests.jenkins_double import JenkinsDouble
from tests.sync.helpers import client_for, rendered


def _deleted(double: JenkinsDouble) -> list[str]:
    """Full names DELETEd successfully, in the order the double answered them."""
    out = []
    for method, raw, status in double.counters.log:
        if method == "DELETE" and status == 204:
            out.append("/".join(raw.strip("/").split("/")[1::2]))
    return out


def test_prune_deletes_children_first_and_a_failed_child_keeps_its_folder(
    jenkins_double: JenkinsDouble,
) -> None:
    client = client_for(jenkins_double.url)
    full = rendered(services=3)
    assert apply_changes(client, plan_changes(full, client.list_items())).ok
    jenkins_double.counters.reset()
    jenkins_double.faults.fail_for(["delivery/s1/dev"], 500)
    smaller = rendered(services=1)
    report = apply_changes(client, plan_changes(smaller, client.list_items()), 3, prune=True)
    status = {o.change.full_name: (o.status, o.error) for o in report.outcomes}
    assert status["delivery/s1/dev"][0] == "failed"
    assert status["delivery/s1"] == ("skipped", "a parent or child failed")
    assert status["delivery/s1/prod"][0] == "done"
    deleted = _deleted(jenkins_double)
    s2 = ["delivery/s2", "delivery/s2/dev", "delivery/s2/prod"]
    assert sorted(deleted) == ["delivery/s1/prod", *s2]
    assert deleted.index("delivery/s2") > max(
        deleted.index("delivery/s2/dev"), deleted.index("delivery/s2/prod")
    )
    assert jenkins_double.item("delivery/s1/dev") is not None
    assert jenkins_double.item("delivery/s0/dev") is not None


def test_a_failed_folder_skips_everything_below_it(jenkins_double: JenkinsDouble) -> None:
    """A three-level chain: the top folder fails, so its service folders and their jobs are
    skipped, each once; nothing is written below it."""
    client = client_for(jenkins_double.url)
    r = rendered(services=2, folder="teams/payments")
    jenkins_double.faults.fail_for(["teams/payments"], 500)
    report = apply_changes(client, plan_changes(r, client.list_items()), 4)
    status = {o.change.full_name: o.status for o in report.outcomes}
    assert status["teams"] == "done" and status["teams/payments"] == "failed"
    below = [i.full_name for i in r.items if i.full_name.startswith("teams/payments/")]
    assert len(below) == 6 and all(status[n] == "skipped" for n in below)
    assert [o.change.full_name for o in report.outcomes] == [i.full_name for i in r.items]
    assert jenkins_double.job_names() == ["teams"]
