"""`minilm cluster`: k-means or community detection, each cluster's size and most central texts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from minilm.cli.collection import add_collection_options, load_collection, write_rows
from minilm.cli.options import cosine, positive_int
from minilm.extras import install_line, require


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "cluster",
        help="cluster texts",
        description="k-means (k given, or chosen by silhouette) or community detection.",
    )
    add_collection_options(parser)
    parser.add_argument("--algorithm", choices=("kmeans", "communities"), default="kmeans")
    parser.add_argument("-k", type=positive_int, default=None, help="k-means clusters (default: chosen by silhouette)")
    parser.add_argument("--max-k", type=positive_int, default=20, help="largest k tried when choosing (default 20)")
    parser.add_argument("-t", "--threshold", type=cosine, default=0.75, help="communities: cosine (default 0.75)")
    parser.add_argument("--min-size", type=positive_int, default=10, help="communities: smallest size (default 10)")
    parser.add_argument(
        "--central", type=positive_int, default=3, help="most central texts shown per cluster (default 3)"
    )
    parser.add_argument("--members", action="store_true", help="write one row per text (cluster, id, text) instead")
    parser.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help=f"also draw the cluster map: .png ({install_line('plot')}) or .html (self-contained)",
    )
    parser.add_argument("--projection", choices=("auto", "pca", "tsne"), default="auto",
                        help="--plot's 2D projection (auto: t-SNE up to 10,000 texts, else PCA)")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from minilm.index.cluster import communities, kmeans

    if args.plot:  # a missing extra or a wrong file name is said before any work
        from minilm.plot import check_map_path

        check_map_path(args.plot)
    if args.algorithm == "kmeans":
        require("index", "minilm cluster --algorithm kmeans")
    ids, texts, vectors = load_collection(args)
    if args.algorithm == "kmeans":
        clusters = kmeans(vectors, args.k, range(2, args.max_k + 1), show_progress=None)
    else:
        clusters = communities(vectors, args.threshold, args.min_size, args.method, show_progress=None)
    if args.members:
        rows = [{"cluster": c, "id": ids[m], "text": texts[m]} for c, cl in enumerate(clusters) for m in cl.members]
        write_rows(args.output, rows, ["cluster", "id", "text"])
    else:
        rows = [{"cluster": c, "size": cl.size, "central_ids": [ids[m] for m in cl.members[: args.central]],
                 "central_texts": [texts[m] for m in cl.members[: args.central]]}
                for c, cl in enumerate(clusters)]  # fmt: skip
        if args.output and args.output.lower().endswith(".csv"):
            rows = [{**r, "central_ids": json.dumps(r["central_ids"]),
                     "central_texts": json.dumps(r["central_texts"], ensure_ascii=False)} for r in rows]  # fmt: skip
        write_rows(args.output, rows, ["cluster", "size", "central_ids", "central_texts"])
    if args.plot:
        from minilm.plot import cluster_map, save_map

        save_map(cluster_map(texts, vectors, clusters, args.projection), args.plot)
        print(f"cluster map written to {args.plot}", file=sys.stderr)
    clustered = sum(c.size for c in clusters)
    print(f"{len(clusters)} clusters covering {clustered} of {len(ids)} texts", file=sys.stderr)
    return 0
