"""A create that finds the item already there never overwrites what is not ours.

The first createItem answers 502 (a proxy timing out) and meanwhile the same item appears:
made by hand, or made by that first attempt itself. The retry answers "already exists";
apply reads the item and decides by the planning rules: ours → done, not ours → refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from jenkinsgen.render.model import Rendered
from jenkinsgen.sync import apply_changes, plan_changes
from jenkinsgen.sync.apply import ApplyReport
from tests.jenkins_double import JenkinsDouble, Request, Response
from tests.sync.helpers import FOLDER_XML, client_for, freestyle, rendered, spec_text

RACED = "delivery/s0/dev"


def _hand_made_pipeline(r: Rendered, name: str) -> bytes:
    """A pipeline someone made by hand: the spec's job without our marker line."""
    item = next(i for i in r.items if i.full_name == name)
    return item.config_xml.replace(b"managed-by: jenkinsgen", b"made by hand")


def _on_first_create(
    double: JenkinsDouble, name: str, meanwhile: Callable[[], None], status: int = 502
) -> list[int]:
    """Answer the first createItem of ``name`` with ``status`` after running ``meanwhile``
    (the item appears in between); returns the statuses createItem of ``name`` got."""
    parent, _, leaf = name.rpartition("/")
    seen: list[int] = []

    def hook(req: Request) -> Response | None:
        if not (
            req.method == "POST"
            and req.path == "".join(f"job/{p}/" for p in parent.split("/")) + "createItem"
            and req.query.get("name") == [leaf]
        ):
            return None
        if not seen:
            meanwhile()
            seen.append(status)
            return Response.text("Bad Gateway", status)
        seen.append(400 if double.item(name) is not None else 200)
        return None

    double.before_request(hook)
    return seen


def _apply(double: JenkinsDouble, r: Rendered, **kwargs: object) -> ApplyReport:
    client = client_for(double.url)
    adopt_all = bool(kwargs.pop("adopt_all", False))
    changes = plan_changes(r, client.list_items(), adopt_all=adopt_all)
    return apply_changes(client, changes, 4, **kwargs)  # type: ignore[arg-type]


def test_retried_create_does_not_overwrite_a_job_made_by_hand(
    jenkins_double: JenkinsDouble,
) -> None:
    r = rendered(services=2)
    hand = _hand_made_pipeline(r, RACED)
    seen = _on_first_create(jenkins_double, RACED, lambda: jenkins_double.put_item(RACED, hand))
    report = _apply(jenkins_double, r)
    assert seen == [502, 400]  # the retry found the hand-made job
    [failure] = report.failures
    assert failure.change.full_name == RACED and failure.change.action == "conflict"
    assert "exists and is not managed by jenkinsgen" in failure.error
    assert "made by someone else while the create was retried, not overwritten" in failure.error
    after = jenkins_double.item(RACED)
    assert after is not None and after.description.startswith("Service s0")
    assert "made by hand" in after.description and "managed-by" not in after.description
    assert jenkins_double.counters.count("POST", "config.xml") == 0  # never updated
    others = [i.full_name for i in r.items if i.full_name != RACED]
    assert all(jenkins_double.item(n) is not None for n in others)  # the rest applied
    assert report.count("create", "done") == len(others)


def test_retried_create_whose_first_attempt_landed_is_done(jenkins_double: JenkinsDouble) -> None:
    """The 502 hid a create that landed: the item carries our marker and digest, so it is
    counted as created, without a second write."""
    r = rendered(services=1)
    ours = next(i for i in r.items if i.full_name == RACED).config_xml
    seen = _on_first_create(jenkins_double, RACED, lambda: jenkins_double.put_item(RACED, ours))
    report = _apply(jenkins_double, r)
    assert seen == [502, 400]
    assert report.ok and report.count("create", "done") == len(r.items)
    assert jenkins_double.counters.count("POST", "config.xml") == 0


def test_a_folder_made_by_hand_meanwhile_is_used_as_it_is(jenkins_double: JenkinsDouble) -> None:
    """Planning keeps an unmanaged folder (its jobs go inside); a racing one too."""
    r = rendered(services=1)
    seen = _on_first_create(
        jenkins_double, "delivery/s0", lambda: jenkins_double.put_item("delivery/s0", FOLDER_XML)
    )
    report = _apply(jenkins_double, r)
    assert seen == [502, 400] and report.ok
    assert [o.change.action for o in report.outcomes if o.change.full_name == "delivery/s0"] == [
        "keep"
    ]
    assert jenkins_double.item(RACED) is not None
    folder = jenkins_double.item("delivery/s0")
    assert folder is not None and folder.description == "hand-made folder"


def test_adopt_all_takes_over_a_job_made_meanwhile(jenkins_double: JenkinsDouble) -> None:
    """With --adopt-all the same rules adopt it, as planning would have."""
    r = rendered(services=1)
    hand = _hand_made_pipeline(r, RACED)
    _on_first_create(jenkins_double, RACED, lambda: jenkins_double.put_item(RACED, hand))
    report = _apply(jenkins_double, r, adopt_all=True)
    assert report.ok and report.count("adopt", "done") == 1
    after = jenkins_double.item(RACED)
    assert after is not None and "managed-by: jenkinsgen" in after.description


def test_client_never_updates_on_already_exists(jenkins_double: JenkinsDouble) -> None:
    from jenkinsgen.jenkins.client import ItemExistsError

    client = client_for(jenkins_double.url)
    client.prime()
    jenkins_double.put_item("j", freestyle("v1"))  # as if the first attempt had landed
    jenkins_double.counters.reset()
    jenkins_double.faults.fail_next_requests(1, 502)
    with pytest.raises(ItemExistsError) as info:
        client.create(("j",), freestyle("v2"))
    assert info.value.retried and info.value.status == 400
    assert jenkins_double.item("j").description == "v1"  # type: ignore[union-attr]
    assert [m for m, _p, _s in jenkins_double.counters.log] == ["POST", "POST"]
    with pytest.raises(ItemExistsError) as first:
        client.create(("j",), freestyle("v2"))
    assert not first.value.retried


def test_cli_names_the_conflict_exits_1_and_applies_the_rest(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    spec = tmp_path / "jenkinsgen.yaml"
    spec.write_text(spec_text(services=2))
    r = rendered(services=2)
    hand = _hand_made_pipeline(r, RACED)
    _on_first_create(jenkins_double, RACED, lambda: jenkins_double.put_item(RACED, hand))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    url = jenkins_double.url
    out = subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", "apply", str(spec), "--url", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith(f"error: {RACED}: exists and is not managed by jenkinsgen")
    assert "6 created" in out.stdout and "1 refused" in out.stdout, out.stdout
    after = jenkins_double.item(RACED)
    assert after is not None and "managed-by" not in after.description
