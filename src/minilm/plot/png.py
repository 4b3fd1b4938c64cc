"""The cluster map as a PNG, drawn with matplotlib's object API (no pyplot state, no display needed)."""

from __future__ import annotations

from pathlib import Path

from minilm.extras import missing_module
from minilm.plot.cluster_map import UNCLUSTERED, ClusterMap

SIZE_INCHES, DPI = (10.0, 7.5), 120  # 1200 x 900 pixels


def write_png(drawn: ClusterMap, path: Path, title: str) -> None:
    """Points (rasterized: 100,000 stay a small file), then one framed label per cluster on top."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise missing_module("plot", "--plot .png", exc) from None
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.2, h_pad=0.15)  # type: ignore[union-attr,call-arg]  # inches of margin
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    size, alpha = drawn.point_size, drawn.point_alpha
    loose = drawn.cluster < 0
    if loose.any():
        ax.scatter(
            drawn.xy[loose, 0], drawn.xy[loose, 1], s=size, c=UNCLUSTERED, alpha=alpha, linewidths=0, rasterized=True
        )
    for label in drawn.labels:
        mine = drawn.cluster == label.cluster
        ax.scatter(
            drawn.xy[mine, 0], drawn.xy[mine, 1], s=size, c=label.colour, alpha=alpha, linewidths=0, rasterized=True
        )
    for label in drawn.labels:
        frame = {"boxstyle": "round,pad=0.3", "fc": "white", "ec": label.colour, "lw": 1.2, "alpha": 0.85}
        ax.annotate(f"{label.text}  ({label.size:,})", (label.x, label.y), fontsize=8, ha="center", va="center",
                    color="#1d2430", gid=f"label-{label.cluster}", bbox=frame)  # fmt: skip
    ax.set_title(title, fontsize=11, loc="left", pad=10)
    ax.set_axis_off()
    fig.savefig(path, dpi=DPI, facecolor="white")
