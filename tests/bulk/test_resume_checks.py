"""A resumed bulk run trusts nothing the manifest lists without checking it: a deleted, renamed, truncated or
altered shard is written again, a hand-edited manifest of the wrong shape is refused naming the field, a full
disk is one error line with the finished shards kept, and --overwrite starts over in place."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from minilm.bulk import encode_files
from minilm.cli.main import main
from minilm.errors import InputError
from tests.bulk.conftest import corpus, read_output, write_jsonl

ROWS, SHARD = 100, 10
WHY = {  # why each damage makes the shard untrusted, as the resumed run logs it
    "_delete": "the file is missing",
    "_rename": "not a shard of this job's plan",
    "_truncate": "100 bytes, {size} recorded",
    "_flip": "its sha256 is not the one recorded",
    "_link": "not a regular file",
}


@pytest.fixture
def job(tiny_dir: Path, tmp_path: Path) -> tuple[list[str], Path, Path]:
    """(argv of a bulk run, its output, an unbroken run's output)."""
    source = write_jsonl(tmp_path / "c.jsonl", corpus(ROWS, seed=3))
    out = tmp_path / "vectors"
    argv = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out), "--shard-size",
            str(SHARD), "--with-text"]  # fmt: skip
    assert main(argv) == 0
    reference = tmp_path / "reference"
    encode_files(source, reference, model=str(tiny_dir), engine="numpy", shard_size=SHARD, with_text=True)
    return argv, out, reference


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def _edit(out: Path, change: Callable[[dict], object]) -> None:  # type: ignore[type-arg]
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    changed = change(data)
    path.write_text(json.dumps(changed if isinstance(changed, list) else data))


def _delete(out: Path) -> None:
    (out / "part-00003.parquet").unlink()


def _rename(out: Path) -> None:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        data["shards"][3]["file"] = "part-00099.parquet"

    _edit(out, change)


def _truncate(out: Path) -> None:
    os.truncate(out / "part-00003.parquet", 100)


def _flip(out: Path) -> None:
    path = out / "part-00003.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    path.write_bytes(bytes(data))


def _link(out: Path) -> None:
    path = out / "part-00003.parquet"
    keep = out.parent / "elsewhere.parquet"
    path.rename(keep)
    path.symlink_to(keep)


@pytest.mark.parametrize("damage", [_delete, _rename, _truncate, _flip, _link],
                         ids=["deleted", "renamed-in-manifest", "truncated", "altered", "symlink"])  # fmt: skip
def test_a_damaged_listed_shard_is_written_again(job, capsys, caplog, damage: Callable[[Path], None]) -> None:  # type: ignore[no-untyped-def]
    argv, out, reference = job
    size = json.loads((out / "manifest.json").read_text())["shards"][3]["bytes"]
    damage(out)
    code, err = run(capsys, argv)
    assert (code, err) == (0, f"{out}: {ROWS} rows in {ROWS // SHARD} shards (resumed, 1 written now)\n")
    assert [r.getMessage() for r in caplog.records if "writing it again" in r.getMessage()] == [
        f"{out}: shard 3 ('{'part-00099' if damage is _rename else 'part-00003'}.parquet'): "
        f"{WHY[damage.__name__].format(size=size)}; writing it again"]  # fmt: skip
    assert read_output(out).equals(read_output(reference))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and [s["file"] for s in manifest["shards"]] == [f"part-{n:05d}.parquet" for n in
                                                                             range(10)]  # fmt: skip
    assert not (out / "part-00003.parquet").is_symlink()


def test_index_add_refuses_a_shard_that_is_gone(job, tiny_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = job
    (out / "part-00004.parquet").unlink()
    assert main(["index", "create", str(tmp_path / "ix"), "-m", str(tiny_dir)]) == 0
    capsys.readouterr()
    code, err = run(capsys, ["index", "add", str(tmp_path / "ix"), "--vectors", str(out)])
    assert (code, err) == (1, f"minilm index: error: {out}: shard 4 ('part-00004.parquet'): the file is missing; "
                              "rerun the same `minilm encode` command to write it again\n")  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: [], "holds a JSON array, expected an object (a bulk manifest)"),
        (lambda d: d.update(shards="oops"), "field 'shards' is a JSON string ('oops'), expected array"),
        (lambda d: d.update(rows="100"), "field 'rows' is a JSON string ('100'), expected integer"),
        (
            lambda d: d["shards"][0].update(index=None),
            "field 'shards[0].index' is a JSON null (None), expected integer",
        ),
        (lambda d: d["shards"].__setitem__(1, 5), "field 'shards[1]' is a JSON integer, expected an object"),
        (lambda d: d["inputs"][0].pop("size"), "field 'inputs[0].size' is missing"),
        (lambda d: d.update(with_text=1), "field 'with_text' is a JSON integer (1), expected boolean"),
        (lambda d: d.update(ranges=[["a"] * 8, [1] * 8]), "field 'ranges' is not [[min, ...], [max, ...]] of 8"),
    ],
    ids=[
        "array",
        "shards-string",
        "rows-string",
        "index-null",
        "shard-int",
        "input-size-missing",
        "flag-int",
        "ranges-strings",
    ],
)
def test_a_hand_edited_manifest_of_the_wrong_shape_is_refused_by_name(job, capsys, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    argv, out, _ = job
    _edit(out, edit)
    code, err = run(capsys, argv)
    assert code == 1 and err.startswith(f"minilm encode: error: {out / 'manifest.json'}") and err.count("\n") == 1
    assert message in err, err
    code, err = run(capsys, [*argv, "--overwrite"])
    assert (code, err) == (0, f"{out}: {ROWS} rows in {ROWS // SHARD} shards ({ROWS // SHARD} written now)\n")


def test_other_settings_are_refused_unless_overwrite(job, capsys) -> None:  # type: ignore[no-untyped-def]
    argv, out, _ = job
    code, err = run(capsys, [*argv, "--precision", "int8"])
    assert code == 1 and "or --overwrite to start over in this one" in err
    (out / "notes.md").write_text("mine\n")
    code, err = run(capsys, [*argv, "--precision", "int8", "--overwrite"])
    assert (code, err) == (0, f"{out}: {ROWS} rows in {ROWS // SHARD} shards ({ROWS // SHARD} written now)\n")
    assert json.loads((out / "manifest.json").read_text())["precision"] == "int8"
    assert (out / "notes.md").read_text() == "mine\n"  # only the job's own files are removed


def test_a_full_disk_is_one_line_keeps_the_finished_shards_and_resumes(job, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    argv, out, reference = job
    for n in range(5, 10):
        (out / f"part-{n:05d}.parquet").unlink()
    real = os.fsync

    def fsync(fd: int) -> None:
        if ".part-00006.parquet." in os.readlink(f"/proc/self/fd/{fd}"):  # the disk fills up at shard 6
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code, err = run(capsys, argv)
    monkeypatch.undo()
    last = err.strip().splitlines()[-1]
    assert code == 1 and last.startswith(f"minilm encode: error: cannot write {out / 'part-00006.parquet'}: No space "
                                         "left on device"), err  # fmt: skip
    assert last.endswith("the 6 shards finished before it are kept: run the same command again to continue")
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    assert len(json.loads((out / "manifest.json").read_text())["shards"]) == 6
    code, err = run(capsys, argv)
    assert (code, err) == (0, f"{out}: {ROWS} rows in {ROWS // SHARD} shards (resumed, 4 written now)\n")
    assert read_output(out).equals(read_output(reference))


def test_bulk_progress_bar_only_on_a_terminal_and_not_quiet(tiny_dir: Path, tmp_path: Path, capsys,
                                                           monkeypatch) -> None:  # fmt: skip
    import sys

    source = write_jsonl(tmp_path / "c.jsonl", corpus(1100, seed=4))
    argv = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "--shard-size", "500"]
    assert main([*argv, "-o", str(tmp_path / "a")]) == 0
    assert "encoding" not in capsys.readouterr().err  # stderr is not a terminal here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main([*argv, "-o", str(tmp_path / "b")]) == 0
    shown = capsys.readouterr().err
    assert "encoding:" in shown and "/1100 [" in shown
    assert main(["-q", *argv, "-o", str(tmp_path / "c")]) == 0
    assert "encoding" not in capsys.readouterr().err


def test_stdin_is_refused_for_bulk(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="reads its input twice"):
        encode_files("-", tmp_path / "o", model=str(tiny_dir), engine="numpy")
