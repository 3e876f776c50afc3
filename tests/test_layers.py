"""The one-way layering of DESIGN.md ("Layers (imports point down only)"), checked on the AST.

A module in layer L may import ``pagerace.<L>`` or a layer below it, never one above.
Every import counts: ``import pagerace.x``, ``from pagerace.x import y``,
``from pagerace import x``, relative imports, and imports inside functions (a lazy
import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# Top to bottom, as in DESIGN.md.
LAYERS = (
    "cli",
    "report",
    "scenarios",
    "mm",
    "litmus",
    "kernel",
    "analyses",
    "explore",
    "models",
    "graph",
    "core",
)
RANK = {name: i for i, name in enumerate(LAYERS)}  # a larger rank is a lower layer

SRC = Path(__file__).resolve().parents[1] / "src" / "pagerace"


def imported_modules(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """Every ``pagerace...`` module the code imports, with its line (absolute names).

    ``module`` is the dotted name of the file, used to resolve relative imports."""
    package = module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            if base == "pagerace":  # `from pagerace import kernel` imports a subpackage
                found += [(node.lineno, f"pagerace.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, base))
    return [(line, name) for line, name in found if name.split(".")[0] == "pagerace"]


def layer_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def violations(source: str, module: str) -> list[str]:
    """Imports in ``source`` (the text of ``module``) that point up or sideways out of
    the layer list, as ``line: module -> imported``."""
    own = layer_of(module)
    assert own is not None, f"{module} is in no layer"
    bad = []
    for line, target in imported_modules(ast.parse(source), module):
        layer = layer_of(target)
        if layer is None or RANK[layer] < RANK[own]:
            bad.append(f"{line}: {module} -> {target}")
    return bad


def layered_modules() -> list[tuple[str, Path]]:
    out = []
    for layer in LAYERS:
        for path in sorted((SRC / layer).rglob("*.py")):
            rel = path.relative_to(SRC.parent).with_suffix("")
            out.append((".".join(rel.parts), path))  # a package keeps its ".__init__"
    return out


# -- the checker itself ----------------------------------------------------------------


def test_the_checker_flags_an_upward_import_hidden_inside_a_function():
    source = "def f():\n    from pagerace.cli.main import main\n    return main\n"
    assert violations(source, "pagerace.graph.graph") == [
        "2: pagerace.graph.graph -> pagerace.cli.main"
    ]


def test_the_checker_flags_a_plain_import_statement_of_a_higher_layer():
    assert violations("import pagerace.report.trace\n", "pagerace.explore.x") == [
        "1: pagerace.explore.x -> pagerace.report.trace"
    ]


def test_the_checker_flags_a_subpackage_imported_from_the_top_level_package():
    assert violations("from pagerace import mm\n", "pagerace.kernel.x") == [
        "1: pagerace.kernel.x -> pagerace.mm"
    ]


def test_the_checker_resolves_relative_imports_against_the_module_package():
    assert violations("from ..scenarios import catalogue\n", "pagerace.mm.page") == [
        "1: pagerace.mm.page -> pagerace.scenarios"
    ]


def test_the_checker_accepts_imports_of_the_same_layer_and_of_lower_layers():
    source = "from pagerace.mm.page import Page\nimport pagerace.core.ops\nimport os\n"
    assert violations(source, "pagerace.mm.swap") == []


# -- the source tree -------------------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_of_the_design_exists_as_a_subpackage(layer):
    assert (SRC / layer / "__init__.py").is_file()


def test_every_subpackage_belongs_to_a_layer_of_the_design():
    subpackages = {p.parent.name for p in SRC.glob("*/__init__.py")}
    assert subpackages <= set(LAYERS), f"assign a layer to {sorted(subpackages - set(LAYERS))}"


def test_imports_between_subpackages_point_down_only():
    modules = layered_modules()
    assert len(modules) > len(LAYERS)  # the walk found the source tree
    bad = []
    for module, path in modules:
        bad += violations(path.read_text(encoding="utf-8"), module)
    assert bad == []
