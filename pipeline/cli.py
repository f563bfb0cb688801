"""Command line: one command per stage, plus `run` for all of them."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pipeline import workers
from pipeline.diff import DISCLOSURES_FILE, Changes, changes_to_json, changes_to_text
from pipeline.diff import diff as run_diff
from pipeline.errors import DiffError, PipelineError
from pipeline.files import write_atomic
from pipeline.records import (
    Extraction,
    Failure,
    Normalized,
    Origin,
    Repaired,
    Tables,
    dump,
    load,
)
from pipeline.schema import CorpusValidationJson

if TYPE_CHECKING:
    from pydantic import ValidationError as PydanticError

logger = logging.getLogger(__name__)
T = TypeVar("T")

BUILD = Path("build")
EXTRACTED = BUILD / "extracted.json"
REPAIRED = BUILD / "repaired.json"
NORMALIZED = BUILD / "normalized.json"
TABLES = BUILD / "tables.json"
# The command that writes each stage's file, for a message saying what to run.
MADE_BY = {
    "Extraction": "extract",
    "Repaired": "repair",
    "Normalized": "normalize",
    "Tables": "tables",
}
# Exit status after Ctrl-C, as a shell reports a command killed by SIGINT: 128 + 2.
INTERRUPTED_EXIT = 130
# Seconds before the progress bar shows (on a terminal only): a short run prints none.
PROGRESS_DELAY = 2.0


class _Interrupted(click.ClickException):
    """Ctrl-C: one `Error: interrupted; …` line saying what became of the outputs."""

    exit_code = INTERRUPTED_EXIT


class _Group(click.Group):
    """Shows a PipelineError as one `Error: …` line and exit 1; --debug shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            done = ctx.obj and ctx.obj.get("replaced")
            raise _Interrupted(
                f"interrupted; {'new outputs complete' if done else 'outputs unchanged'}"
            ) from None
        except PipelineError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug, not bad input: still one line unless --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)"
            ) from None


@functools.cache
def _config() -> dict[str, Any]:
    """The document's settings: data/source.toml (the options' defaults read it)."""
    from pipeline.config import load_source

    return load_source()


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors on stderr.")
@click.version_option(package_name="meti-disclosures")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """Turn METI's 資料３－２ PDF table into Parquet and CSV.

    \b
    Example:
        python -m pipeline run --pdf tests/fixtures/085_03_02.replica.pdf --out output
    """
    ctx.obj = {"debug": debug, "quiet": quiet, "replaced": False}
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


@cli.command()
@click.option("--url", help="Where to fetch from (default: data/source.toml).")
@click.option(
    "--to",
    "dest",
    type=click.Path(path_type=Path),
    default=lambda: _config()["pdf"],
    show_default="pdf in data/source.toml",
)
@click.option("--force", is_flag=True, help="Fetch again even if a good copy is cached.")
@click.option("--max-bytes", type=int, help="Refuse a body larger than this.")
@click.option("--timeout", type=float, help="Seconds per connect/read.")
@click.option(
    "--no-replica", is_flag=True, help="Fail instead of using the bundled replica offline."
)
def download(
    url: str | None,
    dest: Path,
    force: bool,
    max_bytes: int | None,
    timeout: float | None,
    no_replica: bool,
) -> None:
    """Fetch the PDF into raw/, with a manifest (URL, sha256, size, time).

    \b
    Example:
        python -m pipeline download --to raw/085_03_02.pdf --force
    """
    click.echo(
        _download(
            url, dest, force=force, max_bytes=max_bytes, timeout=timeout, replica=not no_replica
        )
    )


@cli.command()
@click.option(
    "--pdf",
    type=click.Path(path_type=Path),
    default=lambda: _config()["pdf"],
    show_default="pdf in data/source.toml",
)
@click.option("--out", type=click.Path(path_type=Path), default=EXTRACTED, show_default=True)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes over a long document's pages [default: the cores available; a"
    " short document is read in one].",
)
def extract(pdf: Path, out: Path, jobs: int | None) -> None:
    """Read the table's cells from the PDF into JSON, with page and bbox for each.

    \b
    Example:
        python -m pipeline extract --pdf raw/085_03_02.pdf --out build/extracted.json
    """
    from pipeline.extract import extract as run_extract

    extraction = run_extract(pdf, jobs=jobs or _cores())
    with _replacing():
        dump(extraction, out)


@cli.command()
@click.option("--in", "src", type=click.Path(path_type=Path), default=EXTRACTED, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=REPAIRED, show_default=True)
def repair(src: Path, out: Path) -> None:
    """Turn each cell's lines into clean text (URLs, wraps, stray spaces, list items).

    \b
    Example:
        python -m pipeline repair --in build/extracted.json --out build/repaired.json
    """
    from pipeline.repair import repair as run_repair

    repaired = run_repair(_load(Extraction, src))
    with _replacing():
        dump(repaired, out)


@cli.command()
@click.option("--in", "src", type=click.Path(path_type=Path), default=REPAIRED, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=NORMALIZED, show_default=True)
def normalize(src: Path, out: Path) -> None:
    """Give dates their year from the document's date, join company names, null empty cells.

    \b
    Example:
        python -m pipeline normalize --in build/repaired.json --out build/normalized.json
    """
    from pipeline.normalize import normalize as run_normalize

    normalized = run_normalize(_load(Repaired, src))
    with _replacing():
        dump(normalized, out)


@cli.command("tables")
@click.option("--in", "src", type=click.Path(path_type=Path), default=NORMALIZED, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=TABLES, show_default=True)
def tables_command(src: Path, out: Path) -> None:
    """Build every output table, document.json and validation.json, and check them all.

    \b
    Example:
        python -m pipeline tables --in build/normalized.json --out build/tables.json
    """
    from pipeline.tables import tables as run_tables

    normalized = _load(Normalized, src)
    source = normalized.document.source
    built = run_tables([normalized], [_origin(Path(source.path), source.sha256)])
    with _replacing():
        dump(built, out)


@cli.command()
@click.option("--in", "src", type=click.Path(path_type=Path), default=TABLES, show_default=True)
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True
)
def write(src: Path, out_dir: Path) -> None:
    """Write DIR's tables (Parquet and CSV), document.json and validation.json, all or none.

    \b
    Example:
        python -m pipeline write --in build/tables.json --out output
    """
    from pipeline.write import write as run_write

    built = _load(Tables, src)
    previous = _previous_disclosures(out_dir)
    with _replacing():
        run_write(built, out_dir)
    _record_changes(out_dir, previous)


@cli.command()
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True
)
@click.option(
    "--golden",
    type=click.Path(path_type=Path),
    default=lambda: _config()["golden"],
    show_default="golden in data/source.toml",
)
@click.option(
    "--document",
    help="In outputs of several documents, the one the golden files are for (its file name"
    " without .pdf).",
)
def check(out_dir: Path, golden: Path, document: str | None = None) -> None:
    """Compare DIR's outputs with golden CSVs; list every difference and exit 1 if any.

    \b
    Examples:
        python -m pipeline check --out output --golden tests/fixtures/golden/085_03_02
        python -m pipeline check --out corpus --golden tests/fixtures/golden/variant_a \\
            --document variant_a
    """
    from pipeline.check import check as run_check
    from pipeline.errors import CheckError

    differences = run_check(out_dir, golden, document)
    for difference in differences:
        click.echo(str(difference), err=True)
    if differences:
        n = len(differences)
        raise CheckError(f"{out_dir}: {n} difference{'' if n == 1 else 's'} from {golden}")
    click.echo(f"{out_dir}: matches {golden}", err=True)


@cli.command()
def schema() -> None:
    """Print the data dictionary of every output table, as Markdown.

    \b
    Example:
        python -m pipeline schema > docs/schema.md
    """
    from pipeline.schema import TABLES, markdown_table

    for name, columns in TABLES.items():
        click.echo(f"<!-- schema:{name} -->\n{markdown_table(columns)}\n<!-- /schema:{name} -->\n")


@cli.command()
@click.option(
    "--pdf",
    "pdfs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A PDF of this layout, or a folder (every *.pdf in it); repeat it for several"
    " documents, read as one dataset [default: download].",
)
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True
)
@click.option(
    "--golden",
    type=click.Path(path_type=Path),
    help="Also check the outputs against these golden CSVs (a directory or one file).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes: pages of a long document, or documents, in parallel"
    " [default: the cores available; a short document is read in one].",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Write the documents that passed, list the others with their error in"
    " validation.json, and exit 1 (default: a failed document fails the run).",
)
@click.pass_context
def run(
    ctx: click.Context,
    pdfs: tuple[Path, ...],
    out_dir: Path,
    golden: Path | None,
    jobs: int | None,
    keep_going: bool,
) -> None:
    """Run every stage on one PDF or several, and write every output table into DIR.

    Several PDFs (versions of the table) make one dataset: every table gains their file
    names in its `document` column, and DIR/documents.parquet describes them. Nothing in DIR
    is replaced unless every stage succeeds; Ctrl-C leaves DIR all old or all new. The last
    line on stderr says what was written, and from which source.

    \b
    Examples:
        python -m pipeline run --pdf tests/fixtures/085_03_02.replica.pdf --out /tmp/out
        python -m pipeline run --pdf raw/ --out /tmp/corpus --jobs 2
    """
    if not pdfs:
        pdfs = (
            _download(
                None, _config()["pdf"], force=False, max_bytes=None, timeout=None, replica=True
            ),
        )
    paths = _inputs(pdfs)
    logger.info("run: %s into %s", ", ".join(map(str, paths)), out_dir)
    read = _read_documents(paths, jobs or _cores(), keep_going, quiet=ctx.obj["quiet"])
    from pipeline.tables import tables as run_tables  # after reading: see _warm_up
    from pipeline.write import write as run_write

    normalized = [r for r in read if isinstance(r, Normalized)]
    failed = [r for r in read if isinstance(r, Failure)]
    if not normalized:
        raise PipelineError(f"no document could be read; the first: {failed[0].error}")
    origins = [_origin(Path(n.document.source.path), n.document.source.sha256) for n in normalized]
    built = run_tables(normalized, origins, failed=failed, keep_going=keep_going)
    previous = _previous_disclosures(out_dir)
    with _replacing():
        run_write(built, out_dir)
    _record_changes(out_dir, previous)
    if not ctx.obj["quiet"]:
        click.echo(_summary(built, out_dir), err=True)
    if isinstance(built.validation, CorpusValidationJson) and built.validation.failed:
        left_out = built.validation.failed
        raise PipelineError(
            f"{len(left_out)} of {len(paths)} documents left out ("
            + ", ".join(f.document for f in left_out)
            + f"), the others written to {out_dir}; {out_dir / 'validation.json'} says why"
        )
    if golden is not None:
        ctx.invoke(check, out_dir=out_dir, golden=golden)


def _inputs(pdfs: tuple[Path, ...]) -> list[Path]:
    """Given --pdf values, return the PDFs to read, ordered by file name (so that the order
    they are named in does not matter); a folder gives every *.pdf in it."""
    paths: list[Path] = []
    for pdf in pdfs:
        if pdf.is_dir():
            found = sorted(pdf.glob("*.pdf"))
            if not found:
                raise PipelineError(f"{pdf}: no *.pdf files in the folder")
            paths += found
        else:
            paths.append(pdf)
    by_stem: dict[str, list[Path]] = {}
    for path in paths:
        by_stem.setdefault(path.stem, []).append(path)
    twice = [named for named in by_stem.values() if len(set(named)) > 1]
    if twice:
        raise PipelineError(
            "two inputs have the same file name, so their rows could not be told apart: "
            + ", ".join(map(str, twice[0]))
        )
    return [named[0] for _, named in sorted(by_stem.items())]


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _read_documents(
    paths: list[Path], jobs: int, keep_going: bool, *, quiet: bool
) -> list[Normalized | Failure]:
    """Read each PDF up to its normalized rows, in the paths' order, with a progress bar on
    stderr (a terminal only, after PROGRESS_DELAY seconds).

    Several documents with jobs > 1 are read side by side, one per worker process; one
    document is read with `jobs` workers over its pages (extract.page_spans). Unless
    keep_going, the first document that fails (in the paths' order) fails the run.
    """
    import tqdm

    tqdm.tqdm.monitor_interval = 0  # no monitor thread: workers are forked from this process
    disable = True if quiet else None  # None: shown on a terminal only
    with tqdm.tqdm(
        file=sys.stderr, delay=PROGRESS_DELAY, disable=disable, leave=False, unit="page"
    ) as bar:
        if len(paths) == 1 or jobs == 1:
            return [
                _read_document(path, keep_going, jobs, _advance(bar, warm=jobs > 1))
                for path in paths
            ]
        bar.unit, bar.total = "document", len(paths)
        read = []
        with workers.pool(min(jobs, len(paths))) as pool:
            results = pool.imap(functools.partial(_read_document, keep_going=keep_going), paths)
            _warm_up()
            for result in results:
                bar.update(1)
                read.append(result)
        return read


def _advance(bar: Any, *, warm: bool) -> Callable[[int, int], None]:
    """Given the bar, return extract's progress callback for the next document: the bar
    counts the pages of every document so far. With warm, its first call imports what the
    stages after extract need (_warm_up): it comes while worker processes read pages."""
    start, total = bar.n, bar.total or 0

    def show(read: int, page_count: int) -> None:
        if warm and read:
            _warm_up()
        bar.total = total + page_count
        bar.update(start + read - bar.n)

    return show


def _warm_up() -> None:
    """Import the tables and write stages (pandas, pandera: about half a second) while worker
    processes read pages and this one would only wait; once imported, this costs nothing."""
    import pipeline.tables
    import pipeline.write  # noqa: F401


def _read_document(
    pdf: Path,
    keep_going: bool,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Normalized | Failure:
    """Extract, repair and normalize one PDF. A run that keeps going makes a PipelineError
    the document's Failure; otherwise it fails the run (raised in a worker, it is raised
    again in the main process)."""
    from pipeline.extract import extract as run_extract
    from pipeline.normalize import normalize as run_normalize
    from pipeline.repair import repair as run_repair

    try:
        return run_normalize(run_repair(run_extract(pdf, jobs=jobs, progress=progress)))
    except PipelineError as exc:
        if not keep_going:
            raise
        return Failure(document=pdf.stem, source=str(pdf), error=str(exc))


@cli.command("inspect")
@click.option("--page", "page_number", type=int, required=True, help="1-based page to draw.")
@click.option(
    "--pdf",
    type=click.Path(path_type=Path),
    default=lambda: _config()["pdf"],
    show_default="pdf in data/source.toml",
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="PNG to write [default: build/page-N.png]."
)
@click.option("--chars", is_flag=True, help="Also dot the centre of every character.")
def inspect_command(page_number: int, pdf: Path, out: Path | None, chars: bool) -> None:
    """Draw on one page the table cells, header, row bands and columns extract finds there.

    \b
    Example:
        python -m pipeline inspect --page 2 --pdf tests/fixtures/085_03_02.replica.pdf
    """
    from pipeline.inspect import inspect_page

    out = out or BUILD / f"page-{page_number}.png"
    click.echo(inspect_page(pdf, page_number, out, char_centres=chars))


@cli.command()
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("output"), show_default=True
)
def report(out_dir: Path) -> None:
    """Write DIR/timeline.png and DIR/report.html from the tables in DIR.

    \b
    Example:
        python -m pipeline report --out output
    """
    from pipeline.report import report as run_report

    with _replacing():
        written = run_report(out_dir)
    for path in written:
        click.echo(path)


@cli.command("diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--json", "json_file", type=click.Path(path_type=Path), help="Also write the changes as JSON."
)
@click.option("--exit-code", is_flag=True, help="Exit 1 if there are differences.")
def diff_command(old: Path, new: Path, json_file: Path | None, exit_code: bool) -> None:
    """List the disclosures added, removed and changed from OLD to NEW.

    OLD and NEW are output folders or disclosures.parquet files. A disclosure is its
    (company, url): a row that only moved to another page or row is unchanged.

    \b
    Example:
        python -m pipeline diff /tmp/before output --json /tmp/changes.json
    """
    changes = run_diff(old, new)
    if json_file is not None:
        _write_changes(json_file, changes)
    click.echo(changes_to_text(changes))
    if exit_code and changes.has_differences:
        raise click.exceptions.Exit(1)


# Written into the output folder when a write changed its disclosures.
CHANGES_FILE = "changes.json"


def _previous_disclosures(out_dir: Path) -> bytes | None:
    """Return DIR's disclosures.parquet as it is before a write replaces it; None if there is
    none, or if it cannot be read (a warning says so, and the write goes on)."""
    path = out_dir / DISCLOSURES_FILE
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no previous outputs there
        return None
    except OSError as exc:
        logger.warning("%s: cannot read (%s); changes not recorded", path, exc.strerror)
        return None


def _record_changes(out_dir: Path, previous: bytes | None) -> None:
    """After a write, compare DIR's disclosures with the previous ones; if they differ, write
    DIR/changes.json and say so in one line on stderr. Nothing differs: nothing is written
    and an earlier changes.json stays. A previous file diff cannot read is a warning."""
    if previous is None:
        return
    current = out_dir / DISCLOSURES_FILE
    with tempfile.TemporaryDirectory(prefix="previous-outputs-") as folder:
        saved = Path(folder) / DISCLOSURES_FILE
        try:
            saved.write_bytes(previous)
            changes = run_diff(saved, current)
        except (DiffError, OSError) as exc:
            # The message names the saved copy; the user knows the file as DIR's.
            reason = str(exc).replace(str(saved), f"{current} (previous version)")
            logger.warning("%s; changes not recorded", reason)
            return
    if not changes.has_differences:
        return
    try:
        path = _write_changes(out_dir / CHANGES_FILE, changes)
    except PipelineError as exc:
        logger.warning("%s; changes not recorded", exc)
        return
    if not click.get_current_context().obj.get("quiet"):
        click.echo(
            f"{out_dir}: {changes.summary()} since the previous outputs (see {path})", err=True
        )


def _write_changes(path: Path, changes: Changes) -> Path:
    """Write changes as JSON (UTF-8, indented) to path, atomically; return the path."""
    data = json.dumps(changes_to_json(changes), ensure_ascii=False, indent=1) + "\n"
    return write_atomic(path, data.encode("utf-8"))


def _download(
    url: str | None,
    dest: Path,
    *,
    force: bool,
    max_bytes: int | None,
    timeout: float | None,
    replica: bool,
) -> Path:
    from pipeline.download import download as run_download

    source = _config()
    options: dict[str, Any] = {"max_bytes": max_bytes, "timeout": timeout}
    return run_download(
        url or source["url"],
        dest,
        force=force,
        allowed_hosts=source["allowed_hosts"],
        replica=source["replica"] if replica else None,
        **{k: v for k, v in options.items() if v is not None},
    )


@contextlib.contextmanager
def _replacing() -> Iterator[None]:
    """Hold Ctrl-C while the block replaces outputs, so that they end all old or all new; then
    record them as replaced, and let a Ctrl-C that came meanwhile through."""
    held: list[int] = []
    handlers = []
    # Only the main thread may set a handler; signals are only delivered there anyway.
    with contextlib.suppress(ValueError):
        handlers.append(signal.signal(signal.SIGINT, lambda signum, _: held.append(signum)))
    try:
        yield
        click.get_current_context().ensure_object(dict)["replaced"] = True
    finally:
        for previous in handlers:  # None: a handler set outside Python; Python's own instead
            signal.signal(
                signal.SIGINT, signal.default_int_handler if previous is None else previous
            )
    if held:
        raise KeyboardInterrupt


def _summary(tables: Tables, out_dir: Path) -> str:
    """Return the run's last line: what was written where, and from which source."""
    from pipeline.schema import TABLES as TABLE_NAMES

    counts = {name: len(getattr(tables, name)) for name in TABLE_NAMES}
    rows = ", ".join(f"{name} {n} row{'' if n == 1 else 's'}" for name, n in counts.items())
    validation = tables.validation
    if isinstance(validation, CorpusValidationJson):
        source = f"{len(validation.documents)} documents: " + "; ".join(
            f"{v.document} ({v.provenance})" for v in validation.documents
        )
    else:
        source = validation.provenance
    return f"Wrote {len(TABLE_NAMES)} tables to {out_dir}: {rows}; source: {source}"


def _load(kind: type[T], path: Path) -> T:
    """Read a stage's file; a missing or unreadable one says why and what to run."""
    from pydantic import ValidationError as PydanticError

    name = kind.__name__
    command = f"python -m pipeline {MADE_BY[name]} --out {path}"
    try:
        return load(kind, path)
    except FileNotFoundError as exc:
        raise PipelineError(f"{path}: not found (run the previous stage first: {command})") from exc
    except OSError as exc:
        raise PipelineError(f"{path}: cannot read ({exc.strerror}); run `{command}`") from exc
    except PydanticError as exc:
        article = "an" if name[0].lower() in "aeiou" else "a"
        raise PipelineError(
            f"{path}: not {article} {name} file: {_first_problem(exc)}; run `{command}` again"
        ) from exc


def _first_problem(error: PydanticError) -> str:
    """Given pydantic's ValidationError, say what it found: where the JSON breaks, or the
    first field that does not fit and how many do not."""
    first = error.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        found = str(first.get("ctx", {}).get("error", first["msg"]))
        at = re.fullmatch(r"(.*) at line (\d+) column (\d+)", found)
        if at is None:
            return f"invalid JSON ({found})"
        return f"invalid JSON at line {at[2]}, column {at[3]} ({at[1]})"
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    count = error.error_count()
    problems = f"{count} problems, the first" if count > 1 else "1 problem"
    return f"{problems} at {where}: {first['msg']}"


def _origin(pdf: Path, sha256: str) -> Origin:
    """Given the PDF a run read and its sha256, return where it came from, as the download
    manifest beside it records: URL, kind (network or replica) and when it was fetched.

    Without a manifest, or with one that describes other bytes, it is a local file.
    """
    local = Origin(source_kind="local file")
    manifest = pdf.with_suffix(".manifest.json")
    if not manifest.is_file():
        return local
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("%s: unreadable (%s); %s is read as a local file", manifest, exc, pdf)
        return local
    if not isinstance(data, dict) or data.get("sha256") != sha256:
        logger.warning("%s describes other bytes than %s; read as a local file", manifest, pdf)
        return local
    return Origin(
        source_url=data.get("url"),
        source_kind=data.get("source", "network"),
        fetched_at=data.get("fetched_at"),
    )


def main() -> None:
    cli(prog_name="python -m pipeline")
