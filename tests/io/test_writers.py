"""Every output file: the umask's mode, no planted link followed, and a read-only folder or a full disk as one
error line that leaves what was there intact. Tests run as root in CI, where chmod does not stop writes, so a
read-only file system is made where the OS calls arise (os.open / open for writing raise EROFS)."""

from __future__ import annotations

import builtins
import errno
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from minilm.cli.main import main

TEXTS = ["the cat sat", "a happy dog", "the cat sat", "hello world"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Writes under `folder` fail with EROFS, as on a read-only mount; reads go through."""
    real_os_open, real_open = os.open, builtins.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def refuse(path: object) -> None:
        if str(path).startswith(str(folder)):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def os_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & writing:
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def open_(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(c in mode for c in "wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)


def test_outputs_get_the_umask_mode(tiny_dir: Path, tmp_path: Path, capsys, umask_022: None) -> None:
    source = tmp_path / "t.txt"
    source.write_text("\n".join(TEXTS) + "\n")
    model = ["-m", str(tiny_dir), "-e", "numpy"]
    for target in ("v.npy", "v.jsonl", "v.parquet"):
        assert run(capsys, "encode", *model, "-i", str(source), "-o", str(tmp_path / target))[0] == 0
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    assert run(capsys, "encode", *model, "-i", str(jsonl), "-o", str(tmp_path / "shards/"))[0] == 0
    assert run(capsys, "dedup", *model, "-i", str(source), "-o", str(tmp_path / "d.csv"))[0] == 0
    written = [tmp_path / n for n in ("v.npy", "v.jsonl", "v.parquet", "d.csv")] + sorted(
        (tmp_path / "shards").iterdir()
    )
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {p.name: "0o644" for p in written}


@pytest.mark.parametrize("target", ["v.npy", "v.jsonl", "v.parquet"])
def test_read_only_file_output_is_one_line(tiny_dir: Path, tmp_path: Path, capsys, monkeypatch,
                                           target: str) -> None:  # fmt: skip
    out = tmp_path / "ro"
    out.mkdir()
    (out / target).write_bytes(b"old")
    read_only(monkeypatch, out)
    code, stdout, err = run(capsys, "encode", "-m", str(tiny_dir), "-e", "numpy", *TEXTS, "-o", str(out / target))
    assert (code, stdout) == (1, "")
    assert (
        err == f"minilm encode: error: cannot write {out / target}: Read-only file system; nothing was written there\n"
    )
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == [target] and (out / target).read_bytes() == b"old"


def test_read_only_dedup_output_is_one_line(tiny_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    source = tmp_path / "t.txt"
    source.write_text("\n".join(TEXTS) + "\n")
    out = tmp_path / "ro"
    out.mkdir()
    read_only(monkeypatch, out)
    code, _, err = run(capsys, "dedup", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out / "d.csv"))
    assert (code, err) == (1, f"minilm dedup: error: cannot write {out / 'd.csv'}: Read-only file system; nothing "
                              "was written there\n")  # fmt: skip


def test_read_only_bulk_directory_is_one_line_and_resumes(tiny_dir: Path, tmp_path: Path, capsys,
                                                          monkeypatch) -> None:  # fmt: skip
    from minilm.bulk import encode_files

    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps({"text": f"{t} {n}"}) + "\n" for n, t in enumerate(TEXTS * 10)))
    out = tmp_path / "vectors"

    def stop(record: dict[str, object]) -> None:
        raise KeyboardInterrupt  # the run is stopped after its first shard

    with pytest.raises(KeyboardInterrupt):
        encode_files(source, out, model=str(tiny_dir), engine="numpy", shard_size=10, on_shard=stop)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    argv = ["encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out), "--shard-size", "10"]
    read_only(monkeypatch, out)
    code, _, err = run(capsys, *argv)
    assert code == 1 and err.startswith(f"minilm encode: error: cannot write {out / 'part-00001.parquet'}: "
                                        "Read-only file system") and err.count("\n") == 1, err  # fmt: skip
    assert "the 1 shards finished before it are kept: run the same command again to continue" in err
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert run(capsys, *argv) == (0, "", f"{out}: 40 rows in 4 shards (resumed, 3 written now)\n")


def test_planted_links_at_temporary_names_are_never_followed(tiny_dir: Path, tmp_path: Path, capsys) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    out = tmp_path / "vectors"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in (".manifest.json.tmp", ".part-00000.parquet.tmp", ".v.npy.tmp"):
        (out / name).symlink_to(victim)
    code, _, _ = run(capsys, "encode", "-m", str(tiny_dir), "-e", "numpy", "-i", str(source), "-o", str(out))
    assert code == 0 and victim.read_text() == "precious\n"
    assert run(capsys, "encode", "-m", str(tiny_dir), "-e", "numpy", "x", "-o", str(out / "v.npy"))[0] == 0
    assert victim.read_text() == "precious\n"
    (out / "link.npy").symlink_to(victim)
    code, _, err = run(capsys, "encode", "-m", str(tiny_dir), "-e", "numpy", "x", "-o", str(out / "link.npy"))
    assert (code, victim.read_text()) == (1, "precious\n") and "is a symbolic link" in err
