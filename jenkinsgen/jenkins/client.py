"""The one thin client over python-jenkins that the rest of jenkinsgen uses.

It offers what sync and agents need — one tree query for every item with its description,
read one item or its config.xml, create / update / delete an item with one request each,
and a few plain requests (:meth:`JenkinsClient.get_json`, :meth:`~JenkinsClient.get_bytes`,
:meth:`~JenkinsClient.post`, :meth:`~JenkinsClient.create_node`) for the agents' endpoints —
and converts every failure at this boundary into :class:`JenkinsRequestError`, carrying the
item name, the HTTP status and Jenkins' own message (the ``X-Error`` header). Connection
errors and 5xx answers are retried with bounded exponential backoff. The token never appears
in a message.

python-jenkins stays behind this module: nothing else imports it, and only its public
methods are called, except in one place (:meth:`JenkinsClient.__init__` mounts our transport
adapter on its session, which python-jenkins does not expose).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import jenkins
import requests
from requests.adapters import HTTPAdapter

from jenkinsgen.errors import JenkinsError
from jenkinsgen.jenkins.auth import Credentials
from jenkinsgen.jenkins.urls import ControllerUrlError, parse_controller_url

log = logging.getLogger("jenkinsgen.jenkins")

T = TypeVar("T")

#: ``_class`` of the only item group whose children are items someone created (not computed).
FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"
XML_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
_TREE_FIELDS = "name,_class,description"


class JenkinsRequestError(JenkinsError):
    """One request failed; ``status`` is None for connection errors and timeouts."""

    def __init__(
        self, action: str, item: str, status: int | None, detail: str, transient: bool = True
    ) -> None:
        self.action, self.item, self.status, self.detail = action, item, status, detail
        self.transient = transient
        code = f"HTTP {status}: " if status is not None else ""
        super().__init__(f"{item or '(root)'}: {action} failed: {code}{detail}")

    @property
    def retryable(self) -> bool:
        return self.transient and (self.status is None or self.status >= 500)


class ItemExistsError(JenkinsRequestError):
    """createItem answered that the item already exists. ``retried`` says whether an earlier
    attempt of the same create may have landed (its answer was lost). The client never
    overwrites it: the caller decides (sync reads the item and checks its marker)."""

    def __init__(self, item: str, detail: str, retried: bool) -> None:
        super().__init__("create", item, 400, detail, transient=False)
        self.retried = retried


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: ``attempts`` tries, waits of base·2ⁿ capped at ``cap``."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 4.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.base * 2**attempt) * random.uniform(0.5, 1.0))


@dataclass(frozen=True)
class LiveItem:
    """An item as the tree query shows it."""

    path: tuple[str, ...]
    cls: str
    description: str

    @property
    def full_name(self) -> str:
        return "/".join(self.path)

    @property
    def is_folder(self) -> bool:
        return self.cls == FOLDER_CLASS


class _Transport(HTTPAdapter):
    """The HTTP adapter under python-jenkins' session: counts the requests sent and keeps,
    per thread, the last failed response (python-jenkins drops it, with its ``X-Error``)."""

    def __init__(self, pool_size: int) -> None:
        super().__init__(pool_maxsize=pool_size)
        self.failed = threading.local()
        self._lock = threading.Lock()
        self.sent = 0  # HTTP requests sent (crumb and auth requests included)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self.sent += 1
        response = super().send(request, *args, **kwargs)
        if response.status_code >= 400:
            self.failed.response = response
        return response


class JenkinsClient:
    """A Jenkins controller at ``url``; safe to share between threads."""

    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
    ) -> None:
        try:
            parse_controller_url(url)
        except ControllerUrlError as exc:
            if exc.kind == "credentials":
                raise JenkinsError(f"{exc.host}: {exc.reason}") from None
            if exc.kind == "scheme":
                raise JenkinsError(
                    f"{url!r}: the Jenkins URL must be http:// or https://HOST"
                ) from None
            raise JenkinsError(f"the Jenkins URL is not valid: {exc.reason}") from None
        self.url = url.rstrip("/") + "/"
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        user = credentials.user if credentials else None
        token = credentials.token if credentials else None
        self._pj = jenkins.Jenkins(self.url, username=user, password=token, timeout=timeout)
        # one keep-alive connection per worker thread (python-jenkins' adapter keeps 10); the
        # only private member of python-jenkins used anywhere: it has no public session
        self._transport = _Transport(pool_size)
        self._pj._session.mount(self.url, self._transport)
        self._lock = threading.Lock()
        self._primed = False

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries and the CSRF crumb request included."""
        return self._transport.sent

    def __repr__(self) -> str:
        return f"JenkinsClient({self.url!r})"

    # -- reads ----------------------------------------------------------------------------

    def version(self) -> str:
        """The controller's version (the ``X-Jenkins`` header)."""

        # not python-jenkins' get_version, which sends no credentials
        return self._call("read version", "", lambda: str(self._get(self.url).headers["X-Jenkins"]))

    def list_items(self, max_depth: int = 12) -> list[LiveItem]:
        """Every item down to ``max_depth`` folder levels, in one tree query, parents first.

        Only plain folders are descended into: the children of multibranch projects and
        organisation folders are computed by Jenkins, not items anyone manages.
        """
        tree = _TREE_FIELDS
        for _ in range(max_depth):
            tree = f"{_TREE_FIELDS},jobs[{tree}]"
        data = self.get_json(f"api/json?tree=jobs[{tree}]", "list items")
        return list(_flatten(data.get("jobs") or [], ()))

    def get_item(self, path: tuple[str, ...]) -> LiveItem | None:
        """One item as the tree query shows it, or None when there is none."""
        url = self._item_url(path) + f"api/json?tree={_TREE_FIELDS}"
        try:
            data = self._call("read item", "/".join(path), lambda: self._get(url).json())
        except JenkinsRequestError as exc:
            if exc.status == 404:
                return None
            raise
        return LiveItem(path, str(data.get("_class", "")), str(data.get("description") or ""))

    def get_config(self, path: tuple[str, ...]) -> bytes:
        """The live config.xml of an item (as Jenkins re-serialised it)."""
        url = self._item_url(path) + "config.xml"
        return self._call("read config.xml", "/".join(path), lambda: bytes(self._get(url).content))

    # -- writes: each is exactly one request carrying a complete config.xml ---------------

    def create(self, path: tuple[str, ...], config_xml: bytes) -> None:
        """createItem in the parent folder. If the item is already there, raise
        :class:`ItemExistsError` (also when a retry finds what a lost first attempt made)."""
        parent_url = self._item_url(path[:-1])
        url = f"{parent_url}createItem?name={quote(path[-1], safe='')}"
        attempts = 0

        def post() -> None:
            nonlocal attempts
            attempts += 1
            self._post(url, config_xml)

        self.prime()
        try:
            self._call("create", "/".join(path), post)
        except JenkinsRequestError as exc:
            if exc.status == 400 and "already exists" in exc.detail:
                raise ItemExistsError("/".join(path), exc.detail, attempts > 1) from None
            raise

    def update(self, path: tuple[str, ...], config_xml: bytes) -> None:
        """POST the complete config.xml (Jenkins' updateByXml; atomic per item)."""
        url = self._item_url(path) + "config.xml"
        self.prime()
        self._call("update", "/".join(path), lambda: self._post(url, config_xml))

    def delete(self, path: tuple[str, ...]) -> None:
        """HTTP DELETE on the item (204); a folder goes with everything in it. If a retried
        delete finds the item gone (the first attempt landed but its answer was lost), done."""
        attempts = 0

        def send() -> None:
            nonlocal attempts
            attempts += 1
            self._pj.jenkins_request(requests.Request("DELETE", self._item_url(path)))

        self.prime()
        try:
            self._call("delete", "/".join(path), send)
        except JenkinsRequestError as exc:
            if attempts > 1 and exc.status == 404:
                return
            raise

    # -- plain requests (paths relative to the controller URL), for the agents' endpoints ---

    def get_json(self, path: str, action: str, item: str = "") -> Any:
        """GET ``path`` and decode its JSON answer."""
        return self._call(action, item, lambda: self._get(self.url + path).json())

    def get_bytes(self, path: str, action: str, item: str = "") -> bytes:
        """GET ``path`` and return its body."""
        return self._call(action, item, lambda: bytes(self._get(self.url + path).content))

    def post(self, path: str, action: str, item: str = "") -> None:
        """POST to ``path`` with no body (CSRF crumb included when Jenkins wants one)."""
        url = self.url + path
        self.prime()
        self._call(action, item, lambda: self._pj.jenkins_request(requests.Request("POST", url)))

    def create_node(
        self,
        name: str,
        *,
        description: str,
        executors: int,
        remote_fs: str,
        labels: str,
        websocket: bool = False,
    ) -> None:
        """Create an inbound (JNLP) agent (python-jenkins' ``create_node``: an existence
        check, the form POST, a check after it). An agent of that name already there is a
        400 "already exists" error, not retried."""
        launcher_params: dict[str, Any] = {"webSocket": websocket}  # our own dict, never shared

        def create() -> None:
            try:
                self._pj.create_node(
                    name,
                    numExecutors=executors,
                    nodeDescription=description,
                    remoteFS=remote_fs,
                    labels=labels,
                    exclusive=False,
                    launcher=jenkins.LAUNCHER_JNLP,
                    launcher_params=launcher_params,
                )
            except jenkins.JenkinsException as exc:
                # python-jenkins checks first and raises a bare exception: not worth a retry
                if "already exists" in str(exc):
                    detail = f"Agent called \u2018{name}\u2019 already exists"
                    raise JenkinsRequestError("create agent", name, 400, detail) from None
                raise

        self.prime()
        self._call("create agent", name, create)

    # -- plumbing -------------------------------------------------------------------------

    def prime(self) -> None:
        """Resolve auth and fetch a CSRF crumb once, before threads share the client."""
        with self._lock:
            if self._primed:
                return

            def crumb() -> None:
                self._pj.maybe_add_crumb(requests.Request("POST", self.url))

            self._call("fetch CSRF crumb", "", crumb)
            self._primed = True

    def _get(self, url: str) -> requests.Response:
        response: requests.Response = self._pj.jenkins_request(
            requests.Request("GET", url), add_crumb=False
        )
        return response

    def _post(self, url: str, body: bytes) -> None:
        req = requests.Request("POST", url, data=body, headers=dict(XML_HEADERS))
        self._pj.jenkins_request(req)

    def _item_url(self, path: tuple[str, ...]) -> str:
        return self.url + "".join(f"job/{quote(name, safe='')}/" for name in path)

    def _call(self, action: str, item: str, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying connection errors and 5xx; convert every failure."""
        attempt = 0
        while True:
            self._transport.failed.response = None
            try:
                return fn()
            except (jenkins.JenkinsException, requests.RequestException) as exc:
                err = self._convert(action, item, exc)
            attempt += 1
            if not err.retryable or attempt >= self.retry.attempts:
                raise err
            wait = self.retry.delay(attempt - 1)
            log.debug("%s; retry %d/%d in %.2fs", err, attempt, self.retry.attempts - 1, wait)
            self._sleep(wait)

    def _convert(self, action: str, item: str, exc: Exception) -> JenkinsRequestError:
        response: requests.Response | None = getattr(self._transport.failed, "response", None)
        if response is None and isinstance(exc, requests.HTTPError):
            response = exc.response
        if response is not None:
            detail = response.headers.get("X-Error") or _status_text(response)
            return JenkinsRequestError(action, item, response.status_code, detail)
        if isinstance(exc, requests.JSONDecodeError):
            detail = f"the answer is not JSON: is {self.url} a Jenkins controller?"
            return JenkinsRequestError(action, item, None, detail, transient=False)
        if isinstance(exc, (requests.Timeout, jenkins.TimeoutException)):
            return JenkinsRequestError(action, item, None, "timed out")
        if isinstance(exc, requests.ConnectionError):
            return JenkinsRequestError(action, item, None, f"cannot connect to {self.url}")
        return JenkinsRequestError(action, item, None, str(exc).splitlines()[0])


def _status_text(response: requests.Response) -> str:
    if response.status_code == 401:
        return "authentication failed (check JENKINS_USER / JENKINS_API_TOKEN)"
    if response.status_code == 403:
        body = response.text
        if "No valid crumb" in body:
            return "No valid crumb was included in the request"
        return "permission denied"
    if response.status_code == 404:
        return "not found"
    return response.reason or "error"


def _flatten(jobs: list[dict[str, Any]], parent: tuple[str, ...]) -> Iterator[LiveItem]:
    for job in jobs:
        path = (*parent, str(job["name"]))
        item = LiveItem(path, str(job.get("_class", "")), str(job.get("description") or ""))
        yield item
        if item.is_folder:
            yield from _flatten(job.get("jobs") or [], path)
