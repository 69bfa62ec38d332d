"""Download a lock's plugin archives into a directory, verified, all or nothing.

Each archive is fetched (in parallel, with retries and exponential backoff on network errors,
HTTP 5xx/429 and truncated bodies), then checked twice: its sha256 must equal the lock's, and it
must be a zip whose ``META-INF/MANIFEST.MF`` names the same plugin and version. Archives land in a
staging directory beside DIR and are moved into DIR only when every one of them passed, so a
failed or interrupted run leaves DIR exactly as it was. Files already in DIR that verify are not
fetched again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests

from jenkinsgen.bundle import manifest
from jenkinsgen.bundle.lock import Lock, LockedPlugin
from jenkinsgen.bundle.updatecenter import redact, scrub
from jenkinsgen.errors import BundleError

log = logging.getLogger("jenkinsgen.bundle")

#: Called once per plugin with ``"skipped"`` (already present and verified) or ``"downloaded"``.
Progress = Callable[[LockedPlugin, str], None]

_CHUNK = 1 << 16
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class _Retryable(Exception):
    """A failure worth another attempt (network error, 5xx, short body)."""


class _Cancelled(Exception):
    """Another download failed; stop this one."""


def mirror_url(url: str, mirror: str | None) -> str:
    """Rewrite an update-center download URL onto ``mirror``.

    ``https://updates.jenkins.io/download/plugins/junit/1.43/junit.hpi`` with mirror
    ``https://m.example/jenkins`` becomes ``https://m.example/jenkins/plugins/junit/1.43/junit.hpi``
    (the layout of get.jenkins.io and its mirrors). URLs that are not update-center downloads
    (a plugin given by URL, an incremental build) are left alone.
    """
    if not mirror:
        return url
    marker = "/download/plugins/"
    at = url.find(marker)
    if at < 0:
        return url
    return f"{mirror.rstrip('/')}/plugins/{url[at + len(marker) :]}"


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, plugin: LockedPlugin) -> None:
    """Raise BundleError unless ``path`` is ``plugin``'s archive (checksum and manifest)."""
    actual = sha256_file(path)
    if actual != plugin.sha256:
        raise BundleError(
            f"{plugin.name} {plugin.version}: sha256 mismatch: expected "
            f"{plugin.sha256}, got {actual}"
        )
    label = f"{plugin.name} {plugin.version}"
    attributes = manifest.read_file(path, label)
    manifest.check(attributes, plugin.name, plugin.version, label)


def _is_verified(path: Path, plugin: LockedPlugin) -> bool:
    if not path.is_file():
        return False
    try:
        verify(path, plugin)
    except BundleError as exc:
        log.info("%s: present but not the locked archive (%s); fetching it again", path, exc)
        return False
    return True


class _Fetcher:
    """Streams URLs to files; one requests.Session per worker thread."""

    def __init__(
        self, timeout: float, retries: int, backoff: float, cancel: threading.Event
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.cancel = cancel
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close every worker's connection pool."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _once(self, url: str, out: BinaryIO) -> None:
        out.seek(0)
        out.truncate()
        parts = urlsplit(url)
        if parts.scheme == "file":
            try:
                with open(url2pathname(parts.path), "rb") as source:
                    shutil.copyfileobj(source, out, _CHUNK)
            except OSError as exc:
                raise BundleError(f"{redact(url)}: {exc.strerror}") from None
            return
        if parts.scheme not in ("http", "https"):
            raise BundleError(f"{redact(url)}: unsupported URL scheme {parts.scheme!r}")
        try:
            with self._session().get(url, stream=True, timeout=self.timeout) as response:
                if response.status_code in _RETRY_STATUS:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise BundleError(
                        f"{redact(url)}: HTTP {response.status_code} {response.reason}"
                    )
                # Content-Length counts encoded bytes; only compare when there is no encoding
                encoded = response.headers.get("Content-Encoding", "identity") != "identity"
                expected = None if encoded else response.headers.get("Content-Length")
                received = 0
                for chunk in response.iter_content(_CHUNK):
                    if self.cancel.is_set():
                        raise _Cancelled
                    out.write(chunk)
                    received += len(chunk)
                if expected is not None and expected.isdigit() and received != int(expected):
                    raise _Retryable(f"truncated: got {received} of {expected} bytes")
        except requests.RequestException as exc:
            raise _Retryable(f"{type(exc).__name__}: {scrub(str(exc), url)}") from None

    def fetch(self, url: str, out: BinaryIO) -> None:
        """Write ``url``'s body to ``out``, retrying transient failures."""
        for attempt in range(self.retries + 1):
            if self.cancel.is_set():
                raise _Cancelled
            try:
                self._once(url, out)
                return
            except _Retryable as exc:
                if attempt == self.retries:
                    raise BundleError(
                        f"{redact(url)}: {exc} (after {attempt + 1} attempts)"
                    ) from None
                delay = min(self.backoff * (2**attempt), 30.0)
                log.debug("%s: %s; retrying in %.1fs", redact(url), exc, delay)
                if self.cancel.wait(delay):
                    raise _Cancelled from None

    def fetch_bytes(self, url: str) -> bytes:
        """The body of ``url`` in memory (small files: plugin archives given by URL)."""
        with tempfile.TemporaryFile() as out:
            self.fetch(url, out)
            out.seek(0)
            return out.read()


def fetch_bytes(url: str, timeout: float = 60.0, retries: int = 3) -> bytes:
    """Download one URL with retries; for resolving plugins given by URL."""
    fetcher = _Fetcher(timeout, retries, 0.5, threading.Event())
    try:
        return fetcher.fetch_bytes(url)
    finally:
        fetcher.close()


def _download_one(fetcher: _Fetcher, plugin: LockedPlugin, url: str, staging: Path) -> Path:
    target = staging / plugin.filename
    try:
        with target.open("wb") as out:
            fetcher.fetch(url, out)
    except OSError as exc:
        raise BundleError(f"{plugin.name}: cannot write {target}: {exc.strerror}") from None
    try:
        verify(target, plugin)
    except BundleError as exc:
        raise BundleError(f"{exc} (from {redact(url)})") from None
    return target


def download(
    lock: Lock,
    directory: str | Path,
    *,
    mirror: str | None = None,
    workers: int = 4,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 60.0,
    progress: Progress | None = None,
    prune: bool = False,
) -> list[Path]:
    """Make ``directory`` hold every plugin of ``lock`` as ``NAME.jpi``; return their paths.

    Files already present and verified are kept; the rest are fetched into a staging directory
    and moved in only when all of them verified. Plugin archives (``*.jpi``, ``*.hpi``) in
    ``directory`` that the lock does not name are left alone and logged, or, with ``prune``,
    removed once everything else succeeded (so the directory holds exactly the lock, as an
    image's plugin directory should). Raises BundleError naming every failed plugin.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise BundleError(f"{directory}: not a directory")
    wanted = {plugin.filename: plugin for plugin in lock.plugins}
    missing: list[LockedPlugin] = []
    for plugin in lock.plugins:
        if _is_verified(directory / plugin.filename, plugin):
            if progress:
                progress(plugin, "skipped")
        else:
            missing.append(plugin)
    extra: list[Path] = []
    if directory.is_dir():
        extra = sorted(p for p in directory.glob("*.[jh]pi") if p.name not in wanted)
    if missing:
        _fetch_all(missing, directory, mirror, max(1, workers), retries, backoff, timeout, progress)
    if extra and prune:
        for path in extra:
            try:
                path.unlink()
            except OSError as exc:
                raise BundleError(f"{path}: cannot remove: {exc.strerror}") from None
        log.info("%s: removed, not in the lock: %s", directory, ", ".join(p.name for p in extra))
    elif extra:
        log.info("%s: not in the lock, left alone: %s", directory, ", ".join(p.name for p in extra))
    return [directory / plugin.filename for plugin in lock.plugins]


def _fetch_all(
    missing: list[LockedPlugin],
    directory: Path,
    mirror: str | None,
    workers: int,
    retries: int,
    backoff: float,
    timeout: float,
    progress: Progress | None,
) -> None:
    """Fetch ``missing`` in parallel into a staging directory beside ``directory``, verify
    them all, then move them in; on any failure or interrupt, ``directory`` is untouched."""
    parent = directory.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.download-", dir=parent))
    except OSError as exc:
        raise BundleError(f"{directory}: cannot create a staging directory: {exc}") from None
    cancel = threading.Event()
    fetcher = _Fetcher(timeout, retries, backoff, cancel)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bundle") as pool:
            futures: dict[Future[Path], LockedPlugin] = {
                pool.submit(_download_one, fetcher, p, mirror_url(p.url, mirror), staging): p
                for p in missing
            }
            try:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in done:
                        if future.exception() is None and progress:
                            progress(futures[future], "downloaded")
                    if any(f.exception() is not None for f in done):
                        break
            finally:
                cancel.set()  # stop the others now (also on KeyboardInterrupt)
                pool.shutdown(wait=True, cancel_futures=True)
        failures = [
            failure
            for f in futures
            if not f.cancelled()
            and (failure := f.exception()) is not None
            and not isinstance(failure, _Cancelled)
        ]
        for failure in failures:
            if not isinstance(failure, BundleError):
                raise failure  # a bug, not a download problem: keep its traceback
        if failures:
            errors = sorted(str(failure) for failure in failures)
            raise BundleError("\n".join([*errors, f"{directory}: left unchanged"]))
        _move_in(missing, staging, directory)
    finally:
        fetcher.close()
        shutil.rmtree(staging, ignore_errors=True)
    log.debug("%s: %d archives fetched", directory, len(missing))


def _move_in(plugins: list[LockedPlugin], staging: Path, directory: Path) -> None:
    """Move verified archives from ``staging`` into ``directory`` (same file system)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for plugin in plugins:
            os.replace(staging / plugin.filename, directory / plugin.filename)
    except OSError as exc:
        raise BundleError(f"{directory}: cannot move the verified archives in: {exc}") from None
