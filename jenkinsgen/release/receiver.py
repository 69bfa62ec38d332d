"""The deploy-trigger receiver: what ``jenkinsgen release serve`` answers.

Requests (every one but ``GET /healthz`` needs ``Authorization: Bearer <token>``):

* ``POST <path of a service's trigger.webhook>`` with ``{"image", "environment"}`` — exactly
  what the rendered Deploy trigger stage sends: runs ``deploy`` in the background, 202 with
  the release id and its status URL (also in ``Location``); the same image again while its
  release runs or awaits confirm (or already serves) 200 with that release; another image
  then 409.
* ``GET /releases/<id>`` — the release record, its status as it is now.
* ``POST /releases/<id>/confirm`` and ``/rollback`` — in the background, 202; 200 when it is
  settled that way already; 409 when the release is in no state for it.

A wrong or missing token is 401 and nothing else happens (compared in constant time; the
token never reaches a log or an answer). Releases of one service in one environment are
serialised, different ones run in parallel: the caller supplies ``submit``, which runs a job
in the background (the library starts no thread itself).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from jenkinsgen.errors import JenkinsgenError, ReleaseError
from jenkinsgen.release.operations import confirm, deploy, rollback
from jenkinsgen.release.site import Site
from jenkinsgen.release.slots import container_state
from jenkinsgen.release.state import RELEASE_ID, TERMINAL, ReleaseRecord, new_release_id
from jenkinsgen.spec.model import Service
from jenkinsgen.spec.v1 import IMAGE_WITH_TAG

__all__ = ["Receiver", "Response", "error_response"]

log = logging.getLogger("jenkinsgen.release")
_IMAGE = re.compile(IMAGE_WITH_TAG)
_RELEASE_PATH = re.compile(r"/releases/([^/]+)(/confirm|/rollback)?")


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def error_response(status: int, message: str, **headers: str) -> Response:
    return Response(status, {"error": message}, dict(headers))


@dataclass
class _Job:
    release_id: str
    kind: str  # deploy, confirm, rollback
    environment: str
    service: str
    image: str


class Receiver:
    """Answers requests for the environments of ``sites`` (see module docstring)."""

    def __init__(
        self,
        sites: Mapping[str, Site],
        token: str,
        submit: Callable[[Callable[[], None]], object],
    ) -> None:
        if not token:
            raise ReleaseError("the receiver's token is empty")
        self.sites = dict(sites)
        self._token = token.encode()
        self._submit = submit
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, str], _Job] = {}
        self._webhooks: dict[str, Service] = {}
        for site in self.sites.values():
            for service, _ in site.services():
                if service.trigger is not None:
                    self._webhooks[urlsplit(service.trigger.webhook).path or "/"] = service

    # -- entry point -------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """The answer to one request (503 with the reason when the state, Docker or HAProxy
        cannot be read)."""
        try:
            return self._handle(method, path, headers, body)
        except JenkinsgenError as exc:
            log.error("%s %s: %s", method, urlsplit(path).path, exc)
            return error_response(503, str(exc))

    def _handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        path = urlsplit(path).path
        if path == "/healthz":
            return Response(200, {"ok": True, "environments": sorted(self.sites)})
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not self._authorised(authorization):
            return error_response(
                401, "missing or wrong bearer token", **{"WWW-Authenticate": "Bearer"}
            )
        if path in self._webhooks:
            if method != "POST":
                return error_response(405, "POST the trigger here", Allow="POST")
            return self._trigger(self._webhooks[path], body)
        match = _RELEASE_PATH.fullmatch(path)
        if match is None:
            return error_response(404, f"no such resource: {path}")
        release_id, action = match.group(1), match.group(2)
        if action is None:
            if method != "GET":
                return error_response(405, "GET a release", Allow="GET")
            return self._show(release_id)
        if method != "POST":
            return error_response(405, f"POST to {action}", Allow="POST")
        return self._settle(release_id, action[1:])

    def _authorised(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        given = value.strip().encode() if scheme.lower() == "bearer" else b""
        # compare_digest takes the same time whatever the bytes are (not the lengths).
        return hmac.compare_digest(given, self._token) and bool(given)

    # -- trigger -----------------------------------------------------------------------

    def _trigger(self, service: Service, body: bytes) -> Response:
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError, RecursionError):  # nested too deep: not ours
            return error_response(400, "the body is not JSON")
        if not isinstance(data, dict) or set(data) != {"image", "environment"}:
            return error_response(400, 'the body must be {"image": "...", "environment": "..."}')
        image, environment = data["image"], data["environment"]
        if not isinstance(image, str) or not isinstance(environment, str):
            return error_response(400, "image and environment must be strings")
        site = self.sites.get(environment)
        if site is None:
            served = ", ".join(sorted(self.sites))
            return error_response(400, f"environment {environment!r} is not served here ({served})")
        if service.name not in {s.name for s, _ in site.services()}:
            return error_response(400, f"{service.name} is not released in {environment}")
        repo = f"{site.spec.defaults.registry}/{service.image.name}"
        if not _IMAGE.fullmatch(image) or not image.startswith((repo + ":", repo + "@")):
            return error_response(400, f"image must be {repo}:TAG (or @sha256:...), got {image!r}")
        with self._lock:
            key = (environment, service.name)
            job = self._jobs.get(key)
            if job is not None:
                if job.kind == "deploy" and job.image == image:
                    return self._answer(200, site, job.release_id, job)
                return error_response(
                    409,
                    f"{service.name} in {environment}: a {job.kind} of "
                    f"{job.image} (release {job.release_id}) is running",
                )
            conflict = self._current(site, service.name, image)
            if conflict is not None:
                return conflict
            release_id = new_release_id()
            job = _Job(release_id, "deploy", environment, service.name, image)
            self._start(job, lambda: deploy(site, service.name, image, release_id=release_id))
        log.info(
            "release %s: deploy of %s to %s/%s accepted",
            release_id,
            image,
            environment,
            service.name,
        )
        return self._answer(202, site, release_id, job)

    def _current(self, site: Site, service: str, image: str) -> Response | None:
        """The answer when the state decides it: 200 for this image pending or serving,
        409 for another image pending or anything under way in another process."""
        state = site.store.load(service)
        if state is None:
            return None
        if state.pending is not None:
            record = site.store.load_record(state.pending)
            if record is not None and record.status not in TERMINAL:
                status = site.store.effective_status(record)
                if record.image != image:
                    return error_response(
                        409,
                        f"{service} in {site.environment}: release {record.id} of "
                        f"{record.image} is {status}; confirm or roll it back first",
                    )
                if status != "interrupted":  # running elsewhere, or awaiting confirm
                    return self._answer(200, site, record.id)
                return None  # deploying it again recovers it
        if state.live is not None:
            occupant = state.slots.get(state.live)
            if occupant is not None and occupant.image == image:
                record = site.store.load_record(occupant.release)
                current = container_state(site.docker, occupant.container)
                running = current is not None and current[0] == "running"
                if record is not None and record.image == image and running:
                    return self._answer(200, site, record.id)
        if site.store.busy(service):
            return error_response(
                409, f"{service} in {site.environment}: another release is running"
            )
        return None

    # -- releases ----------------------------------------------------------------------

    def _find(self, release_id: str) -> tuple[Site, ReleaseRecord] | None:
        if not RELEASE_ID.fullmatch(release_id):
            return None
        for site in self.sites.values():
            record = site.store.load_record(release_id)
            if record is not None:
                return site, record
        return None

    def _show(self, release_id: str) -> Response:
        with self._lock:
            job = next((j for j in self._jobs.values() if j.release_id == release_id), None)
        found = self._find(release_id)
        if found is None:
            if job is not None:
                return self._answer(200, self.sites[job.environment], release_id, job)
            return error_response(404, f"no release {release_id}")
        return self._answer(200, found[0], release_id, job)

    def _settle(self, release_id: str, action: str) -> Response:
        found = self._find(release_id)
        if found is None:
            return error_response(404, f"no release {release_id}")
        site, record = found
        with self._lock:
            # read again under the lock: a job that ended since has written its outcome
            record = site.store.load_record(release_id) or record
            key = (site.environment, record.service)
            job = self._jobs.get(key)
            if job is not None:
                if job.kind == action and job.release_id == release_id:
                    return self._answer(202, site, release_id, job)
                return error_response(409, f"release {release_id}: a {job.kind} is running")
            status = site.store.effective_status(record)
            settled = ("confirmed",) if action == "confirm" else ("rolled-back", "failed")
            if status in settled:
                return self._answer(200, site, release_id)
            allowed = status == "awaiting-confirm" or (
                status == "interrupted"
                and (action == "rollback" or record.status in ("confirming", "rolling-back"))
            )
            if not allowed:
                hint = ""
                if action == "rollback" and status == "confirmed" and record.previous_image:
                    hint = f"; deploy {record.previous_image} to go back"
                return error_response(
                    409, f"release {release_id} is {status}: cannot {action}{hint}"
                )
            job = _Job(release_id, action, site.environment, record.service, record.image)
            run = confirm if action == "confirm" else rollback
            service = record.service
            self._start(job, lambda: run(site, service, release_id))
        log.info("release %s: %s accepted", release_id, action)
        return self._answer(202, site, release_id, job)

    # -- jobs and answers --------------------------------------------------------------

    def _start(self, job: _Job, work: Callable[[], object]) -> None:
        """Register ``job`` (the caller holds the lock) and hand it to ``submit``."""
        key = (job.environment, job.service)
        self._jobs[key] = job
        site = self.sites[job.environment]

        def run() -> None:
            try:
                record = work()
                assert isinstance(record, ReleaseRecord)
                log.info("release %s: %s", job.release_id, record.status)
            except JenkinsgenError as exc:
                log.error("release %s: %s failed: %s", job.release_id, job.kind, exc)
                self._record_failure(site, job, str(exc))
            except Exception as exc:  # a bug: keep the receiver serving, say so loudly
                log.exception("release %s: %s crashed", job.release_id, job.kind)
                self._record_failure(site, job, f"internal error: {exc!r}")
            finally:
                with self._lock:
                    if self._jobs.get(key) is job:
                        del self._jobs[key]

        try:
            self._submit(run)
        except Exception:
            del self._jobs[key]
            raise

    @staticmethod
    def _record_failure(site: Site, job: _Job, message: str) -> None:
        """A deploy that failed before writing its record still gets one (so its status URL
        answers); other failures are in the record already."""
        if job.kind != "deploy" or site.store.load_record(job.release_id) is not None:
            return
        record = ReleaseRecord(
            id=job.release_id,
            service=job.service,
            environment=job.environment,
            image=job.image,
            to_slot="",
            from_slot=None,
            previous_image=None,
        )
        try:
            site.store.update(record, "failed", message)
        except ReleaseError as exc:
            log.error("release %s: cannot record the failure: %s", job.release_id, exc)

    def _answer(
        self, status: int, site: Site, release_id: str, job: _Job | None = None
    ) -> Response:
        record = site.store.load_record(release_id)
        if record is None:
            assert job is not None
            body: dict[str, Any] = {
                "id": release_id,
                "service": job.service,
                "environment": job.environment,
                "image": job.image,
                "status": "deploying",
                "message": "queued",
            }
        else:
            body = record.to_json()
            body.pop("version", None)
            body["stored_status"] = record.status
            body["status"] = site.store.effective_status(record)
            if job is not None and job.release_id == release_id and body["status"] == "interrupted":
                body["status"] = record.status  # its job is about to take the lock again
        url = self._status_url(site, body["service"], release_id)
        body["status_url"] = url
        headers = {
            "Location": url,
            "X-Jenkinsgen-Release": release_id,
            "X-Jenkinsgen-Release-Status": str(body["status"]),
        }
        return Response(status, body, headers)

    def _status_url(self, site: Site, service: str, release_id: str) -> str:
        for s, _ in site.services():
            if s.name == service and s.trigger is not None:
                parts = urlsplit(s.trigger.webhook)
                return f"{parts.scheme}://{parts.netloc}/releases/{release_id}"
        return f"/releases/{release_id}"
