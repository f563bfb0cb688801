"""Caps on what reading one untrusted PDF may cost, and pdfminer's reports of damage, per page.

A PDF is untrusted input: a 1.5 MB file can hold a content stream that inflates to 1.5 GB,
a page can draw millions of objects, and pdfminer reads on, silently, through much damage
(a corrupt zlib stream becomes an empty page; a missing object becomes null). `reading()`
watches pdfminer for the duration of one document: it caps what each stream may decode to,
what the document's streams may decode to in all, how many objects a page may draw and how
long a page may take, and collects the damage pdfminer meets on each page, so that the caller
can refuse the page instead of reading less than is printed.

    with reading() as watch:
        with watch.document():
            pdf = pdfplumber.open(path)
        for page in pdf.pages:
            with watch.page(page.page_obj):
                page.chars

A cap that is hit raises LimitExceeded; damage raises DamagedContent when the page is done.
Both say what was wrong in one line; the caller adds the file and the page.

How pdfminer is watched (all undone when `reading()` exits, also on error):

- `pdfminer.pdftypes.zlib` and `pdfminer.pdftypes.lzwdecode` are replaced by versions that stop
  at the per-stream cap, and report a corrupt or cut-off FlateDecode stream as damage (pdfminer
  would decode it to b"" or to what came before the fault, and carry on);
- `PDFStream.decode` is wrapped to count every decoded stream against the caps, whatever the
  filter;
- `LTContainer.add` is wrapped to count the objects a page draws;
- `PDFContentParser.do_keyword` is wrapped to report an operator that is not a PDF operator
  (pdfminer ignores those without a word);
- `PDFDocument.getobj` is wrapped to report an object that the cross-reference table lists
  but that cannot be read where it says (pdfminer reads it as null: a link, a font, a page
  disappears without a word); an object not listed at all is null by the PDF standard;
- a page tree whose /Count differs from the pages found is damage: a page went missing;
- a logging handler on the `pdfminer` logger records the warnings that mean content was lost
  (DAMAGE_REPORTS) and lets the benign ones pass (BENIGN_REPORTS);
- in the main thread, SIGALRM (`signal.setitimer`) enforces the page's deadline wherever the
  time goes; the timer is disarmed and the previous handler restored when each page or the
  document is done. Outside the main thread, or when a timer is already armed, only the checks
  made while decoding, drawing and parsing enforce it;
- the objects alive when the reading starts (the modules a run has imported: pandas, pyarrow,
  pydantic, some 100,000 objects) are frozen out of the garbage collector's reach
  (`gc.freeze`), unless something froze them before: pdfminer allocates millions of objects
  on a long document, and each full collection would walk all of those again for nothing.

These are process-wide patches: one `reading()` at a time, which is how the pipeline reads.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import signal
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pdfminer import pdftypes
from pdfminer.layout import LTContainer
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfexceptions import PDFObjectNotFound
from pdfminer.pdfinterp import PDFContentParser
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFObjRef, PDFStream, resolve1

logger = logging.getLogger(__name__)

MiB = 1024 * 1024

# The same cap as the download stage's: the real document is about 1 MB.
MAX_FILE_BYTES = 50 * MiB
# The document has 7 pages; a page tree claiming more than this is not a slide deck.
MAX_PAGES = 500
# Objects in the cross-reference table(s). The replica has 75; a long office export, thousands.
MAX_OBJECTS = 500_000
# What one stream may decode to. The replica's largest (an embedded font) decodes to 66 KB, a
# page's content stream to under 20 KB; an office export's page stream rarely passes a few MB,
# and a full embedded CJK font is about 20 MB. Image data is not decoded by pdfminer.
MAX_STREAM_BYTES = 64 * MiB
# What all the streams of the document may decode to together (pdfminer keeps them in memory).
MAX_DOCUMENT_STREAM_BYTES = 256 * MiB
# Chars, lines, rects, curves, images and figures one page may draw. A replica table page draws
# about 2,000; a dense A4 page of text about 5,000. pdfminer and pdfplumber keep about 1.5 KB
# and spend about 25 µs on each, so this bounds a page to about 150 MB and a few seconds.
MAX_PAGE_OBJECTS = 100_000
# Wall-clock time for one page (a replica page takes about 0.05 s), and for the whole document
# (opening it included).
PAGE_SECONDS = 10.0
DOCUMENT_SECONDS = 60.0
# After a deadline has passed, the timer fires again this often, in case the first
# LimitExceeded was swallowed by a broad `except` on the way.
TIMER_REPEAT_SECONDS = 0.25
# The cheap checks (decoding, drawing, parsing) look at the clock once every this many calls.
CLOCK_EVERY = 1024
# A damage report quoted in an error is cut to this many characters.
QUOTED_CHARS = 160

# pdfminer's log records that mean the page's content may be incomplete or misplaced, as
# (logger name, start of the message; "" for any). Read from pdfminer.six 20260107's source.
DAMAGE_REPORTS = (
    # pdftypes.decompress_corrupted: a FlateDecode stream failed its checksum (the bytes changed);
    # the data returned is what inflated before the fault. (Our own zlib check reports first.)
    ("pdfminer.pdftypes", "Data-loss while decompressing corrupted data"),
    # psparser: a token of no known type; the content parser gives up on the stream.
    ("pdfminer.psparser", ""),
    # pdfinterp: an operator whose operands are not numbers or names where it needs them (a
    # matrix, a path point, a text position, a font size...): the operator is skipped, so text
    # or rules are missing or misplaced. Also a content stream that refers to itself.
    ("pdfminer.pdfinterp", ""),
    # pdfdevice: a TJ array element that is not a string or a number: that text is not drawn.
    ("pdfminer.pdfdevice", ""),
    # pdfpage: no usable MediaBox, so pdfminer places everything on a US Letter page.
    ("pdfminer.pdfpage", "MediaBox missing"),
    ("pdfminer.pdfpage", "Invalid MediaBox"),
    # pdfdocument: a cross-reference entry that is not numbers: that object is lost.
    ("pdfminer.pdfdocument", "Not adding object"),
)
# Reports that real office PDFs give and that do not change what is drawn where; they are left
# to the usual logging. They take precedence over DAMAGE_REPORTS.
BENIGN_REPORTS = (
    # A colour given to a pattern colour space in an unusual form: only the colour is lost.
    ("pdfminer.pdfinterp", "Pattern color space"),
    # Font metrics (a /Widths entry, a FontBBox) pdfminer cannot read: it uses defaults.
    ("pdfminer.pdffont", ""),
    # Parts of a ToUnicode map that do not follow the format: such chars come out as (cid:N),
    # visibly, rather than as other text.
    ("pdfminer.cmapdb", ""),
    # Page labels, document metadata, the structure tree: not read by the pipeline.
    ("pdfminer.pdfdocument", "Unknown page label style"),
    ("pdfminer.pdfpage", "Invalid CropBox"),
    ("pdfplumber", ""),
)

# Every operator of a content stream (ISO 32000-1, table A.1), and `null`, which may stand as
# a value in a marked-content property list. Anything else outside BX/EX is not content.
PDF_OPERATORS = frozenset(
    b"b B b* B* BDC BI BMC BT BX c cm CS cs d d0 d1 Do DP EI EMC ET EX f F f* G g gs h i ID j J "
    b"K k l m M MP n q Q re RG rg ri s S SC sc SCN scn sh T* Tc Td TD Tf Tj TJ TL Tm Tr Ts Tw Tz "
    b"v w W W* y ' \" null true false".split()
)


class LimitExceeded(Exception):
    """Reading the PDF would cost more than a limit allows."""

    def __init__(self, what: str, limit: str, detail: str) -> None:
        super().__init__(f"{what} exceeds the limit of {limit} ({detail})")


class DamagedContent(Exception):
    """pdfminer met damage that may leave the page's content incomplete; says which."""


@dataclass(frozen=True)
class Limits:
    """The caps one reading enforces (the module constants, unless a test passes others)."""

    max_stream_bytes: int = MAX_STREAM_BYTES
    max_document_stream_bytes: int = MAX_DOCUMENT_STREAM_BYTES
    max_page_objects: int = MAX_PAGE_OBJECTS
    page_seconds: float = PAGE_SECONDS
    document_seconds: float = DOCUMENT_SECONDS
    max_pages: int = MAX_PAGES
    max_objects: int = MAX_OBJECTS


def check_file_size(size: int, limit: int = MAX_FILE_BYTES) -> None:
    """Raise LimitExceeded if a file of `size` bytes is too large to read."""
    if size > limit:
        raise LimitExceeded("the file size", _bytes(limit), f"{size:,} bytes")


def _bytes(count: int) -> str:
    return f"{count // MiB} MiB" if count % MiB == 0 else f"{count:,} bytes"


class Watch:
    """The state of one reading: counters, deadlines, and the damage met on the current step."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.document_deadline = time.monotonic() + limits.document_seconds
        self.deadline = self.document_deadline
        self.decoded_bytes = 0  # all streams of the document
        self.objects = 0  # drawn on the current page
        self.calls = 0  # for CLOCK_EVERY
        self.stream = "a stream"  # what is being decoded, for messages
        self.tripped: Exception | None = None  # the first LimitExceeded or DamagedContent raised
        self.damage: list[str] = []  # reports met on the current step
        self.step = "document"  # or "page": what the deadline is for
        self.counted_pages: int | None = None  # the page tree's /Count
        self.use_timer = False

    def document(self) -> contextlib.AbstractContextManager[None]:
        """Watch opening the document and reading its page tree, until the document's deadline."""
        return self._step(self.document_deadline, "document")

    def page(self, page: PDFPage | None = None) -> contextlib.AbstractContextManager[None]:
        """Watch reading one page; given pdfminer's page, check first that its content exists."""
        deadline = min(time.monotonic() + self.limits.page_seconds, self.document_deadline)
        return self._step(deadline, "page", page)

    @contextlib.contextmanager
    def _step(self, deadline: float, step: str, page: PDFPage | None = None) -> Iterator[None]:
        """Run the body under `deadline`; raise what tripped, or the first damage logged."""
        self.deadline, self.step = deadline, step
        self.objects, self.tripped, self.damage = 0, None, []
        self._arm()
        try:
            if page is not None:
                _check_contents(self, page)
            yield
        except Exception as exc:
            # pdfplumber wraps what pdfminer raises: say which limit or damage stopped it. Any
            # other error stands as raised (it names the fault as well as a logged report).
            if self.tripped is not None:
                raise self.tripped from exc
            raise
        finally:
            self._disarm()
        if self.tripped is not None:  # raised, then swallowed on the way out
            raise self.tripped
        if self.damage:
            raise DamagedContent(self.damage[0])

    def trip(self, exc: Exception) -> Exception:
        """Remember the first cap or damage that stopped the step; return exc to raise."""
        if self.tripped is None:
            self.tripped = exc
        return exc

    def report(self, message: str) -> None:
        """Record damage on the current step (the step fails when it ends)."""
        self.damage.append(message[:QUOTED_CHARS])

    def check_clock(self) -> None:
        """Raise LimitExceeded if the current step's deadline has passed."""
        now = time.monotonic()
        if now <= self.deadline:
            return
        if now > self.document_deadline or self.step == "document":
            what, seconds = "the document", self.limits.document_seconds
        else:
            what, seconds = "the page", self.limits.page_seconds
        raise self.trip(
            LimitExceeded(f"the time spent reading {what}", f"{seconds:g} s", "wall clock")
        )

    def _arm(self) -> None:
        if self.use_timer:
            remaining = max(self.deadline - time.monotonic(), 0.001)
            signal.setitimer(signal.ITIMER_REAL, remaining, TIMER_REPEAT_SECONDS)

    def _disarm(self) -> None:
        if self.use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def decoded(self, stream: PDFStream, size: int) -> None:
        """Count a decoded stream against the per-stream and per-document caps."""
        if size > self.limits.max_stream_bytes:
            raise self.trip(
                LimitExceeded(
                    "a decoded stream",
                    _bytes(self.limits.max_stream_bytes),
                    f"{_describe(stream)} decodes to {size:,} bytes",
                )
            )
        self.decoded_bytes += size
        if self.decoded_bytes > self.limits.max_document_stream_bytes:
            raise self.trip(
                LimitExceeded(
                    "the total decoded from the document's streams",
                    _bytes(self.limits.max_document_stream_bytes),
                    f"{self.decoded_bytes:,} bytes so far",
                )
            )

    def check_document(self, doc: Any) -> None:
        """Raise LimitExceeded if the document claims more pages or objects than allowed."""
        objects = sum(_xref_size(xref) for xref in doc.xrefs)
        if objects > self.limits.max_objects:
            raise LimitExceeded(
                "the number of objects",
                f"{self.limits.max_objects:,}",
                f"{objects:,} in the cross-reference table",
            )
        pages = resolve1(doc.catalog.get("Pages"))
        count = resolve1(pages.get("Count")) if isinstance(pages, dict) else None
        self.counted_pages = count if isinstance(count, int) else None
        if isinstance(count, int) and count > self.limits.max_pages:
            raise LimitExceeded(
                "the number of pages",
                f"{self.limits.max_pages:,}",
                f"the page tree counts {count:,}",
            )

    def check_page_count(self, count: int) -> None:
        """Given the pages found, raise LimitExceeded for too many, DamagedContent for a
        number other than the page tree's /Count (pdfminer skips a page it cannot read)."""
        if count > self.limits.max_pages:
            raise LimitExceeded(
                "the number of pages", f"{self.limits.max_pages:,}", f"{count:,} pages"
            )
        if self.counted_pages is not None and count != self.counted_pages:
            raise self.trip(
                DamagedContent(
                    f"the page tree counts {self.counted_pages} pages, but {count} were found"
                )
            )


def _xref_size(xref: Any) -> int:
    """Entries in one cross-reference section, without listing them (a stream may claim 10⁹)."""
    if hasattr(xref, "offsets"):
        return len(xref.offsets)
    return sum(count for _, count in getattr(xref, "ranges", ()))


def _describe(stream: PDFStream) -> str:
    filters = [getattr(f, "name", str(f)) for f, _ in _filters(stream)]
    name = f"object {stream.objid}" if stream.objid is not None else "an inline stream"
    return f"{name}, {' '.join(filters) or 'no filter'}"


def _filters(stream: PDFStream) -> list[tuple[Any, Any]]:
    try:
        return stream.get_filters()
    except Exception:  # noqa: BLE001 (only for a message: the decode reports the real fault)
        return []


def _check_contents(watch: Watch, page: PDFPage) -> None:
    """Raise DamagedContent for a /Contents entry that is not a stream (a missing object, say).

    pdfminer reads a reference to a missing object as null, and a null content stream as an
    empty one: the page would be read as blank.
    """
    raw = page.attrs.get("Contents")
    top = resolve1(raw)
    entries = top if isinstance(top, list) else [] if raw is None else [raw]
    for entry in entries:
        target = resolve1(entry)
        if not isinstance(target, PDFStream):
            ref = f"object {entry.objid}" if isinstance(entry, PDFObjRef) else repr(entry)[:40]
            kind = "missing" if target is None else f"a {type(target).__name__}, not a stream"
            watch.report(f"the page's content stream ({ref}) is {kind}")
            raise watch.trip(DamagedContent(watch.damage[-1]))


# --- What is patched into pdfminer while a reading is active -------------------------------

_active: Watch | None = None
_lock = threading.Lock()
_ORIGINAL_DECODE = PDFStream.decode
_ORIGINAL_ADD = LTContainer.add
_ORIGINAL_DO_KEYWORD = PDFContentParser.do_keyword
_ORIGINAL_LZWDECODE = pdftypes.lzwdecode
_ORIGINAL_GETOBJ = PDFDocument.getobj


class _CappedZlib:
    """Stands in for the zlib module inside pdfminer.pdftypes, whose FlateDecode calls
    `zlib.decompress(data)`: inflates at most the per-stream cap, and reports corrupt or cut-off
    data as damage instead of letting pdfminer decode it byte by byte to what it can.
    """

    error = zlib.error

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def decompress(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        watch = _active
        if watch is None or args or kwargs:
            return zlib.decompress(data, *args, **kwargs)
        cap = watch.limits.max_stream_bytes
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data, cap + 1)
        except zlib.error as exc:
            watch.report(f"{watch.stream}: corrupt FlateDecode data ({exc})")
            raise watch.trip(DamagedContent(watch.damage[-1])) from None
        if len(out) > cap:
            raise watch.trip(
                LimitExceeded(
                    "a decoded stream", _bytes(cap), f"{watch.stream} inflates past the limit"
                )
            )
        if not inflater.eof:  # bytes after the end (inflater.unused_data) are harmless
            watch.report(f"{watch.stream}: FlateDecode data cut off ({len(out):,} bytes inflated)")
            raise watch.trip(DamagedContent(watch.damage[-1]))
        return out


def _capped_lzwdecode(data: bytes) -> bytes:
    """pdfminer's lzwdecode, stopping at the per-stream cap."""
    watch = _active
    out = bytearray()
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        out += chunk
        if watch is not None and len(out) > watch.limits.max_stream_bytes:
            raise watch.trip(
                LimitExceeded(
                    "a decoded stream",
                    _bytes(watch.limits.max_stream_bytes),
                    f"{watch.stream} decodes past the limit",
                )
            )
    return bytes(out)


def _watched_decode(stream: PDFStream) -> None:
    """PDFStream.decode, counted against the caps."""
    watch = _active
    if watch is None:
        _ORIGINAL_DECODE(stream)
        return
    watch.check_clock()
    watch.stream = _describe(stream)
    _ORIGINAL_DECODE(stream)
    watch.decoded(stream, len(stream.data or b""))


def _counted_add(container: LTContainer[Any], obj: Any) -> None:
    """LTContainer.add, counting the objects the page draws."""
    watch = _active
    if watch is not None:
        watch.objects += 1
        if watch.objects > watch.limits.max_page_objects:
            raise watch.trip(
                LimitExceeded(
                    "the number of objects drawn on the page",
                    f"{watch.limits.max_page_objects:,}",
                    "chars, lines, rects, curves, images and figures",
                )
            )
        watch.calls += 1  # the clock now and then: this runs for every object drawn
        if watch.calls % CLOCK_EVERY == 0:
            watch.check_clock()
    _ORIGINAL_ADD(container, obj)


def _checked_do_keyword(parser: PDFContentParser, pos: int, token: Any) -> None:
    """PDFContentParser.do_keyword, reporting a keyword that is no PDF operator (outside BX/EX)."""
    watch = _active
    if watch is not None:
        watch.calls += 1  # the clock now and then: this runs for every operator
        if watch.calls % CLOCK_EVERY == 0:
            watch.check_clock()
        name = getattr(token, "name", b"")
        if name in PDF_OPERATORS and name not in (b"BX", b"EX"):
            _ORIGINAL_DO_KEYWORD(parser, pos, token)
            return
        depth = parser.__dict__.get("_limits_bx_depth", 0)
        if name == b"BX":
            parser.__dict__["_limits_bx_depth"] = depth + 1
        elif name == b"EX":
            parser.__dict__["_limits_bx_depth"] = max(depth - 1, 0)
        elif depth == 0 and name not in PDF_OPERATORS:
            shown = name.decode("latin-1")[:20]
            watch.report(f"not a PDF operator in the content stream: {shown!r} at byte {pos}")
    _ORIGINAL_DO_KEYWORD(parser, pos, token)


def _checked_getobj(doc: PDFDocument, objid: int) -> object:
    """PDFDocument.getobj, reporting an object the xref lists that cannot be read."""
    try:
        return _ORIGINAL_GETOBJ(doc, objid)
    except PDFObjectNotFound:
        watch = _active
        if watch is not None and _listed(doc, objid):
            watch.report(f"object {objid} is in the cross-reference table but cannot be read")
            raise watch.trip(DamagedContent(watch.damage[-1])) from None
        raise


def _listed(doc: PDFDocument, objid: int) -> bool:
    for xref in doc.xrefs:
        try:
            xref.get_pos(objid)
        except (KeyError, IndexError, ValueError):
            continue
        return True
    return False


def _on_alarm(signum: int, frame: Any) -> None:
    if _active is not None:
        _active.check_clock()


class _DamageHandler(logging.Handler):
    """Records pdfminer's damage reports against the active reading."""

    def emit(self, record: logging.LogRecord) -> None:
        if _active is not None and record.levelno >= logging.WARNING and is_damage(record):
            _active.report(f"{record.name}: {record.getMessage()}")


def is_damage(record: logging.LogRecord) -> bool:
    """True if a log record is one of DAMAGE_REPORTS and not one of BENIGN_REPORTS."""

    def matches(reports: tuple[tuple[str, str], ...]) -> bool:
        message = record.getMessage()
        return any(
            (record.name == name or record.name.startswith(name + "."))
            and message.startswith(start)
            for name, start in reports
        )

    return matches(DAMAGE_REPORTS) and not matches(BENIGN_REPORTS)


@contextlib.contextmanager
def reading(limits: Limits | None = None) -> Iterator[Watch]:
    """Watch pdfminer while one document is read; undo every patch on the way out."""
    global _active
    if not _lock.acquire(blocking=False):
        raise RuntimeError("only one PDF can be read under limits at a time")
    watch = Watch(limits or Limits())
    pdfminer_logger = logging.getLogger("pdfminer")
    handler = _DamageHandler()
    old_level = pdfminer_logger.level
    old_alarm = None
    freeze = gc.get_freeze_count() == 0
    try:
        if freeze:
            gc.freeze()
        watch.use_timer = _timer_is_free()
        if watch.use_timer:
            old_alarm = signal.signal(signal.SIGALRM, _on_alarm)
        if pdfminer_logger.getEffectiveLevel() > logging.WARNING:
            pdfminer_logger.setLevel(logging.WARNING)  # or its warnings would not be made
        pdfminer_logger.addHandler(handler)
        _patch(
            (pdftypes, "zlib", _CappedZlib()),
            (pdftypes, "lzwdecode", _capped_lzwdecode),
            (PDFStream, "decode", _watched_decode),
            (LTContainer, "add", _counted_add),
            (PDFContentParser, "do_keyword", _checked_do_keyword),
            (PDFDocument, "getobj", _checked_getobj),
        )
        _active = watch
        yield watch
    finally:
        _active = None
        _patch(
            (PDFDocument, "getobj", _ORIGINAL_GETOBJ),
            (PDFContentParser, "do_keyword", _ORIGINAL_DO_KEYWORD),
            (LTContainer, "add", _ORIGINAL_ADD),
            (PDFStream, "decode", _ORIGINAL_DECODE),
            (pdftypes, "lzwdecode", _ORIGINAL_LZWDECODE),
            (pdftypes, "zlib", zlib),
        )
        pdfminer_logger.removeHandler(handler)
        pdfminer_logger.setLevel(old_level)
        if freeze:
            gc.unfreeze()
        if watch.use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_alarm)
        _lock.release()


def _patch(*patches: tuple[object, str, object]) -> None:
    """Set each (owner, attribute, value). pdfminer has no hooks for what the limits watch, so
    reading() swaps these functions (and pdftypes' zlib) for the time of one read; setattr says
    so, where an assignment to a method would read as a slip (and mypy rejects it)."""
    for owner, attribute, value in patches:
        setattr(owner, attribute, value)


def _timer_is_free() -> bool:
    """True if SIGALRM can be ours: the main thread, no timer armed, no handler installed."""
    return (
        threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    )
