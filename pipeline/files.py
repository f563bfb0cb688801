"""Files written beside their target and renamed over it, and a lock to take turns at a folder."""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pipeline.errors import PipelineError

# A file still being written, renamed over its target once complete: `.download-1f2e….part`.
PART_SUFFIX = ".part"
# New files get these permissions less the umask (644 under umask 022), as open() gives;
# tempfile.mkstemp's 600 is meant for secrets, and a downloaded PDF is not one.
NEW_FILE_MODE = 0o666


@contextmanager
def part_file(directory: Path, prefix: str) -> Iterator[Path]:
    """Given a folder, yield a new empty part file in it, removed on exit unless renamed away."""
    path = directory / f"{prefix}{secrets.token_hex(8)}{PART_SUFFIX}"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE))
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Given a lock file's path, hold an exclusive flock on it for the block, waiting for it.

    The file is removed before the lock is let go, so nothing stays behind; a waiter that
    then finds the path gone, or naming a newer file, locks that one instead.
    """
    while True:
        with path.open("ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if _still_named(path, handle.fileno()):
                try:
                    yield
                finally:
                    # Left behind only in a folder made read-only meanwhile, where it is harmless.
                    with suppress(OSError):
                        path.unlink()
                return


def _still_named(path: Path, fd: int) -> bool:
    """Given a path and an open file, return whether the path still names that file."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


def remove_parts(directory: Path, prefixes: Iterable[str]) -> list[Path]:
    """Given a folder whose lock is held, remove the part files a killed run left; return them."""
    stale = [path for prefix in prefixes for path in directory.glob(f"{prefix}*{PART_SUFFIX}")]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def write_atomic(path: Path, data: bytes) -> Path:
    """Given a path and bytes, write them to a temporary name beside it, then rename it over.

    A failure leaves the earlier file as it was.
    """
    return replace_all(path.parent, {path.name: data})[0]


def replace_all(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file to a temporary name first, then rename them all into place.

    A failure while writing, or a folder where a file is to go, leaves the previous outputs
    untouched.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            tmp = out_dir / f".{name}.tmp"
            tmp.write_bytes(data)
            staged.append((tmp, out_dir / name))
    except OSError as exc:
        _remove(staged)
        raise PipelineError(f"{out_dir}: cannot write outputs ({exc.strerror})") from exc
    # A folder cannot be renamed over; found before the first rename, it leaves every output.
    for _, final in staged:
        if final.is_dir() and not final.is_symlink():
            _remove(staged)
            raise PipelineError(f"{final}: cannot write output ({os.strerror(errno.EISDIR)})")
    for tmp, final in staged:
        os.replace(tmp, final)
    return [final for _, final in staged]


def _remove(staged: list[tuple[Path, Path]]) -> None:
    """Given staged (temporary, final) pairs, remove the temporary files."""
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
