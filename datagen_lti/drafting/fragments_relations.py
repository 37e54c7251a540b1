"""Fragments for relationship properties: childless parents, unreferenced rows, a deep
hierarchy, a junction with repeats, and a functional dependency to normalise away."""

from __future__ import annotations

from datagen_lti.drafting.properties import Detected
from datagen_lti.drafting.workbench import Outcome, Workbench, missing
from datagen_lti.synth import SpecError
from datagen_lti.synth.loading import spec_from_data

MIN_CHILDLESS_SHARE = 0.15


def childless_parent(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Some parent rows have no children: ``childless_share`` on a per-parent foreign key."""
    owned = [(t, c) for t, c in wb.foreign_keys() if c.get("per_parent") and c["references"] != t]
    lookups = [(t, c) for t, c in wb.foreign_keys() if not c.get("per_parent")]
    if any(wb.named(c["references"]) for _, c in lookups) and not any(
        wb.named(c["references"]) for _, c in owned
    ):
        return unreferenced_row(wb, d, scenario)
    if not owned:
        if lookups:
            return unreferenced_row(wb, d, scenario)
        return missing(d.id, "the template has no one-to-many relationship to leave empty")
    table, fk = max(
        owned,
        key=lambda tc: (wb.named(tc[1]["references"]), wb.named(tc[0]), -owned.index(tc)),
    )
    parent = fk["references"]
    fk["childless_share"] = max(fk.get("childless_share", 0.0), MIN_CHILDLESS_SHARE)
    expected = round(wb.row_count(parent) * fk["childless_share"])
    least = max(2, min(5, expected // 2))
    description = wb.add_check(
        d.id,
        {
            "kind": "childless_parents",
            "description": f"At least {least} {parent} have no {table}.",
            "parent": parent,
            "child": table,
            "column": fk["name"],
            "min": least,
        },
    )
    return Outcome(
        d.id,
        True,
        f"{table}.{fk['name']} leaves {fk['childless_share']:.0%} of {parent} without {table}",
        [description],
    )


def _valid(wb: Workbench) -> bool:
    try:
        spec_from_data(wb.data)
    except SpecError:
        return False
    return True


def unreferenced_row(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Some looked-up rows are never referenced: a larger catalogue picked by popularity."""
    lookups = [
        (t, c)
        for t, c in wb.foreign_keys()
        if not c.get("per_parent") and c["references"] != t and wb.table(c["references"])
    ]
    if not lookups:
        owned = [t for t, c in wb.foreign_keys() if c.get("per_parent")]
        if owned:
            return childless_parent(wb, d, scenario)
        return missing(d.id, "the template has no lookup table for rows to go unreferenced")
    table, fk = max(lookups, key=lambda tc: (wb.named(tc[1]["references"]), wb.row_count(tc[0])))
    parent = fk["references"]
    key = wb.primary_key(parent)[0]
    spec = wb.table(parent)
    fk["childless_share"] = max(fk.get("childless_share", 0.0), MIN_CHILDLESS_SHARE)
    if _valid(wb):
        how = f"{table}.{fk['name']} never picks {fk['childless_share']:.0%} of {parent}"
    else:
        # A key drawn so that no pair repeats cannot leave rows out; a catalogue of about a
        # quarter of the picks, picked by popularity, leaves its long tail unpicked instead.
        del fk["childless_share"]
        fk["pick"] = "zipf"
        children = wb.row_count(table)
        spec["rows"] = max(spec.get("rows", 0), (children + 3) // 4, 20)
        how = (
            f"{table}.{fk['name']} picks {parent} by popularity from a catalogue of "
            f"{spec['rows']}, so the least popular are never picked"
        )
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"Some {parent} are never referenced by {table}.",
            "query": f"SELECT count(*) FROM {parent} p WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} c WHERE c.{fk['name']} = p.{key})",
            "expect_min": 3,
        },
    )
    return Outcome(d.id, True, how, [description])


def hierarchy_depth(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A self reference at least ``depth`` levels deep (``fan_out`` tuned in ``tune``)."""
    own = [(t, c) for t, c in wb.foreign_keys() if c["references"] == t]
    if not own:
        return missing(d.id, "the template has no table that references itself")
    table, fk = own[0]
    key = wb.primary_key(table)[0]
    depth = d.params.get("depth", 4)
    fk.setdefault("fan_out", 4)
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"The {table} hierarchy is at least {depth} levels deep.",
            "query": f"WITH RECURSIVE chain(id, level) AS (SELECT {key}, 1 FROM {table} "
            f"WHERE {fk['name']} IS NULL UNION ALL SELECT t.{key}, chain.level + 1 "
            f"FROM {table} t JOIN chain ON t.{fk['name']} = chain.id WHERE chain.level < 50) "
            "SELECT max(level) FROM chain",
            "expect_min": depth,
        },
    )
    wb.claimed.add((table, fk["name"]))
    return Outcome(
        d.id, True, f"{table}.{fk['name']} forms a tree of {depth}+ levels", [description]
    )


def junction_repeats(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Both sides of a junction table appear in several pairs."""
    junctions = []
    for table in wb.tables:
        fks = [
            c
            for c in table["columns"]
            if c["type"] == "foreign_key" and c["references"] != table["name"]
        ]
        if len(fks) >= 2:
            junctions.append((table["name"], fks[:2]))
    if not junctions:
        return missing(d.id, "the template has no junction table (two foreign keys)")
    table, (left, right) = max(
        junctions, key=lambda j: (len(wb.table(j[0]).get("primary_key") or []), wb.row_count(j[0]))
    )
    checks = []
    for fk in (left, right):
        checks.append(
            wb.add_check(
                d.id,
                {
                    "kind": "sql",
                    "description": f"Several {fk['references']} appear in two or more {table}.",
                    "query": f"SELECT count(*) FROM (SELECT {fk['name']} FROM {table} "
                    f"GROUP BY {fk['name']} HAVING count(*) >= 2) AS t",
                    "expect_min": 3,
                },
            )
        )
    return Outcome(
        d.id,
        True,
        f"{table} links {left['references']} and {right['references']}, each in several pairs",
        checks,
    )


def functional_dependency(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A flat table where a non-key column depends on another non-key column (for 3NF)."""
    owned = [(t, c) for t, c in wb.foreign_keys() if c.get("per_parent") and c["references"] != t]
    for table, fk in sorted(
        owned,
        key=lambda tc: (
            -wb.named(tc[0]),
            -wb.named(tc[1]["references"]),
            -wb.row_count(tc[0]),
        ),
    ):
        parent = fk["references"]
        copied = [
            c["name"]
            for c in sorted(wb.table(parent)["columns"], key=_copy_preference)
            if c["type"] in ("category", "text") and not c.get("unique")
        ][:2]
        if not copied:
            continue
        singular = parent[:-1] if parent.endswith("s") else parent
        names = []
        for source in copied:
            base = source if source.startswith(singular) else f"{singular}_{source}"
            names.append(
                wb.add_column(
                    table,
                    {
                        "name": base,
                        "type": "derived",
                        "expression": f"{parent}.{source}",
                        "output": "string",
                        "description": f"Copied from {parent}.{source}: it depends on "
                        f"{fk['name']}, not on the key.",
                    },
                )
            )
        holds = wb.add_check(
            d.id,
            {
                "kind": "sql",
                "description": f"In {table}, {fk['name']} determines {', '.join(names)}.",
                "query": f"SELECT count(*) FROM (SELECT {fk['name']} FROM {table} GROUP BY "
                f"{fk['name']} HAVING "
                + " OR ".join(f"count(DISTINCT {n}) > 1" for n in names)
                + ") AS t",
                "expect_max": 0,
            },
        )
        repeats = wb.add_check(
            d.id,
            {
                "kind": "sql",
                "description": f"The copied values repeat: several {fk['name']} have two or "
                f"more {table} rows.",
                "query": f"SELECT count(*) FROM (SELECT {fk['name']} FROM {table} "
                f"GROUP BY {fk['name']} HAVING count(*) >= 2) AS t",
                "expect_min": 3,
            },
        )
        return Outcome(
            d.id,
            True,
            f"{table} repeats {', '.join(names)} for each {fk['name']} (a transitive dependency)",
            [holds, repeats],
        )
    return missing(d.id, "the template has no one-to-many relationship with text to copy")


def _copy_preference(column: dict) -> int:
    """Categories and places make the clearest dependent columns; names and free text less."""
    if column["type"] == "category":
        return 0
    if column.get("kind") in ("city", "state", "country", "company"):
        return 1
    return 2
