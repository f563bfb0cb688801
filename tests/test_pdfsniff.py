"""The PDF sniff: where `%PDF-` and `%%EOF` may sit for bytes to count as a whole PDF.

Rules covered:
- `%PDF-` counts when it starts within the first 1024 bytes (junk before it allowed), and
  only when it ends within them: one byte later it does not count; no marker, no PDF.
- `%%EOF` counts when it starts within the last 1024 bytes (junk after it allowed), and not
  one byte earlier; a tail shorter than the window is read whole; no marker, no end.
"""

from __future__ import annotations

import pytest

from pipeline.pdfsniff import ends_like_pdf, looks_like_pdf

WINDOW = 1024  # both windows are a kilobyte, written here by hand


def test_a_pdf_header_at_the_very_start_looks_like_a_pdf():
    assert looks_like_pdf(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


@pytest.mark.parametrize(
    ("junk", "expected"),
    [(WINDOW - 5, True), (WINDOW - 4, False), (WINDOW, False)],
)
def test_the_pdf_header_must_end_within_the_first_kilobyte(junk, expected):
    head = b" " * junk + b"%PDF-1.4\n" + b"x" * 2000
    assert looks_like_pdf(head) is expected


@pytest.mark.parametrize(
    "head",
    [b"", b"<!DOCTYPE html><html>404</html>", b"%PDF", b"%pdf-1.4", b"PDF-1.4"],
)
def test_bytes_without_the_pdf_header_do_not_look_like_a_pdf(head):
    assert not looks_like_pdf(head)


def test_an_eof_marker_at_the_very_end_ends_like_a_pdf():
    assert ends_like_pdf(b"trailer\n<<>>\n%%EOF")


@pytest.mark.parametrize(
    ("after", "expected"),
    [(WINDOW - 5, True), (WINDOW - 4, False), (WINDOW, False)],
)
def test_the_eof_marker_must_start_within_the_last_kilobyte(after, expected):
    tail = b"y" * 2000 + b"%%EOF" + b"\n" * after
    assert ends_like_pdf(tail) is expected


def test_a_tail_shorter_than_a_kilobyte_is_searched_whole():
    assert ends_like_pdf(b"%%EOF" + b"\r\n" * 10)


@pytest.mark.parametrize("tail", [b"", b"%%EO", b"%EOF", b"%%eof", b"</html>"])
def test_bytes_without_the_eof_marker_do_not_end_like_a_pdf(tail):
    assert not ends_like_pdf(tail)
