"""Whether bytes look like a whole PDF: the sniff that download (and extract) apply."""

from __future__ import annotations

# A PDF starts with `%PDF-`; readers allow some junk before it, within the first kilobyte.
# An HTML error page or a text file saved as .pdf does not.
PDF_MAGIC = b"%PDF-"
PDF_MAGIC_WINDOW = 1024
# A complete PDF ends with "%%EOF", possibly followed by a little whitespace or junk;
# readers (pdf.js among them) look for it in the last 1024 bytes.
PDF_EOF_MARKER = b"%%EOF"
PDF_EOF_WINDOW = 1024


def looks_like_pdf(head: bytes) -> bool:
    """Given a file's first bytes, return whether `%PDF-` is within its first kilobyte."""
    return PDF_MAGIC in head[:PDF_MAGIC_WINDOW]


def ends_like_pdf(tail: bytes) -> bool:
    """Given a file's last bytes, return whether `%%EOF` is within its last kilobyte."""
    return PDF_EOF_MARKER in tail[-PDF_EOF_WINDOW:]
