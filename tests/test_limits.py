"""Limits and damage: what one untrusted PDF may cost, and pages pdfminer read through damage.

Rules covered:

- a stream that decodes to exactly the per-stream cap is read; one byte more is refused,
  whatever the filter (FlateDecode and LZWDecode stop while decoding, others are checked after,
  and the message says which), and the message names every filter, or "no filter";
- the streams of one document together are capped: exactly at the cap is read;
- a page that draws more objects than the cap is refused; one at the cap is read;
- a page that runs past its deadline is stopped, and the timer is disarmed afterwards; outside
  the main thread the checks made while parsing, and those made while drawing, stop it;
- opening the document, or a page, past the document's deadline is stopped naming the
  document and its limit, not the page's;
- drawing looks at the clock on every CLOCK_EVERY-th object drawn from a new watch, not before;
- every patch into pdfminer is undone when the reading ends, also after an error; while it is
  on, pdfminer's zlib still offers every other zlib function, and a call with zlib's own
  arguments (a wbits other than the default, a bufsize) is passed on, uncapped;
- the document's page count (the page tree's and the pages found) and object count are
  capped, and so is the file's size: at the cap is read, one more refused; the objects of a
  cross-reference stream are counted; a /Count that is not a number, or no page tree, is not
  compared;
- an inflate bomb (1 GiB of spaces in a 1 MB PDF) exits 1 with one `Error:` line naming the
  page, well within a time bound, and leaves earlier outputs as they were;
- a page on which pdfminer met damage is refused naming the page: corrupt or cut-off zlib
  data, an operand it could not use, a keyword that is no PDF operator (quoted to 20
  characters), a missing content stream, a /Contents that is a number, or an array with a
  missing entry or an entry that is no reference (quoted to 40 characters), an object the
  cross-reference table lists that cannot be read (also when only an earlier section of an
  updated file lists it); a keyword inside BX/EX, however nested, is allowed, and an EX
  without its BX opens nothing; a BX/EX section between the operands of an operator leaves
  them to it; an inline image is read; a page without /Contents is blank, not damaged; a page
  tree that counts more pages than are found is damage;
- a pdfminer report is damage by its logger's name (or a logger below it, not one whose name
  only starts alike) and the start of its message;
- a benign pdfminer warning (font metrics) does not fail the run: the rows are the golden ones.
"""

from __future__ import annotations

import io
import logging
import re
import signal
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from click.testing import CliRunner
from pdfminer import pdftypes
from pdfminer.layout import LTContainer
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdftypes import PDFStream
from pdfminer.psparser import LIT
from tinypdf import pdf_file

from pipeline import limits
from pipeline.cli import cli
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.limits import DamagedContent, LimitExceeded, Limits, reading

FIXTURES = Path(__file__).parent / "fixtures"
REPLICA = FIXTURES / "085_03_02.replica.pdf"
GOLDEN = FIXTURES / "golden" / "085_03_02"
MiB = 1024 * 1024
# The bomb: this many bytes of spaces in one page's content stream, about 1 MB compressed.
BOMB_BYTES = 1024 * MiB
# A safety bound on the bomb's run (it takes about 1.5 s), not a benchmark.
BOMB_SECONDS = 20


# --- Small PDFs, written by hand ---------------------------------------------------------------


def _pdf(*contents: bytes | None, extra: bytes = b"") -> bytes:
    """Return a PDF with one page per content stream (given whole: dict and stream).

    None gives a page whose /Contents refers to an object that does not exist. `extra` goes
    into every page's dictionary.
    """
    pages = len(contents)
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (kids, pages),
    ]
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    for i, content in enumerate(contents):
        target = 4 + 2 * i if content is not None else 999
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 612 792 ] /Contents %d 0 R "
            b"/Resources %s %s >>" % (target, font, extra)
        )
        objects.append(content if content is not None else b"null")
    return pdf_file(objects)


def _stream(data: bytes, filters: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), filters, data)


def _flate(data: bytes) -> bytes:
    return _stream(zlib.compress(data), b"/Filter /FlateDecode")


TEXT = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _lzw(data: bytes) -> bytes:
    """LZW-encode up to 250 bytes as literal 9-bit codes (clear, the bytes, end of data)."""
    codes = [256, *data, 257]
    bits = "".join(format(code, "09b") for code in codes)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def _spaces_flate(size: int) -> bytes:
    """A zlib stream of `size` spaces (a multiple of 1 MiB), made block by block: ~1 KB per MiB.

    After a full flush a deflate block starts afresh, so one compressed MiB can be repeated.
    """
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(b" " * MiB) + block.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(size // MiB):
        checksum = zlib.adler32(b" " * MiB, checksum)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    return b"\x78\xda" + one * (size // MiB) + end + checksum.to_bytes(4, "big")


def _decoded(stream: PDFStream, watch_limits: Limits) -> bytes:
    with reading(watch_limits):
        return stream.get_data()


# --- Per-stream and per-document caps ----------------------------------------------------------

CAP = 100
FILTERS = {
    "FlateDecode": lambda data: zlib.compress(data),
    "LZWDecode": _lzw,
    "ASCIIHexDecode": lambda data: data.hex().encode() + b">",
}


@pytest.mark.parametrize("name", FILTERS)
def test_a_stream_that_decodes_to_exactly_the_cap_is_read(name):
    data = bytes(range(65, 65 + 25)) * 4
    stream = PDFStream({"Filter": LIT(name)}, FILTERS[name](data))

    assert _decoded(stream, Limits(max_stream_bytes=CAP)) == data


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("FlateDecode", "an inline stream, FlateDecode inflates past the limit"),  # while decoding
        ("LZWDecode", "an inline stream, LZWDecode decodes past the limit"),  # while decoding
        ("ASCIIHexDecode", "an inline stream, ASCIIHexDecode decodes to 101 bytes"),  # after
    ],
)
def test_a_stream_one_byte_over_the_cap_is_refused(name, detail):
    data = bytes(range(65, 65 + 25)) * 4 + b"!"
    stream = PDFStream({"Filter": LIT(name)}, FILTERS[name](data))

    with pytest.raises(LimitExceeded) as raised:
        _decoded(stream, Limits(max_stream_bytes=CAP))

    assert str(raised.value) == f"a decoded stream exceeds the limit of 100 bytes ({detail})"


@pytest.mark.parametrize(
    ("filters", "encode", "shown"),
    [
        (
            [LIT("ASCIIHexDecode"), LIT("ASCIIHexDecode")],
            lambda data: (data.hex().encode() + b">").hex().encode() + b">",
            "ASCIIHexDecode ASCIIHexDecode",
        ),
        (None, lambda data: data, "no filter"),
    ],
)
def test_the_refusal_names_every_filter_of_the_stream_or_no_filter(filters, encode, shown):
    data = bytes(range(65, 65 + 25)) * 4 + b"!"
    stream = PDFStream({"Filter": filters} if filters else {}, encode(data))

    with pytest.raises(LimitExceeded) as raised:
        _decoded(stream, Limits(max_stream_bytes=CAP))

    assert str(raised.value) == (
        f"a decoded stream exceeds the limit of 100 bytes (an inline stream, {shown} decodes "
        "to 101 bytes)"
    )


def test_the_streams_of_a_document_are_capped_together():
    streams = [PDFStream({"Filter": LIT("FlateDecode")}, zlib.compress(b"x" * 80)) for _ in "ab"]

    with reading(Limits(max_stream_bytes=CAP, max_document_stream_bytes=150)):
        assert len(streams[0].get_data()) == 80
        with pytest.raises(LimitExceeded) as raised:
            streams[1].get_data()

    assert str(raised.value) == (
        "the total decoded from the document's streams exceeds the limit of 150 bytes "
        "(160 bytes so far)"
    )


def test_the_streams_of_a_document_may_decode_to_exactly_the_total_cap():
    streams = [PDFStream({"Filter": LIT("FlateDecode")}, zlib.compress(b"x" * 80)) for _ in "ab"]

    with reading(Limits(max_stream_bytes=CAP, max_document_stream_bytes=160)) as watch:
        assert [len(stream.get_data()) for stream in streams] == [80, 80]

    assert watch.decoded_bytes == 160


# --- Objects per page, time per page -----------------------------------------------------------


@pytest.mark.parametrize(("rects", "refused"), [(100, False), (101, True)])
def test_a_page_may_draw_up_to_the_object_cap(rects, refused, tmp_path):
    pdf_path = _write(tmp_path, "rects.pdf", _pdf(_stream(b"0 0 1 1 re f\n" * rects)))

    with reading(Limits(max_page_objects=100)) as watch, pdfplumber.open(pdf_path) as pdf:
        page = pdf.pages[0]
        if refused:
            with pytest.raises(LimitExceeded) as raised, watch.page(page.page_obj):
                page.rects  # noqa: B018
            assert str(raised.value) == (
                "the number of objects drawn on the page exceeds the limit of 100 "
                "(chars, lines, rects, curves, images and figures)"
            )
        else:
            with watch.page(page.page_obj):
                assert len(page.rects) == rects


def test_a_page_past_its_deadline_is_stopped_and_the_timer_disarmed():
    started = time.monotonic()
    with reading(Limits(page_seconds=0.2)) as watch:
        with pytest.raises(LimitExceeded) as raised, watch.page():
            # a page that never finishes: only the timer can stop it (bounded, so that a broken
            # timer fails the test instead of hanging it)
            while time.monotonic() - started < 5:
                pass
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)

    assert time.monotonic() - started < 2
    assert str(raised.value) == (
        "the time spent reading the page exceeds the limit of 0.2 s (wall clock)"
    )
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_outside_the_main_thread_the_deadline_is_checked_while_parsing(tmp_path):
    """No SIGALRM there: the checks made every CLOCK_EVERY operators stop the page."""
    pdf_path = _write(tmp_path, "slow.pdf", _pdf(_stream(b"q Q " * 500_000)))
    raised: list[BaseException] = []

    def read() -> None:
        with reading(Limits(page_seconds=0.2)) as watch, pdfplumber.open(pdf_path) as pdf:
            assert not watch.use_timer
            try:
                with watch.page(pdf.pages[0].page_obj):
                    pdf.pages[0].chars  # noqa: B018
            except LimitExceeded as exc:
                raised.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)

    assert time.monotonic() - started < 5
    assert [str(exc) for exc in raised] == [
        "the time spent reading the page exceeds the limit of 0.2 s (wall clock)"
    ]


def test_a_document_step_past_the_document_s_deadline_is_stopped_naming_the_document():
    start = time.monotonic()
    with (
        reading(Limits(document_seconds=0.05)) as watch,
        pytest.raises(LimitExceeded) as raised,
        watch.document(),
    ):
        while time.monotonic() - start < 5:  # opening a document that never finishes
            pass

    assert str(raised.value) == (
        "the time spent reading the document exceeds the limit of 0.05 s (wall clock)"
    )


@pytest.mark.parametrize("seconds", [0.05, 0.3])  # below and above TIMER_REPEAT_SECONDS
def test_the_timer_stops_a_step_at_its_deadline_before_or_after_its_repeat_interval(seconds):
    start = time.monotonic()
    with (
        reading(Limits(document_seconds=seconds)) as watch,
        pytest.raises(LimitExceeded),
        watch.document(),
    ):
        while time.monotonic() - start < 5:  # only the timer can stop it in time
            pass
    assert time.monotonic() - start < 2


def test_a_stop_swallowed_by_the_code_it_interrupts_comes_again():
    """The timer repeats every TIMER_REPEAT_SECONDS past the deadline: code that catches the
    first stop (a library's broad except) is stopped by the next."""
    start = time.monotonic()
    swallowed = 0
    with (
        reading(Limits(document_seconds=0.05)) as watch,
        pytest.raises(LimitExceeded),
        watch.document(),
    ):
        while time.monotonic() - start < 5:
            try:
                while time.monotonic() - start < 5:
                    pass
            except LimitExceeded:
                swallowed += 1
                if swallowed > 1:
                    raise
    assert swallowed == 2 and time.monotonic() - start < 2


def test_a_page_step_past_the_document_s_deadline_is_stopped_naming_the_document():
    start = time.monotonic()
    with (
        reading(Limits(document_seconds=0.05, page_seconds=10)) as watch,
        pytest.raises(LimitExceeded) as raised,
        watch.page(),
    ):
        while time.monotonic() - start < 5:  # the page's deadline is far off; the document's is not
            pass

    assert str(raised.value) == (
        "the time spent reading the document exceeds the limit of 0.05 s (wall clock)"
    )


def test_outside_the_main_thread_the_deadline_is_checked_while_a_page_draws(tmp_path):
    """One operator that draws many chars: only the checks made while drawing can stop it."""
    chars = 2 * limits.CLOCK_EVERY
    text = b"BT /F1 1 Tf 0 0 Td (%s) Tj ET" % (b"x" * chars)
    pdf_path = _write(tmp_path, "chars.pdf", _pdf(_stream(text)))
    raised: list[BaseException] = []
    drawn: list[int] = []

    def read() -> None:
        with reading(Limits(page_seconds=0)) as watch, pdfplumber.open(pdf_path) as pdf:
            page = pdf.pages[0]
            page.page_obj.contents[0].get_data()  # decoded before the page's deadline
            watch.calls = 0  # so that no operator lands on a multiple of CLOCK_EVERY
            try:
                with watch.page(page.page_obj):
                    drawn.append(len(page.chars))
            except LimitExceeded as exc:
                raised.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)

    assert drawn == []
    assert [str(exc) for exc in raised] == [
        "the time spent reading the page exceeds the limit of 0 s (wall clock)"
    ]


def test_pdfminers_zlib_keeps_every_other_zlib_function_while_watched():
    with reading():
        assert pdftypes.zlib is not zlib
        assert pdftypes.zlib.crc32(b"123456789") == 0xCBF43926  # the CRC-32 check value
        assert pdftypes.zlib.decompressobj().decompress(zlib.compress(b"xx")) == b"xx"


def test_a_zlib_call_with_zlib_s_own_arguments_is_passed_on_uncapped():
    data = zlib.compress(b"x" * 10)
    with reading(Limits(max_stream_bytes=1)):
        raw = zlib.compressobj(wbits=-15)  # raw deflate: no zlib header, no checksum
        assert pdftypes.zlib.decompress(raw.compress(b"x" * 10) + raw.flush(), -15) == b"x" * 10
        assert pdftypes.zlib.decompress(data, bufsize=64) == b"x" * 10


def test_drawing_looks_at_the_clock_on_every_clock_every_th_object_not_before():
    """Outside the main thread (no timer), past the page's deadline, only the count stops it."""
    added: list[int] = []
    raised: list[BaseException] = []

    def read() -> None:
        with reading(Limits(page_seconds=0.001)) as watch:
            try:
                with watch.page():
                    while time.monotonic() <= watch.deadline:
                        pass
                    container = LTContainer((0, 0, 1, 1))
                    for _ in range(2 * limits.CLOCK_EVERY):
                        added.append(1)
                        container.add(LTContainer((0, 0, 1, 1)))
            except LimitExceeded as exc:
                raised.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=30)

    assert len(added) == limits.CLOCK_EVERY
    assert [str(exc) for exc in raised] == [
        "the time spent reading the page exceeds the limit of 0.001 s (wall clock)"
    ]


def test_every_patch_is_undone_also_after_an_error():
    originals = (
        pdftypes.zlib,
        pdftypes.lzwdecode,
        PDFStream.decode,
        LTContainer.add,
        PDFContentParser.do_keyword,
        PDFDocument.getobj,
        logging.getLogger("pdfminer").handlers[:],
    )

    with pytest.raises(LimitExceeded), reading(Limits(max_stream_bytes=1)):
        PDFStream({"Filter": LIT("FlateDecode")}, zlib.compress(b"xx")).get_data()

    assert (
        pdftypes.zlib,
        pdftypes.lzwdecode,
        PDFStream.decode,
        LTContainer.add,
        PDFContentParser.do_keyword,
        PDFDocument.getobj,
        logging.getLogger("pdfminer").handlers[:],
    ) == originals
    assert pdftypes.zlib is zlib
    # And a stream decodes as pdfminer would, without limits.
    assert PDFStream({"Filter": LIT("FlateDecode")}, zlib.compress(b"xx")).get_data() == b"xx"


# --- Document caps ----------------------------------------------------------------------------


def test_the_page_count_is_capped_before_the_page_tree_is_read(tmp_path):
    pdf_path = _write(tmp_path, "two.pdf", _pdf(_stream(TEXT), _stream(TEXT)))

    with (
        reading(Limits(max_pages=1)) as watch,
        pdfplumber.open(pdf_path) as pdf,
        pytest.raises(LimitExceeded) as raised,
    ):
        watch.check_document(pdf.doc)

    assert (
        str(raised.value) == "the number of pages exceeds the limit of 1 (the page tree counts 2)"
    )


def test_the_object_count_is_capped(tmp_path):
    pdf_path = _write(tmp_path, "two.pdf", _pdf(_stream(TEXT), _stream(TEXT)))

    with (
        reading(Limits(max_objects=5)) as watch,
        pdfplumber.open(pdf_path) as pdf,
        pytest.raises(LimitExceeded) as raised,
    ):
        watch.check_document(pdf.doc)

    assert str(raised.value) == (
        "the number of objects exceeds the limit of 5 (6 in the cross-reference table)"
    )


def test_a_document_at_the_page_and_object_caps_is_read(tmp_path):
    pdf_path = _write(tmp_path, "two.pdf", _pdf(_stream(TEXT), _stream(TEXT)))

    with reading(Limits(max_pages=2, max_objects=6)) as watch, pdfplumber.open(pdf_path) as pdf:
        watch.check_document(pdf.doc)
        watch.check_page_count(len(pdf.pages))

    assert watch.counted_pages == 2


def test_pages_found_past_the_cap_are_refused_when_the_page_tree_counts_fewer(tmp_path):
    pdf = _pdf(_stream(TEXT), _stream(TEXT)).replace(b"/Count 2", b"/Count 1")
    pdf_path = _write(tmp_path, "two.pdf", pdf)

    with reading(Limits(max_pages=1)) as watch, pdfplumber.open(pdf_path) as pdf:
        watch.check_document(pdf.doc)  # the page tree claims no more than the cap
        with pytest.raises(LimitExceeded) as raised:
            watch.check_page_count(len(pdf.pages))

    assert str(raised.value) == "the number of pages exceeds the limit of 1 (2 pages)"


def test_a_page_tree_count_that_is_not_a_number_is_not_compared(tmp_path):
    pdf = _pdf(_stream(TEXT), _stream(TEXT)).replace(b"/Count 2", b"/Count (2)")
    pdf_path = _write(tmp_path, "two.pdf", pdf)

    with reading(Limits(max_pages=1)) as watch, pdfplumber.open(pdf_path) as pdf:
        watch.check_document(pdf.doc)
        watch.check_page_count(1)  # neither the cap's nor the tree's count is passed

    assert watch.counted_pages is None


def test_the_objects_of_a_cross_reference_stream_are_counted(tmp_path):
    """PDF 1.5 files list their objects in a stream of ranges (here 0 to 8), not in a table."""
    source = pikepdf.open(io.BytesIO(_pdf(_stream(TEXT), _stream(TEXT))))
    pdf_path = tmp_path / "xref-stream.pdf"
    source.save(pdf_path, object_stream_mode=pikepdf.ObjectStreamMode.generate)

    with (
        reading(Limits(max_objects=8)) as watch,
        pdfplumber.open(pdf_path) as pdf,
        pytest.raises(LimitExceeded) as raised,
    ):
        watch.check_document(pdf.doc)

    assert str(raised.value) == (
        "the number of objects exceeds the limit of 8 (9 in the cross-reference table)"
    )


def test_a_catalog_without_a_page_tree_has_no_count(tmp_path):
    pdf_path = _write(tmp_path, "nopages.pdf", _pdf(_stream(TEXT)).replace(b" /Pages 2 0 R", b""))

    with reading(Limits(max_pages=1)) as watch, pdfplumber.open(pdf_path) as pdf:
        watch.check_document(pdf.doc)

    assert watch.counted_pages is None


@pytest.mark.parametrize(
    ("size", "refused"), [(limits.MAX_FILE_BYTES, False), (limits.MAX_FILE_BYTES + 1, True)]
)
def test_the_file_size_is_capped(size, refused):
    if refused:
        with pytest.raises(LimitExceeded) as raised:
            limits.check_file_size(size)
        assert str(raised.value) == "the file size exceeds the limit of 50 MiB (52,428,801 bytes)"
    else:
        limits.check_file_size(size)


# --- The inflate bomb -------------------------------------------------------------------------


def test_an_inflate_bomb_exits_1_naming_the_page_within_the_time_bound(tmp_path):
    bomb = _write(
        tmp_path, "bomb.pdf", _pdf(_stream(_spaces_flate(BOMB_BYTES), b"/Filter /FlateDecode"))
    )
    assert bomb.stat().st_size < 2 * MiB
    out = tmp_path / "out"
    good = CliRunner().invoke(cli, ["-q", "run", "--pdf", str(REPLICA), "--out", str(out)])
    assert good.exit_code == 0, good.output
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "-q", "run", "--pdf", str(bomb), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=BOMB_SECONDS,
        check=False,
    )
    elapsed = time.monotonic() - started

    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"Error: {bomb}: page 1: a decoded stream exceeds the limit of 64 MiB "
        "(object 4, FlateDecode inflates past the limit)"
    ]
    assert elapsed < BOMB_SECONDS
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


# --- Damage -----------------------------------------------------------------------------------


def _corrupt(data: bytes) -> bytes:
    """Zlib data with a byte in the middle of its deflate stream changed."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


SENTENCE = b"BT /F1 12 Tf 72 700 Td (The quick brown fox jumps over the lazy dog) Tj ET\n" * 40
DAMAGED_PAGES = {
    "corrupt_zlib": (
        _stream(_corrupt(zlib.compress(SENTENCE)), b"/Filter /FlateDecode"),
        "object 6, FlateDecode: corrupt FlateDecode data (Error -3 while decompressing data: …)",
    ),
    "cut_off_zlib": (
        _stream(zlib.compress(SENTENCE)[:-20], b"/Filter /FlateDecode"),
        "object 6, FlateDecode: FlateDecode data cut off (… bytes inflated)",
    ),
    "operand_not_a_number": (
        _stream(b"(a) 0 0 1 0 0 cm " + TEXT),
        "pdfminer.pdfinterp: Cannot concatenate matrix to current transformation matrix …",
    ),
    "not_an_operator": (
        _stream(b"0 0 m 10 10 lx S " + TEXT),
        "not a PDF operator in the content stream: 'lx' at byte 12",
    ),
    "missing_content_stream": (None, "the page's content stream (object 999) is missing"),
}


@pytest.mark.parametrize("name", DAMAGED_PAGES)
def test_a_page_with_damage_fails_naming_the_page(name, tmp_path):
    content, report = DAMAGED_PAGES[name]
    pdf_path = _write(tmp_path, f"{name}.pdf", _pdf(_stream(TEXT), content))

    with pytest.raises(ExtractError) as raised:
        extract(pdf_path)

    expected = f"{pdf_path}: page 2: damaged content ({report})"
    pattern = ".+".join(map(re.escape, expected.split("…")))
    assert re.fullmatch(pattern, str(raised.value)), str(raised.value)


# The second page's /Contents (object 6 in the PDF _pdf writes), made into other things.
CONTENTS = {
    "array_with_a_missing_entry": (
        b"/Contents [ 6 0 R 999 0 R ]",
        b"",
        "the page's content stream (object 999) is missing",
    ),
    "a_number": (b"/Contents 42", b"", "the page's content stream (42) is a int, not a stream"),
    "a_long_string_cut_to_40_characters": (
        b"/Contents [ 6 0 R (" + b"x" * 50 + b") ]",
        b"",
        "the page's content stream (b'" + "x" * 38 + ") is a bytes, not a stream",
    ),
    "reference_to_a_number": (
        b"/Contents 6 0 R",
        b"42",
        "the page's content stream (object 6) is a int, not a stream",
    ),
}


@pytest.mark.parametrize("name", CONTENTS)
def test_contents_that_are_not_streams_are_damage_naming_the_entry(name, tmp_path):
    contents, body, report = CONTENTS[name]
    pdf = _pdf(_stream(TEXT), body or _stream(TEXT))
    pdf_path = _write(tmp_path, f"{name}.pdf", pdf.replace(b"/Contents 6 0 R", contents))

    with pytest.raises(ExtractError) as raised:
        extract(pdf_path)

    assert str(raised.value) == f"{pdf_path}: page 2: damaged content ({report})"


def test_a_page_without_contents_is_blank_not_damage(tmp_path):
    pdf = _pdf(_stream(TEXT)).replace(b"/Contents 4 0 R ", b"")
    pdf_path = _write(tmp_path, "blank.pdf", pdf)

    with reading() as watch, pdfplumber.open(pdf_path) as pdf, watch.page(pdf.pages[0].page_obj):
        assert pdf.pages[0].chars == []


def _shift_xref_entry(data: bytes, objid: int, by: int) -> bytes:
    """The PDF with the xref offset of objid moved by `by` bytes (the object stays put)."""
    entries = data.index(b"\n", data.rindex(b"\nxref\n") + len(b"\nxref\n")) + 1
    at = entries + 20 * objid  # each entry is 20 bytes
    offset = int(data[at : at + 10])
    return data[:at] + b"%010d" % (offset + by) + data[at + 10 :]


def test_an_object_the_xref_lists_but_that_cannot_be_read_is_damage(tmp_path):
    """pdfminer reads the page's content stream while it reads the page tree: no page yet."""
    pdf = _pdf(_stream(TEXT), _stream(TEXT))
    pdf_path = _write(tmp_path, "xref.pdf", _shift_xref_entry(pdf, 6, 3))

    with pytest.raises(ExtractError) as raised:
        extract(pdf_path)

    assert str(raised.value) == (
        f"{pdf_path}: truncated or damaged PDF "
        "(object 6 is in the cross-reference table but cannot be read)"
    )


def _update(data: bytes) -> bytes:
    """The PDF with an incremental update appended: object 1 again, in a cross-reference
    section of its own that points back (/Prev) to the first, which lists everything else."""
    first = int(data[data.rindex(b"startxref") + len(b"startxref") :].split()[0])
    size = int(re.search(rb"/Size (\d+)", data[first:]).group(1))
    catalog = len(data)
    out = data + b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    xref = len(out)
    out += b"xref\n0 2\n0000000000 65535 f \n%010d 00000 n \n" % catalog
    out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n" % (size, first)
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def test_an_object_only_an_earlier_xref_section_lists_is_damage_when_unreadable(tmp_path):
    """The newest section does not list object 6: the sections before it are looked at too."""
    pdf = _shift_xref_entry(_pdf(_stream(TEXT), _stream(TEXT)), 6, 3)
    pdf_path = _write(tmp_path, "update.pdf", _update(pdf))

    with pytest.raises(ExtractError) as raised:
        extract(pdf_path)

    assert str(raised.value) == (
        f"{pdf_path}: truncated or damaged PDF "
        "(object 6 is in the cross-reference table but cannot be read)"
    )


def test_a_page_tree_that_counts_more_pages_than_found_is_damage(tmp_path):
    pdf = _pdf(_stream(TEXT), _stream(TEXT)).replace(
        b"/Type /Page /Parent 2 0 R", b"/Type /Pagx /Parent 2 0 R", 1
    )
    pdf_path = _write(tmp_path, "count.pdf", pdf)

    with pytest.raises(ExtractError) as raised:
        extract(pdf_path)

    assert str(raised.value) == (
        f"{pdf_path}: truncated or damaged PDF (the page tree counts 2 pages, but 1 were found)"
    )


def test_an_unknown_keyword_inside_bx_ex_is_not_damage(tmp_path):
    pdf_path = _write(tmp_path, "bx.pdf", _pdf(_stream(b"BX 1 2 xyz EX " + TEXT)))

    with reading() as watch, pdfplumber.open(pdf_path) as pdf, watch.page(pdf.pages[0].page_obj):
        assert "".join(c["text"] for c in pdf.pages[0].chars) == "Hello"


@pytest.mark.parametrize(
    ("content", "report"),
    [
        (b"BX BX EX xyz EX ", None),  # still inside the outer BX
        (b"BX EX xyz ", "'xyz' at byte 6"),  # after the BX/EX pair
        (b"EX xyz ", "'xyz' at byte 3"),  # an EX without its BX opens nothing
        (b"abcdefghijklmnopqrstuvwxyz ", "'abcdefghijklmnopqrst' at byte 0"),  # cut to 20
    ],
)
def test_an_unknown_keyword_is_damage_only_outside_every_bx_ex(content, report, tmp_path):
    pdf_path = _write(tmp_path, "keyword.pdf", _pdf(_stream(content + TEXT)))

    with reading() as watch, pdfplumber.open(pdf_path) as pdf:
        if report is None:
            with watch.page(pdf.pages[0].page_obj):
                assert "".join(c["text"] for c in pdf.pages[0].chars) == "Hello"
        else:
            with pytest.raises(DamagedContent) as raised, watch.page(pdf.pages[0].page_obj):
                pdf.pages[0].chars  # noqa: B018
            expected = f"not a PDF operator in the content stream: {report}"
            assert str(raised.value) == expected


def test_a_bx_ex_section_between_operands_leaves_them_to_their_operator(tmp_path):
    content = b"0 0 BX nonsense EX 10 20 re f"  # the section's keywords are not operands
    pdf_path = _write(tmp_path, "split.pdf", _pdf(_stream(content)))

    with reading() as watch, pdfplumber.open(pdf_path) as pdf, watch.page(pdf.pages[0].page_obj):
        rects = [(r["x0"], r["width"], r["height"]) for r in pdf.pages[0].rects]

    assert rects == [(0, 10, 20)]


def test_an_inline_image_is_read_while_watched(tmp_path):
    """BI/ID/EI: pdfminer reads the image's bytes from the position of ID, passed on as is."""
    image = b"q 10 0 0 10 100 100 cm BI /W 1 /H 1 /BPC 8 /CS /G ID \x80 EI Q "
    pdf_path = _write(tmp_path, "inline.pdf", _pdf(_stream(image + TEXT)))

    with reading() as watch, pdfplumber.open(pdf_path) as pdf, watch.page(pdf.pages[0].page_obj):
        assert [(i["width"], i["height"]) for i in pdf.pages[0].images] == [(10, 10)]
        assert "".join(c["text"] for c in pdf.pages[0].chars) == "Hello"


def test_a_benign_font_warning_leaves_the_rows_golden(tmp_path, caplog):
    """A FontBBox that is not numbers: pdfminer warns and uses a default; nothing moves."""
    data = REPLICA.read_bytes()
    old = b"/FontBBox [ -270.0195 -278.8086 1000 930.1758 ]"
    pdf_path = _write(tmp_path, "fontbbox.pdf", data.replace(old, old.replace(b"930", b"x30")))

    result = CliRunner().invoke(
        cli,
        [
            "-q",
            "run",
            "--pdf",
            str(pdf_path),
            "--out",
            str(tmp_path / "out"),
            "--golden",
            str(GOLDEN),
        ],
    )

    assert result.exit_code == 0, result.output
    assert "Could not get FontBBox" in caplog.text


@pytest.mark.parametrize(
    ("name", "message", "damage"),
    [
        ("pdfminer.pdftypes", "Data-loss while decompressing corrupted data", True),
        ("pdfminer.psparser", "unknown token: pos=3", True),
        ("pdfminer.psparser.child", "unknown token: pos=3", True),  # a logger below a name
        ("pdfminer.psparserx", "unknown token: pos=3", False),  # a name that only starts alike
        ("pdfminer.pdfinterp", "Cannot set gray level because 'x' is an invalid float value", True),
        ("pdfminer.pdfdevice", "Cannot render horizontal string because …", True),
        ("pdfminer.pdfpage", "Invalid MediaBox in /Page, defaulting to US Letter", True),
        ("pdfminer.pdfdocument", "Not adding object 3 to xref because position …", True),
        ("pdfminer.pdffont", "Could not get FontBBox from font descriptor …", False),
        ("pdfminer.cmapdb", "Ignoring (part of) ToUnicode map …", False),
        ("pdfminer.pdfinterp", "Pattern color space requires name object …", False),
        ("pdfminer.pdfpage", "Invalid CropBox in /Page, defaulting to MediaBox", False),
        ("pdfplumber.pdf", "Could not parse metadata …", False),
    ],
)
def test_which_pdfminer_reports_are_damage(name, message, damage):
    record = logging.LogRecord(name, logging.WARNING, __file__, 1, message, None, None)

    assert limits.is_damage(record) is damage


def test_damage_is_raised_when_the_step_ends():
    with (
        reading() as watch,
        pytest.raises(DamagedContent, match="^pdfminer.pdfinterp: Cannot set"),
        watch.page(),
    ):
        logging.getLogger("pdfminer.pdfinterp").warning("Cannot set gray level because x")
