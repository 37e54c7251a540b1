"""The import layering: import-linter's contracts hold, and no module imports itself in a cycle."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from itertools import pairwise
from pathlib import Path

import grimp

from tests.project.test_settings import ROOT

PACKAGES = ("courses", "datagen_lti")


def test_the_import_contracts_hold() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = lint.stdout + lint.stderr
    assert lint.returncode == 0, report
    for contract in contracts["contracts"]:
        assert f"{contract['name']} KEPT" in report, report


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One shortest cycle through each import that closes one, e.g. [a, b, a]; none when acyclic."""
    cycles: dict[frozenset[str], list[str]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if importer == imported:
                cycle = [importer, importer]
            elif graph.chain_exists(importer=imported, imported=importer):
                back = graph.find_shortest_chain(importer=imported, imported=importer)
                cycle = [importer, *back]
            else:
                continue
            cycles.setdefault(frozenset(cycle), cycle)
    return sorted(cycles.values(), key=lambda cycle: (len(cycle), cycle))


def _describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    steps = [cycle[0]]
    for importer, imported in pairwise(cycle):
        lines = sorted(
            detail["line_number"]
            for detail in graph.get_import_details(importer=importer, imported=imported)
        )
        steps.append(f"{imported} (l.{', '.join(map(str, lines))})" if lines else imported)
    return " -> ".join(steps)


def test_no_module_of_the_app_or_the_engine_is_in_an_import_cycle() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert "courses.jobs.runner" in graph.modules  # the graph holds the app
    cycles = import_cycles(graph)
    assert not cycles, "Import cycles (line numbers of each import):\n" + "\n".join(
        _describe(graph, cycle) for cycle in cycles
    )


def test_import_cycles_are_found_and_named() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=importer, imported=imported)
    graph.add_module("p.e")

    assert [sorted(cycle[:-1]) for cycle in import_cycles(graph)] == [["p.a", "p.b", "p.c"]]
    assert import_cycles(graph)[0][0] == import_cycles(graph)[0][-1]

    graph.remove_import(importer="p.c", imported="p.a")
    assert import_cycles(graph) == []
