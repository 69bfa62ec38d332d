"""The one thin client over python-jenkins that the rest of jenkinsgen uses.

It does only what sync needs — one tree query for every item with its description, read a
config.xml, create / update / delete an item with one request each — and converts every
failure at this boundary into :class:`JenkinsRequestError`, carrying the item name, the HTTP
status and Jenkins' own message (the ``X-Error`` header). Connection errors and 5xx answers
are retried with bounded exponential backoff. The token never appears in a message.
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


class _PythonJenkins(jenkins.Jenkins):  # type: ignore[misc]
    """python-jenkins, remembering (per thread) the last failed response for X-Error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failed = threading.local()
        self.count_lock = threading.Lock()
        self.sent = 0  # HTTP requests sent (crumb and auth requests included)

    def _request(self, req: requests.Request, stream: bool | None = None) -> requests.Response:
        with self.count_lock:
            self.sent += 1
        return super()._request(req, stream)  # type: ignore[no-any-return]

    def _response_handler(self, response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            self.failed.response = response
        return super()._response_handler(response)  # type: ignore[no-any-return]


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
        self._pj = _PythonJenkins(self.url, username=user, password=token, timeout=timeout)
        # one keep-alive connection per worker thread (python-jenkins' adapter keeps 10)
        self._pj._session.mount(self.url, HTTPAdapter(pool_maxsize=pool_size))
        self._lock = threading.Lock()
        self._primed = False

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries and the CSRF crumb request included."""
        return int(self._pj.sent)

    def __repr__(self) -> str:
        return f"JenkinsClient({self.url!r})"

    # -- reads ----------------------------------------------------------------------------

    def version(self) -> str:
        """The controller's version (the ``X-Jenkins`` header)."""

        def read() -> str:
            self._pj._maybe_add_auth()  # python-jenkins' get_version sends no credentials
            return str(self._pj.get_version())

        return self._call("read version", "", read)

    def list_items(self, max_depth: int = 12) -> list[LiveItem]:
        """Every item down to ``max_depth`` folder levels, in one tree query, parents first.

        Only plain folders are descended into: the children of multibranch projects and
        organisation folders are computed by Jenkins, not items anyone manages.
        """
        tree = _TREE_FIELDS
        for _ in range(max_depth):
            tree = f"{_TREE_FIELDS},jobs[{tree}]"
        query = f"api/json?tree=jobs[{tree}]"

        def fetch() -> Any:
            req = requests.Request("GET", self.url + query)
            return self._pj.jenkins_request(req, add_crumb=False).json()

        data = self._call("list items", "", fetch)
        return list(_flatten(data.get("jobs") or [], ()))

    def get_config(self, path: tuple[str, ...]) -> bytes:
        """The live config.xml of an item (as Jenkins re-serialised it)."""

        def fetch() -> bytes:
            req = requests.Request("GET", self._item_url(path) + "config.xml")
            return bytes(self._pj.jenkins_request(req, add_crumb=False).content)

        return self._call("read config.xml", "/".join(path), fetch)

    # -- writes: each is exactly one request carrying a complete config.xml ---------------

    def create(self, path: tuple[str, ...], config_xml: bytes) -> None:
        """createItem in the parent folder. If a retried create finds the item already
        there (the first attempt landed but its answer was lost), it updates instead."""
        parent_url = self._item_url(path[:-1])
        url = f"{parent_url}createItem?name={quote(path[-1], safe='')}"
        attempts = 0

        def post() -> None:
            nonlocal attempts
            attempts += 1
            self._post(url, config_xml)

        try:
            self._call("create", "/".join(path), post)
        except JenkinsRequestError as exc:
            if attempts > 1 and exc.status == 400 and "already exists" in exc.detail:
                self.update(path, config_xml)
                return
            raise

    def update(self, path: tuple[str, ...], config_xml: bytes) -> None:
        """POST the complete config.xml (Jenkins' updateByXml; atomic per item)."""
        url = self._item_url(path) + "config.xml"
        self._call("update", "/".join(path), lambda: self._post(url, config_xml))

    def delete(self, path: tuple[str, ...]) -> None:
        """HTTP DELETE on the item (204); a folder goes with everything in it. If a retried
        delete finds the item gone (the first attempt landed but its answer was lost), done."""
        attempts = 0

        def send() -> None:
            nonlocal attempts
            attempts += 1
            self._pj.jenkins_request(requests.Request("DELETE", self._item_url(path)))

        try:
            self._call("delete", "/".join(path), send)
        except JenkinsRequestError as exc:
            if attempts > 1 and exc.status == 404:
                return
            raise

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

    def _post(self, url: str, body: bytes) -> None:
        self.prime()
        req = requests.Request("POST", url, data=body, headers=dict(XML_HEADERS))
        self._pj.jenkins_request(req)

    def _item_url(self, path: tuple[str, ...]) -> str:
        return self.url + "".join(f"job/{quote(name, safe='')}/" for name in path)

    def _call(self, action: str, item: str, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying connection errors and 5xx; convert every failure."""
        attempt = 0
        while True:
            self._pj.failed.response = None
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
        response: requests.Response | None = getattr(self._pj.failed, "response", None)
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
