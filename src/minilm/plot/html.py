"""The cluster map as one self-contained HTML file: the data inline as JSON, drawn on a canvas by the inline
script of map.html (next to this module); no network, no CDN. Hovering a point shows its text."""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path

import numpy as np

from minilm.plot.cluster_map import UNCLUSTERED, ClusterMap

GRID = 1000  # coordinates are scaled to [0, GRID] and kept to one decimal: small files, sub-pixel positions


def map_data(drawn: ClusterMap) -> dict[str, object]:
    """What the page's script reads: points [x, y, cluster], texts, labels, colours and marker style."""
    low = drawn.xy.min(axis=0) if len(drawn.xy) else np.zeros(2)
    span = np.maximum(drawn.xy.max(axis=0) - low, 1e-9) if len(drawn.xy) else np.ones(2)

    def scaled(xy: np.ndarray) -> list[list[float]]:
        return np.round((xy - low) / span * GRID, 1).tolist()

    anchors = scaled(np.array([[lb.x, lb.y] for lb in drawn.labels]).reshape(-1, 2))
    return {
        "points": [[x, y, c] for (x, y), c in zip(scaled(drawn.xy), drawn.cluster.tolist(), strict=True)],
        "texts": drawn.texts,
        "labels": [
            {"text": lb.text, "size": lb.size, "colour": lb.colour, "x": x, "y": y}
            for lb, (x, y) in zip(drawn.labels, anchors, strict=True)
        ],
        "unclustered": UNCLUSTERED,
        "pointSize": drawn.point_size,
        "alpha": drawn.point_alpha,
        "grid": GRID,
    }


def write_html(drawn: ClusterMap, path: Path, title: str) -> None:
    template = resources.files("minilm.plot").joinpath("map.html").read_text(encoding="utf-8")
    # JSON inside <script type="application/json">: "</" escaped so no text can close the element early
    data = json.dumps(map_data(drawn), ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    page = template.replace("__TITLE__", html.escape(title)).replace("__DATA__", data)
    path.write_text(page, encoding="utf-8")
