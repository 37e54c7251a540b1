"""The ER diagram of a spec: tables, typed columns, keys and relationships, as SVG.

Graphviz's ``dot`` lays it out on the server, so the picture needs no script, reads
the same in every browser and costs nothing after the first render (cached by the
spec's sha256). Without ``dot`` installed the page lists the tables instead and says
how to get the picture.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.core.cache import cache

from datagen_lti.synth import SpecError, load_spec
from datagen_lti.synth.schema_build import build_schema
from datagen_lti.synth.spec import Spec

logger = logging.getLogger(__name__)

DOT_TIMEOUT_SECONDS = 10
CACHE_SECONDS = 7 * 24 * 3600
MISSING_GRAPHVIZ = (
    "Install Graphviz (the `dot` program, e.g. `apt-get install graphviz`) on the server "
    "to see this as a diagram."
)


@dataclass(frozen=True)
class Relationship:
    child: str
    column: str
    parent: str
    parent_column: str
    parent_side: str  # "1" or "0..1"
    child_side: str  # "0..*" or "1..*"


@dataclass(frozen=True)
class DiagramTable:
    name: str
    columns: list[tuple[str, str, str]]  # name, type, "PK" / "FK" / "PK, FK" / ""


@dataclass(frozen=True)
class Diagram:
    """The picture (``svg``, or ``None`` with a ``note``) and what it shows, as text."""

    tables: list[DiagramTable]
    relationships: list[Relationship] = field(default_factory=list)
    svg: str | None = None
    note: str = ""


def spec_diagram(document: dict[str, Any], *, sha256: str) -> Diagram:
    """The ER diagram of a spec version's document (canonical JSON)."""
    try:
        spec = load_spec(json.dumps(document))
    except SpecError as exc:
        return Diagram(tables=[], note=f"No diagram: the spec does not load ({exc}).")
    tables, relationships = _entities(spec)
    key = f"erd:v5:{sha256}"
    svg = cache.get(key)
    if svg is None:
        dot = shutil.which("dot")
        if dot is None:
            return Diagram(tables, relationships, note=MISSING_GRAPHVIZ)
        try:
            svg = render_svg(dot, to_dot(tables, relationships))
        except (OSError, subprocess.SubprocessError) as exc:
            logger.warning("Graphviz could not draw spec %s: %s", sha256[:12], exc)
            return Diagram(
                tables, relationships, note=f"Graphviz could not draw the diagram: {exc}"
            )
        cache.set(key, svg, CACHE_SECONDS)
    return Diagram(tables, relationships, svg=svg)


def _entities(spec: Spec) -> tuple[list[DiagramTable], list[Relationship]]:
    schema = build_schema(spec)
    tables, relationships = [], []
    for table in schema.tables:
        foreign = {c for fk in table.foreign_keys for c in fk.columns}
        columns = []
        for column in table.columns:
            marks = [
                m
                for m, on in (
                    ("PK", column.name in table.primary_key),
                    ("FK", column.name in foreign),
                )
                if on
            ]
            columns.append((column.name, column.type, ", ".join(marks)))
        tables.append(DiagramTable(table.name, columns))
        table_spec = spec.table(table.name)
        for fk in table.foreign_keys:
            column = table.column(fk.columns[0])
            source = next((c for c in table_spec.columns if c.name == fk.columns[0]), None)
            relationships.append(
                Relationship(
                    child=table.name,
                    column=", ".join(fk.columns),
                    parent=fk.ref_table,
                    parent_column=fk.ref_columns[0] if fk.ref_columns else "",
                    parent_side="0..1" if column.nullable else "1",
                    child_side=_child_side(source),
                )
            )
    return tables, relationships


def _child_side(column: Any) -> str:
    """How many children a parent has: at least one only with per_parent and no childless share."""
    if column is None or getattr(column, "per_parent", None) is None:
        return "0..*"
    return "0..*" if getattr(column, "childless_share", 0) else "1..*"


def _id(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(tables: list[DiagramTable], relationships: list[Relationship]) -> str:
    """Graphviz source: one HTML-like table per table, crow's-foot edges child → parent."""
    lines = [
        "digraph spec {",
        '  graph [rankdir=LR, bgcolor="transparent", nodesep=0.4, ranksep=0.9];',
        '  node [shape=plaintext, fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, color="#475569", dir=both,'
        " labeldistance=2.2, labelangle=30];",
    ]
    for table in tables:
        rows = [
            f'<TR><TD BGCOLOR="#1e3a5f" COLSPAN="3"><FONT COLOR="white"><B>{escape(table.name)}</B></FONT></TD></TR>'
        ]
        for name, kind, marks in table.columns:
            rows.append(
                f'<TR><TD ALIGN="LEFT" PORT="w_{escape(name)}">{escape(name)}</TD>'
                f'<TD ALIGN="LEFT"><FONT COLOR="#475569">{escape(kind)}</FONT></TD>'
                f'<TD ALIGN="LEFT" PORT="e_{escape(name)}">{f"<B>{escape(marks)}</B>" if marks else " "}</TD></TR>'
            )
        label = (
            '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            + "".join(rows)
            + "</TABLE>"
        )
        lines.append(f"  {_id(table.name)} [label=<{label}>];")
    for rel in relationships:
        # Parent on the left, children to the right: the edge runs from the parent's key
        # to the child's foreign key, crow's foot at the child (how many), bar at the parent.
        at_parent = "tee" if rel.parent_side == "1" else "teeodot"
        at_child = "crowodot" if rel.child_side == "0..*" else "crowtee"
        column = rel.column.split(", ")[0]
        key = rel.parent_column or column
        tail = f"{_id(rel.parent)}:{_id('e_' + key)}:e"
        if rel.child == rel.parent:  # a hierarchy: a loop on the left, clear of other edges
            tail = f"{_id(rel.parent)}:{_id('w_' + key)}:w"
            head = f"{_id(rel.child)}:{_id('w_' + column)}:w"
        else:
            head = f"{_id(rel.child)}:{_id('w_' + column)}:w"
        lines.append(
            f"  {tail} -> {head} [arrowtail={at_parent}, arrowhead={at_child}, "
            f"taillabel={_id(rel.parent_side)}, headlabel={_id(rel.child_side)}, "
            f"tooltip={_id(f'{rel.parent} → {rel.child}.{rel.column}')}];"
        )
    lines.append("}")
    return "\n".join(lines)


def render_svg(dot: str, source: str) -> str:
    """Run ``dot`` on the source; return the ``<svg>`` element (no XML prologue or DOCTYPE)."""
    result = subprocess.run(
        [dot, "-Tsvg"],
        input=source.encode("utf-8"),
        capture_output=True,
        timeout=DOT_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise subprocess.SubprocessError(result.stderr.decode("utf-8", "replace")[:300])
    svg = result.stdout.decode("utf-8")
    start = svg.find("<svg")
    if start < 0:
        raise subprocess.SubprocessError("dot produced no SVG")
    svg = svg[start:]
    # Natural size, shrunk to the page by CSS (max-width) with its proportions kept.
    svg = svg.replace("<svg ", '<svg class="erd-svg" ', 1)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
