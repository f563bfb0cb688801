"""Tests for pipeline.download against real HTTP servers on 127.0.0.1.

Rules covered:

- a download saves the PDF and a manifest (url, final_url, sha256, size, fetched_at in UTC to
  the second, content_type, source, history), written as JSON indented by two spaces, in
  UTF-8 with non-ASCII as is, ending in a newline; the request's User-Agent names the pipeline;
- a network copy matching its manifest is returned without a request; it is fetched again
  when its bytes no longer match, when it is no usable PDF (the log says why, and it is not
  kept), when the manifest names another URL or is no JSON object, when the manifest says
  replica, or when force is set;
- a different document replaces the copy and the old one is kept as x.<sha256[:12]>.pdf with
  a history entry (fetched_at and final_url only if the manifest described it); the same
  document refreshes fetched_at only and leaves the file's time alone; a copy that cannot be
  moved aside is one error line naming where it would have gone, and nothing changes;
- 404 is not retried, and after a redirect names where it came from; 503 then 200 succeeds;
  500 forever fails after the retries, waiting longer each time; a TLS failure is not retried;
- a host never reached (refused, no such name, connect timeout) is not retried and is offline:
  the replica, if given and a PDF, is put at dest with one printed warning, and its manifest
  keeps the history; a replica never replaces an earlier download; a missing replica is
  named; an HTTP error, a reset or a TLS failure never uses it; offline again leaves the
  replica copy alone, and writes its manifest again if it was lost;
- the whole download ends by its deadline (a drip-fed body, saying the bytes received of
  those declared, if any; no answer; a Retry-After past it); a read that stalls times out; a
  body cut short is retried; a failure shows the innermost error of urllib3's chain (cause
  before args, the type's name if it has no text), a refused connection the socket's error;
- a body is refused when empty, not a PDF (its content type, or "not given", and first
  bytes quoted), an HTML page (by content type or by a first doctype or html tag, in any
  case), cut short or damaged, without pages, or over max_bytes (by Content-Length, or while
  reading); junk before the header within the first kilobyte is allowed; a header, or an html
  tag, after it is not looked at; exactly max_bytes is accepted; a gzip-encoded body is saved
  decoded;
- only https, or http too when allowed; a URL needs a host; a URL requests cannot parse is
  one error line; hosts outside the allow-list are refused, naming the allowed ones sorted
  ("none" for an empty list), whatever the case; each redirect hop is vetted before it is
  requested; more than max_redirects are refused;
- nonsense limits are refused naming the first (timeout, max_bytes and deadline more than 0,
  the others 0 or more); limits at their least are accepted;
- runs into one folder take turns; part files left by a killed run go with the next run; a
  folder that cannot be written or made, or a folder given as dest, is one error line before
  any request; missing folders above dest are made, however deep; a read-only folder still
  serves its good copy; new files follow the umask.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import pipeline
from pipeline.cli import cli
from pipeline.download import _innermost, download
from pipeline.errors import DownloadError
from pipeline.pdfsniff import looks_like_pdf

PDF_TYPE = "application/pdf"
# A well-formed PDF whose page tree is empty, written by hand (the xref offsets are exact).
NO_PAGES_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n110\n%%EOF\n"
)
FAST = {"backoff": 0, "allow_http": True}  # local servers speak http; no waiting between tries
NOBODY = 65534  # the uid a root test run drops to, to meet a folder it may not write


# --- helpers -----------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(dest: Path) -> dict:
    return json.loads(dest.with_suffix(".manifest.json").read_text(encoding="utf-8"))


def _requests_to(httpserver: HTTPServer, path: str) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == path)


def _serve_pdf(httpserver: HTTPServer, path: str, body: bytes) -> str:
    httpserver.expect_request(path).respond_with_data(body, content_type=PDF_TYPE)
    return httpserver.url_for(path)


def _free_port() -> int:
    """Return a port on 127.0.0.1 that nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "raw" / "085_03_02.pdf"


@pytest.fixture
def good(httpserver: HTTPServer, dest: Path, make_pdf) -> dict[str, bytes]:
    """Download a good PDF to dest first; return the bytes of dest and its manifest."""
    download(_serve_pdf(httpserver, "/good.pdf", make_pdf("good")), dest, **FAST)
    httpserver.clear()
    return {"pdf": dest.read_bytes(), "manifest": dest.with_suffix(".manifest.json").read_bytes()}


def _assert_untouched(dest: Path, good: dict[str, bytes]) -> None:
    """Assert dest and its manifest are byte for byte what they were, with nothing left beside."""
    manifest = dest.with_suffix(".manifest.json")
    assert dest.read_bytes() == good["pdf"]
    assert manifest.read_bytes() == good["manifest"]
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted([dest.name, manifest.name])


class _RawServer:
    """A socket server on 127.0.0.1 that answers each connection with `answer`, in a thread.

    The default answer reads the request, sends fixed bytes, then stalls (or closes).
    """

    def __init__(self, reply: bytes, *, stall: bool, answer: Callable | None = None):
        self.reply = reply
        self.stall = stall
        self.answer = answer or self._reply
        self.connections = 0
        self.stop = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/doc.pdf"
        self._threads = [threading.Thread(target=self._serve, daemon=True)]
        self._threads[0].start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._answer, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                self.answer(self, connection)
            except OSError:  # the client gave up first
                return

    def _reply(self, _, connection: socket.socket) -> None:
        if _read_request(connection):
            connection.sendall(self.reply)
            if self.stall:
                self.stop.wait()

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._socket.close()


def _read_request(connection: socket.socket) -> bool:
    """Read a request's head from connection; return False if the client hung up first."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(4096)
        if not chunk:
            return False
        received += chunk
    return True


def _reset(_, connection: socket.socket) -> None:
    """Answer a connection by resetting it at once: SO_LINGER 0 makes close() send an RST."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _drip(body: bytes, every: float, *, length: bool = True) -> Callable:
    """Return an answer that sends a 200 head (with a Content-Length unless length is false),
    then body one byte every `every` seconds."""
    declared = f"Content-Length: {len(body)}\r\n" if length else ""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {PDF_TYPE}\r\n{declared}\r\n"

    def answer(server: _RawServer, connection: socket.socket) -> None:
        if _read_request(connection):
            connection.sendall(head.encode())
            for byte in body:
                if server.stop.wait(every):
                    return
                connection.sendall(bytes([byte]))

    return answer


@pytest.fixture
def raw_server() -> Iterator[Callable[..., _RawServer]]:
    """Return a function from reply bytes (or an answer) to a running _RawServer."""
    servers: list[_RawServer] = []

    def start(reply: bytes = b"", *, stall: bool = True, answer: Callable | None = None):
        servers.append(_RawServer(reply, stall=stall, answer=answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def full_backlog() -> Iterator[str]:
    """Return the URL of a port on 127.0.0.1 whose accept queue is full: a connect() to it is
    never answered (Linux drops the SYN), so it times out as an unreachable host's would."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}/doc.pdf"
        with socket.create_connection(server.getsockname()):  # fills the queue of one
            yield url


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A pytest-httpserver on 127.0.0.1 that serves requests side by side, each in a thread."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Return a function that sets the process's umask; the old one is put back after."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@contextmanager
def _unprivileged() -> Iterator[None]:
    """Run the block as nobody when the tests run as root, whom no file mode stops."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder anyone may enter (tmp_path's parents are root's alone), removed after."""
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(folder)


# --- success and caching ----------------------------------------------------------------------


def test_download_saves_the_pdf_and_a_manifest(httpserver, dest, make_pdf):
    body = make_pdf("hello")
    url = _serve_pdf(httpserver, "/doc.pdf", body)
    before = datetime.now(UTC).replace(microsecond=0)

    assert download(url, dest, **FAST) == dest

    assert dest.read_bytes() == body
    manifest = _manifest(dest)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["fetched_at"])
    fetched_at = datetime.fromisoformat(manifest.pop("fetched_at"))
    assert before <= fetched_at <= datetime.now(UTC)
    assert fetched_at.utcoffset() == timedelta(0)
    assert manifest == {
        "url": url,
        "final_url": url,
        "sha256": _sha256(body),
        "size": len(body),
        "content_type": PDF_TYPE,
        "source": "network",
        "history": [],
    }
    assert dest.with_suffix(".manifest.json").name == "085_03_02.manifest.json"
    assert sorted(p.name for p in dest.parent.iterdir()) == [
        "085_03_02.manifest.json",
        "085_03_02.pdf",
    ]


def test_the_manifest_is_indented_utf8_json_ending_in_a_newline(httpserver, dest, make_pdf):
    url = _serve_pdf(httpserver, "/資料.pdf", make_pdf("non-ASCII"))

    download(url, dest, **FAST)

    text = dest.with_suffix(".manifest.json").read_text(encoding="utf-8")
    assert text.startswith(f'{{\n  "url": "{url}",\n  "final_url": ')
    assert text.endswith('\n  "history": []\n}\n')


def test_cached_copy_is_returned_without_a_request(httpserver, dest, good):
    url = httpserver.url_for("/good.pdf")

    assert download(url, dest, **FAST) == dest

    assert httpserver.log == []
    _assert_untouched(dest, good)


def test_cached_copy_that_no_longer_matches_its_manifest_is_fetched_again(
    httpserver, dest, good, make_pdf
):
    dest.write_bytes(make_pdf("edited by hand"))
    body = make_pdf("good")
    url = _serve_pdf(httpserver, "/good.pdf", body)

    download(url, dest, **FAST)

    assert _requests_to(httpserver, "/good.pdf") == 1
    assert dest.read_bytes() == body


def test_cached_copy_that_is_not_a_pdf_is_fetched_again_saying_why(
    httpserver, dest, good, make_pdf, caplog
):
    dest.write_bytes(b"not a pdf")  # and its manifest vouches for these bytes
    stale = json.loads(good["manifest"]) | {"sha256": _sha256(b"not a pdf"), "size": 9}
    dest.with_suffix(".manifest.json").write_text(json.dumps(stale), encoding="utf-8")
    body = make_pdf("good")
    url = _serve_pdf(httpserver, "/good.pdf", body)

    with caplog.at_level(logging.INFO, logger="pipeline.download"):
        download(url, dest, **FAST)

    assert _requests_to(httpserver, "/good.pdf") == 1
    assert dest.read_bytes() == body
    assert f"{dest}: {url}: not a PDF (content-type not given; starts with b'not a pdf')" in (
        caplog.messages
    )
    assert f"cached {dest} is not a usable PDF; fetching it again" in caplog.messages
    assert f"{dest}: {dest}: not a PDF (content-type not given; starts with b'not a pdf')" in (
        caplog.messages  # checked again before it is replaced, named by its path
    )
    assert sorted(p.name for p in dest.parent.iterdir()) == [  # a file that is no PDF is not kept
        "085_03_02.manifest.json",
        "085_03_02.pdf",
    ]


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"a string"'])
def test_a_manifest_that_is_not_a_json_object_is_ignored(httpserver, dest, good, make_pdf, text):
    dest.with_suffix(".manifest.json").write_text(text, encoding="utf-8")
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("good"))

    download(url, dest, **FAST)

    assert _requests_to(httpserver, "/good.pdf") == 1
    assert _manifest(dest)["sha256"] == _sha256(good["pdf"])


def test_cached_copy_of_another_url_is_fetched_again(httpserver, dest, good, make_pdf):
    body = make_pdf("from elsewhere")
    url = _serve_pdf(httpserver, "/other.pdf", body)

    download(url, dest, **FAST)

    assert _requests_to(httpserver, "/other.pdf") == 1
    assert dest.read_bytes() == body
    assert _manifest(dest)["url"] == url


def test_the_request_names_the_pipeline_and_requests_in_its_user_agent(httpserver, dest, make_pdf):
    download(_serve_pdf(httpserver, "/doc.pdf", make_pdf("who")), dest, **FAST)

    [(request, _)] = httpserver.log
    expected = f"meti-disclosures/{pipeline.__version__} python-requests/{requests.__version__}"
    assert request.headers["User-Agent"] == expected


def test_force_fetches_again(httpserver, dest, good, make_pdf):
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("good"))

    download(url, dest, force=True, **FAST)

    assert _requests_to(httpserver, "/good.pdf") == 1


def test_changed_document_keeps_both_copies(httpserver, dest, good, make_pdf, caplog):
    old = good["pdf"]
    old_entry = json.loads(good["manifest"])
    new = make_pdf("revised")
    url = _serve_pdf(httpserver, "/good.pdf", new)

    with caplog.at_level(logging.WARNING, logger="pipeline.download"):
        download(url, dest, force=True, **FAST)

    kept = dest.with_name(f"085_03_02.{_sha256(old)[:12]}.pdf")
    assert dest.read_bytes() == new
    assert kept.read_bytes() == old
    manifest = _manifest(dest)
    assert manifest["sha256"] == _sha256(new)
    assert manifest["history"] == [
        {
            "sha256": _sha256(old),
            "fetched_at": old_entry["fetched_at"],
            "final_url": old_entry["final_url"],
            "size": len(old),
            "kept_at": kept.name,
        }
    ]
    assert (
        f"document changed: {_sha256(old)[:12]} → {_sha256(new)[:12]}; previous copy kept at {kept}"
    ) in caplog.messages


def test_kept_copy_its_manifest_does_not_describe_has_no_fetched_at_or_final_url(
    httpserver, dest, good, make_pdf
):
    edited = make_pdf("edited by hand")  # a PDF, but not the one the manifest describes
    dest.write_bytes(edited)
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("good"))

    download(url, dest, **FAST)

    kept = dest.with_name(f"085_03_02.{_sha256(edited)[:12]}.pdf")
    assert kept.read_bytes() == edited
    assert _manifest(dest)["history"] == [
        {
            "sha256": _sha256(edited),
            "fetched_at": None,
            "final_url": None,
            "size": len(edited),
            "kept_at": kept.name,
        }
    ]


def test_a_copy_that_cannot_be_moved_aside_is_one_error_line_naming_where(
    httpserver, dest, good, make_pdf
):
    kept = dest.with_name(f"085_03_02.{_sha256(good['pdf'])[:12]}.pdf")
    kept.mkdir()  # in the way of the earlier copy
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("revised"))

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, **FAST)

    assert (
        str(error.value) == f"{kept}: cannot write: [Errno 21] Is a directory: '{dest}' -> '{kept}'"
    )
    assert dest.read_bytes() == good["pdf"]
    assert dest.with_suffix(".manifest.json").read_bytes() == good["manifest"]


def test_same_document_refreshes_fetched_at_only(httpserver, dest, good, make_pdf):
    manifest_path = dest.with_suffix(".manifest.json")
    stale = json.loads(good["manifest"]) | {"fetched_at": "2000-01-01T00:00:00+00:00"}
    manifest_path.write_text(json.dumps(stale), encoding="utf-8")
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("good"))

    download(url, dest, force=True, **FAST)

    fresh = _manifest(dest)
    assert fresh["fetched_at"] != "2000-01-01T00:00:00+00:00"
    assert {k: v for k, v in fresh.items() if k != "fetched_at"} == {
        k: v for k, v in stale.items() if k != "fetched_at"
    }
    assert dest.read_bytes() == good["pdf"]
    assert sorted(p.name for p in dest.parent.iterdir()) == [
        "085_03_02.manifest.json",
        "085_03_02.pdf",
    ]


def test_same_document_leaves_the_file_itself_alone(httpserver, dest, good, make_pdf):
    # make compares times: an unchanged document must not make every later stage rerun.
    os.utime(dest, (1_000_000_000, 1_000_000_000))
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("good"))

    download(url, dest, force=True, **FAST)

    assert dest.stat().st_mtime == 1_000_000_000


# --- HTTP statuses and retries ----------------------------------------------------------------


def test_404_is_not_retried(httpserver, dest, good):
    httpserver.expect_request("/gone.pdf").respond_with_data("nope", status=404)
    url = httpserver.url_for("/gone.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, retries=3, **FAST)

    assert str(error.value) == f"{url}: HTTP 404 Not Found after 1 attempt"
    assert _requests_to(httpserver, "/gone.pdf") == 1
    _assert_untouched(dest, good)


def test_503_then_200_is_retried_and_succeeds(httpserver, dest, make_pdf):
    body = make_pdf("eventually")
    httpserver.expect_oneshot_request("/busy.pdf").respond_with_data("busy", status=503)
    url = _serve_pdf(httpserver, "/busy.pdf", body)

    download(url, dest, retries=1, **FAST)

    assert _requests_to(httpserver, "/busy.pdf") == 2
    assert dest.read_bytes() == body


def test_an_error_status_after_a_redirect_names_where_it_came_from(httpserver, dest):
    httpserver.expect_request("/moved.pdf").respond_with_response(
        Response(status=301, headers={"Location": "/gone.pdf"})
    )
    httpserver.expect_request("/gone.pdf").respond_with_data("nope", status=404)
    url = httpserver.url_for("/moved.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    expected = f"{url}: HTTP 404 Not Found from {httpserver.url_for('/gone.pdf')} after 1 attempt"
    assert str(error.value) == expected


def test_500_forever_fails_after_the_retries_with_growing_backoff(httpserver, dest, good):
    httpserver.expect_request("/broken.pdf").respond_with_data("oops", status=500)
    url = httpserver.url_for("/broken.pdf")
    started = time.monotonic()

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, retries=2, backoff=0.05, allow_http=True)

    assert str(error.value) == f"{url}: HTTP 500 Internal Server Error after 3 attempts"
    assert _requests_to(httpserver, "/broken.pdf") == 3
    # urllib3's backoff: the first retry goes at once, the second waits 2 × backoff.
    assert time.monotonic() - started >= 0.05 * 2
    _assert_untouched(dest, good)


# --- network failures and the replica ---------------------------------------------------------


def test_connection_refused_fails_without_a_replica(dest, good, capsys):
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, retries=1, **FAST)

    # Refused is not retried: nobody is listening a moment later either. The detail is the
    # socket's error, not urllib3's wrapping of it.
    assert re.fullmatch(
        rf"{re.escape(url)}: connection failed after 1 attempt: \[Errno \d+\] Connection refused",
        str(error.value),
    )
    assert "REPLICA" not in capsys.readouterr().err
    _assert_untouched(dest, good)


def test_dns_failure_fails_without_a_replica(dest):
    url = "http://no-such-host.invalid/doc.pdf"  # .invalid never resolves (RFC 6761)

    with pytest.raises(
        DownloadError,
        match=r"^http://no-such-host\.invalid/doc\.pdf: connection failed after 1 attempt: ",
    ):
        download(url, dest, retries=0, **FAST)

    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []


def test_connection_refused_uses_the_replica_loudly(dest, tmp_path, make_pdf, capsys, caplog):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"

    with caplog.at_level(logging.WARNING, logger="pipeline.download"):
        assert download(url, dest, retries=1, replica=replica, **FAST) == dest

    assert dest.read_bytes() == replica.read_bytes()
    stderr = capsys.readouterr().err
    assert f"WARNING: network unreachable ({url}: " not in stderr  # the URL is named once
    assert re.search(
        r"^WARNING: network unreachable "
        r"\(connection failed after 1 attempt: .*Connection refused\); "
        rf"using the bundled REPLICA {re.escape(str(replica))} at {re.escape(str(dest))}, "
        rf"not the original document {re.escape(url)}$",
        stderr,
        re.MULTILINE,
    )
    # Printed once and not logged as well: a CLI logging to stderr would show it twice.
    assert stderr.count("using the bundled REPLICA") == 1
    assert not any("REPLICA" in m for m in caplog.messages)
    manifest = _manifest(dest)
    assert manifest["source"] == "replica"
    assert manifest["url"] == url
    assert manifest["final_url"] == replica.resolve().as_uri()
    assert manifest["sha256"] == _sha256(replica.read_bytes())


def test_connect_timeout_is_offline_and_uses_the_replica(
    full_backlog, dest, tmp_path, make_pdf, capsys
):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))

    assert download(full_backlog, dest, timeout=0.1, retries=0, replica=replica, **FAST) == dest

    assert dest.read_bytes() == replica.read_bytes()
    assert capsys.readouterr().err == (
        "WARNING: network unreachable (connection timed out after 1 attempt: no answer in 0.1 s); "
        f"using the bundled REPLICA {replica} at {dest}, not the original document {full_backlog}\n"
    )


def test_replica_that_is_not_a_pdf_is_refused_naming_it(dest, tmp_path, capsys):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(b"not a pdf either")

    with pytest.raises(DownloadError) as error:
        download(f"http://127.0.0.1:{_free_port()}/doc.pdf", dest, replica=replica, **FAST)

    expected = f"{replica}: not a PDF (content-type not given; starts with b'not a pdf either')"
    assert str(error.value) == expected
    assert "REPLICA" not in capsys.readouterr().err
    assert not dest.exists()


def test_replica_copy_whose_manifest_was_lost_gets_one_again(dest, tmp_path, make_pdf, capsys):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"
    download(url, dest, replica=replica, **FAST)
    dest.with_suffix(".manifest.json").unlink()

    download(url, dest, replica=replica, **FAST)

    manifest = _manifest(dest)
    assert (manifest["source"], manifest["url"]) == ("replica", url)
    assert manifest["sha256"] == _sha256(replica.read_bytes())


def test_replica_carries_the_history_of_earlier_downloads(
    httpserver, dest, good, tmp_path, make_pdf, capsys
):
    url = _serve_pdf(httpserver, "/good.pdf", make_pdf("revised"))
    download(url, dest, force=True, **FAST)
    history = _manifest(dest)["history"]
    assert [entry["sha256"] for entry in history] == [_sha256(good["pdf"])]
    dest.unlink()  # the network copy is gone; its manifest and the kept copy stay
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))

    download(f"http://127.0.0.1:{_free_port()}/doc.pdf", dest, replica=replica, **FAST)

    manifest = _manifest(dest)
    assert manifest["source"] == "replica"
    assert manifest["history"] == history


def _drop_history(dest: Path) -> None:
    """Rewrite dest's manifest as written before manifests had a history."""
    path = dest.with_suffix(".manifest.json")
    old = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k != "history"}
    path.write_text(json.dumps(old), encoding="utf-8")


def test_manifest_without_history_has_none_when_a_changed_document_comes(
    httpserver, dest, good, make_pdf
):
    _drop_history(dest)

    download(_serve_pdf(httpserver, "/good.pdf", make_pdf("revised")), dest, force=True, **FAST)

    assert [entry["sha256"] for entry in _manifest(dest)["history"]] == [_sha256(good["pdf"])]


def test_manifest_without_history_has_none_when_the_replica_comes(
    dest, good, tmp_path, make_pdf, capsys
):
    _drop_history(dest)
    dest.unlink()  # the network copy is gone; its manifest stays
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))

    download(f"http://127.0.0.1:{_free_port()}/doc.pdf", dest, replica=replica, **FAST)

    assert _manifest(dest)["source"] == "replica"
    assert _manifest(dest)["history"] == []


def test_replica_copy_is_not_a_cache_hit(httpserver, dest, tmp_path, make_pdf, capsys):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    body = make_pdf("original")
    url = _serve_pdf(httpserver, "/doc.pdf", body)
    httpserver.stop()
    try:
        download(url, dest, retries=0, replica=replica, **FAST)
    finally:
        httpserver.start()
    assert _manifest(dest)["source"] == "replica"

    download(url, dest, **FAST)

    assert _requests_to(httpserver, "/doc.pdf") == 1
    assert dest.read_bytes() == body
    assert _manifest(dest)["source"] == "network"
    assert sorted(p.name for p in dest.parent.iterdir()) == [
        "085_03_02.manifest.json",
        "085_03_02.pdf",
    ]


def test_replica_never_replaces_an_earlier_download(dest, good, tmp_path, make_pdf, capsys):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"

    with pytest.raises(DownloadError, match=r"; kept the earlier download at .*, not the replica$"):
        download(url, dest, force=True, retries=0, replica=replica, **FAST)

    assert "REPLICA" not in capsys.readouterr().err
    _assert_untouched(dest, good)


def test_missing_replica_is_reported(dest, tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"
    replica = tmp_path / "nowhere.pdf"

    with pytest.raises(DownloadError, match=rf"; the replica {re.escape(str(replica))} does not"):
        download(url, dest, retries=0, replica=replica, **FAST)


def test_http_error_status_never_uses_the_replica(httpserver, dest, tmp_path, make_pdf):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    httpserver.expect_request("/doc.pdf").respond_with_data("down", status=503)

    with pytest.raises(DownloadError, match=r"HTTP 503 Service Unavailable after 1 attempt$"):
        download(httpserver.url_for("/doc.pdf"), dest, retries=0, replica=replica, **FAST)

    assert not dest.exists()


@pytest.mark.parametrize("host", ["refused", "no-such-name"])
def test_unreachable_host_is_not_retried(host, dest):
    url = (
        f"http://127.0.0.1:{_free_port()}/doc.pdf"
        if host == "refused"
        else "http://no-such-host.invalid/doc.pdf"
    )
    started = time.monotonic()

    with pytest.raises(DownloadError, match=r"^http://\S+: connection failed after 1 attempt: "):
        download(url, dest, retries=3, backoff=30, allow_http=True)

    assert time.monotonic() - started < 30  # retried, the second retry alone would wait 60 s


def test_connection_reset_after_accept_is_an_error_not_the_replica(
    raw_server, dest, tmp_path, make_pdf, capsys
):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    server = raw_server(answer=_reset)  # accepts, then resets: a host that is there

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, retries=1, replica=replica, **FAST)

    assert re.fullmatch(
        rf"{re.escape(server.url)}: (connection|transfer) failed after 2 attempts: "
        r"\[Errno 104\] Connection reset by peer",
        str(error.value),
    )
    assert server.connections == 2
    assert "REPLICA" not in capsys.readouterr().err
    assert not dest.exists()


def test_tls_failure_is_not_retried_nor_offline(raw_server, dest, tmp_path, make_pdf, capsys):
    def plain_http(_, connection: socket.socket) -> None:  # answers a TLS hello in plain HTTP
        connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    server = raw_server(answer=plain_http)
    url = server.url.replace("http://", "https://")
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))

    with pytest.raises(DownloadError) as error:
        download(url, dest, retries=2, backoff=0, replica=replica)

    assert re.fullmatch(
        rf"{re.escape(url)}: TLS failed after 1 attempt: "
        r"\[SSL: WRONG_VERSION_NUMBER\] wrong version number \(_ssl\.c:\d+\)",
        str(error.value),
    )
    assert server.connections == 1
    assert "REPLICA" not in capsys.readouterr().err
    assert not dest.exists()


def test_offline_again_leaves_the_replica_copy_alone(dest, tmp_path, make_pdf, capsys):
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"
    download(url, dest, replica=replica, **FAST)
    manifest = dest.with_suffix(".manifest.json").read_bytes()
    os.utime(dest, (1_000_000_000, 1_000_000_000))
    capsys.readouterr()

    assert download(url, dest, replica=replica, **FAST) == dest

    assert dest.stat().st_mtime == 1_000_000_000  # make reruns none of the later stages
    assert dest.with_suffix(".manifest.json").read_bytes() == manifest
    assert capsys.readouterr().err.count("using the bundled REPLICA") == 1


def test_server_that_drips_is_stopped_at_the_deadline(raw_server, dest, good, make_pdf):
    # A byte every 0.1 s never trips the 0.4 s timeout on each read: only the deadline helps.
    server = raw_server(answer=_drip(make_pdf("slowly"), every=0.1))
    started = time.monotonic()

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, force=True, timeout=0.4, deadline=0.8, **FAST)

    assert re.fullmatch(
        rf"{re.escape(server.url)}: download took longer than 0\.8 s \(\d+/\d+ bytes received\)",
        str(error.value),
    )
    assert 0.8 <= time.monotonic() - started < 2
    assert server.connections == 1
    _assert_untouched(dest, good)


def test_server_that_drips_without_a_content_length_says_only_the_bytes_received(
    raw_server, dest, make_pdf
):
    server = raw_server(answer=_drip(make_pdf("slowly"), every=0.02, length=False))

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, timeout=0.5, deadline=0.2, **FAST)

    assert re.fullmatch(
        rf"{re.escape(server.url)}: download took longer than 0\.2 s \(\d+ bytes received\)",
        str(error.value),
    )


def test_server_that_never_answers_is_stopped_at_the_deadline(raw_server, dest):
    server = raw_server(b"")
    started = time.monotonic()

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, timeout=30, retries=3, deadline=0.5, **FAST)

    expected = f"{server.url}: download took longer than 0.5 s (read timed out after 1 attempt)"
    assert str(error.value) == expected
    assert time.monotonic() - started < 1.5


def test_retry_after_past_the_deadline_is_not_waited_for(httpserver, dest):
    httpserver.expect_request("/doc.pdf").respond_with_data(
        "busy", status=503, headers={"Retry-After": "3600"}
    )
    url = httpserver.url_for("/doc.pdf")
    started = time.monotonic()

    with pytest.raises(DownloadError) as error:
        download(url, dest, deadline=5, **FAST)

    expected = (
        f"{url}: download would take longer than 5 s (HTTP 503 Service Unavailable after 1 attempt)"
    )
    assert str(error.value) == expected
    assert time.monotonic() - started < 2


def test_server_that_never_answers_times_out(raw_server, dest, good):
    server = raw_server(b"")  # reads the request, then says nothing

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, force=True, timeout=0.3, retries=1, **FAST)

    assert str(error.value) == f"{server.url}: read timed out after 2 attempts: no data for 0.3 s"
    assert server.connections == 2
    _assert_untouched(dest, good)


def test_server_that_stalls_mid_body_times_out(raw_server, dest, good, make_pdf):
    body = make_pdf("stalled")
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {PDF_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    server = raw_server(head.encode() + body[: len(body) // 2])

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, force=True, timeout=0.3, retries=1, **FAST)

    assert str(error.value) == f"{server.url}: read timed out after 2 attempts: no data for 0.3 s"
    assert server.connections == 2
    _assert_untouched(dest, good)


def test_connection_dropped_mid_body_is_retried_then_reported(raw_server, dest, good, make_pdf):
    body = make_pdf("dropped")
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {PDF_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    server = raw_server(head.encode() + body[:100], stall=False)

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, force=True, retries=1, **FAST)

    # The innermost error of urllib3's chain says what went wrong, without its wrappers.
    assert str(error.value) == (
        f"{server.url}: transfer failed after 2 attempts: "
        f"IncompleteRead(100 bytes read, {len(body) - 100} more expected)"
    )
    assert server.connections == 2
    _assert_untouched(dest, good)


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("only"), "only"),
        (RuntimeError("outer", ValueError("inner")), "inner"),  # wrapped in the args
        (RuntimeError("outer", RuntimeError("middle", ValueError("inner"))), "inner"),
        (RuntimeError("outer", ConnectionResetError()), "ConnectionResetError"),  # no text
    ],
)
def test_a_failure_is_shown_by_the_innermost_error_of_its_chain(error, shown):
    assert _innermost(error) == shown


def test_the_cause_of_a_failure_is_followed_before_its_args():
    error = RuntimeError("outer", ValueError("in the args"))
    error.__cause__ = OSError("the cause")

    assert _innermost(error) == "the cause"


# --- bodies that are not an acceptable PDF ----------------------------------------------------


def test_html_page_is_rejected(httpserver, dest, good):
    page = "<!DOCTYPE html><html><body>Please log in</body></html>"
    httpserver.expect_request("/doc.pdf").respond_with_data(page, content_type="text/html")
    url = httpserver.url_for("/doc.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, **FAST)

    assert str(error.value) == f"{url}: got an HTML page (content-type text/html), not a PDF"
    assert _requests_to(httpserver, "/doc.pdf") == 1  # a rejected body is not retried
    _assert_untouched(dest, good)


def test_html_page_labelled_as_pdf_is_rejected(httpserver, dest):
    page = "\n<html><body>moved</body></html>"
    httpserver.expect_request("/doc.pdf").respond_with_data(page, content_type=PDF_TYPE)
    url = httpserver.url_for("/doc.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    assert str(error.value) == f"{url}: got an HTML page (content-type {PDF_TYPE}), not a PDF"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("Text/HTML; charset=utf-8", "Please log in"),  # by its content type, in any case
        (PDF_TYPE, " \n<!DocType HTML><p>moved</p>"),  # by its doctype, in any case
        (PDF_TYPE, "<HTML><body>moved</body></HTML>"),  # by its html tag, in any case
    ],
)
def test_html_page_is_known_by_its_content_type_or_its_first_tag(
    httpserver, dest, content_type, body
):
    httpserver.expect_request("/doc.pdf").respond_with_data(body, content_type=content_type)
    url = httpserver.url_for("/doc.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    assert str(error.value) == f"{url}: got an HTML page (content-type {content_type}), not a PDF"


def test_other_markup_is_not_a_pdf_nor_an_html_page(httpserver, dest):
    httpserver.expect_request("/doc.pdf").respond_with_data("<p>moved</p>", content_type=PDF_TYPE)
    url = httpserver.url_for("/doc.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    assert (
        str(error.value)
        == f"{url}: not a PDF (content-type {PDF_TYPE}; starts with b'<p>moved</p>')"
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"hello", "not a PDF (content-type not given; starts with b'hello')"),
        (b"", "empty body (content-type not given)"),
    ],
)
def test_body_without_a_content_type_says_not_given(raw_server, dest, body, reason):
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    server = raw_server(head + body, stall=False)

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, retries=0, **FAST)

    assert str(error.value) == f"{server.url}: {reason}"


def test_gzip_encoded_body_is_saved_decoded(httpserver, dest, make_pdf):
    body = make_pdf("compressed on the wire")
    httpserver.expect_request("/doc.pdf").respond_with_data(
        gzip.compress(body), content_type=PDF_TYPE, headers={"Content-Encoding": "gzip"}
    )

    download(httpserver.url_for("/doc.pdf"), dest, **FAST)

    assert dest.read_bytes() == body
    assert _manifest(dest)["size"] == len(body)


def test_pdf_with_junk_before_its_header_is_accepted(httpserver, dest, make_pdf):
    body = b"JUNK BEFORE THE HEADER\r\n" * 20 + make_pdf("junk first")  # 480 bytes of junk
    url = _serve_pdf(httpserver, "/doc.pdf", body)

    download(url, dest, **FAST)

    assert dest.read_bytes() == body


@pytest.mark.parametrize("late", [b"%PDF-1.4", b"<html><body>moved</body></html>"])
def test_header_past_the_first_kilobyte_is_not_a_pdf(httpserver, dest, make_pdf, late):
    """Only the first kilobyte is looked at: neither a PDF header nor an html tag after it."""
    url = _serve_pdf(httpserver, "/doc.pdf", b" " * 1024 + late + make_pdf("too late"))

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    expected = f"{url}: not a PDF (content-type {PDF_TYPE}; starts with {b' ' * 16!r})"
    assert str(error.value) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", True),
        (b"x" * 1019 + b"%PDF-", True),  # ends on the window's last byte
        (b"x" * 1020 + b"%PDF-", False),  # straddles the window's end
        (b"<!DOCTYPE html>", False),
        (b"", False),
    ],
)
def test_looks_like_pdf_wants_the_header_within_the_first_kilobyte(head, expected):
    assert looks_like_pdf(head) is expected


@pytest.mark.parametrize(
    ("cut", "reason"),
    [
        (lambda pdf: pdf[: len(pdf) // 2], r"\(no %%EOF at the end, \d+ bytes\)"),
        # The header and the trailer survive, the objects between do not.
        (lambda pdf: pdf[:200] + pdf[-40:], r"\(.+\)"),
    ],
    ids=["cut-short", "middle-missing"],
)
def test_truncated_pdf_is_rejected(httpserver, dest, good, make_pdf, cut, reason):
    url = _serve_pdf(httpserver, "/doc.pdf", cut(make_pdf("truncated")))

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, **FAST)

    assert re.fullmatch(rf"{re.escape(url)}: truncated or damaged PDF {reason}", str(error.value))
    _assert_untouched(dest, good)


def test_pdf_without_pages_is_rejected(httpserver, dest, good):
    url = _serve_pdf(httpserver, "/doc.pdf", NO_PAGES_PDF)

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, **FAST)

    assert str(error.value) == f"{url}: truncated or damaged PDF (no pages)"
    _assert_untouched(dest, good)


def test_empty_body_is_rejected(httpserver, dest, good):
    url = _serve_pdf(httpserver, "/doc.pdf", b"")

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, **FAST)

    assert str(error.value) == f"{url}: empty body (content-type {PDF_TYPE})"
    _assert_untouched(dest, good)


def test_body_over_max_bytes_is_refused_by_its_content_length(httpserver, dest, good, make_pdf):
    body = make_pdf("big")
    url = _serve_pdf(httpserver, "/doc.pdf", body)

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, max_bytes=len(body) - 1, **FAST)

    expected = f"{url}: body exceeds --max-bytes {len(body) - 1} (Content-Length {len(body)})"
    assert str(error.value) == expected
    _assert_untouched(dest, good)


def test_body_over_max_bytes_stops_reading_at_the_cap(raw_server, dest, good):
    # No Content-Length and the connection stays open: a reader that went on to the end of
    # the body would wait for the read timeout instead of stopping at the cap.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nConnection: close\r\n\r\n"
    server = raw_server(head + b"%PDF-1.4\n" + b"x" * 200_000)
    started = time.monotonic()

    with pytest.raises(DownloadError) as error:
        download(server.url, dest, force=True, max_bytes=100_000, timeout=3, retries=0, **FAST)

    assert str(error.value) == f"{server.url}: body exceeds --max-bytes 100000 (no Content-Length)"
    assert time.monotonic() - started < 2
    _assert_untouched(dest, good)


def test_body_exactly_at_max_bytes_is_accepted(httpserver, dest, make_pdf):
    body = make_pdf("just right")
    url = _serve_pdf(httpserver, "/doc.pdf", body)

    download(url, dest, max_bytes=len(body), **FAST)

    assert dest.read_bytes() == body


# --- which URLs may be fetched ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://www.emsc.meti.go.jp/x.pdf", "ftp://www.emsc.meti.go.jp/x.pdf", "file:///etc/passwd"],
)
def test_only_https_is_allowed(url, dest):
    with pytest.raises(DownloadError) as error:
        download(url, dest, backoff=0)

    assert str(error.value) == f"{url}: only https URLs are allowed"
    assert not dest.parent.exists()


def test_allow_http_still_refuses_other_schemes(dest):
    with pytest.raises(DownloadError, match=r"^file:///etc/passwd: only https URLs are allowed$"):
        download("file:///etc/passwd", dest, **FAST)


def test_allow_http_still_allows_https(dest):
    url = f"https://127.0.0.1:{_free_port()}/doc.pdf"

    with pytest.raises(DownloadError) as error:
        download(url, dest, retries=0, **FAST)

    # Past the scheme check: the request was made, and nobody listens there.
    assert re.fullmatch(
        rf"{re.escape(url)}: connection failed after 1 attempt: \[Errno \d+\] Connection refused",
        str(error.value),
    )


def test_host_not_in_the_allow_list_is_refused(httpserver, dest, good):
    url = _serve_pdf(httpserver, "/doc.pdf", good["pdf"])

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, allowed_hosts=["www.emsc.meti.go.jp"], **FAST)

    expected = f"{url}: host 127.0.0.1 is not allowed (allowed: www.emsc.meti.go.jp)"
    assert str(error.value) == expected
    assert httpserver.log == []
    _assert_untouched(dest, good)


def test_allow_list_ignores_case(httpserver, dest, make_pdf):
    body = make_pdf("case")
    url = _serve_pdf(httpserver, "/doc.pdf", body).replace("127.0.0.1", "LocalHost")

    download(url, dest, allowed_hosts=["LOCALHOST"], **FAST)

    assert dest.read_bytes() == body


def test_redirect_to_another_host_is_refused(httpserver, dest, good):
    elsewhere = httpserver.url_for("/doc.pdf").replace("127.0.0.1", "localhost")
    httpserver.expect_request("/moved.pdf").respond_with_response(
        Response(status=302, headers={"Location": elsewhere})
    )
    url = httpserver.url_for("/moved.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, allowed_hosts=["127.0.0.1"], **FAST)

    expected = f"{url}: redirect to disallowed host localhost (allowed: 127.0.0.1)"
    assert str(error.value) == expected
    assert [request.path for request, _ in httpserver.log] == ["/moved.pdf"]
    _assert_untouched(dest, good)


def test_every_redirect_hop_is_vetted_before_it_is_requested(httpserver, dest):
    elsewhere = httpserver.url_for("/doc.pdf").replace("127.0.0.1", "localhost")
    for path, target in [("/a.pdf", "/b.pdf"), ("/b.pdf", elsewhere)]:
        httpserver.expect_request(path).respond_with_response(
            Response(status=302, headers={"Location": target})
        )
    url = httpserver.url_for("/a.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, allowed_hosts=["127.0.0.1"], **FAST)

    expected = f"{url}: redirect to disallowed host localhost (allowed: 127.0.0.1)"
    assert str(error.value) == expected
    assert [request.path for request, _ in httpserver.log] == ["/a.pdf", "/b.pdf"]


def test_redirect_to_another_scheme_is_refused(httpserver, dest):
    httpserver.expect_request("/moved.pdf").respond_with_response(
        Response(status=301, headers={"Location": "ftp://127.0.0.1/doc.pdf"})
    )
    url = httpserver.url_for("/moved.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    expected = f"{url}: redirect to ftp://127.0.0.1/doc.pdf: only https URLs are allowed"
    assert str(error.value) == expected


def test_relative_redirect_within_the_allowed_host_is_followed(httpserver, dest, make_pdf):
    body = make_pdf("moved")
    httpserver.expect_request("/old/doc.pdf").respond_with_response(
        Response(status=301, headers={"Location": "../new/doc.pdf"})
    )
    final_url = _serve_pdf(httpserver, "/new/doc.pdf", body)
    url = httpserver.url_for("/old/doc.pdf")

    download(url, dest, allowed_hosts=["127.0.0.1"], **FAST)

    assert dest.read_bytes() == body
    assert _manifest(dest)["url"] == url
    assert _manifest(dest)["final_url"] == final_url


def test_too_many_redirects_are_refused(httpserver, dest, good):
    httpserver.expect_request("/loop.pdf").respond_with_response(
        Response(status=307, headers={"Location": "/loop.pdf"})
    )
    url = httpserver.url_for("/loop.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, max_redirects=2, **FAST)

    assert str(error.value) == f"{url}: more than 2 redirects"
    assert _requests_to(httpserver, "/loop.pdf") == 3
    _assert_untouched(dest, good)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ({"retries": -1}, "retries must be 0 or more, not -1"),
        ({"max_bytes": 0}, "max_bytes must be more than 0, not 0"),
        ({"timeout": 0}, "timeout must be more than 0, not 0"),
        ({"deadline": 0}, "deadline must be more than 0, not 0"),
        ({"timeout": -1}, "timeout must be more than 0, not -1"),
        ({"backoff": -0.5}, "backoff must be 0 or more, not -0.5"),
        ({"max_redirects": -1}, "max_redirects must be 0 or more, not -1"),
        ({"deadline": -1.5}, "deadline must be more than 0, not -1.5"),
        ({"max_bytes": -1}, "max_bytes must be more than 0, not -1"),
    ],
)
def test_nonsense_limits_are_refused(limit, message, dest):
    url = "https://www.emsc.meti.go.jp/x.pdf"

    with pytest.raises(DownloadError) as error:
        download(url, dest, **limit)

    assert str(error.value) == f"{url}: {message}"


def test_limits_at_their_least_are_accepted(httpserver, dest, make_pdf):
    body = make_pdf("least")
    url = _serve_pdf(httpserver, "/doc.pdf", body)

    download(url, dest, retries=0, backoff=0, max_redirects=0, allow_http=True)

    assert dest.read_bytes() == body


def test_url_without_a_host_is_refused(dest):
    with pytest.raises(DownloadError) as error:
        download("https:///x.pdf", dest)

    assert str(error.value) == "https:///x.pdf: no host in the URL"


def test_url_that_requests_cannot_parse_is_one_error_line(dest):
    url = "http://127.0.0.1:99999/doc.pdf"  # no such port: urllib3 refuses to parse it

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    assert str(error.value) == f"{url}: Failed to parse: {url}"


@pytest.mark.parametrize(
    ("allowed", "shown"),
    [([], "none"), (["www.emsc.meti.go.jp", "example.org"], "example.org, www.emsc.meti.go.jp")],
)
def test_the_refusal_lists_the_allowed_hosts_sorted(httpserver, dest, allowed, shown):
    url = httpserver.url_for("/doc.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, allowed_hosts=allowed, **FAST)

    assert str(error.value) == f"{url}: host 127.0.0.1 is not allowed (allowed: {shown})"
    assert httpserver.log == []


# --- the destination folder: turns, leftovers, permissions ------------------------------------


def _hold_until_both_arrive(body: bytes) -> Callable[[Request], Response]:
    """Return a handler that holds each request until a second arrives (0.5 s at most)."""
    together = threading.Barrier(2, timeout=0.5)

    def answer(request: Request) -> Response:
        with suppress(threading.BrokenBarrierError):
            together.wait()
        return Response(body, content_type=PDF_TYPE)

    return answer


def test_concurrent_forced_downloads_keep_the_earlier_copy(threaded_server, dest, good, make_pdf):
    old, new = good["pdf"], make_pdf("revised")
    threaded_server.expect_request("/doc.pdf").respond_with_handler(_hold_until_both_arrive(new))
    url = threaded_server.url_for("/doc.pdf")

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(download, url, dest, force=True, **FAST) for _ in range(2)]
        assert [run.result() for run in runs] == [dest, dest]

    kept = dest.with_name(f"085_03_02.{_sha256(old)[:12]}.pdf")
    assert dest.read_bytes() == new
    assert kept.read_bytes() == old
    assert [entry["sha256"] for entry in _manifest(dest)["history"]] == [_sha256(old)]
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted(
        [dest.name, kept.name, "085_03_02.manifest.json"]
    )


def test_concurrent_downloads_fetch_once(threaded_server, dest, make_pdf):
    body = make_pdf("once")
    threaded_server.expect_request("/doc.pdf").respond_with_handler(_hold_until_both_arrive(body))
    url = threaded_server.url_for("/doc.pdf")

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(download, url, dest, **FAST) for _ in range(2)]
        assert [run.result() for run in runs] == [dest, dest]

    assert len(threaded_server.log) == 1  # the second run waited, then found the first's copy
    assert dest.read_bytes() == body


def test_part_files_left_by_a_killed_run_are_removed(httpserver, dest, make_pdf):
    dest.parent.mkdir(parents=True)
    for name in (".download-1a2b.part", ".manifest-3c4d.part", ".replica-5e6f.part"):
        (dest.parent / name).write_bytes(b"half a file")
    (dest.parent / "notes.part").write_text("not ours", encoding="utf-8")

    download(_serve_pdf(httpserver, "/doc.pdf", make_pdf("fresh")), dest, **FAST)

    assert sorted(p.name for p in dest.parent.iterdir()) == [
        "085_03_02.manifest.json",
        "085_03_02.pdf",
        "notes.part",
    ]


def test_part_file_of_a_run_stopped_by_sigterm_goes_with_the_next_run(
    raw_server, httpserver, dest, make_pdf
):
    body = make_pdf("interrupted")
    server = raw_server(answer=_drip(body, every=0.05))
    script = (
        "import sys; from pipeline.download import download as d; d(*sys.argv[1:], allow_http=True)"
    )
    run = subprocess.Popen([sys.executable, "-c", script, server.url, str(dest)])
    waited = time.monotonic()
    while server.connections == 0 and time.monotonic() - waited < 20:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=10) == -signal.SIGTERM
    assert list(dest.parent.glob(".download-*.part"))  # what the issue saw: left behind

    download(_serve_pdf(httpserver, "/doc.pdf", body), dest, **FAST)

    assert sorted(p.name for p in dest.parent.iterdir()) == [
        "085_03_02.manifest.json",
        "085_03_02.pdf",
    ]


def test_read_only_folder_is_one_line_before_any_request(httpserver, shared_tmp, make_pdf):
    folder = shared_tmp / "raw"
    folder.mkdir(mode=0o555)
    dest = folder / "085_03_02.pdf"
    url = _serve_pdf(httpserver, "/doc.pdf", make_pdf("nowhere to go"))

    with _unprivileged(), pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    assert str(error.value) == f"{dest}: cannot write to {folder} (Permission denied)"
    assert httpserver.log == []


def test_read_only_folder_still_serves_its_good_copy(httpserver, shared_tmp, make_pdf):
    dest = shared_tmp / "raw" / "085_03_02.pdf"
    url = _serve_pdf(httpserver, "/doc.pdf", make_pdf("kept"))
    download(url, dest, **FAST)
    httpserver.clear()
    dest.parent.chmod(0o555)

    with _unprivileged():
        assert download(url, dest, **FAST) == dest

    assert httpserver.log == []


@pytest.mark.parametrize("name", [".", "raw"])
def test_folder_as_dest_is_one_line_before_any_request(
    httpserver, tmp_path, monkeypatch, make_pdf, name
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "raw").mkdir()
    url = _serve_pdf(httpserver, "/doc.pdf", make_pdf("where?"))

    with pytest.raises(DownloadError) as error:
        download(url, Path(name), **FAST)

    assert str(error.value) == f"{name}: is a directory; give the PDF's file name, e.g. raw/x.pdf"
    assert httpserver.log == []


def test_folder_that_cannot_be_made_is_one_line_before_any_request(httpserver, tmp_path):
    (tmp_path / "raw").write_text("a file where the folder should be", encoding="utf-8")
    dest = tmp_path / "raw" / "085_03_02.pdf"
    url = httpserver.url_for("/doc.pdf")

    with pytest.raises(DownloadError) as error:
        download(url, dest, **FAST)

    folder = tmp_path / "raw"
    assert (
        str(error.value)
        == f"{folder}: cannot create the directory: [Errno 17] File exists: '{folder}'"
    )
    assert httpserver.log == []


def test_missing_folders_above_dest_are_made_however_deep(httpserver, tmp_path, make_pdf):
    body = make_pdf("deep")
    dest = tmp_path / "a" / "b" / "085_03_02.pdf"  # neither a nor b exists

    download(_serve_pdf(httpserver, "/doc.pdf", body), dest, **FAST)

    assert dest.read_bytes() == body


def test_download_command_to_a_folder_is_one_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # were it to reach the network, it would go to the real host

    result = CliRunner().invoke(cli, ["-q", "download", "--to", "."])

    assert result.exit_code == 1
    assert result.output == "Error: .: is a directory; give the PDF's file name, e.g. raw/x.pdf\n"


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_are_created_as_the_umask_says(httpserver, dest, make_pdf, umask, mask, mode):
    umask(mask)

    download(_serve_pdf(httpserver, "/doc.pdf", make_pdf("shared")), dest, **FAST)

    assert stat.S_IMODE(dest.stat().st_mode) == mode
    assert stat.S_IMODE(dest.with_suffix(".manifest.json").stat().st_mode) == mode


def test_replica_copy_is_created_as_the_umask_says(dest, tmp_path, make_pdf, umask, capsys):
    umask(0o022)
    replica = tmp_path / "replica.pdf"
    replica.write_bytes(make_pdf("replica"))
    replica.chmod(0o600)

    download(f"http://127.0.0.1:{_free_port()}/doc.pdf", dest, replica=replica, **FAST)

    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert stat.S_IMODE(dest.with_suffix(".manifest.json").stat().st_mode) == 0o644
