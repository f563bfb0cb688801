"""Fetch the source PDF over https into a validated, cached local copy with a manifest."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import shutil
import sys
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, TypeGuard, cast
from urllib.parse import urljoin, urlsplit

import pdfplumber
import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from pipeline import __version__, files
from pipeline.errors import DownloadError
from pipeline.pdfsniff import PDF_EOF_WINDOW, PDF_MAGIC_WINDOW, ends_like_pdf, looks_like_pdf
from pipeline.schema import ManifestJson

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds, for the connect and for each socket read
# Seconds for the whole download, retries and waits included: a server that drips a byte a
# second never trips the per-read timeout, but it trips this.
DEFAULT_DEADLINE = 120.0
DEFAULT_RETRIES = 3  # retries after the first attempt, so 4 attempts in all
# urllib3's backoff_factor: the first retry goes at once, later ones wait 2, 4, 8… times this.
DEFAULT_BACKOFF = 1.0
DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # the document is about 150 KB; a body past this is refused
DEFAULT_MAX_REDIRECTS = 5

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# connect() failing so means the host was never reached: retrying at once will not help, and it
# is when the replica may stand in. A reset (the server accepted, then hung up) is not one.
UNREACHABLE_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
)
CHUNK_SIZE = 64 * 1024  # bytes, at most, per read of the socket or of a file being hashed
MIN_TIMEOUT = 0.01  # seconds: urllib3 refuses a timeout of 0, when the deadline is all but gone
# Part files written beside dest; any there once the folder's lock is held were left by a run
# that was killed (by SIGTERM, say), and are removed.
PART_PREFIXES = BODY_PART, REPLICA_PART, MANIFEST_PART = ".download-", ".replica-", ".manifest-"
LOCK_NAME = ".download.lock"
PDF_TYPE = "application/pdf"  # the content type a replica's manifest records
USER_AGENT = f"meti-disclosures/{__version__} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class _Job:
    """One download: its URL, where it may go, and how often, long and large it may get."""

    url: str
    allowed_hosts: frozenset[str] | None
    allow_http: bool
    timeout: float
    retries: int
    backoff: float
    max_bytes: int
    max_redirects: int
    deadline: float
    ends: float = float("inf")  # the time.monotonic() it must be done by, once it has started

    def out_of_time(self, doing: str) -> str:
        """Given what was going on, return the message for a download that cannot end in time."""
        took = "took" if time.monotonic() >= self.ends else "would take"
        return f"{self.url}: download {took} longer than {self.deadline:g} s ({doing})"


class _Unreachable(DownloadError):
    """The host was never reached (no such name, refused, no route, no answer): offline."""


class _Retry(Retry):
    """urllib3's Retry for one download: no retry for a host that cannot be reached, nor one
    that would end past the deadline; when it gives up, it says after how many attempts."""

    job: _Job

    def new(self, **kw: object) -> _Retry:
        """Given urllib3's changed counts, return the next Retry, still for this download."""
        retry = super().new(**kw)
        retry.job = self.job
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> _Retry:
        """Given a failed attempt, return the Retry for the next, or raise the DownloadError."""
        # urllib3 passes the response whenever there is no error.
        last = error if error is not None else cast(BaseHTTPResponse, response).status
        attempts = len(self.history) + 1
        if _never_reached(error):
            raise _gave_up(self.job, error, attempts) from error
        try:
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError:
            if error is None:
                raise  # a status retried enough: urllib3 hands back that last response
            raise _gave_up(self.job, error, attempts) from error
        wait = response is not None and retry.get_retry_after(response) or retry.get_backoff_time()
        if time.monotonic() + wait >= self.job.ends:
            raise _gave_up(self.job, last, attempts, out_of_time=True) from error
        logger.warning("%s: %s; retrying in %.1f s", self.job.url, _describe(last)[0], wait)
        return retry


def download(
    url: str,
    dest: Path,
    *,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allowed_hosts: Iterable[str] | None = None,
    replica: Path | None = None,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    allow_http: bool = False,
    deadline: float = DEFAULT_DEADLINE,
) -> Path:
    """Given the URL of a PDF, return dest holding a validated copy of it.

    Beside dest, raw/x.manifest.json records url, final_url, sha256, size, fetched_at,
    content_type, source ("network" or "replica") and the history of earlier versions.
    A network copy matching its manifest is returned without touching the network unless
    force is set; when a forced fetch brings a different document, the old one is kept as
    x.<sha256[:12]>.pdf. When the host cannot be reached and a replica is given, the replica
    is put at dest instead, with a loud warning. Runs into one folder take turns; the whole
    download must end within deadline seconds. allow_http is for tests and local mirrors
    only. Raises DownloadError with a one-line message.
    """
    hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)
    job = _Job(
        url, hosts, allow_http, timeout, retries, backoff, max_bytes, max_redirects, deadline
    )
    _check_limits(job)
    _check_url(job, url)
    dest = _check_dest(Path(dest))
    with ExitStack() as stack:
        try:  # all it writes before the request: a folder it may not write fails here, in one line
            stack.enter_context(files.locked(dest.parent / LOCK_NAME))
            for stale in files.remove_parts(dest.parent, PART_PREFIXES):
                logger.info("removed %s, left by an interrupted download", stale)
            part = stack.enter_context(files.part_file(dest.parent, BODY_PART))
        except OSError as exc:
            if not force and _is_cached(url, dest, _read_manifest(dest)):
                return dest  # a read-only folder's good copy still serves
            raise DownloadError(f"{dest}: cannot write to {dest.parent} ({exc.strerror})") from exc
        manifest = _read_manifest(dest)
        if not force and _is_cached(url, dest, manifest):
            return dest
        job = replace(job, ends=time.monotonic() + deadline)
        return _fetch_into(job, dest, part, manifest, replica)


def _check_limits(job: _Job) -> None:
    """Raise DownloadError quoting the first limit that makes no sense."""
    for name in ("timeout", "retries", "backoff", "max_bytes", "max_redirects", "deadline"):
        value, positive = getattr(job, name), name in ("timeout", "max_bytes", "deadline")
        if value < 0 or (positive and value == 0):
            expected = "more than 0" if positive else "0 or more"
            raise DownloadError(f"{job.url}: {name} must be {expected}, not {value!r}")


def _check_url(job: _Job, url: str) -> None:
    """Given a URL about to be fetched for job, raise DownloadError unless scheme and host pass."""
    prefix = job.url if url == job.url else f"{job.url}: redirect to {url}"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ({"https", "http"} if job.allow_http else {"https"}):
        raise DownloadError(f"{prefix}: only https URLs are allowed")
    host = (parts.hostname or "").lower()
    if not host:
        raise DownloadError(f"{prefix}: no host in the URL")
    if job.allowed_hosts is not None and host not in job.allowed_hosts:
        allowed = ", ".join(sorted(job.allowed_hosts)) or "none"
        what = "host {} is not allowed" if url == job.url else "redirect to disallowed host {}"
        raise DownloadError(f"{job.url}: {what.format(host)} (allowed: {allowed})")


def _check_dest(dest: Path) -> Path:
    """Given where the PDF should go, return it once its folder exists; a folder is no name."""
    if not dest.name or dest.is_dir():
        raise DownloadError(f"{dest}: is a directory; give the PDF's file name, e.g. raw/x.pdf")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{dest.parent}: cannot create the directory: {exc}") from exc
    return dest


def _read_manifest(dest: Path) -> dict[str, Any] | None:
    """Given the PDF's path, return its manifest (x.manifest.json), or None if none is usable."""
    path = dest.with_suffix(".manifest.json")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable manifest %s: %s", path, exc)
        return None
    return manifest if isinstance(manifest, dict) else None


def _is_cached(url: str, dest: Path, manifest: dict[str, Any] | None) -> bool:
    """Given dest and its manifest, return whether dest is a good network copy of url."""
    if manifest is None or not dest.is_file():
        return False
    if manifest.get("source") != "network" or manifest.get("url") != url:
        return False
    if _sha256_of(dest) != manifest.get("sha256"):
        logger.warning("%s does not match its manifest; fetching it again", dest)
        return False
    if not _is_pdf(url, dest):
        logger.warning("cached %s is not a usable PDF; fetching it again", dest)
        return False
    logger.info("using cached %s (sha256 %s)", dest, manifest["sha256"][:12])
    return True


def _is_pdf(url: str, path: Path) -> bool:
    """Given a file, return whether it passes the checks a fresh download must pass."""
    try:
        _validate_pdf(url, path, "")
    except DownloadError as exc:
        logger.info("%s: %s", path, exc)
        return False
    return True


def _fetch_into(
    job: _Job, dest: Path, part: Path, manifest: dict[str, Any] | None, replica: Path | None
) -> Path:
    """Given dest's folder locked, fetch job.url to dest, or the replica if offline; return dest."""
    with _session(job) as session:
        try:
            fetched = _fetch(session, job, part)
        except _Unreachable as exc:
            return _use_replica(job.url, dest, replica, manifest, exc)
    _validate_pdf(job.url, part, fetched["content_type"])
    _install(dest, part, fetched, manifest)
    return dest


def _session(job: _Job) -> requests.Session:
    """Given a download, return a Session that retries within its limits and vets redirects."""
    retry = _Retry(
        job.retries,
        other=0,  # a TLS failure is not retried
        status_forcelist=RETRY_STATUSES,
        backoff_factor=job.backoff,
        raise_on_status=False,
    )
    retry.job = job
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = job.max_redirects
    session.hooks["response"].append(partial(_vet_redirect, session, job))
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _vet_redirect(
    session: requests.Session, job: _Job, response: requests.Response, **_: object
) -> None:
    """Given a response, raise DownloadError if it redirects where job may not go.

    As a response hook it runs before requests follows the redirect: a refused host sees nothing.
    """
    if target := session.get_redirect_target(response):
        target = urljoin(response.url, target)
        _check_url(job, target)
        logger.info("redirected to %s", target)


def _fetch(session: requests.Session, job: _Job, part: Path) -> dict[str, Any]:
    """Given a download, save its body into part; return the manifest's fields for it.

    urllib3 retries up to the response's headers; a body cut short is retried here, on the
    same Retry, so that every attempt counts against the one budget.
    """
    while True:
        timeout = min(job.timeout, max(job.ends - time.monotonic(), MIN_TIMEOUT))
        try:
            response = session.get(job.url, stream=True, timeout=timeout)
        except requests.TooManyRedirects as exc:
            raise DownloadError(f"{job.url}: more than {job.max_redirects} redirects") from exc
        except requests.RequestException as exc:
            raise DownloadError(f"{job.url}: {exc}") from exc
        with response:
            _check_status(job.url, response)
            try:
                return _save_body(job, response, part)
            except HTTPError as exc:  # urllib3's: the connection broke or stalled mid-body
                retry = response.raw.retries.increment("GET", response.url, error=exc)
        retry.sleep()
        # _session mounted an HTTPAdapter for every scheme it fetches.
        cast(HTTPAdapter, session.get_adapter(job.url)).max_retries = retry


def _check_status(url: str, response: requests.Response) -> None:
    """Given the final response, raise DownloadError unless its status is 200."""
    if response.status_code == HTTPStatus.OK:
        return
    where = f" from {response.url}" if response.history else ""
    tries = _attempts(len(response.raw.retries.history) + 1)
    raise DownloadError(f"{url}: {_describe(response.status_code)[0]}{where} after {tries}")


def _save_body(job: _Job, response: requests.Response, part: Path) -> dict[str, Any]:
    """Given a 200 response, stream its body into part, stopping at max_bytes or the deadline."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > job.max_bytes:
        raise _too_big(job, f"Content-Length {declared}")
    digest, size = hashlib.sha256(), 0
    with part.open("wb") as out:
        # read1 returns what one read of the socket brings: a drip-feed still meets the deadline.
        while chunk := response.raw.read1(CHUNK_SIZE, decode_content=True):
            size += len(chunk)
            if size > job.max_bytes:
                raise _too_big(job, "no Content-Length")
            if time.monotonic() > job.ends:
                got = f"{size}/{declared}" if declared else str(size)
                raise DownloadError(job.out_of_time(f"{got} bytes received"))
            digest.update(chunk)
            out.write(chunk)
    content_type = response.headers.get("Content-Type", "")
    return _fetched(job.url, response.url, digest.hexdigest(), size, content_type)


def _fetched(url: str, final_url: str, sha256: str, size: int, content_type: str) -> dict[str, Any]:
    """Given what was fetched, return the manifest's fields for it, in the manifest's order."""
    return {
        "url": url,
        "final_url": final_url,
        "sha256": sha256,
        "size": size,
        "fetched_at": _now(),
        "content_type": content_type,
    }


def _too_big(job: _Job, why: str) -> DownloadError:
    """Return the error for a body larger than allowed."""
    return DownloadError(f"{job.url}: body exceeds --max-bytes {job.max_bytes} ({why})")


def _never_reached(error: object) -> TypeGuard[Exception]:
    """Given why an attempt failed, return whether the host was never reached at all: an unknown
    name, a refused connection, no route. A reset is not: something answered."""
    if isinstance(error, NameResolutionError):
        return True
    cause = getattr(error, "__cause__", None)
    return (
        isinstance(error, NewConnectionError) and getattr(cause, "errno", 0) in UNREACHABLE_ERRNOS
    )


def _gave_up(
    job: _Job, last: Exception | int, attempts: int, out_of_time: bool = False
) -> DownloadError:
    """Given the last failure and the attempts made, return the one-line error to raise:
    _Unreachable if no connection was ever made (a connect timeout included)."""
    summary, detail = _describe(last, job.timeout)
    tried = f"{summary} after {_attempts(attempts)}"
    if out_of_time:
        message = job.out_of_time(tried)
    else:
        message = f"{job.url}: {tried}" + (f": {detail}" if detail else "")
    timed_out = isinstance(last, ConnectTimeoutError) and not isinstance(last, NewConnectionError)
    return (_Unreachable if timed_out or _never_reached(last) else DownloadError)(message)


def _describe(last: Exception | int, timeout: float = 0) -> tuple[str, str]:
    """Given an HTTP status or a urllib3 error, return a summary and a detail to show."""
    if isinstance(last, int):
        try:
            return f"HTTP {last} {HTTPStatus(last).phrase}", ""
        except ValueError:  # a status Python has no name for, such as 599
            return f"HTTP {last}", ""
    if isinstance(last, NewConnectionError):  # NameResolutionError (DNS) among them
        return "connection failed", str(last.__cause__ or last)
    if isinstance(last, ConnectTimeoutError):
        return "connection timed out", f"no answer in {timeout} s"
    if isinstance(last, ReadTimeoutError):
        return "read timed out", f"no data for {timeout} s"
    return "TLS failed" if isinstance(last, SSLError) else "transfer failed", _innermost(last)


def _innermost(error: BaseException) -> str:
    """Given a wrapped exception, return the text of the one at the bottom of the chain."""
    inner = error.__cause__ or next((a for a in error.args if isinstance(a, BaseException)), None)
    return _innermost(inner) if inner is not None else str(error) or type(error).__name__


def _attempts(count: int) -> str:
    """Given a number of attempts, return `1 attempt` or `3 attempts`."""
    return f"{count} attempt{'' if count == 1 else 's'}"


def _validate_pdf(url: str, path: Path, content_type: str) -> None:
    """Given a file, raise DownloadError unless it is a whole PDF with at least one page."""
    size = path.stat().st_size
    if size == 0:
        raise DownloadError(f"{url}: empty body (content-type {content_type or 'not given'})")
    with path.open("rb") as handle:
        head = handle.read(PDF_MAGIC_WINDOW)
        handle.seek(max(0, size - PDF_EOF_WINDOW))
        tail = handle.read()
    if not looks_like_pdf(head):
        raise DownloadError(_not_pdf_message(url, head, content_type))
    if not ends_like_pdf(tail):
        raise DownloadError(f"{url}: truncated or damaged PDF (no %%EOF at the end, {size} bytes)")
    try:
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
    # pdfminer fails on damaged files with many exception types, none of them shared.
    except Exception as exc:
        raise DownloadError(f"{url}: truncated or damaged PDF ({exc})") from exc
    if pages < 1:
        raise DownloadError(f"{url}: truncated or damaged PDF (no pages)")


def _not_pdf_message(url: str, head: bytes, content_type: str) -> str:
    """Given the first bytes of a body that is not a PDF, return a message saying what it is."""
    start = head.lstrip().lower()
    shown = content_type or "not given"
    if "html" in content_type.lower() or start.startswith((b"<!doctype html", b"<html")):
        return f"{url}: got an HTML page (content-type {shown}), not a PDF"
    return f"{url}: not a PDF (content-type {shown}; starts with {head[:16]!r})"


def _install(
    dest: Path, part: Path, fetched: dict[str, Any], manifest: dict[str, Any] | None
) -> None:
    """Given validated bytes in part, put them at dest, keeping a different earlier copy beside."""
    history = list(manifest.get("history", [])) if manifest else []
    old_sha, new_sha = _sha256_of(dest) if dest.is_file() else None, fetched["sha256"]
    if old_sha is not None and old_sha != new_sha:
        if manifest is not None and manifest.get("source") == "replica":
            logger.info("replacing the replica copy at %s with the network copy", dest)
        elif not _is_pdf(str(dest), dest):
            logger.warning("replacing %s, which is not a usable PDF", dest)
        else:
            history.append(_keep_previous(dest, old_sha, new_sha, manifest))
    if old_sha == new_sha:
        logger.info("%s is unchanged (sha256 %s)", dest, new_sha[:12])
    else:
        _replace(part, dest)
    _write_manifest(dest, fetched, "network", history)
    logger.info("saved %s (%d bytes, sha256 %s)", dest, fetched["size"], new_sha[:12])


def _keep_previous(
    dest: Path, old_sha: str, new_sha: str, manifest: dict[str, Any] | None
) -> dict[str, Any]:
    """Given dest about to hold a different document, move it aside; return its history entry."""
    kept = dest.with_name(f"{dest.stem}.{old_sha[:12]}{dest.suffix}")
    _replace(dest, kept)
    logger.warning(
        "document changed: %s → %s; previous copy kept at %s", old_sha[:12], new_sha[:12], kept
    )
    described = manifest if manifest is not None and manifest.get("sha256") == old_sha else {}
    return {
        "sha256": old_sha,
        "fetched_at": described.get("fetched_at"),
        "final_url": described.get("final_url"),
        "size": kept.stat().st_size,
        "kept_at": kept.name,
    }


def _use_replica(
    url: str, dest: Path, replica: Path | None, manifest: dict[str, Any] | None, error: _Unreachable
) -> Path:
    """Given a host that cannot be reached, put the replica at dest, loudly; return dest."""
    if replica is None:
        raise error
    replica = Path(replica)
    if not replica.is_file():
        raise DownloadError(f"{error}; the replica {replica} does not exist either") from error
    if manifest is not None and manifest.get("source") == "network" and dest.is_file():
        # A real copy of the document is worth more than the replica: never overwrite it.
        raise DownloadError(
            f"{error}; kept the earlier download at {dest}, not the replica"
        ) from error
    _validate_pdf(str(replica), replica, "")
    # Printed, not logged: it shows even when logging is quiet, and only once when it is not.
    reason = str(error).removeprefix(f"{url}: ")
    print(
        f"WARNING: network unreachable ({reason}); using the bundled REPLICA {replica} "
        f"at {dest}, not the original document {url}",
        file=sys.stderr,
    )
    sha256 = _sha256_of(replica)
    same = manifest and (manifest.get("url"), manifest.get("sha256")) == (url, sha256)
    if same and dest.is_file() and _sha256_of(dest) == sha256:  # left alone: make reruns nothing
        return dest
    with files.part_file(dest.parent, REPLICA_PART) as part:
        shutil.copyfile(replica, part)
        _replace(part, dest)
    fetched = _fetched(url, replica.resolve().as_uri(), sha256, dest.stat().st_size, PDF_TYPE)
    _write_manifest(dest, fetched, "replica", list(manifest.get("history", [])) if manifest else [])
    return dest


def _write_manifest(
    dest: Path, fetched: dict[str, Any], source: str, history: list[dict[str, Any]]
) -> None:
    """Write dest's manifest through a part file, so a reader never sees half of one."""
    entry = ManifestJson.model_validate(fetched | {"source": source, "history": history})
    with files.part_file(dest.parent, MANIFEST_PART) as part:
        data = json.dumps(entry.model_dump(mode="json"), indent=2, ensure_ascii=False)
        part.write_text(data + "\n", encoding="utf-8")
        _replace(part, dest.with_suffix(".manifest.json"))


def _replace(source: Path, target: Path) -> None:
    """Rename source over target, raising DownloadError naming target when that fails."""
    try:
        source.replace(target)
    except OSError as exc:
        raise DownloadError(f"{target}: cannot write: {exc}") from exc


def _sha256_of(path: Path) -> str:
    """Given a file, return the hex sha256 of its bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> str:
    """Return the current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
