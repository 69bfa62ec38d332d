"""The double's HTTP server: a threaded ``http.server`` on 127.0.0.1 and a random port.

Each request is accounted, delayed, possibly dropped or failed (see faults.py), then
authenticated, checked for a crumb, and dispatched through the :class:`Router`.
"""

from __future__ import annotations

import contextlib
import importlib
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from tests.jenkins_double import items
from tests.jenkins_double.faults import Counters, Faults
from tests.jenkins_double.routing import Failure, NotFound, Request, Response, Router
from tests.jenkins_double.security import SESSION_COOKIE, Security
from tests.jenkins_double.state import Item, ItemTree

JENKINS_VERSION = "2.541.1"

#: Modules with an ``install(double)`` function loaded into every double when importable.
DEFAULT_EXTENSIONS = ("tests.jenkins_double.nodes",)


class JenkinsDouble:
    """A Jenkins controller double. Use as a context manager or call start()/stop().

    ``users`` maps user → password; ``tokens`` maps user → API token. With neither, security
    is off (anonymous may do everything) but CSRF crumbs are still required unless
    ``csrf=False``.
    """

    def __init__(
        self,
        users: dict[str, str] | None = None,
        tokens: dict[str, str] | None = None,
        csrf: bool = True,
        version: str = JENKINS_VERSION,
        extensions: Iterable[str] = DEFAULT_EXTENSIONS,
    ) -> None:
        self.version = version
        self.tree = ItemTree()
        self.router = Router()
        self.faults = Faults()
        self.counters = Counters()
        self.security = Security(csrf=csrf)
        for user, password in (users or {}).items():
            self.security.add_user(user, password=password)
        for user, token in (tokens or {}).items():
            self.security.add_user(user, token=token)
        self.sessions: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.state: dict[str, object] = {}  # extensions keep their own state here
        self._before: list[Callable[[Request], Response | None]] = []
        items.install(self)
        for module in extensions:
            self._load_extension(module)

    def _load_extension(self, module: str) -> None:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return
            raise
        mod.install(self)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> JenkinsDouble:
        handler = _make_handler(self)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.request_queue_size = 128
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            name="jenkins-double",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> JenkinsDouble:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "double not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def new_session(self) -> str:
        sid = secrets.token_hex(12)
        self.sessions.add(sid)
        return sid

    def before_request(self, hook: Callable[[Request], Response | None]) -> None:
        """Run ``hook`` before dispatch; a Response it returns answers the request."""
        self._before.append(hook)

    # -- direct access for tests (no HTTP) ------------------------------------------------

    def item(self, full_name: str) -> Item | None:
        with self.tree.lock:
            return self.tree.find(tuple(full_name.split("/")) if full_name else ())

    def job_names(self) -> list[str]:
        """Full names of every item, parents first."""
        with self.tree.lock:
            return [i.full_name for i in self.tree.all_items()]

    def config(self, full_name: str) -> bytes:
        item = self.item(full_name)
        if item is None:
            raise KeyError(full_name)
        return item.config_xml

    def put_item(self, full_name: str, config_xml: bytes) -> None:
        """Create an item "by hand" (its parent must exist)."""
        *parents, name = full_name.split("/")
        with self.tree.lock:
            parent = self.tree.find(tuple(parents))
            if parent is None:
                raise KeyError("/".join(parents))
            self.tree.create(parent, name, config_xml)

    def edit_config(self, full_name: str, edit: Callable[[bytes], bytes]) -> None:
        """Change an item's config as a user in the web UI would (re-serialised)."""
        with self.tree.lock:
            item = self.tree.find(tuple(full_name.split("/")))
            if item is None:
                raise KeyError(full_name)
            self.tree.update(item, edit(item.config_xml))


def _make_handler(double: JenkinsDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Jetty(12.0.0)"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            self._handle()

        do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            segments = [unquote(s) for s in split.path.lstrip("/").split("/")]
            names: list[str] = []
            while len(segments) >= 2 and segments[0] == "job":
                names.append(segments[1])
                segments = segments[2:]
            rest = "/".join(segments)
            query = parse_qs(split.query, keep_blank_values=True)
            req = Request(
                method=self.command,
                path=unquote(split.path.lstrip("/")),
                raw_path=self.path,
                query=query,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                session=_session(self.headers.get("Cookie")),
            )
            touched = ["/".join(names[: i + 1]) for i in range(len(names))]
            touched += names[-1:]
            if rest == "createItem" and "name" in query:
                new = query["name"][0]
                touched += [new, "/".join([*names, new])]
            kind = _kind(double, names, rest, req.path)
            if double.faults.latency:
                time.sleep(double.faults.latency)
            double.faults.wait_if_paused()
            drop, status = double.faults.decide(touched)
            if drop:
                double.counters.record(req.method, kind, self.path, 0)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if status is not None:
                resp = Response.text(f"Injected failure {status}", status)
            else:
                resp = _dispatch(double, req, names, rest)
            double.counters.record(req.method, kind, self.path, resp.status)
            self._send(resp)

        def _send(self, resp: Response) -> None:
            self.send_response(resp.status)
            self.send_header("X-Jenkins", double.version)
            self.send_header("X-Hudson", "1.395")
            self.send_header("X-Jenkins-Session", "d0ub1e")
            if resp.content_type:
                self.send_header("Content-Type", resp.content_type)
            for key, value in resp.headers.items():
                # Jetty writes header values as ISO-8859-1, other characters as "?"
                self.send_header(key, value.encode("latin-1", "replace").decode("latin-1"))
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)

    return Handler


def _session(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(cookie_header)
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def _kind(double: JenkinsDouble, names: list[str], rest: str, path: str) -> str:
    if not names:
        for route, _m in double.router.match_global(path):
            return route.kind
    for route, _m in double.router.match_item(rest):
        return route.kind
    return "other"


def _dispatch(double: JenkinsDouble, req: Request, names: list[str], rest: str) -> Response:
    refused = double.security.authenticate(req)
    if refused is not None:
        return refused
    if req.session is not None and req.session not in double.sessions:
        req.session = None
    refused = double.security.check_crumb(req)
    if refused is not None:
        return refused
    for hook in double._before:
        early = hook(req)
        if early is not None:
            return early
    try:
        if not names:
            matches = double.router.match_global(req.path)
            for route, m in matches:
                if req.method in route.methods:
                    return route.handler(req, m)  # type: ignore[no-any-return]
            if matches:
                return Response(405, b"Method not allowed", "text/plain")
        path = tuple(names)
        if double.tree.find(path) is None:
            return Response.not_found()
        item_matches = double.router.match_item(rest)
        for route, m in item_matches:
            if req.method in route.methods:
                return route.handler(req, path, m)  # type: ignore[no-any-return]
        if item_matches:
            return Response(405, b"This URL requires POST", "text/plain")
        return Response.not_found()
    except Failure as exc:
        return Response.failure(exc.message)
    except NotFound:
        return Response.not_found()
