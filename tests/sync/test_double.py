"""The double answers as Jenkins does (facts from JENKINS-REST.md, checked upstream)."""

from __future__ import annotations

import jenkins
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from jenkinsgen.jenkins import JenkinsClient, load_credentials
from tests.jenkins_double import JenkinsDouble
from tests.jenkins_double.api import TreeSyntaxError, parse_tree
from tests.sync.helpers import FOLDER_XML, freestyle


def _crumbed(double: JenkinsDouble) -> requests.Session:
    s = requests.Session()
    crumb = s.get(double.url + "/crumbIssuer/api/json").json()
    s.headers[crumb["crumbRequestField"]] = crumb["crumb"]
    return s


def test_create_item_and_failures(jenkins_double: JenkinsDouble) -> None:
    s = _crumbed(jenkins_double)
    url = jenkins_double.url
    xml = {"Content-Type": "application/xml"}
    assert s.post(f"{url}/createItem?name=a", data=freestyle(), headers=xml).status_code == 200
    r = s.post(f"{url}/createItem?name=a", data=freestyle(), headers=xml)
    assert (r.status_code, r.headers["X-Error"]) == (
        400,
        "A job already exists with the name ?a?",  # Jetty: non-Latin-1 → "?"
    )
    r = s.post(f"{url}/createItem", data=freestyle(), headers=xml)
    assert r.headers["X-Error"] == "Query parameter 'name' is required"
    r = s.post(f"{url}/createItem?name=b", data=freestyle())
    assert (r.status_code, r.headers["X-Error"]) == (400, "No Content-Type header set")
    r = s.post(f"{url}/createItem?name=b%3F", data=freestyle(), headers=xml)
    assert r.status_code == 400 and "unsafe character" in r.headers["X-Error"]
    assert (
        s.post(f"{url}/job/nope/createItem?name=b", data=freestyle(), headers=xml).status_code
        == 404
    )
    # a job is no folder: nothing can be created inside it
    assert (
        s.post(f"{url}/job/a/createItem?name=b", data=freestyle(), headers=xml).status_code == 404
    )
    assert s.post(f"{url}/createItem?name=c", data=b"<project>", headers=xml).status_code == 500
    assert r.headers["X-Jenkins"] == jenkins_double.version


def test_nested_folders_config_roundtrip_and_delete(jenkins_double: JenkinsDouble) -> None:
    server = jenkins.Jenkins(jenkins_double.url)
    server.create_job("A", jenkins.EMPTY_FOLDER_XML)
    server.create_job("A/B", jenkins.EMPTY_FOLDER_XML)
    server.create_job("A/B/j", freestyle("first").decode())
    live = server.get_job_config("A/B/j")
    assert live.startswith("<?xml version='1.1' encoding='UTF-8'?>\n<project>\n  <description>")
    server.reconfig_job("A/B/j", freestyle("second").decode())
    assert jenkins_double.item("A/B/j").description == "second"  # type: ignore[union-attr]
    assert server.get_job_info("A/B/j")["description"] == "second"
    s = _crumbed(jenkins_double)
    r = s.put(jenkins_double.url + "/job/A/job/B/job/j/config.xml", data=freestyle())
    assert r.status_code == 400
    r = s.post(jenkins_double.url + "/job/A/job/B/job/j/doDelete", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("/job/A/job/B/")
    assert s.delete(jenkins_double.url + "/job/A/job/B/").status_code == 204
    assert jenkins_double.job_names() == ["A"]
    assert server.job_exists("A/B") is None  # python-jenkins: True or None


def test_tree_query_nests_folders_and_reads_descriptions(jenkins_double: JenkinsDouble) -> None:
    jenkins_double.put_item("F", FOLDER_XML)
    jenkins_double.put_item("F/j", freestyle("inner"))
    jenkins_double.put_item("top", freestyle("outer"))
    data = requests.get(
        jenkins_double.url + "/api/json?tree=jobs[name,description,jobs[name,description]]"
    ).json()
    by_name = {j["name"]: j for j in data["jobs"]}
    assert by_name["top"] == {
        "_class": "hudson.model.FreeStyleProject",
        "name": "top",
        "description": "outer",
    }
    assert by_name["F"]["jobs"] == [
        {"_class": "hudson.model.FreeStyleProject", "name": "j", "description": "inner"}
    ]
    shallow = requests.get(jenkins_double.url + "/api/json").json()
    assert {"name", "url", "_class"} <= set(shallow["jobs"][0]) and "description" not in (
        shallow["jobs"][0]
    )
    deep = requests.get(jenkins_double.url + "/api/json?depth=1").json()
    assert any("jobs" in j for j in deep["jobs"])
    ranged = requests.get(jenkins_double.url + "/api/json?tree=jobs[name]{0,1}").json()
    assert len(ranged["jobs"]) == 1
    assert requests.get(jenkins_double.url + "/job/F/job/j/api/json?tree=name").status_code == 200
    assert requests.get(jenkins_double.url + "/job/F/job/x/api/json?tree=name").status_code == 404
    assert requests.get(jenkins_double.url + "/api/json?tree=jobs[name").status_code == 400


def test_parse_tree_grammar() -> None:
    tree = parse_tree("jobs[name,jobs[url]{1,3}],description")
    assert set(tree) == {"jobs", "description"}
    inner = tree["jobs"].sub
    assert inner is not None and inner["jobs"].start == 1 and inner["jobs"].end == 3
    with pytest.raises(TreeSyntaxError):
        parse_tree("jobs[,]")


def test_csrf_and_auth(secured_jenkins_double: JenkinsDouble) -> None:
    d = secured_jenkins_double
    url = d.url
    xml = {"Content-Type": "text/xml"}
    assert requests.get(url + "/api/json").status_code == 403
    assert requests.get(url + "/crumbIssuer/api/json").status_code == 403  # needs Overall/Read
    assert requests.get(url + "/api/json", auth=("admin", "wrong")).status_code == 401
    # password auth: a POST needs a crumb bound to the session that fetched it
    r = requests.post(
        url + "/createItem?name=x", data=freestyle(), headers=xml, auth=("admin", "admin-pw")
    )
    assert r.status_code == 403 and "No valid crumb was included in the request" in r.text
    s = requests.Session()
    s.auth = ("admin", "admin-pw")
    crumb = s.get(url + "/crumbIssuer/api/json").json()
    other = requests.post(
        url + "/createItem?name=x",
        data=freestyle(),
        headers={**xml, "Jenkins-Crumb": crumb["crumb"]},
        auth=("admin", "admin-pw"),
    )
    assert other.status_code == 403  # same crumb, no session cookie
    ok = s.post(
        url + "/createItem?name=x",
        data=freestyle(),
        headers={**xml, "Jenkins-Crumb": crumb["crumb"]},
    )
    assert ok.status_code == 200
    # API-token requests are exempt from CSRF
    r = requests.post(
        url + "/createItem?name=y", data=freestyle(), headers=xml, auth=("admin", "admin-token")
    )
    assert r.status_code == 200
    # python-jenkins with a token works end to end
    server = jenkins.Jenkins(url, username="admin", password="admin-token")
    server.create_job("z", freestyle().decode())
    assert sorted(d.job_names()) == ["x", "y", "z"]


def test_no_crumb_issuer_is_404() -> None:
    with JenkinsDouble(csrf=False) as d:
        assert requests.get(d.url + "/crumbIssuer/api/json").status_code == 404
        server = jenkins.Jenkins(d.url)
        server.create_job("a", freestyle().decode())  # python-jenkins copes without crumbs
        assert d.job_names() == ["a"]


def test_faults_and_counters(jenkins_double: JenkinsDouble) -> None:
    d = jenkins_double
    url = d.url
    d.faults.fail_next_requests(2, 502)
    assert requests.get(url + "/api/json").status_code == 502
    assert requests.get(url + "/api/json").status_code == 502
    assert requests.get(url + "/api/json").status_code == 200
    d.put_item("bad", freestyle())
    d.faults.fail_for(["bad"], 503)
    assert requests.get(url + "/job/bad/api/json").status_code == 503
    assert requests.get(url + "/api/json").status_code == 200
    d.faults.drop_next_requests(1)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/json")
    assert d.counters.count("GET", "api/json") == 6
    assert d.counters.writes == 0
    d.faults.clear()
    d.counters.reset()
    assert d.counters.total == 0


def test_hand_edit_is_reserialised(jenkins_double: JenkinsDouble) -> None:
    jenkins_double.put_item("j", freestyle("a"))
    jenkins_double.edit_config("j", lambda x: x.replace(b"<builders/>", b"<builders></builders>"))
    assert jenkins_double.config("j").startswith(b"<?xml version='1.1'")
    with pytest.raises(KeyError):
        jenkins_double.edit_config("missing", lambda x: x)


def _tree_text(tree: dict[str, object]) -> str:
    parts = []
    for name, sub in tree.items():
        parts.append(name + (f"[{_tree_text(sub)}]" if isinstance(sub, dict) else ""))
    return ",".join(parts)


_names = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
_trees = st.recursive(
    st.dictionaries(_names, st.none(), min_size=1, max_size=3),
    lambda inner: st.dictionaries(_names, st.none() | inner, min_size=1, max_size=3),
    max_leaves=12,
)


@given(_trees)
def test_parse_tree_reads_back_what_was_written(tree: dict[str, object]) -> None:
    def plain(parsed: dict[str, object]) -> dict[str, object]:
        return {k: (plain(v.sub) if v.sub is not None else None) for k, v in parsed.items()}  # type: ignore[attr-defined]

    assert plain(parse_tree(_tree_text(tree))) == tree  # type: ignore[arg-type]


def test_python_jenkins_lists_nested_jobs(jenkins_double: JenkinsDouble) -> None:
    jenkins_double.put_item("F", FOLDER_XML)
    jenkins_double.put_item("F/G", FOLDER_XML)
    jenkins_double.put_item("F/G/j", freestyle())
    server = jenkins.Jenkins(jenkins_double.url)
    names = sorted(j["fullname"] for j in server.get_all_jobs())
    assert names == ["F", "F/G", "F/G/j"]


def test_extension_routes_get_auth_crumbs_and_counters() -> None:
    """The registration API agents' nodes.py relies on (README: Extending)."""
    from tests.jenkins_double.routing import Failure, Response

    with JenkinsDouble(users={"u": "pw"}, tokens={"u": "tok"}, extensions=()) as d:
        seen = []

        def hello(req, m):  # type: ignore[no-untyped-def]
            if m["name"] == "bad":
                raise Failure("no such thing")
            seen.append((req.user, req.via_token))
            return Response.json({"name": m["name"]})

        d.router.add("POST", r"things/(?P<name>[^/]+)/poke", hello, kind="things/poke")
        url = d.url + "/things/a/poke"
        assert requests.post(url).status_code == 403  # anonymous
        assert requests.post(url, auth=("u", "pw")).status_code == 403  # no crumb
        assert requests.post(url, auth=("u", "tok")).json() == {"name": "a"}
        bad = requests.post(d.url + "/things/bad/poke", auth=("u", "tok"))
        assert (bad.status_code, bad.headers["X-Error"]) == (400, "no such thing")
        assert requests.get(url, auth=("u", "tok")).status_code == 405
        assert seen == [("u", True)]
        assert d.counters.count("POST", "things/poke") == 4


def test_x_jenkins_header_gives_the_version(secured_jenkins_double: JenkinsDouble) -> None:
    """python-jenkins' get_version reads the X-Jenkins header of the root page."""
    with JenkinsDouble() as open_double:
        assert jenkins.Jenkins(open_double.url).get_version() == open_double.version
    env = {"JENKINS_USER": "admin", "JENKINS_API_TOKEN": "admin-token"}
    creds = load_credentials("x", env)
    client = JenkinsClient(secured_jenkins_double.url, creds)
    assert client.version() == secured_jenkins_double.version
    anonymous = requests.get(secured_jenkins_double.url + "/api/json")
    assert anonymous.status_code == 403 and anonymous.headers["X-Jenkins"]
