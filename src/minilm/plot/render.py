"""Writing a cluster map to a file: the renderer chosen by the file's suffix (.png: matplotlib, .html: a
self-contained page), and the checks made before any work starts."""

from __future__ import annotations

from pathlib import Path

from minilm.errors import InputError
from minilm.extras import require
from minilm.plot.cluster_map import ClusterMap

SUFFIXES = (".png", ".html", ".htm")


def check_map_path(path: str | Path) -> None:
    """Refuse, before any work is done, a file name save_map cannot write and a renderer whose extra is missing
    (the projection needs the index extra, a .png the plot extra): MissingExtraError with the install line."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"--plot {path}: expected a .png or .html file name")
    require("index", f"--plot {path} (its projection)")
    if suffix == ".png":
        require("plot", f"--plot {path}")


def save_map(drawn: ClusterMap, path: str | Path, title: str | None = None) -> Path:
    """Write the map to `path`: .png (matplotlib) or .html (a self-contained page: canvas and inline script)."""
    check_map_path(path)
    path = Path(path)
    title = title or f"{len(drawn.texts):,} texts, {len(drawn.labels)} clusters ({drawn.projection.upper()})"
    if path.suffix.lower() == ".png":
        from minilm.plot.png import write_png

        write_png(drawn, path, title)
    else:
        from minilm.plot.html import write_html

        write_html(drawn, path, title)
    return path
