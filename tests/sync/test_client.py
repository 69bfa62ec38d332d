"""The client: one request per write, Jenkins' X-Error carried, retries bounded, auth."""

from __future__ import annotations

from pathlib import Path

import pytest

from jenkinsgen.errors import JenkinsError
from jenkinsgen.jenkins.auth import load_credentials
from jenkinsgen.jenkins.client import JenkinsClient, JenkinsRequestError, RetryPolicy
from tests.jenkins_double import JenkinsDouble
from tests.sync.helpers import FOLDER_XML, client_for, freestyle


def test_each_write_is_one_request(jenkins_double: JenkinsDouble) -> None:
    client = client_for(jenkins_double.url)
    client.prime()
    jenkins_double.counters.reset()
    client.create(("f",), FOLDER_XML)
    client.create(("f", "j"), freestyle())
    client.update(("f", "j"), freestyle("new"))
    client.delete(("f", "j"))
    assert jenkins_double.counters.by_kind == {
        ("POST", "createItem"): 2,
        ("POST", "config.xml"): 1,
        ("DELETE", "item"): 1,
    }
    assert [i.full_name for i in client.list_items()] == ["f"]


def test_conflict_carries_x_error_and_item_name(jenkins_double: JenkinsDouble) -> None:
    client = client_for(jenkins_double.url)
    client.create(("j",), freestyle())
    with pytest.raises(JenkinsRequestError) as info:
        client.create(("j",), freestyle())
    err = info.value
    assert (err.item, err.status) == ("j", 400)
    assert "A job already exists with the name ?j?" in str(err) and str(err).startswith("j: ")
    with pytest.raises(JenkinsRequestError, match=r"^x/j: create failed: HTTP 404"):
        client.create(("x", "j"), freestyle())


def test_5xx_is_retried_then_succeeds(jenkins_double: JenkinsDouble) -> None:
    client = client_for(jenkins_double.url)
    client.prime()
    jenkins_double.faults.fail_next_requests(2, 503)
    client.create(("j",), freestyle())
    assert jenkins_double.item("j") is not None
    assert jenkins_double.counters.count("POST", "createItem") == 3


def test_retries_are_bounded(jenkins_double: JenkinsDouble) -> None:
    client = JenkinsClient(jenkins_double.url, retry=RetryPolicy(3, 0.001, 0.002))
    client.prime()
    jenkins_double.faults.fail_for(["j"], 500)
    with pytest.raises(JenkinsRequestError, match="HTTP 500") as info:
        client.create(("j",), freestyle())
    assert info.value.retryable
    assert jenkins_double.counters.count("POST", "createItem") == 3


def test_dropped_connection_is_retried(jenkins_double: JenkinsDouble) -> None:
    client = client_for(jenkins_double.url)
    client.prime()
    jenkins_double.faults.drop_next_requests(1)
    client.create(("j",), freestyle())
    assert jenkins_double.item("j") is not None


def test_unreachable_controller_is_one_clear_error() -> None:
    with JenkinsDouble() as d:
        url = d.url
    client = JenkinsClient(url, retry=RetryPolicy(2, 0.001, 0.001))
    with pytest.raises(JenkinsRequestError, match=r"list items failed: cannot connect to http"):
        client.list_items()


def test_token_auth_without_crumbs_and_wrong_token(secured_jenkins_double: JenkinsDouble) -> None:
    env = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"}
    creds = load_credentials(secured_jenkins_double.url, env)
    assert creds is not None and "admin-token" not in repr(creds)
    client = client_for(secured_jenkins_double.url, credentials=creds)
    client.create(("j",), freestyle())
    bad = load_credentials(secured_jenkins_double.url, {**env, "JENKINS_API_TOKEN": "nope"})
    with pytest.raises(JenkinsRequestError, match="HTTP 401: authentication failed") as info:
        client_for(secured_jenkins_double.url, credentials=bad).list_items()
    assert "nope" not in str(info.value)


def test_password_auth_uses_session_bound_crumbs(secured_jenkins_double: JenkinsDouble) -> None:
    env = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-pw"}
    client = client_for(secured_jenkins_double.url, credentials=load_credentials("x", env))
    client.create(("j",), freestyle())
    client.update(("j",), freestyle("v2"))
    assert secured_jenkins_double.counters.count("GET", "crumbIssuer") == 1


def test_credentials_sources(tmp_path: Path) -> None:
    assert load_credentials("http://h", {"HOME": str(tmp_path)}) is None
    with pytest.raises(JenkinsError, match="JENKINS_USER is set but JENKINS_API_TOKEN is not"):
        load_credentials("http://h", {"JENKINS_USER": "u"})
    rc = tmp_path / "netrc"
    rc.write_text("machine jenkins.example.com login ci password s3cret-token\n")
    rc.chmod(0o600)
    creds = load_credentials("https://jenkins.example.com/", {"JENKINS_NETRC": str(rc)})
    assert creds is not None and (creds.user, creds.token) == ("ci", "s3cret-token")
    assert load_credentials("https://other.example.com/", {"JENKINS_NETRC": str(rc)}) is None
    rc.write_text("machine jenkins.example.com login ci password s3cret-token bogus\n")
    with pytest.raises(JenkinsError) as info:
        load_credentials("https://jenkins.example.com/", {"JENKINS_NETRC": str(rc)})
    assert "s3cret" not in str(info.value) and str(rc) in str(info.value)
    with pytest.raises(JenkinsError, match="credentials file not found"):
        load_credentials("http://h", {"JENKINS_NETRC": str(tmp_path / "missing")})


def test_a_server_that_is_not_jenkins_is_not_retried(jenkins_double: JenkinsDouble) -> None:
    from tests.jenkins_double import Request, Response

    def html(req: Request) -> Response | None:
        return Response(200, b"<html>login page</html>", "text/html")

    jenkins_double.before_request(html)
    with pytest.raises(JenkinsRequestError, match="is not JSON: is http"):
        client_for(jenkins_double.url).list_items()
    assert jenkins_double.counters.total == 1


def test_url_must_not_carry_credentials() -> None:
    with pytest.raises(JenkinsError, match="credentials do not belong in the URL") as info:
        JenkinsClient("https://bot:s3cret@jenkins.example.com/")
    assert "s3cret" not in str(info.value)
    with pytest.raises(JenkinsError, match="must be http"):
        JenkinsClient("jenkins.example.com")


def test_non_ascii_secrets_are_refused_not_dropped(secured_jenkins_double: JenkinsDouble) -> None:
    """A wrong token with non-ASCII characters is a 401 like any other wrong token."""
    env = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "tøken-ü"}
    client = client_for(secured_jenkins_double.url, credentials=load_credentials("x", env))
    with pytest.raises(JenkinsRequestError, match="HTTP 401") as info:
        client.list_items()
    assert "tøken" not in str(info.value)
    assert secured_jenkins_double.counters.count("GET", "api/json") == 1  # not retried


def test_delete_whose_answer_was_lost_is_done(jenkins_double: JenkinsDouble) -> None:
    """The first DELETE lands but its answer is a 502: the retry's 404 means it is gone."""
    client = client_for(jenkins_double.url)
    client.prime()
    jenkins_double.counters.reset()
    jenkins_double.faults.fail_next_requests(1, 502)  # as if the first attempt had landed:
    client.delete(("j",))  # the item is not there, so the retry answers 404
    assert [s for _m, _p, s in jenkins_double.counters.log] == [502, 404]
    with pytest.raises(JenkinsRequestError, match="HTTP 404"):
        client.delete(("j",))  # a first attempt's 404 is still an error
