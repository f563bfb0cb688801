"""Fixtures shared by the tests."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from reportlab.pdfgen import canvas

# --- Download: small real PDFs and a local HTTP server on 127.0.0.1 ---------------------------


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """Bind pytest-httpserver to 127.0.0.1 (any free port), so its URLs name that host."""
    return ("127.0.0.1", 0)


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[str], bytes]:
    """Return a function from a line of text to the bytes of a one-page PDF showing it."""

    def _make_pdf(text: str) -> bytes:
        buffer = io.BytesIO()
        # invariant=1 leaves out timestamps and random ids: the same text gives the same bytes.
        page = canvas.Canvas(buffer, invariant=1)
        page.drawString(72, 720, text)
        page.showPage()
        page.save()
        return buffer.getvalue()

    return _make_pdf
