"""The README's "Corpora larger than memory" block runs verbatim (its pip line aside: the test environment has
the extras) in an empty folder, with the default model, and ends with the shards in an index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bulk_block() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Corpora larger than memory", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1).splitlines()


def test_the_block_names_its_extras_and_the_text_the_index_needs() -> None:
    lines = bulk_block()
    assert lines[0].startswith("pip install -e '.[parquet,index]'")
    encodes = [line for line in lines if line.startswith("minilm encode")]
    assert encodes and all("--with-text" in line for line in encodes)
    assert not any("s3://" in line or "--ray" in line for line in lines)


@pytest.mark.integration
def test_the_block_runs_verbatim(real_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script = "\n".join(line for line in bulk_block() if not line.startswith("pip install"))
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
               HOME=str(tmp_path), HF_HUB_OFFLINE="1")  # fmt: skip
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "added 2, replaced 0, unchanged 0 documents from vectors/ (no embedding)"
    assert "vectors: 2 rows in 1 shards (resumed, 0 written now)" in done.stderr
