"""`minilm export web --index`, the search half: an index of the SciFact subset exported per storage and searched
in headless Chromium by search.js, against `Index.search` on the same index; the page; bad input.

The index is built once (module scope) per storage, the chunks embedded once through a shared embedding cache;
the exports are fp32, whose query vectors are within 1e-5 of the reference (test_model.py), so what differs
from Index.search is the search itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minilm
from minilm.errors import IndexMismatchError, InputError
from minilm.export.web import export_web
from minilm.export.web.index_data import write_index
from minilm.index import Index

from ...conftest import write_tiny_model
from .browser import page

pytestmark = pytest.mark.integration

SCIFACT = Path(__file__).resolve().parents[2] / "data" / "scifact"
STORAGES = ("int8", "binary")
TOPICS = ("red", "green", "blue")
QUERIES = 50
SEARCH = """const done = arguments[arguments.length - 1];
Promise.all(arguments[0].map(q => window.minilm.search(q, arguments[1], arguments[2])))
  .then(found => done(found.map(hits => hits.map(h => [h.id, h.score, h.start, h.end, h.text, h.metadata]))),
        e => done(`${e.name}: ${e.message}`));"""
REJECTED = "return window.minilm.search({args}).then(() => null, e => `${{e.name}}: ${{e.message}}`)"


def metadata(n: int) -> dict[str, Any]:
    return {"topic": TOPICS[n % 3], "year": 2000 + n % 5}


@pytest.fixture(scope="module")
def model() -> minilm.Encoder:
    return minilm.load(allow_download=False)  # the fastest installed engine: the same weights, the same sha256


@pytest.fixture(scope="module")
def queries() -> list[str]:
    lines = (SCIFACT / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:QUERIES]]


@pytest.fixture(scope="module")
def indexes(model: minilm.Encoder, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scifact-index")
    docs = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    out = {}
    for storage in STORAGES:
        with Index.create(root / storage, model, storage=storage, cache=root / "cache") as index:
            index.add([d["title"] + "\n" + d["text"] for d in docs], ids=[d["_id"] for d in docs],
                      metadata=[metadata(n) for n in range(len(docs))])  # fmt: skip
        out[storage] = root / storage
    return out


@pytest.fixture(scope="module")
def sites(indexes: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("web-index")
    for storage, path in indexes.items():
        export_web(root / storage, precision="fp32", index=path, storage=storage)
    return {storage: root / storage for storage in STORAGES}


@pytest.fixture(scope="module", params=STORAGES)
def storage_page(request: pytest.FixtureRequest, sites: dict[str, Path],
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:  # fmt: skip
    with page(sites[request.param], tmp_path_factory.mktemp("profile")) as driver:
        yield request.param, driver


def browser_search(driver: Any, queries: list[Any], k: int = 10, options: dict[str, Any] | None = None) -> Any:
    return driver.execute_async_script(SEARCH, queries, k, options or {})


def agreement(got: list[list[Any]], want: list[list[Any]]) -> float:
    """Share of the top-k positions holding the same document in both rankings."""
    pairs = [(a, b) for hits, wanted in zip(got, want, strict=True) for a, b in zip(hits, wanted, strict=False)]
    return sum(a[0] == b.doc_id for a, b in pairs) / sum(len(wanted) for wanted in want)


def test_top10_equals_index_search_in_95_percent_of_positions(storage_page: tuple[str, Any], indexes, model,
                                                               queries) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    storage, driver = storage_page
    got = browser_search(driver, queries)
    assert not isinstance(got, str), got
    with Index.open(indexes[storage], model) as index:
        want = index.search(queries, k=10)
    assert [len(hits) for hits in got] == [10] * QUERIES
    assert agreement(got, want) >= 0.95
    for hits, wanted in zip(got, want, strict=True):  # a document found in both: the same window and score
        by_id = {h.doc_id: h for h in wanted}
        for doc_id, score, start, end, text, meta in hits:
            if doc_id in by_id:
                hit = by_id[doc_id]
                assert (start, end, text, meta) == (hit.start, hit.end, hit.text, hit.metadata)
                assert math.isclose(score, hit.score, abs_tol=1e-4)
        assert [h[1] for h in hits] == sorted((h[1] for h in hits), reverse=True)
        assert len({h[0] for h in hits}) == len(hits)  # one hit per document


def test_search_of_the_reference_query_vectors_is_index_search(storage_page: tuple[str, Any], indexes, model,
                                                               queries) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """The same query vectors in both: only the search differs (code scores in float64 instead of faiss's
    float32, so near-ties at the candidates' edge may differ)."""
    storage, driver = storage_page
    vectors = model.encode(queries)
    got = browser_search(driver, [v.tolist() for v in vectors])
    assert not isinstance(got, str), got
    with Index.open(indexes[storage], model) as index:
        want = index.search(vectors, k=10)
    assert agreement(got, want) >= 0.99


@pytest.mark.parametrize("where", [{"topic": "green"}, {"year": 2003}, {"year": 2001.0, "topic": "blue"}])
def test_metadata_filters_equal_index_search_where(storage_page: tuple[str, Any], indexes, model, queries,
                                                   where: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    storage, driver = storage_page
    got = browser_search(driver, queries[:10], 10, {"where": where})
    assert not isinstance(got, str), got
    with Index.open(indexes[storage], model) as index:
        want = index.search(queries[:10], k=10, where=where)
    assert all(all(hit[5][key] == value for key, value in where.items()) for hits in got for hit in hits)
    assert [len(hits) for hits in got] == [len(hits) for hits in want]
    assert agreement(got, want) >= 0.95


def test_a_filter_nothing_matches_gives_no_hits(storage_page: tuple[str, Any], queries: list[str]) -> None:
    _, driver = storage_page
    assert browser_search(driver, queries[:1], 10, {"where": {"topic": "purple"}}) == [[]]
    assert browser_search(driver, queries[:1], 10, {"where": {"year": "2003"}}) == [[]]  # a str matches only a str


@pytest.mark.parametrize(("args", "says"), [
    ('""', "query is empty"), ('"   "', "query is empty"), ('"cells", 0', "k must be a positive integer, got 0"),
    ('"cells", -3', "got -3"), ('"cells", 2.5', "got 2.5"), ('"cells", "10"', 'got "10"'),
    ("42", "query is 42; expected a string"), ("[1, 2]", "query vector has 2 values, expected 384"),
    ('"cells", 10, {where: {topic: null}}', 'where["topic"] is null'),
    ('"cells", 10, {where: {topic: {a: 1}}}', "expected a string, a number or a boolean"),
    ('"cells", 10, {where: "topic=red"}', "where must be an object"),
])  # fmt: skip
def test_bad_input_rejects_with_an_error_naming_it(storage_page: tuple[str, Any], args: str, says: str) -> None:
    _, driver = storage_page
    error = driver.execute_script(REJECTED.format(args=args))
    assert error is not None and error.startswith("Error: ") and says in error, error


def test_manifest_entry_lists_the_files_and_counts(sites: dict[str, Path], indexes, model) -> None:  # type: ignore[no-untyped-def]
    for storage in STORAGES:
        manifest = json.loads((sites[storage] / "minilm_web.json").read_text(encoding="utf-8"))
        entry = manifest["index"]
        with Index.open(indexes[storage], model) as index:
            stats = index.stats()
        assert (entry["storage"], entry["dimension"]) == (storage, 384)
        assert (entry["documents"], entry["chunks"]) == (stats["documents"], stats["chunks"])
        assert entry["chunks"] > entry["documents"]  # long abstracts have several windows
        for file in entry["files"].values():
            assert (sites[storage] / file["path"]).stat().st_size == file["bytes"]
        per_code = 384 if storage == "int8" else 384 // 8
        assert entry["files"]["codes"]["bytes"] == entry["chunks"] * per_code
        assert entry["files"]["vectors"]["bytes"] == entry["chunks"] * 384 * 4
        assert entry["choices"] == {"topic": sorted(TOPICS), "year": [2000, 2001, 2002, 2003, 2004]}


def test_int8_codes_are_the_index_quantizer_codes(indexes: dict[str, Path], model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import faiss

    entry = write_index(indexes["int8"], tmp_path, model, "int8")
    codes = np.fromfile(tmp_path / entry["files"]["codes"]["path"], dtype=np.uint8).reshape(-1, 384)
    with Index.open(indexes["int8"], model) as index, index._structure.reading() as structure:
        held = faiss.vector_to_array(structure.index.codes).reshape(-1, 384)
    assert np.array_equal(codes, held)


def test_an_index_of_another_model_is_refused(model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tiny = minilm.load(write_tiny_model(tmp_path / "tiny"), engine="numpy")
    with Index.create(tmp_path / "tiny-index", tiny, cache=False) as index:
        index.add(["a few words", "some more words"], ids=["a", "b"])
    with pytest.raises(IndexMismatchError) as raised:
        write_index(tmp_path / "tiny-index", tmp_path / "out", model, "int8")
    message = str(raised.value)
    assert tiny.name in message and model.name in message
    assert "dimension 8" in message and "dimension 384" in message
    with pytest.raises(IndexMismatchError):
        export_web(tmp_path / "site", precision="fp32", index=tmp_path / "tiny-index")
    assert not (tmp_path / "site").exists()  # refused before any file was written
    with pytest.raises(InputError, match="storage 'float16' is unknown"):
        write_index(tmp_path / "tiny-index", tmp_path / "out", tiny, "float16")


def test_the_page_shows_hits_with_their_window_and_filters(sites: dict[str, Path], indexes, model, queries,
                                                           tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    query = queries[3]
    with Index.open(indexes["int8"], model) as index:
        want = index.search(query, k=5)
        filtered = index.search(query, k=5, where={"topic": "green"})
    with page(sites["int8"], tmp_path / "profile") as driver:
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.ID, "query"))
        assert "500 documents" in driver.find_element(By.CSS_SELECTOR, ".sub").text
        driver.find_element(By.ID, "query").send_keys(query)
        driver.find_element(By.ID, "k").clear()
        driver.find_element(By.ID, "k").send_keys("5")
        driver.find_element(By.ID, "search-button").click()
        wait.until(lambda d: "hits in" in d.find_element(By.ID, "status").text)
        hits = driver.find_elements(By.CSS_SELECTOR, "#hits .hit")
        assert [h.get_attribute("data-id") for h in hits] == [h.doc_id for h in want]
        marked = hits[0].find_element(By.CSS_SELECTOR, "mark").text
        assert " ".join(marked.split()) == " ".join(want[0].text.split())
        assert f"{want[0].score:.3f}" in hits[0].text
        driver.save_screenshot(str(tmp_path / "web-search.png"))

        driver.find_element(By.CSS_SELECTOR, "#options summary").click()
        Select(driver.find_element(By.CSS_SELECTOR, 'select[data-field="topic"]')).select_by_visible_text("green")
        driver.find_element(By.ID, "search-button").click()
        wait.until(lambda d: [h.get_attribute("data-id") for h in d.find_elements(By.CSS_SELECTOR, "#hits .hit")]
                   == [h.doc_id for h in filtered])  # fmt: skip
        assert all("topic: green" in h.text for h in driver.find_elements(By.CSS_SELECTOR, "#hits .hit"))

        driver.find_element(By.ID, "filters").send_keys("year")
        driver.find_element(By.ID, "search-button").click()
        wait.until(lambda d: "expected key=value" in d.find_element(By.ID, "status").text)
    assert (tmp_path / "web-search.png").stat().st_size > 10_000


EMBED = """<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="page.css">
<h2 id="host">A site of its own</h2><div id="search-here"></div>
<script type="module">
import { load } from "./minilm.js";
import { mountSearchPage } from "./page.js";
window.minilm = { ready: load(new URL(".", location.href).href) };
mountSearchPage(document.getElementById("search-here"), await window.minilm.ready);
</script>"""


def test_the_page_embeds_in_another_page(sites: dict[str, Path], tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    (sites["binary"] / "embed.html").write_text(EMBED, encoding="utf-8")
    with page(sites["binary"], tmp_path / "profile", path="embed.html") as driver:
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-here #query"))
        driver.find_element(By.ID, "query").send_keys("vitamin D and bone density")
        driver.find_element(By.ID, "search-button").click()
        WebDriverWait(driver, 60).until(lambda d: "hits in" in d.find_element(By.ID, "status").text)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#search-here .hit")) == 10
        assert driver.find_element(By.ID, "host").text == "A site of its own"


def test_windows_past_characters_outside_the_bmp_and_deleted_documents(tmp_path: Path) -> None:
    """A tiny model (16-token windows): a long document with emoji has many windows whose code-point offsets
    differ from UTF-16 ones; a deleted document is not exported. The reference query vectors in both: the hits,
    windows and offsets equal Index.search's."""
    folder = write_tiny_model(tmp_path / "tiny")
    tiny = minilm.load(folder, engine="numpy")
    texts = {"emoji": " ".join(f"😀 word{i} 𝄞 note{i}" for i in range(40)), "plain": "plain words here and there",
             "accents": "Crème brûlée, naïve café " * 6, "gone": "deleted before the export"}  # fmt: skip
    with Index.create(tmp_path / "index", tiny, storage="binary", cache=False) as index:
        index.add(list(texts.values()), ids=list(texts), metadata=[{"n": n} for n in range(len(texts))])
        index.delete(["gone"])
        queries = ["word7 note7", "😀 word30", "café", "plain words", "note39 𝄞"]
        vectors = tiny.encode(queries)
        want = index.search(vectors, k=3)
    export_web(tmp_path / "site", model=folder, precision="fp32", index=tmp_path / "index", storage="binary",
               max_size=10**9)  # fmt: skip
    with page(tmp_path / "site", tmp_path / "profile") as driver:
        got = browser_search(driver, [v.tolist() for v in vectors], 3)
    assert not isinstance(got, str), got
    assert [[tuple(h[:1] + h[2:5]) for h in hits] for hits in got] == [
        [(h.doc_id, h.start, h.end, h.text) for h in hits] for hits in want
    ]
    emoji_hits = [h for hits in got for h in hits if h[0] == "emoji"]
    assert any(h[2] > 0 for h in emoji_hits)  # a window past the first, offsets in code points
    assert all(h[0] != "gone" for hits in got for h in hits)


def test_the_page_of_an_export_without_index_says_so(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    folder = write_tiny_model(tmp_path / "tiny")
    export_web(tmp_path / "site", model=folder, precision="fp32", max_size=10**9)
    with page(tmp_path / "site", tmp_path / "profile") as driver:
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".minilm-page .sub"))
        assert "this export has no index to search" in driver.find_element(By.CSS_SELECTOR, ".sub").text
        assert driver.find_elements(By.ID, "query") == []
