"""Tests for pipeline.download against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from pipeline.download import download, load_source
from pipeline.errors import DownloadError

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
    """A socket server on 127.0.0.1 that answers each request with fixed bytes, then stalls."""

    def __init__(self, reply: bytes, *, stall: bool):
        self.reply = reply
        self.stall = stall
        self.connections = 0
        self._stop = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/doc.pdf"
        self._threads = [threading.Thread(target=self._serve, daemon=True)]
        self._threads[0].start()

    def _serve(self) -> None:
        while not self._stop.is_set():
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
            received = b""
            try:
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    received += chunk
                connection.sendall(self.reply)
            except OSError:  # the client gave up first
                return
            if self.stall:
                self._stop.wait()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._socket.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[..., _RawServer]]:
    """Return a function from reply bytes to a running _RawServer (stall=False: close after)."""
    servers: list[_RawServer] = []

    def start(reply: bytes, *, stall: bool = True) -> _RawServer:
        servers.append(_RawServer(reply, stall=stall))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# --- success and caching ----------------------------------------------------------------------


def test_download_saves_the_pdf_and_a_manifest(httpserver, dest, make_pdf):
    body = make_pdf("hello")
    url = _serve_pdf(httpserver, "/doc.pdf", body)
    before = datetime.now(UTC).replace(microsecond=0)

    assert download(url, dest, **FAST) == dest

    assert dest.read_bytes() == body
    manifest = _manifest(dest)
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


def test_500_forever_fails_after_the_retries_with_growing_backoff(httpserver, dest, good):
    httpserver.expect_request("/broken.pdf").respond_with_data("oops", status=500)
    url = httpserver.url_for("/broken.pdf")
    started = time.monotonic()

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, retries=2, backoff=0.05, allow_http=True)

    assert str(error.value) == f"{url}: HTTP 500 Internal Server Error after 3 attempts"
    assert _requests_to(httpserver, "/broken.pdf") == 3
    assert time.monotonic() - started >= 0.05 + 0.1
    _assert_untouched(dest, good)


# --- network failures and the replica ---------------------------------------------------------


def test_connection_refused_fails_without_a_replica(dest, good, capsys):
    url = f"http://127.0.0.1:{_free_port()}/doc.pdf"

    with pytest.raises(DownloadError) as error:
        download(url, dest, force=True, retries=1, **FAST)

    assert re.fullmatch(
        rf"{re.escape(url)}: connection failed after 2 attempts: .*Connection refused",
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
        r"\(connection failed after 2 attempts: .*Connection refused\); "
        rf"using the bundled REPLICA {re.escape(str(replica))} at {re.escape(str(dest))}, "
        rf"not the original document {re.escape(url)}$",
        stderr,
        re.MULTILINE,
    )
    assert any("using the bundled REPLICA" in m for m in caplog.messages)
    manifest = _manifest(dest)
    assert manifest["source"] == "replica"
    assert manifest["url"] == url
    assert manifest["final_url"] == replica.resolve().as_uri()
    assert manifest["sha256"] == _sha256(replica.read_bytes())


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

    assert re.fullmatch(
        rf"{re.escape(server.url)}: transfer failed after 2 attempts: .*IncompleteRead.*",
        str(error.value),
    )
    assert server.connections == 2
    _assert_untouched(dest, good)


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
    ],
)
def test_nonsense_limits_are_refused(limit, message, dest):
    url = "https://www.emsc.meti.go.jp/x.pdf"

    with pytest.raises(DownloadError) as error:
        download(url, dest, **limit)

    assert str(error.value) == f"{url}: {message}"


# --- the source config ------------------------------------------------------------------------


def test_load_source_reads_the_bundled_config():
    source = load_source()

    assert source["url"] == "https://www.emsc.meti.go.jp/activity/emsc_system/pdf/085_03_02.pdf"
    assert source["allowed_hosts"] == ["www.emsc.meti.go.jp", "emsc.meti.go.jp"]
    assert source["replica"] == Path("tests/fixtures/085_03_02.replica.pdf")


def test_load_source_names_a_broken_config(tmp_path):
    config = tmp_path / "source.toml"
    config.write_text('allowed_hosts = ["example.org"]\n', encoding="utf-8")

    with pytest.raises(DownloadError, match=rf"^{re.escape(str(config))}: missing the url"):
        load_source(config)
