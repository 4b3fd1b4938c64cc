"""The cluster map: texts as points in 2D coloured by cluster, each cluster labelled by its most central text.

`cluster_map` computes everything a picture needs (coordinates, each text's cluster, the labels and where they
go, point size and opacity for N); `save_map` (render.py) hands it to the PNG or the HTML renderer.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from minilm.errors import InputError
from minilm.plot.projection import chosen, project

# Ten well-separated colours for the first clusters; past ten, hues spread by the golden angle.
BASE_COLOURS = ["#3b6fd8", "#e4572e", "#29a35a", "#a04ccf", "#f0a202", "#1fa7b8", "#d6336c", "#7a8b2c",
                "#8c5a3c", "#5a6270"]  # fmt: skip
UNCLUSTERED = "#c3c8d0"


@dataclass(frozen=True)
class ClusterLabel:
    """One cluster's label: its most central text (truncated), where it goes, its size and colour."""

    cluster: int
    text: str
    x: float
    y: float
    size: int
    colour: str


@dataclass(frozen=True)
class ClusterMap:
    """What a cluster map draws. xy (N, 2); cluster (N,) the index into `labels`, -1 for texts in no cluster."""

    xy: np.ndarray
    cluster: np.ndarray
    labels: list[ClusterLabel]
    texts: list[str]
    projection: str

    @property
    def point_size(self) -> float:
        """Marker area in points², shrinking with N so 10 points read as dots and 100,000 as a density."""
        return float(np.clip(300 / math.sqrt(max(len(self.texts), 1)), 0.4, 60))

    @property
    def point_alpha(self) -> float:
        """Marker opacity: opaque for a few points, translucent when they pile up."""
        return float(np.clip(30 / math.sqrt(max(len(self.texts), 1)), 0.15, 0.9))


def palette(n: int) -> list[str]:
    """n distinct colours as #rrggbb."""
    colours = BASE_COLOURS[:n]
    for i in range(len(colours), n):
        r, g, b = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.48, 0.62)
        colours.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
    return colours


def shorten(text: str, chars: int) -> str:
    """One line of at most `chars` characters, cut at a word boundary with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= chars:
        return line
    cut = line[: chars - 1].rsplit(" ", 1)[0] if " " in line[: chars - 1] else line[: chars - 1]
    return cut.rstrip(" ,;:.-") + "…"


def cluster_map(texts: Sequence[str], vectors: np.ndarray, clusters: Sequence[Any], projection: str = "auto",
                seed: int = 0, label_chars: int = 40) -> ClusterMap:  # fmt: skip
    """Project `vectors` (N, D) to 2D and place one label per cluster.

    clusters: objects with `members` (indices into texts, most central first), as minilm.index.cluster gives.
    The label sits on the member nearest the cluster's 2D median, so it lands on the cluster's points.
    """
    if len(texts) != len(vectors):
        raise InputError(f"{len(texts)} texts but {len(vectors)} vectors; expected one vector per text")
    xy = project(vectors, projection, seed)  # (N, 2)
    assignment = np.full(len(texts), -1, dtype=np.int64)
    colours = palette(len(clusters))
    anchors, labels = [], []
    for c, cl in enumerate(clusters):
        members = np.asarray(cl.members, dtype=np.int64)
        if len(members) == 0:
            raise InputError(f"cluster {c} has no members")
        assignment[members] = c
        points = xy[members]  # (M, 2)
        anchor = members[np.argmin(np.linalg.norm(points - np.median(points, axis=0), axis=1))]
        anchors.append(xy[anchor])
        labels.append(shorten(texts[members[0]], label_chars))
    placed = spread_labels(np.array(anchors).reshape(-1, 2), labels, xy)
    out = [ClusterLabel(c, text, float(x), float(y), len(cl.members), colours[c])
           for c, (cl, text, (x, y)) in enumerate(zip(clusters, labels, placed.tolist(), strict=True))]  # fmt: skip
    return ClusterMap(xy, assignment, out, list(texts), chosen(projection, len(texts)))


def spread_labels(anchors: np.ndarray, labels: list[str], xy: np.ndarray, rounds: int = 100) -> np.ndarray:
    """Label positions (K, 2) near their anchors with no two label boxes overlapping: overlapping pairs are
    pushed apart vertically. Box sizes are estimated for the PNG's frame (1200 px wide, 8 pt text)."""
    if len(anchors) < 2:
        return anchors
    low, span = xy.min(axis=0), np.maximum(np.ptp(xy, axis=0), 1e-9)
    pos = (anchors - low) / span  # (K, 2) in [0, 1]
    half_w = (np.array([len(t) + 8 for t in labels]) * 0.0055 + 0.01) / 2  # (K,)
    height = 0.04
    for _ in range(rounds):
        moved = False
        for i in range(len(pos)):
            for j in range(i + 1, len(pos)):
                dx, dy = abs(pos[i, 0] - pos[j, 0]), pos[j, 1] - pos[i, 1]
                if dx < half_w[i] + half_w[j] and abs(dy) < height:
                    push = (height - abs(dy)) / 2 + 1e-4
                    sign = 1.0 if dy >= 0 else -1.0
                    pos[i, 1] -= sign * push
                    pos[j, 1] += sign * push
                    moved = True
        if not moved:
            break
    return low + pos * span
