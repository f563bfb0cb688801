"""Files written beside their target and renamed over it, and the folder lock.

Rules covered:
- part_file: a new, empty file `PREFIX` + 16 hex digits + `.part` in the folder, created
  with mode 666 less the umask (644 under 022), a new name each time; removed on exit,
  also when the block raises, and no error when the block renamed it away.
- locked: the lock file exists while the block runs and is gone after it, also when the
  block raises; while held, no other open file can take the lock; a waiter whose file was
  removed meanwhile locks the new file instead. _still_named: True for the file the path
  names, False once the path is gone or names another file.
- remove_parts: removes every `PREFIX*.part` of every prefix given and returns them; leaves
  other prefixes, other suffixes and other folders alone; a part file already gone when
  its turn comes (two prefixes matching it) is no error.
- write_atomic and replace_all: the bytes land under their names (folders made as needed,
  earlier files replaced), the paths come back in order, no `.NAME.tmp` is left; a file that
  cannot be written raises one PipelineError naming the folder and the reason, leaves every
  earlier output as it was and removes the temporary files already written. A folder
  where one of the files is to go (a real folder, not a link to one, which is replaced)
  raises one PipelineError naming it, before any file is renamed: every earlier output
  stays and no temporary file is left.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.files import (
    _still_named,
    locked,
    part_file,
    remove_parts,
    replace_all,
    write_atomic,
)


def _can_lock(path: Path) -> bool:
    """Whether another open file of path can take the exclusive lock right now."""
    with path.open("ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


# --- part_file ---------------------------------------------------------------------------------


def test_a_part_file_is_new_and_empty_named_prefix_hex_and_part(tmp_path):
    with part_file(tmp_path, ".download-") as path:
        assert path.parent == tmp_path
        assert re.fullmatch(r"\.download-[0-9a-f]{16}\.part", path.name)
        assert path.is_file() and path.read_bytes() == b""


def test_a_part_file_gets_mode_666_less_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with part_file(tmp_path, "x-") as path:
            assert path.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)


def test_each_part_file_gets_a_new_name(tmp_path):
    with part_file(tmp_path, "x-") as first, part_file(tmp_path, "x-") as second:
        assert first != second


def test_a_part_file_is_removed_on_exit(tmp_path):
    with part_file(tmp_path, "x-") as path:
        path.write_bytes(b"half a download")
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_part_file_is_removed_when_the_block_raises(tmp_path):
    with pytest.raises(RuntimeError), part_file(tmp_path, "x-") as path:
        raise RuntimeError("interrupted")
    assert not path.exists()


def test_a_part_file_renamed_away_is_kept(tmp_path):
    target = tmp_path / "done.pdf"
    with part_file(tmp_path, "x-") as path:
        path.write_bytes(b"%PDF-")
        os.replace(path, target)
    assert target.read_bytes() == b"%PDF-"


# --- locked ------------------------------------------------------------------------------------


def test_the_lock_file_is_held_during_the_block_and_removed_after(tmp_path):
    lock = tmp_path / ".lock"
    with locked(lock):
        assert lock.is_file()
        assert not _can_lock(lock)
    assert not lock.exists()


def test_the_lock_file_is_removed_when_the_block_raises(tmp_path):
    lock = tmp_path / ".lock"
    with pytest.raises(RuntimeError), locked(lock):
        raise RuntimeError("interrupted")
    assert not lock.exists()


def test_a_waiter_takes_the_lock_after_the_holder_and_leaves_no_file(tmp_path):
    lock = tmp_path / ".lock"
    order: list[str] = []

    def wait_for_lock() -> None:
        with locked(lock):
            order.append("waiter")

    with locked(lock):
        waiter = threading.Thread(target=wait_for_lock)
        waiter.start()
        time.sleep(0.2)  # the waiter is blocked in flock by now
        order.append("holder")
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert order == ["holder", "waiter"]
    assert not lock.exists()


def test_still_named_is_true_for_the_file_the_path_names(tmp_path):
    path = tmp_path / "a"
    path.write_bytes(b"")
    with path.open("rb") as handle:
        assert _still_named(path, handle.fileno())


def test_still_named_is_false_once_the_path_is_gone(tmp_path):
    path = tmp_path / "a"
    path.write_bytes(b"")
    with path.open("rb") as handle:
        path.unlink()
        assert not _still_named(path, handle.fileno())


def test_still_named_is_false_once_the_path_names_another_file(tmp_path):
    path, other = tmp_path / "a", tmp_path / "b"
    path.write_bytes(b"")
    other.write_bytes(b"")
    with path.open("rb") as handle:
        os.replace(other, path)
        assert not _still_named(path, handle.fileno())


# --- remove_parts ------------------------------------------------------------------------------


def test_remove_parts_removes_the_part_files_of_every_prefix_and_nothing_else(tmp_path):
    stale = [tmp_path / ".download-1f2e.part", tmp_path / ".extract-99.part"]
    kept = [
        tmp_path / ".other-1.part",
        tmp_path / ".download-1f2e.pdf",
        tmp_path / "085_03_02.pdf",
        tmp_path / "sub" / ".download-2.part",
    ]
    for path in stale + kept:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")

    removed = remove_parts(tmp_path, [".download-", ".extract-"])

    assert sorted(removed) == sorted(stale)
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)


def test_a_part_file_already_gone_is_no_error(tmp_path):
    part = tmp_path / ".download-1f2e.part"
    part.write_bytes(b"x")
    removed = remove_parts(tmp_path, [".download-", ".down"])  # both prefixes match it
    assert set(removed) == {part}
    assert not part.exists()


def test_remove_parts_of_a_clean_folder_removes_nothing(tmp_path):
    assert remove_parts(tmp_path, [".download-"]) == []


# --- write_atomic and replace_all --------------------------------------------------------------


def test_write_atomic_replaces_the_file_and_returns_its_path(tmp_path):
    path = tmp_path / "out.json"
    path.write_bytes(b"old")
    assert write_atomic(path, b"new") == path
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_replace_all_makes_the_folders_and_returns_the_paths_in_order(tmp_path):
    out = tmp_path / "a" / "b"
    written = replace_all(out, {"z.csv": b"1", "a.parquet": b"2"})
    assert written == [out / "z.csv", out / "a.parquet"]
    assert (out / "z.csv").read_bytes() == b"1"
    assert (out / "a.parquet").read_bytes() == b"2"
    assert sorted(p.name for p in out.iterdir()) == ["a.parquet", "z.csv"]


def test_a_file_that_cannot_be_written_is_named_and_leaves_the_earlier_outputs(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"earlier a")
    (tmp_path / "b.csv").write_bytes(b"earlier b")
    (tmp_path / ".b.csv.tmp").mkdir()  # b.csv's temporary name is taken by a folder

    with pytest.raises(PipelineError) as raised:
        replace_all(tmp_path, {"a.csv": b"new a", "b.csv": b"new b"})

    assert str(raised.value) == f"{tmp_path}: cannot write outputs (Is a directory)"
    assert (tmp_path / "a.csv").read_bytes() == b"earlier a"
    assert (tmp_path / "b.csv").read_bytes() == b"earlier b"
    assert not (tmp_path / ".a.csv.tmp").exists()


def test_an_output_folder_that_is_a_file_is_named(tmp_path):
    out = tmp_path / "out"
    out.write_bytes(b"a file")
    with pytest.raises(PipelineError, match=rf"^{re.escape(str(out))}: cannot write outputs \("):
        replace_all(out, {"a.csv": b"1"})
    assert out.read_bytes() == b"a file"


def test_a_folder_in_the_way_of_a_later_file_is_named_before_any_file_is_replaced(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"earlier a")
    (tmp_path / "b.csv" / "inside").mkdir(parents=True)  # a folder, not empty, where b.csv goes

    with pytest.raises(PipelineError) as raised:
        replace_all(tmp_path, {"a.csv": b"new a", "b.csv": b"new b"})

    assert str(raised.value) == f"{tmp_path / 'b.csv'}: cannot write output (Is a directory)"
    assert (tmp_path / "a.csv").read_bytes() == b"earlier a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]
    assert (tmp_path / "b.csv" / "inside").is_dir()


def test_a_link_to_a_folder_where_a_file_goes_is_replaced_by_the_file(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "a.csv").symlink_to(tmp_path / "elsewhere")

    assert replace_all(tmp_path, {"a.csv": b"new a"}) == [tmp_path / "a.csv"]

    assert not (tmp_path / "a.csv").is_symlink()
    assert (tmp_path / "a.csv").read_bytes() == b"new a"
    assert (tmp_path / "elsewhere").is_dir()
