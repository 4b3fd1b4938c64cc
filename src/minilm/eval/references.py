"""Published scores to compare with, read from ../shared/data/REFERENCE_SCORES.md.

Only section 1 (the MTEB official results) is read: every Markdown table row whose first two cells are an MTEB
task and a split. Column headers map to minilm's score names ("cosine_spearman (main)" -> cosine_spearman,
"nDCG@10 (main)" -> ndcg_at_10, "Recall@100" -> recall_at_100); "-" cells are skipped. Values are fractions.
"""

from __future__ import annotations

import re
from pathlib import Path

from minilm.errors import DatasetError

References = dict[tuple[str, str], dict[str, float]]  # (task, split) -> {score name: published value}

_AT_K = re.compile(r"^(ndcg|map|mrr|recall)@(\d+)$", re.IGNORECASE)


def score_name(header: str) -> str | None:
    """minilm's name for a column header of the reference tables, or None for a non-score column."""
    h = header.replace("(main)", "").strip()
    if h in ("cosine_spearman", "cosine_pearson"):
        return h
    m = _AT_K.match(h)
    return f"{m.group(1).lower()}_at_{m.group(2)}" if m else None


def parse_references(text: str) -> References:
    """(task, split) -> published scores, from the Markdown of REFERENCE_SCORES.md's section 1."""
    section = text.split("\n## 1.", 1)[-1].split("\n## 2.", 1)[0]
    refs: References = {}
    header: list[str] = []
    for line in section.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("-: "):
            continue
        if not header:
            header = cells
            continue
        if len(cells) < 3 or header[1].lower() != "split":
            continue
        for name, cell in zip(header[2:], cells[2:], strict=False):
            key = score_name(name)
            if key is None or cell in ("-", ""):
                continue
            try:
                refs.setdefault((cells[0], cells[1]), {})[key] = float(cell)
            except ValueError:
                continue
    return refs


def read_references(path: str | Path) -> References:
    """Parse a REFERENCE_SCORES.md file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path} does not exist (MTEB's published scores, REFERENCE_SCORES.md in the data root; "
                           "or give --references FILE)") from None  # fmt: skip
    refs = parse_references(text)
    if not refs:
        raise DatasetError(f"{path} holds no '| task | split | ... |' score rows in its section 1")
    return refs
