"""The cluster map: AG News titles drawn to PNG and HTML, labels one per cluster, sizes legible for any N."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from minilm.cli.main import main
from minilm.errors import InputError
from minilm.index.cluster import Cluster, kmeans
from minilm.plot import ClusterMap, cluster_map, save_map
from minilm.plot.cluster_map import palette, shorten
from tests.conftest import DATA
from tests.ui.browser import chromium


@pytest.fixture(scope="module")
def ag_news(real_model) -> tuple[list[str], np.ndarray]:  # type: ignore[no-untyped-def]
    """The first 600 AG News test titles and their vectors."""
    with (DATA / "ag_news" / "test.csv").open(newline="", encoding="utf-8") as f:
        titles = [row[1] for row, _ in zip(csv.reader(f), range(600), strict=False)]
    return titles, real_model.encode(titles)


def colour_pixels(pixels: np.ndarray, hex_colour: str) -> int:
    """Pixels (H, W, 3 in [0, 1]) within a small distance of a colour, alpha-blended on white included."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    # a translucent marker on white lies on the segment white -> colour: measure the distance to that line
    direction = (rgb - 1.0) / np.linalg.norm(rgb - 1.0)
    offset = pixels - 1.0
    along = offset @ direction
    distance = np.linalg.norm(offset - along[..., None] * direction, axis=-1)
    return int(np.sum((distance < 0.03) & (along > 0.25)))


@pytest.mark.integration
def test_ag_news_titles_to_png(ag_news, tmp_path: Path) -> None:
    titles, vectors = ag_news
    clusters = kmeans(vectors, 4)
    drawn = cluster_map(titles, vectors, clusters, projection="pca")
    path = save_map(drawn, tmp_path / "map.png")
    pixels = image.imread(path)[..., :3]  # (H, W, 3) float in [0, 1]
    assert pixels.shape == (900, 1200, 3)
    assert np.mean(np.any(pixels < 0.95, axis=-1)) > 0.02  # not blank: points and labels drawn
    # one label per cluster: its most central title, its size, its own colour, and that colour on the image
    assert [lb.cluster for lb in drawn.labels] == [0, 1, 2, 3]
    assert [lb.text for lb in drawn.labels] == [shorten(titles[c.members[0]], 40) for c in clusters]
    assert [lb.size for lb in drawn.labels] == [c.size for c in clusters]
    assert len({lb.colour for lb in drawn.labels}) == 4
    assert all(colour_pixels(pixels, lb.colour) > 200 for lb in drawn.labels)
    assert np.array_equal(np.sort(np.concatenate([c.members for c in clusters])), np.arange(len(titles)))
    assert set(drawn.cluster.tolist()) == {0, 1, 2, 3}


def test_labels_do_not_overlap_and_sit_near_their_cluster() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [0.2, 0.1], [0.3, -0.1], [5, 5]])  # three crowded clusters, one apart
    vectors = np.concatenate([c + 0.3 * rng.standard_normal((50, 2)) for c in centres]).astype(np.float32)
    clusters = [Cluster(list(range(i * 50, i * 50 + 50))) for i in range(4)]
    texts = [f"text number {i} of a cluster" for i in range(200)]
    drawn = cluster_map(texts, vectors, clusters, projection="pca")
    xy = (np.array([[lb.x, lb.y] for lb in drawn.labels]) - drawn.xy.min(0)) / np.ptp(drawn.xy, 0)
    for i in range(4):
        for j in range(i + 1, 4):
            close_x = abs(xy[i, 0] - xy[j, 0]) < 0.15
            assert not close_x or abs(xy[i, 1] - xy[j, 1]) >= 0.039, (i, j, xy)


def test_marker_size_and_opacity_scale_with_the_number_of_points(tmp_path: Path) -> None:
    def synthetic(n: int) -> ClusterMap:
        rng = np.random.default_rng(n)
        xy = rng.standard_normal((n, 2)).astype(np.float32)
        clusters = [Cluster(list(range(0, n, 2))), Cluster(list(range(1, n, 2)))]
        return cluster_map([f"t{i}" for i in range(n)], xy, clusters, projection="pca")

    small, large = synthetic(10), synthetic(100_000)
    assert small.point_size > 10 * large.point_size and small.point_alpha > 3 * large.point_alpha
    for drawn, name in ((small, "small.png"), (large, "large.png")):
        path = save_map(drawn, tmp_path / name)
        assert 10_000 < path.stat().st_size < 2_000_000  # 100,000 points rasterized: still a small file
        assert np.mean(np.any(image.imread(path)[..., :3] < 0.95, axis=-1)) > 0.003


@pytest.mark.integration
def test_html_map_is_self_contained_and_draws_in_a_browser(ag_news, tmp_path: Path) -> None:
    titles, vectors = ag_news
    titles = [*titles[:99], "</script><b>a title that tries to end the script</b>"]
    drawn = cluster_map(titles, vectors[:100], kmeans(vectors[:100], 3), projection="tsne")
    assert drawn.projection == "tsne"
    path = save_map(drawn, tmp_path / "map.html")
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing fetched: no CDN, works offline
    raw = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert raw is not None
    data = json.loads(raw.group(1))
    assert len(data["points"]) == 100 and [lb["text"] for lb in data["labels"]] == [lb.text for lb in drawn.labels]
    assert data["texts"][-1] == titles[-1]

    browser = chromium(tmp_path / "profile")
    try:
        browser.get(path.as_uri())
        painted = browser.execute_script(
            "const c = document.getElementById('map');"
            "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n;"
        )
        legend = browser.execute_script("return [...document.querySelectorAll('#legend li')].map(li => li.textContent)")
    finally:
        browser.quit()
    assert painted > 2000
    assert len(legend) == 3 and all(lb.text in item for lb, item in zip(drawn.labels, legend, strict=True))


def test_cli_cluster_writes_the_map(tiny_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = tmp_path / "texts.txt"
    words = ["the cat sat on the mat", "a happy dog", "hello world", "today is a sunny day", "the dog is happy"]
    lines.write_text("\n".join(f"{w} {i}" for i in range(6) for w in words) + "\n")
    for name in ("map.png", "map.html"):
        code = main(["cluster", "-i", str(lines), "-m", str(tiny_dir), "-k", "3", "--plot", str(tmp_path / name)])
        _, err = capsys.readouterr()
        assert code == 0 and err == f"cluster map written to {tmp_path / name}\n3 clusters covering 30 of 30 texts\n"
        assert (tmp_path / name).stat().st_size > 5_000
    code = main(["cluster", "-i", str(lines), "-m", str(tiny_dir), "--plot", str(tmp_path / "map.jpg")])
    assert code != 0 and "--plot" in capsys.readouterr().err and not (tmp_path / "map.jpg").exists()


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="3 texts but 2 vectors"):
        cluster_map(["a", "b", "c"], np.zeros((2, 4), np.float32), [])
    with pytest.raises(InputError, match="projection 'umap' is unknown"):
        cluster_map(["a", "b", "c", "d"], np.eye(4, dtype=np.float32), [Cluster([0, 1])], projection="umap")
    assert len(set(palette(25))) == 25 and palette(3) == palette(25)[:3]
