"""``jenkinsgen diff`` and ``jenkinsgen apply`` as users run them (subprocesses, real CLI)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from jenkinsgen.render import render_spec
from jenkinsgen.spec import load_spec
from jenkinsgen.sync.canonical import same_config
from jenkinsgen.sync.progress import Progress
from tests.jenkins_double import JenkinsDouble
from tests.sync.helpers import freestyle, spec_text

TOKEN = "tok-9f8e7d6c5b4a"


def _spec(tmp_path: Path, name: str = "jenkinsgen.yaml", **kwargs: object) -> Path:
    path = tmp_path / name
    path.write_text(spec_text(**kwargs))  # type: ignore[arg-type]
    return path


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "jenkinsgen.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_apply_then_diff(jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    spec = _spec(tmp_path, services=2)
    url = jenkins_double.url
    first = _run("apply", str(spec), "--url", url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("apply delivery: 7 created (")
    assert "Traceback" not in first.stderr
    changed = _spec(tmp_path, "v2.yaml", services=3, build="make all")
    out = _run("diff", str(changed), "--url", url)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "       create  delivery/s2" in lines
    assert "       update  delivery/s0/dev" in lines
    assert "    unchanged  delivery/s0" in lines
    assert "--- live/delivery/s0/dev/config.xml" in lines
    assert any(line.startswith("+") and "make all" in line for line in lines)
    data = json.loads(_run("diff", str(changed), "--url", url, "--output", "json").stdout)
    by_name = {i["name"]: i for i in data["items"]}
    assert by_name["delivery/s2/dev"]["action"] == "create"
    assert "make all" in by_name["delivery/s0/prod"]["diff"]
    small = _spec(tmp_path, "small.yaml", services=1)
    data = json.loads(_run("diff", str(small), "--url", url, "--output", "json").stdout)
    assert {i["name"] for i in data["items"] if i["action"] == "prune"} == {
        "delivery/s1",
        "delivery/s1/dev",
        "delivery/s1/prod",
    }
    assert jenkins_double.counters.count("DELETE") == 0
    kept = _run("apply", str(small), "--url", url)
    assert kept.returncode == 0 and "3 prunable (--prune)" in kept.stdout
    pruned = _run("apply", str(small), "--url", url, "--prune")
    assert pruned.returncode == 0 and "3 pruned" in pruned.stdout
    assert jenkins_double.counters.count("DELETE") == 3


def test_apply_json_and_failure_exit(jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    spec = _spec(tmp_path, services=2)
    jenkins_double.faults.fail_for(["delivery/s1/prod"], 500)
    out = _run("apply", str(spec), "--url", jenkins_double.url, "--output", "json")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["ok"] is False
    [failed] = [i for i in data["items"] if i["status"] == "failed"]
    assert failed["name"] == "delivery/s1/prod" and "HTTP 500" in failed["error"]
    assert "error: delivery/s1/prod: create failed: HTTP 500" in out.stderr
    assert "Traceback" not in out.stderr
    jenkins_double.faults.clear()
    again = _run("apply", str(spec), "--url", jenkins_double.url)
    assert again.returncode == 0 and "1 created, 6 unchanged" in again.stdout


def test_conflict_message_names_the_item(jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    jenkins_double.put_item("delivery", freestyle())
    out = _run("apply", str(_spec(tmp_path, services=1)), "--url", jenkins_double.url)
    assert out.returncode == 1
    assert "error: delivery: exists as FreeStyleProject; the spec wants a folder" in out.stderr
    assert "error: delivery/s0: parent delivery is not applied" in out.stderr


def test_secrets_never_in_output(secured_jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    spec = _spec(tmp_path, services=1)
    env = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"}
    ok = _run("-v", "apply", str(spec), "--url", secured_jenkins_double.url, "--verify", env=env)
    assert ok.returncode == 0, ok.stderr
    bad = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": TOKEN}
    out = _run("-v", "apply", str(spec), "--url", secured_jenkins_double.url, env=bad)
    assert out.returncode == 1 and "HTTP 401" in out.stderr
    for result in (ok, out):
        assert "admin-token" not in result.stdout + result.stderr
        assert TOKEN not in result.stdout + result.stderr


def test_netrc_credentials(secured_jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    rc = tmp_path / "netrc"
    rc.write_text("machine 127.0.0.1 login admin password admin-token\n")
    rc.chmod(0o600)
    spec = _spec(tmp_path, services=1)
    out = _run(
        "apply", str(spec), "--url", secured_jenkins_double.url, env={"JENKINS_NETRC": str(rc)}
    )
    assert out.returncode == 0, out.stderr
    anonymous = _run(
        "apply",
        str(spec),
        "--url",
        secured_jenkins_double.url,
        env={"HOME": str(tmp_path / "nohome")},
    )
    assert anonymous.returncode == 1 and "HTTP 403" in anonymous.stderr


def test_bad_spec_is_one_located_error(jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("version: 1\nfolder: x\nbogus: 1\n")
    out = _run("apply", str(spec), "--url", jenkins_double.url)
    assert out.returncode == 1 and "bad.yaml:" in out.stderr and "Traceback" not in out.stderr
    assert jenkins_double.counters.total == 0


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(4, "apply", stream)
        bar.advance(True)
        bar.advance(False)
        bar.close()
    assert "\rapply [" in tty.getvalue() and "2/4  failed 1" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_sigint_mid_apply_leaves_every_job_old_or_new(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    old = _spec(tmp_path, "old.yaml", services=6)
    assert _run("apply", str(old), "--url", jenkins_double.url).returncode == 0
    new = _spec(tmp_path, "new.yaml", services=6, build="make everything")
    old_items = {i.full_name: i for i in render_spec(load_spec(old)).items}
    new_items = {i.full_name: i for i in render_spec(load_spec(new)).items}
    jenkins_double.counters.reset()
    jenkins_double.faults.latency = 0.15
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jenkinsgen.cli.main",
            "apply",
            str(new),
            "--url",
            jenkins_double.url,
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    # Deterministic on a busy machine: once 3 jobs are updated, the double holds every request
    # (the in-flight ones included) until apply has seen the interrupt; only then are they
    # answered. So at most the 2 writes in flight (--workers 2) land after the third.
    lines: list[str] = []
    noticed = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "interrupted" in line:
                noticed.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    try:
        reader.start()
        deadline = time.monotonic() + 60
        while jenkins_double.counters.count("POST", "config.xml") < 3:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        jenkins_double.faults.pause()
        at_pause = jenkins_double.counters.count("POST", "config.xml")
        proc.send_signal(signal.SIGINT)
        assert noticed.wait(60), "".join(lines)
        jenkins_double.faults.resume()
        stdout, _ = proc.communicate(timeout=60)
        reader.join(60)
        stderr = "".join(lines)
    finally:
        jenkins_double.faults.resume()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout + stderr and "Traceback" not in stderr
    assert "skipped" in stdout
    updated = jenkins_double.counters.count("POST", "config.xml")
    assert 3 <= at_pause <= updated <= at_pause + 2 < 12
    olds = news = 0
    for name, item in new_items.items():
        live = jenkins_double.config(name)
        if same_config(live, item.config_xml):
            news += 1
        else:
            assert same_config(live, old_items[name].config_xml), name
            olds += 1
    assert news >= 3 and olds > 0
    jenkins_double.faults.latency = 0
    rerun = _run("apply", str(new), "--url", jenkins_double.url)
    assert rerun.returncode == 0 and f"{olds} updated" in rerun.stdout


def test_diff_verify_shows_a_hand_edit(jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    spec = _spec(tmp_path, services=1)
    assert _run("apply", str(spec), "--url", jenkins_double.url).returncode == 0
    jenkins_double.counters.reset()
    jenkins_double.edit_config(
        "delivery/s0/dev", lambda x: x.replace(b"<numToKeep>", b"<numToKeep>9")
    )
    plain = _run("diff", str(spec), "--url", jenkins_double.url)
    assert "drift" not in plain.stdout  # the digest alone cannot see it
    out = _run("diff", str(spec), "--url", jenkins_double.url, "--verify")
    assert out.returncode == 0, out.stderr
    assert "        drift  delivery/s0/dev  (edited by hand)" in out.stdout.splitlines()
    assert "-        <numToKeep>920</numToKeep>" in out.stdout
    assert jenkins_double.counters.writes == 0


def test_invalid_url_is_one_clear_error(tmp_path: Path) -> None:
    spec = _spec(tmp_path, services=1)
    for url in ("http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:x", "http://a b"):
        out = _run("diff", str(spec), "--url", url)
        assert out.returncode == 1, url
        assert "Traceback" not in out.stderr
        assert out.stderr.startswith("error: the Jenkins URL is not valid"), out.stderr


def test_folders_deeper_than_twelve_levels_converge(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    """The tree query reaches the spec's deepest items, so a rerun sees them unchanged."""
    deep = "/".join(f"l{i}" for i in range(13))
    spec = _spec(tmp_path, services=1, folder=deep)
    first = _run("apply", str(spec), "--url", jenkins_double.url)
    assert first.returncode == 0, first.stderr
    again = _run("apply", str(spec), "--url", jenkins_double.url, "--output", "json")
    assert again.returncode == 0, again.stderr
    data = json.loads(again.stdout)
    assert {i["action"] for i in data["items"]} == {"unchanged"} and data["requests"] == 1


def test_adopt_and_adopt_all_from_the_command_line(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, services=2)
    assert _run("apply", str(spec), "--url", jenkins_double.url).returncode == 0
    for name in ("delivery/s0/dev", "delivery/s1/prod"):  # taken over by hand-made copies
        jenkins_double.edit_config(
            name, lambda x: x.replace(b"managed-by: jenkinsgen", b"hand made")
        )
    before = jenkins_double.config("delivery/s1/prod")
    refused = _run("apply", str(spec), "--url", jenkins_double.url, "--verify")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "error: delivery/s0/dev: exists and is not managed" in refused.stderr
    assert jenkins_double.config("delivery/s1/prod") == before
    one = _run(
        "apply",
        str(spec),
        "--url",
        jenkins_double.url,
        "--adopt",
        "delivery/s0/dev",
        "--adopt",
        "s1",
    )
    assert one.returncode == 1 and "1 adopted" in one.stdout
    assert "warning: --adopt s1: not an item of this spec" in one.stderr
    assert "delivery/s0/dev" not in one.stderr and "delivery/s1/prod" in one.stderr
    every = _run("apply", str(spec), "--url", jenkins_double.url, "--adopt-all")
    assert every.returncode == 0 and "1 adopted, 6 unchanged" in every.stdout, every.stdout
    assert b"hand made" not in jenkins_double.config("delivery/s1/prod")


def test_json_documents_keep_their_schema(jenkins_double: JenkinsDouble, tmp_path: Path) -> None:
    """Machines read these: the keys are pinned (docs/sync.md documents them)."""
    spec = _spec(tmp_path, services=2)
    assert _run("apply", str(spec), "--url", jenkins_double.url).returncode == 0
    jenkins_double.faults.fail_for(["delivery/s2"], 500)
    jenkins_double.put_item("delivery/s1/hand", freestyle())
    changed = _spec(tmp_path, "v2.yaml", services=3, build="make all", names=["s0", "s2"])
    diff = json.loads(
        _run("diff", str(changed), "--url", jenkins_double.url, "--output", "json").stdout
    )
    assert set(diff) == {"owner", "url", "counts", "items"}
    assert diff["owner"] == "delivery" and diff["url"] == jenkins_double.url + "/"
    keys = {frozenset(i) for i in diff["items"]}
    assert keys == {
        frozenset({"name", "kind", "action", "reason"}),
        frozenset({"name", "kind", "action", "reason", "diff"}),
    }
    assert diff["counts"] == {
        "create": 3,
        "update": 2,
        "unchanged": 2,
        "prune": 2,
        "prune-blocked": 1,
    }
    out = _run("apply", str(changed), "--url", jenkins_double.url, "--output", "json", "--prune")
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert set(data) == {"owner", "url", "dry_run", "interrupted", "ok", "requests", "items"}
    assert (data["dry_run"], data["interrupted"], data["ok"]) == (False, False, False)
    assert isinstance(data["requests"], int)
    base = {"name", "kind", "action", "status"}
    assert {frozenset(i) - base for i in data["items"]} == {
        frozenset(),
        frozenset({"reason"}),
        frozenset({"error"}),
    }
    by_name = {i["name"]: i for i in data["items"]}
    assert by_name["delivery/s2"]["status"] == "failed"
    assert by_name["delivery/s2/dev"] == {
        "name": "delivery/s2/dev",
        "kind": "pipeline",
        "action": "create",
        "status": "skipped",
    }
    assert by_name["delivery/s1"]["action"] == "prune-blocked"
    assert by_name["delivery/s1/dev"]["status"] == "done"
    assert {i["status"] for i in data["items"]} == {"done", "failed", "skipped", "noop"}


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal: (status, stdout, terminal output)."""
    import pty

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JENKINS_")}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jenkinsgen.cli.main", *args],
            stdout=subprocess.PIPE,
            stderr=slave,
            env=env,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout = proc.communicate(timeout=120)[0]
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return proc.returncode, stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_progress_bar_is_drawn_by_apply_only_on_a_terminal(
    jenkins_double: JenkinsDouble, tmp_path: Path
) -> None:
    spec = _spec(tmp_path, services=2)
    status, stdout, tty = _on_a_terminal("apply", str(spec), "--url", jenkins_double.url)
    assert status == 0 and stdout.startswith("apply delivery: 7 created")
    assert "\rapply [" in tty and "7/7" in tty and "apply delivery" not in tty
    changed = _spec(tmp_path, "v2.yaml", services=2, build="make all")
    status, stdout, tty = _on_a_terminal(
        "apply", str(changed), "--url", jenkins_double.url, "--output", "json"
    )
    assert status == 0 and json.loads(stdout)["ok"] is True
    assert "\r" not in tty  # json output: no bar even on a terminal
    v3 = _spec(tmp_path, "v3.yaml", services=2, build="make most")
    status, stdout, tty = _on_a_terminal("-q", "apply", str(v3), "--url", jenkins_double.url)
    assert status == 0 and stdout == "" and tty == ""  # -q: errors only
    piped = _run("apply", str(_spec(tmp_path, "v4.yaml", services=3)), "--url", jenkins_double.url)
    assert piped.returncode == 0 and "\r" not in piped.stderr and piped.stderr == ""


def test_no_command_line_option_carries_a_secret() -> None:
    """Credentials come from the environment or a netrc file only (never argv, never ps)."""
    from jenkinsgen.cli.sync_cmds import COMMANDS

    for command in COMMANDS:
        for param in command.params:
            names = " ".join([param.name or "", *param.opts]).lower()
            for word in ("token", "password", "secret", "user", "auth", "credential"):
                assert word not in names, f"{command.name} {param.opts}"
