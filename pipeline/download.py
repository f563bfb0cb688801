"""Fetch the source PDF over https into a validated, cached local copy with a manifest."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pdfplumber
import requests
from requests.exceptions import ChunkedEncodingError
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from pipeline import __version__
from pipeline.errors import DownloadError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds, for the connect and for each socket read
DEFAULT_RETRIES = 3  # retries after the first attempt, so 4 attempts in all
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubled for each further one
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 64 * 1024
PDF_MAGIC = b"%PDF-"
# A complete PDF ends with "%%EOF", possibly followed by a little whitespace or junk;
# readers (pdf.js among them) look for it in the last 1024 bytes.
PDF_EOF_MARKER = b"%%EOF"
PDF_EOF_WINDOW = 1024
SOURCE_TOML = Path(__file__).parent / "data" / "source.toml"
USER_AGENT = f"meti-disclosures/{__version__} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class _Options:
    """What one download may do: which URLs it may visit and how long and large it may get."""

    allowed_hosts: frozenset[str] | None
    allow_http: bool
    timeout: float
    max_bytes: int
    max_redirects: int


@dataclass(frozen=True)
class _Fetched:
    """Bytes fetched into a temporary file, with what the server said about them."""

    path: Path
    final_url: str
    content_type: str
    sha256: str
    size: int


class _AttemptFailed(Exception):
    """One attempt failed in a way that may be worth retrying (a status or a network error)."""

    def __init__(self, summary: str, detail: str = "", *, retry: bool, unreachable: bool = False):
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        self.retry = retry
        self.unreachable = unreachable


class _Unreachable(DownloadError):
    """The server could not be reached at all: no connection was ever made."""


def load_source(path: Path = SOURCE_TOML) -> dict:
    """Given source.toml, return its url, allowed_hosts and replica (a Path, or None).

    The replica path is relative to the project root, where make and the CLI run.
    """
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DownloadError(f"{path}: cannot read the source config: {exc}") from exc
    if not isinstance(config.get("url"), str):
        raise DownloadError(f"{path}: missing the url of the document")
    replica = config.get("replica")
    return {
        "url": config["url"],
        "allowed_hosts": config.get("allowed_hosts"),
        "replica": Path(replica) if replica else None,
        "pdf": Path(config.get("pdf") or Path("raw") / Path(config["url"]).name),
        "golden": Path(config["golden"]) if config.get("golden") else None,
    }


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
) -> Path:
    """Given the URL of a PDF, return dest holding a validated copy of it.

    Beside dest, raw/x.manifest.json records url, final_url, sha256, size, fetched_at,
    content_type, source ("network" or "replica") and the history of earlier versions.
    A network copy matching its manifest is returned without touching the network unless
    force is set; when a forced fetch brings a different document, the old one is kept as
    x.<sha256[:12]>.pdf. When the server cannot be reached and a replica is given, the
    replica is copied to dest instead, with a loud warning. allow_http is for tests and
    local mirrors only. Raises DownloadError with a one-line message.
    """
    _check_limits(url, timeout, retries, backoff, max_bytes, max_redirects)
    dest = Path(dest)
    hosts = None if allowed_hosts is None else frozenset(h.lower() for h in allowed_hosts)
    options = _Options(
        allowed_hosts=hosts,
        allow_http=allow_http,
        timeout=timeout,
        max_bytes=max_bytes,
        max_redirects=max_redirects,
    )
    _check_url(url, url, options)
    manifest = _read_manifest(_manifest_path(dest))
    if not force and _is_cached(url, dest, manifest):
        logger.info("using cached %s (sha256 %s)", dest, manifest["sha256"][:12])
        return dest
    _make_parent(dest)
    try:
        fetched = _fetch_with_retries(url, dest.parent, options, retries, backoff)
    except _Unreachable as exc:
        return _use_replica(url, dest, replica, manifest, exc)
    try:
        _validate_pdf(url, fetched.path, fetched.content_type)
        _install(url, dest, fetched, manifest)
    finally:
        fetched.path.unlink(missing_ok=True)
    return dest


def _check_limits(
    url: str, timeout: float, retries: int, backoff: float, max_bytes: int, max_redirects: int
) -> None:
    """Raise DownloadError quoting the first limit that makes no sense."""
    checks = [
        ("timeout", timeout, timeout > 0, "more than 0"),
        ("retries", retries, retries >= 0, "0 or more"),
        ("backoff", backoff, backoff >= 0, "0 or more"),
        ("max_bytes", max_bytes, max_bytes > 0, "more than 0"),
        ("max_redirects", max_redirects, max_redirects >= 0, "0 or more"),
    ]
    for name, value, ok, expected in checks:
        if not ok:
            raise DownloadError(f"{url}: {name} must be {expected}, not {value!r}")


def _check_url(original: str, url: str, options: _Options) -> None:
    """Given a URL about to be fetched, raise DownloadError unless its scheme and host pass."""
    prefix = original if url == original else f"{original}: redirect to {url}"
    parts = urlsplit(url)
    schemes = {"https", "http"} if options.allow_http else {"https"}
    if parts.scheme.lower() not in schemes:
        raise DownloadError(f"{prefix}: only https URLs are allowed")
    host = (parts.hostname or "").lower()
    if not host:
        raise DownloadError(f"{prefix}: no host in the URL")
    if options.allowed_hosts is not None and host not in options.allowed_hosts:
        allowed = ", ".join(sorted(options.allowed_hosts)) or "none"
        if url == original:
            raise DownloadError(f"{original}: host {host} is not allowed (allowed: {allowed})")
        raise DownloadError(f"{original}: redirect to disallowed host {host} (allowed: {allowed})")


def _manifest_path(dest: Path) -> Path:
    """Given the PDF's path, return its manifest's path: raw/x.pdf → raw/x.manifest.json."""
    return dest.with_suffix(".manifest.json")


def _read_manifest(path: Path) -> dict | None:
    """Given a manifest's path, return its contents, or None when missing or unreadable."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable manifest %s: %s", path, exc)
        return None
    return manifest if isinstance(manifest, dict) else None


def _is_cached(url: str, dest: Path, manifest: dict | None) -> bool:
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
    return True


def _is_pdf(url: str, path: Path) -> bool:
    """Given a file, return whether it passes the checks a fresh download must pass."""
    try:
        _validate_pdf(url, path, "")
    except DownloadError as exc:
        logger.info("%s: %s", path, exc)
        return False
    return True


def _fetch_with_retries(
    url: str, directory: Path, options: _Options, retries: int, backoff: float
) -> _Fetched:
    """Given a URL, return its body in a temporary file in directory, retrying what is transient."""
    attempts = retries + 1
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        attempt = 1
        while True:
            logger.info("fetching %s (attempt %d of %d)", url, attempt, attempts)
            try:
                return _fetch_once(session, url, directory, options)
            except _AttemptFailed as failure:
                if not failure.retry or attempt >= attempts:
                    raise _attempts_error(url, failure, attempt) from None
                delay = backoff * 2 ** (attempt - 1)
                reason = (
                    f"{failure.summary} ({failure.detail})" if failure.detail else failure.summary
                )
                logger.warning("%s: %s; retrying in %.1f s", url, reason, delay)
            time.sleep(delay)
            attempt += 1


def _attempts_error(url: str, failure: _AttemptFailed, attempts: int) -> DownloadError:
    """Given the last failed attempt, return the error to raise, naming how many were made."""
    plural = "attempt" if attempts == 1 else "attempts"
    message = f"{url}: {failure.summary} after {attempts} {plural}"
    if failure.detail:
        message += f": {failure.detail}"
    return (_Unreachable if failure.unreachable else DownloadError)(message)


def _fetch_once(
    session: requests.Session, url: str, directory: Path, options: _Options
) -> _Fetched:
    """Given a URL, follow its allowed redirects and return the final body in a temporary file."""
    current = url
    for _ in range(options.max_redirects + 1):
        try:
            response = session.get(
                current, stream=True, allow_redirects=False, timeout=options.timeout
            )
        except requests.RequestException as exc:
            raise _network_failure(exc, options.timeout) from exc
        with response:
            if response.status_code in REDIRECT_STATUSES and "Location" in response.headers:
                current = urljoin(current, response.headers["Location"])
                _check_url(url, current, options)
                logger.info("redirected to %s", current)
                continue
            _check_status(response, url, current)
            return _save_body(response, url, directory, options)
    raise DownloadError(f"{url}: more than {options.max_redirects} redirects")


def _check_status(response: requests.Response, url: str, current: str) -> None:
    """Given a final response, raise _AttemptFailed unless its status is 200."""
    if response.status_code == HTTPStatus.OK:
        return
    try:
        reason = HTTPStatus(response.status_code).phrase
    except ValueError:
        reason = response.reason or ""
    summary = f"HTTP {response.status_code} {reason}".rstrip()
    if current != url:
        summary += f" from {current}"
    raise _AttemptFailed(summary, retry=response.status_code in RETRY_STATUSES)


def _save_body(
    response: requests.Response, url: str, directory: Path, options: _Options
) -> _Fetched:
    """Given a 200 response, stream its body into a temporary file, stopping at max_bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > options.max_bytes:
        raise _too_big(url, options.max_bytes, f"Content-Length {declared}")
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(dir=directory, prefix=".download-", suffix=".part")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in response.iter_content(CHUNK_SIZE):
                size += len(chunk)
                if size > options.max_bytes:
                    raise _too_big(url, options.max_bytes, "no Content-Length")
                digest.update(chunk)
                out.write(chunk)
    except requests.RequestException as exc:
        path.unlink(missing_ok=True)
        raise _network_failure(exc, options.timeout) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    content_type = response.headers.get("Content-Type", "")
    return _Fetched(path, response.url, content_type, digest.hexdigest(), size)


def _too_big(url: str, max_bytes: int, why: str) -> DownloadError:
    """Return the error for a body larger than allowed."""
    return DownloadError(f"{url}: body exceeds --max-bytes {max_bytes} ({why})")


def _network_failure(exc: requests.RequestException, timeout: float) -> _AttemptFailed:
    """Given an error from requests, return a retryable failure describing it in a few words."""
    if isinstance(exc, requests.ConnectTimeout):
        detail = f"no answer in {timeout} s"
        return _AttemptFailed("connection timed out", detail, retry=True, unreachable=True)
    if isinstance(exc, requests.ReadTimeout) or _caused_by(exc, ReadTimeoutError):
        return _AttemptFailed("read timed out", f"no data for {timeout} s", retry=True)
    # NameResolutionError (DNS) is a NewConnectionError: no connection was ever made.
    refused = _caused_by(exc, NewConnectionError)
    if refused is not None:
        detail = str(refused.__cause__ or refused)
        return _AttemptFailed("connection failed", detail, retry=True, unreachable=True)
    if isinstance(exc, requests.exceptions.SSLError):
        return _AttemptFailed("TLS failed", _innermost(exc), retry=False)
    transient = (requests.ConnectionError, requests.Timeout, ChunkedEncodingError)
    return _AttemptFailed("transfer failed", _innermost(exc), retry=isinstance(exc, transient))


def _caused_by(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """Given an exception, return the first in its chain (args, reason, cause) of the given kind."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        linked = [*current.args, getattr(current, "reason", None), current.__cause__]
        pending.extend(e for e in linked if isinstance(e, BaseException))
    return None


def _innermost(exc: BaseException) -> str:
    """Given a wrapped exception, return the text of the one at the bottom of the chain."""
    current = exc
    while True:
        inner = current.__cause__ or getattr(current, "reason", None)
        if inner is None and current.args and isinstance(current.args[0], BaseException):
            inner = current.args[0]
        if not isinstance(inner, BaseException):
            return str(current) or type(current).__name__
        current = inner


def _validate_pdf(url: str, path: Path, content_type: str) -> None:
    """Given a file, raise DownloadError unless it is a whole PDF with at least one page."""
    size = path.stat().st_size
    if size == 0:
        raise DownloadError(f"{url}: empty body (content-type {content_type or 'not given'})")
    with path.open("rb") as handle:
        head = handle.read(512)
        handle.seek(max(0, size - PDF_EOF_WINDOW))
        tail = handle.read()
    if not head.startswith(PDF_MAGIC):
        raise DownloadError(_not_pdf_message(url, head, content_type))
    if PDF_EOF_MARKER not in tail:
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


def _install(url: str, dest: Path, fetched: _Fetched, manifest: dict | None) -> None:
    """Given validated bytes, put them at dest, keeping a different earlier copy beside it."""
    history = list(manifest.get("history", [])) if manifest else []
    old_sha = _sha256_of(dest) if dest.is_file() else None
    if old_sha is not None and old_sha != fetched.sha256:
        if manifest is not None and manifest.get("source") == "replica":
            logger.info("replacing the replica copy at %s with the network copy", dest)
        elif not _is_pdf(url, dest):
            logger.warning("replacing %s, which is not a usable PDF", dest)
        else:
            history.append(_keep_previous(dest, old_sha, fetched.sha256, manifest))
    if old_sha == fetched.sha256:
        logger.info("%s is unchanged (sha256 %s)", dest, fetched.sha256[:12])
    else:
        _replace(fetched.path, dest)
    entry = {
        "url": url,
        "final_url": fetched.final_url,
        "sha256": fetched.sha256,
        "size": fetched.size,
        "fetched_at": _now(),
        "content_type": fetched.content_type,
        "source": "network",
        "history": history,
    }
    _write_manifest(dest, entry)
    logger.info("saved %s (%d bytes, sha256 %s)", dest, fetched.size, fetched.sha256[:12])


def _keep_previous(dest: Path, old_sha: str, new_sha: str, manifest: dict | None) -> dict:
    """Given dest about to hold a different document, move it aside; return its history entry."""
    kept = dest.with_name(f"{dest.stem}.{old_sha[:12]}{dest.suffix}")
    _replace(dest, kept)
    logger.warning(
        "document changed: %s → %s; previous copy kept at %s", old_sha[:12], new_sha[:12], kept
    )
    described = manifest is not None and manifest.get("sha256") == old_sha
    return {
        "sha256": old_sha,
        "fetched_at": manifest.get("fetched_at") if described else None,
        "final_url": manifest.get("final_url") if described else None,
        "size": kept.stat().st_size,
        "kept_at": kept.name,
    }


def _use_replica(
    url: str, dest: Path, replica: Path | None, manifest: dict | None, exc: _Unreachable
) -> Path:
    """Given a network that cannot be reached, copy the replica to dest, loudly, and return dest."""
    if replica is None:
        raise exc
    replica = Path(replica)
    if not replica.is_file():
        raise DownloadError(f"{exc}; the replica {replica} does not exist either") from exc
    if manifest is not None and manifest.get("source") == "network" and dest.is_file():
        # A real copy of the document is worth more than the replica: never overwrite it.
        raise DownloadError(f"{exc}; kept the earlier download at {dest}, not the replica") from exc
    _validate_pdf(str(replica), replica, "")
    reason = str(exc).removeprefix(f"{url}: ")
    warning = (
        f"network unreachable ({reason}); using the bundled REPLICA {replica} "
        f"at {dest}, not the original document {url}"
    )
    logger.warning(warning)
    # Printed as well as logged, so that it shows even when logging is quiet or elsewhere.
    print(f"WARNING: {warning}", file=sys.stderr)
    _copy_into_place(replica, dest)
    entry = {
        "url": url,
        "final_url": replica.resolve().as_uri(),
        "sha256": _sha256_of(dest),
        "size": dest.stat().st_size,
        "fetched_at": _now(),
        "content_type": "application/pdf",
        "source": "replica",
        "history": list(manifest.get("history", [])) if manifest else [],
    }
    _write_manifest(dest, entry)
    return dest


def _copy_into_place(source: Path, dest: Path) -> None:
    """Copy source to dest through a temporary file in dest's directory, then rename it."""
    handle, name = tempfile.mkstemp(dir=dest.parent, prefix=".replica-", suffix=".part")
    os.close(handle)
    try:
        shutil.copyfile(source, name)
        _replace(Path(name), dest)
    finally:
        Path(name).unlink(missing_ok=True)


def _write_manifest(dest: Path, entry: dict) -> None:
    """Write dest's manifest through a temporary file, so a reader never sees half of one."""
    path = _manifest_path(dest)
    handle, name = tempfile.mkstemp(dir=dest.parent, prefix=".manifest-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(entry, out, indent=2, ensure_ascii=False)
            out.write("\n")
        _replace(Path(name), path)
    finally:
        Path(name).unlink(missing_ok=True)


def _replace(source: Path, target: Path) -> None:
    """Rename source over target, raising DownloadError naming target when that fails."""
    try:
        os.replace(source, target)
    except OSError as exc:
        raise DownloadError(f"{target}: cannot write: {exc}") from exc


def _make_parent(dest: Path) -> None:
    """Create dest's directory, raising DownloadError naming it when that fails."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"{dest.parent}: cannot create the directory: {exc}") from exc


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
