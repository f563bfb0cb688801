"""Small PDFs written byte by byte, for tests that need a structure no producer draws."""

from __future__ import annotations


def pdf_file(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """Return a PDF 1.4 file of the objects, numbered from 1 (object 1 is the catalog), with
    its cross-reference table; `trailer` goes into the trailer dictionary."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer + b" " if trailer else b"",
        xref,
    )
    return bytes(out)
