"""`minilm eval`: score a model on STS, BEIR retrieval and clustering benchmarks; print and save the report.

minilm eval sts [PATH]         STS-B, SICK, STS12-16 layouts (default DATA/stsbenchmark)
minilm eval retrieval [PATH]   a BEIR folder (default DATA/scifact), --split test
minilm eval cluster [PATH]     AG News csv or folder (default DATA/ag_news); needs minilm[eval]
minilm eval all [DATA]         the whole suite under DATA, compared to the published scores

DATA, the folder holding the data sets, is --data DIR, else $MINILM_EVAL_DATA, else ../shared/data; a missing
data set is named with the files it needs and where they come from (docs/evaluation.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from minilm.cli.options import add_model_options, load_model

DEFAULT_PATHS = {"sts": "stsbenchmark", "retrieval": "scifact", "cluster": "ag_news", "all": ""}
TITLES = {"sts": "STS", "retrieval": "retrieval", "cluster": "clustering", "all": "full suite"}


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("eval", help="evaluate on STS, retrieval and clustering benchmarks",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for task in DEFAULT_PATHS:
        p = tasks.add_parser(task, help=TITLES[task])
        p.add_argument("path", nargs="?", default=None,
                       help=f"dataset (default: DATA/{DEFAULT_PATHS[task]})" if task != "all" else "DATA")  # fmt: skip
        p.add_argument("--data", default=None, metavar="DIR", help="the folder holding the data sets "
                       "(default: $MINILM_EVAL_DATA, else ../shared/data)")  # fmt: skip
        if task in ("sts", "retrieval"):
            p.add_argument("--split", default="test", help="split to score (default: test)")
        if task in ("cluster", "all"):
            p.add_argument("--seeds", type=int, default=10, help="k-means runs (seeds 0..N-1) averaged")
        p.add_argument("-o", "--output-dir", default="results/eval", help="where NAME.md and NAME.json go")
        p.add_argument("--cache", default=None, help="folder caching embeddings per (weights, engine, texts)")
        p.add_argument("--references", default=None,
                       help="published scores (default: REFERENCE_SCORES.md beside the data)")  # fmt: skip
        p.add_argument("-b", "--batch-size", type=int, default=32)
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress bars on stderr (default: on a terminal, unless -q)")  # fmt: skip
        add_model_options(p)
        p.set_defaults(func=run)


def _results(args: argparse.Namespace, model: Any, path: Path) -> list[Any]:
    from minilm import eval as ev

    common = {"cache_dir": args.cache, "batch_size": args.batch_size, "show_progress": args.progress}
    if args.task == "sts":
        return [ev.evaluate_sts(model, pairs, **common) for pairs in ev.load_sts(path, args.split)]
    if args.task == "retrieval":
        return [ev.evaluate_retrieval(model, ev.read_beir(path, args.split), **common)]
    if args.task == "cluster":
        return [ev.evaluate_clustering(model, ev.read_ag_news(path), args.seeds, **common)]
    return ev.run_suite(model, path, seeds=args.seeds, **common)


def _check_data(task: str, path: Path, given: bool) -> None:
    """Refuse before the model loads when a data set (or the clustering extra) is missing."""
    from minilm import extras
    from minilm.eval.locations import require_data
    from minilm.eval.suite import SUITE

    if task == "all":
        require_data([(folder, path / folder) for _, folder in SUITE])
        return
    require_data([(path.name if given else DEFAULT_PATHS[task], path)])
    if task == "cluster":
        extras.require("eval", "minilm eval cluster")


def run(args: argparse.Namespace) -> int:
    from minilm.eval.locations import data_root
    from minilm.eval.references import read_references
    from minilm.eval.report import comparison, run_meta, to_markdown, write_report

    data = data_root(args.data)
    path = Path(args.path) if args.path else data / DEFAULT_PATHS[args.task]
    _check_data(args.task, path, args.path is not None)
    refs_path = (
        Path(args.references) if args.references else (path if args.task == "all" else data) / "REFERENCE_SCORES.md"
    )
    start = time.perf_counter()
    model = load_model(args)
    results = _results(args, model, path)
    meta = run_meta(model.info(), time.perf_counter() - start)
    meta["data"] = str(path)
    compared = None
    if args.references or refs_path.is_file():
        compared = comparison(results, read_references(refs_path))
        meta["references"] = str(refs_path)
    engine = model.info()["engine"]
    name = f"all-{engine}" if args.task == "all" else f"{args.task}-{path.stem}-{engine}"
    title = f"minilm evaluation: {TITLES[args.task]} ({engine} engine)"
    md, js = write_report(args.output_dir, name, title, meta, results, compared)
    sys.stdout.write(to_markdown(title, meta, results, compared))
    print(f"wrote {md} and {js}", file=sys.stderr)
    return 0
