"""minilm's import graph: no circles, arrows downward only, nothing inside the package imports the package root.

The graph is read from the source with ast (nothing is imported): every `import minilm.x` and
`from minilm.x import y` / `from .x import y` in every module under src/minilm, at module level, under
`if TYPE_CHECKING:` and inside functions. `from pkg import name` is an edge to the submodule pkg.name when there is
one, else to pkg. Engines found by name at run time (minilm.engines.ENGINES, importlib) are not edges.

- Circles: counted over module-level imports, those under `if TYPE_CHECKING:` included (type-only imports still
  tie two modules together for a reader and for mypy); imports inside functions are left out, since a deferred
  import is how a module reaches a heavy or optional dependency only when it is used.
- Layers: every import counts, deferred and type-only ones too. A module may import its own layer and the ones
  below it, never one above.
- The package root (minilm/__init__.py) is the public face: `import minilm` or `from minilm import NAME` (NAME not
  a submodule) inside the package would run all of it and tie every module to everything it exports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A name is a top-level module or subpackage of minilm, or one module of a subpackage that sits
# lower than the rest of it (the static model itself, which minilm.load opens, below its distillation job);
# "" is the package root (minilm/__init__.py).
# fmt: off
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("foundation", frozenset({"errors", "version", "files", "extras", "progress", "config"})),
    ("model files and arithmetic", frozenset({"checkpoint", "tokenizer", "batching", "pooling", "precision",
                                              "inputs", "chunking"})),
    ("engines", frozenset({"engines"})),
    ("the pipeline",
     frozenset({"options", "long_text", "prepare", "encoder", "loading", "static.model", "static.words"})),
    ("file formats", frozenset({"io"})),
    ("jobs", frozenset({"bulk", "eval", "plot", "train", "static", "export"})),
    ("the search index", frozenset({"index"})),
    ("databases", frozenset({"sinks"})),  # the bulk encoder's rows and an index's chunks into LanceDB / Qdrant
    ("the static prefilter", frozenset({"static.prefilter"})),
    ("the browser export", frozenset({"export.web"})),  # exports an index too
    ("protocols and adapters", frozenset({"server", "compat", "integrations"})),
    ("command line", frozenset({"cli"})),
    ("package root", frozenset({""})),
)
# fmt: on


@dataclass(frozen=True)
class Import:
    """One import statement's edge: `source` imports `target` (both dotted module names)."""

    source: str
    target: str
    line: int
    deferred: bool  # inside a function
    type_only: bool  # under `if TYPE_CHECKING:`
    name: str | None  # `from target import name` where name is not a submodule


def module_names(src: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under src/minilm (a package is its __init__.py)."""
    found = {}
    for path in sorted((src / "minilm").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """The edges to minilm's modules of one module's import statements."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def edges(node: ast.stmt, deferred: bool, type_only: bool) -> Iterator[Import]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "minilm" or alias.name.startswith("minilm."):
                    yield Import(module, alias.name, node.lineno, deferred, type_only, None)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target != "minilm" and not target.startswith("minilm."):
                return
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:
                    yield Import(module, sub, node.lineno, deferred, type_only, None)
                else:
                    yield Import(module, target, node.lineno, deferred, type_only, alias.name)

    def walk(node: ast.AST, deferred: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for stmt in child.body:
                    yield from edges(stmt, deferred, True)
                    yield from walk(stmt, deferred, True)
                for stmt in child.orelse:
                    yield from edges(stmt, deferred, type_only)
                    yield from walk(stmt, deferred, type_only)
                continue
            inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.stmt):
                yield from edges(child, inner, type_only)
            yield from walk(child, inner, type_only)

    yield from walk(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)


def import_graph(src: Path) -> list[Import]:
    modules = module_names(src)
    return [edge for module, path in modules.items() for edge in imports_of(module, path, modules)]


def circles(graph: list[Import]) -> list[list[str]]:
    """The import circles (strongly connected components of two or more modules, or a module importing itself)
    among module-level imports, each sorted."""
    after: dict[str, set[str]] = {}
    for edge in graph:
        if not edge.deferred:
            after.setdefault(edge.source, set()).add(edge.target)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        order[node] = low[node] = len(order)
        stack.append(node)
        for nxt in after.get(node, ()):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in after.get(node, ()):
                found.append(sorted(component))

    for node in sorted(after):
        if node not in order:
            visit(node)
    return sorted(found)


def top_level(module: str) -> str:
    """The top-level module or subpackage of minilm a dotted name is in ("" for the package root)."""
    return module.split(".")[1] if "." in module else ""


def layer_name(module: str) -> str:
    """The name LAYERS places a module by: "static.model" where a layer names it, else its top level."""
    inner = ".".join(module.split(".")[1:3])
    return inner if any(inner in names for _, names in LAYERS) else top_level(module)


def layer_of(module: str) -> int:
    """Index in LAYERS of a dotted module name; KeyError for a module no layer names."""
    for rank, (_, names) in enumerate(LAYERS):
        if layer_name(module) in names:
            return rank
    raise KeyError(module)


def _placed(module: str) -> bool:
    return any(layer_name(module) in names for _, names in LAYERS)


def upward(graph: list[Import]) -> list[str]:
    """Each import of a higher layer than the importer's, as 'source:line -> target (from layer -> to layer)'."""
    found = []
    placed = [e for e in graph if _placed(e.source) and _placed(e.target)]  # the others: test_every_module_has_a_layer
    for edge in placed:
        a, b = layer_of(edge.source), layer_of(edge.target)
        if b > a:
            kind = " (deferred)" if edge.deferred else " (type only)" if edge.type_only else ""
            found.append(f"{edge.source}:{edge.line} -> {edge.target}{kind} ({LAYERS[a][0]} -> {LAYERS[b][0]})")
    return list(dict.fromkeys(found))  # one line per statement, however many names it imports


def root_imports(graph: list[Import]) -> list[str]:
    """Each `import minilm` / `from minilm import NAME` (NAME not a submodule) inside the package."""
    return [f"{e.source}:{e.line} imports {'minilm.' + e.name if e.name else 'minilm'}"
            for e in graph if e.target == "minilm" and e.source != "minilm"]  # fmt: skip


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    return import_graph(SRC)


def test_the_graph_is_read(graph: list[Import]) -> None:
    edges = {(e.source, e.target) for e in graph}
    assert ("minilm.loading", "minilm.encoder") in edges  # module level
    assert ("minilm.engines", "minilm.engines.torch_engine.devices") in edges  # inside a function
    assert len(edges) > 300


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for module in module_names(SRC):
        try:
            layer_of(module)
        except KeyError:
            unplaced.append(module)
    assert not unplaced, f"add these to a layer in LAYERS: {unplaced}"


def test_no_import_circles(graph: list[Import]) -> None:
    assert circles(graph) == []


def test_imports_point_downward_only(graph: list[Import]) -> None:
    assert upward(graph) == []


def test_engines_never_import_what_uses_them(graph: list[Import]) -> None:
    above = {"train", "server", "index", "compat", "cli", "integrations", "bulk"}
    found = [f"{e.source}:{e.line} -> {e.target}" for e in graph
             if top_level(e.source) == "engines" and top_level(e.target) in above]  # fmt: skip
    assert found == []


def test_nothing_inside_imports_the_package_root(graph: list[Import]) -> None:
    assert root_imports(graph) == []


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    """On a made-up package: a circle, an upward import (deferred), a root import and a type-only circle."""
    files = {
        "minilm/__init__.py": "from minilm.encoder import Encoder\n",
        "minilm/errors.py": "",
        "minilm/encoder.py": "from minilm.engines import base\n",
        "minilm/engines/__init__.py": "",
        "minilm/engines/base.py": "from . import numpy_bert\n\ndef f():\n    from minilm.train import model\n",
        "minilm/engines/numpy_bert.py": "from minilm.engines.base import f\nfrom minilm import Encoder\n",
        "minilm/train/__init__.py": "",
        "minilm/train/model.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .save import x\n",
        "minilm/train/save.py": "import minilm.train.model\nimport minilm\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path)
    assert circles(graph) == [  # numpy_bert's root import closes a circle through the root
        ["minilm", "minilm.encoder", "minilm.engines.base", "minilm.engines.numpy_bert"],
        ["minilm.train.model", "minilm.train.save"],
    ]
    assert upward(graph) == ["minilm.engines.base:4 -> minilm.train.model (deferred) (engines -> jobs)",
                             "minilm.engines.numpy_bert:2 -> minilm (engines -> package root)",
                             "minilm.train.save:2 -> minilm (jobs -> package root)"]  # fmt: skip
    assert root_imports(graph) == ["minilm.engines.numpy_bert:2 imports minilm.Encoder",
                                   "minilm.train.save:2 imports minilm"]  # fmt: skip
