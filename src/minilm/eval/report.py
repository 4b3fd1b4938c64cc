"""Reports: the scores of a run as Markdown (for people) and JSON (for tools), and the published comparison.

Scores are stored as fractions (as MTEB stores them) and shown x100 with two decimals, as the MTEB leaderboard
and paper show them; deltas are ours - published, x100.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minilm.eval.references import References
from minilm.eval.result import TaskResult


def comparison(results: Sequence[TaskResult], refs: References) -> list[dict[str, Any]]:
    """One row per score that has a published value: task, split, metric, published, ours, delta (fractions)."""
    rows = []
    for r in results:
        published = refs.get((r.task, r.split), {})
        names = [r.main] + [n for n in r.scores if n != r.main]
        for name in names:
            if name in published:
                rows.append({
                    "task": r.task, "split": r.split, "metric": name, "main": name == r.main,
                    "published": published[name], "ours": r.scores[name], "delta": r.scores[name] - published[name],
                })  # fmt: skip
    return rows


def _x100(value: float, signed: bool = False) -> str:
    return f"{100 * value:+.2f}" if signed else f"{100 * value:.2f}"


def to_markdown(title: str, meta: dict[str, Any], results: Sequence[TaskResult],
                compared: list[dict[str, Any]] | None = None) -> str:  # fmt: skip
    """The report as Markdown: the run's facts, a table of scores and, if given, the published comparison."""
    lines = [f"# {title}", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "## Scores (x100)", "", "| task | split | size | main score | value | other scores | seconds |",
              "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for r in results:
        others = ", ".join(f"{n} {_x100(v)}" for n, v in r.scores.items() if n != r.main)
        lines.append(f"| {r.task} | {r.split} | {r.size:,} | {r.main} | {_x100(r.main_score)} | {others} | "
                     f"{r.seconds:.1f} |")  # fmt: skip
    if compared:
        lines += ["", "## Compared with the published figures (x100; delta = ours - published)", "",
                  "| task | split | metric | published | ours | delta |",
                  "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for row in compared:
            metric = f"**{row['metric']}**" if row["main"] else row["metric"]
            lines.append(f"| {row['task']} | {row['split']} | {metric} | {_x100(row['published'])} | "
                         f"{_x100(row['ours'])} | {_x100(row['delta'], signed=True)} |")  # fmt: skip
    if compared is not None:
        missing = [r.task for r in results if not any(c["task"] == r.task for c in compared)]
        if missing:
            lines += ["", f"No published figure for: {', '.join(missing)}."]
    return "\n".join(lines) + "\n"


def run_meta(model_info: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Facts about a run worth keeping next to its scores."""
    from minilm.version import __version__

    return {
        "model": model_info.get("model"),
        "weights sha256": model_info.get("sha256"),
        "engine": model_info.get("engine"),
        "threads": model_info.get("threads"),
        "minilm": __version__,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}",
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall time": f"{seconds:.1f} s",
    }


def write_report(out_dir: str | Path, name: str, title: str, meta: dict[str, Any], results: Sequence[TaskResult],
                 compared: list[dict[str, Any]] | None = None) -> tuple[Path, Path]:  # fmt: skip
    """Write NAME.md and NAME.json in out_dir (created if needed); returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md_path, json_path = out / f"{name}.md", out / f"{name}.json"
    md_path.write_text(to_markdown(title, meta, results, compared), encoding="utf-8")
    payload = {"title": title, "meta": meta, "results": [r.to_dict() for r in results]}
    if compared is not None:
        payload["comparison"] = compared
    json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return md_path, json_path
