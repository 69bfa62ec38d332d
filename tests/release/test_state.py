"""The release state on disk: stable slot ports from the spec's range, atomic files, locks
that a dead process lets go of, damaged files named, release ids checked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jenkinsgen.errors import ReleaseConflict, ReleaseError
from jenkinsgen.release.state import HISTORY, ServiceState, Slot, StateStore, new_release_id


def store(tmp_path: Path) -> StateStore:
    return StateStore(tmp_path / "state", "prod")


def test_ports_come_from_the_range_stay_with_their_service_and_are_never_shared(
    tmp_path: Path,
) -> None:
    s = store(tmp_path)
    orders = s.allocate("orders", 21000, 21009, keep={"orders", "web"})
    web = s.allocate("web", 21000, 21009, keep={"orders", "web"})
    assert orders.ports == {"blue": 21000, "green": 21001}
    assert web.ports == {"blue": 21002, "green": 21003}
    # A service added before the others in the spec does not move them.
    early = s.allocate("aaa", 21000, 21009, keep={"aaa", "orders", "web"})
    assert early.ports == {"blue": 21004, "green": 21005}
    assert s.allocate("orders", 21000, 21009, keep=set()).ports == orders.ports
    # Ports in use by containers whose state was lost are skipped.
    keep = {"aaa", "orders", "web", "other"}
    other = s.allocate("other", 21000, 21009, keep=keep, taken={21006})
    assert other.ports == {"blue": 21007, "green": 21008}


def test_ports_of_a_service_gone_from_the_spec_are_reused_only_when_it_has_no_container(
    tmp_path: Path,
) -> None:
    s = store(tmp_path)
    s.allocate("gone", 21000, 21003, keep={"gone"})
    busy = s.allocate("busy", 21000, 21003, keep={"gone", "busy"})
    busy.slots["blue"] = Slot(image="x:1", release="20250101-000000-abcdef", container="c")
    s.save(busy)
    new = s.allocate("new", 21000, 21003, keep={"new"})
    assert new.ports == {"blue": 21000, "green": 21001}  # gone's, not busy's
    assert s.services() == ["busy", "new"]
    with pytest.raises(ReleaseError, match="no two free ports left in 21000-21003 for more"):
        s.allocate("more", 21000, 21003, keep={"new", "more"})


def test_files_are_written_whole_and_private(tmp_path: Path) -> None:
    s = store(tmp_path)
    state = s.allocate("orders", 21000, 21001, keep={"orders"})
    record = s.new_record(state, "acme/orders:1", "blue", None, None)
    s.save(state)
    for path in (s.service_path("orders"), s.record_path(record.id)):
        assert oct(path.stat().st_mode & 0o777) == "0o640"
        assert json.loads(path.read_text())["version"] == 1
    leftovers = [p for p in (tmp_path / "state").rglob(".*.tmp")]
    assert leftovers == []
    assert s.load("orders") == state
    loaded = s.load_record(record.id)
    assert loaded is not None and loaded.events[0][1:] == [
        "deploying",
        "deploying acme/orders:1 to the blue slot",
    ]


def test_a_damaged_state_file_is_named(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.allocate("orders", 21000, 21001, keep={"orders"})
    s.service_path("orders").write_text("{not json")
    with pytest.raises(ReleaseError, match=r"services/orders.json is damaged"):
        s.load("orders")
    s.service_path("orders").write_text(json.dumps({"version": 7}))
    with pytest.raises(ReleaseError, match="not a jenkinsgen release state"):
        s.load("orders")
    s.service_path("orders").write_bytes(b'{"version": 1, "service": "\xff\xfe"}')
    with pytest.raises(ReleaseError, match=r"services/orders.json is damaged"):
        s.load("orders")
    s.service_path("orders").write_text(
        json.dumps({"version": 1, "service": "orders", "ports": {}, "slots": []})
    )
    with pytest.raises(ReleaseError, match=r"services/orders.json is damaged"):
        s.load("orders")


def test_a_damaged_release_record_is_named(tmp_path: Path) -> None:
    s = store(tmp_path)
    s.allocate("orders", 21000, 21001, keep={"orders"})
    release_id = new_release_id()
    path = s.record_path(release_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    for damaged in (b"\xff{", b'{"version": 1, "id": []}', b'{"version": 1}'):
        path.write_bytes(damaged)
        with pytest.raises(ReleaseError, match="is damaged"):
            s.load_record(release_id)


def test_release_ids_are_checked_before_they_become_paths(tmp_path: Path) -> None:
    s = store(tmp_path)
    assert s.load_record("../../etc/passwd") is None
    assert s.load_record("20250101-000000-abcdef") is None
    with pytest.raises(ReleaseError, match="is not a release id"):
        s.record_path("../x")


def test_history_keeps_the_newest_releases(tmp_path: Path) -> None:
    s = store(tmp_path)
    state = s.allocate("orders", 21000, 21001, keep={"orders"})
    ids = [
        s.new_record(
            state, f"acme/orders:{i}", "blue", None, None, f"20250101-0000{i:02d}-abcdef"
        ).id
        for i in range(HISTORY + 3)
    ]
    assert state.history == ids[-HISTORY:]
    assert s.load_record(ids[0]) is None and s.load_record(ids[-1]) is not None


def test_a_service_lock_is_exclusive_and_a_dead_holder_lets_go(tmp_path: Path) -> None:
    s = store(tmp_path)
    state = s.allocate("orders", 21000, 21001, keep={"orders"})
    record = s.new_record(state, "acme/orders:1", "blue", None, None)
    assert s.effective_status(record) == "interrupted"  # deploying, and nobody holds the lock
    with s.service_lock("orders"):
        assert s.busy("orders") and not s.busy("web")
        assert s.effective_status(record) == "deploying"
        with (
            pytest.raises(ReleaseConflict, match="another deploy, confirm or rollback"),
            s.service_lock("orders"),
        ):
            pass
    assert not s.busy("orders")
    pid = os.fork()
    if pid == 0:  # a child that takes the lock and dies without letting go
        with s.service_lock("orders"):
            os._exit(0)
    os.waitpid(pid, 0)
    assert not s.busy("orders")
    with s.service_lock("orders"):
        pass


def test_weights_follow_the_live_slot() -> None:
    state = ServiceState(service="orders", ports={"blue": 1, "green": 2})
    assert (state.idle(), state.weight("blue"), state.weight("green")) == ("blue", 0, 0)
    state.slots["blue"] = Slot(image="a:1", release="r", container="c")
    state.live = "blue"
    assert (state.idle(), state.weight("blue"), state.weight("green")) == ("green", 100, 0)
