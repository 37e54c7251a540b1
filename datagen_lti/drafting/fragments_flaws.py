"""Fragments for cleaning properties, each a recorded teaching flaw with its check: orphans,
dates as text, duplicates, inconsistent text, outliers and a NULL share."""

from __future__ import annotations

from datagen_lti.drafting.properties import Detected
from datagen_lti.drafting.workbench import NUMERIC, TIME, Outcome, Workbench, missing

FORMAT_CASES = (  # a DuckDB expression naming the format of a text date
    "CASE WHEN regexp_full_match({c}, '\\d{{4}}-\\d{{2}}-\\d{{2}}.*') THEN 'iso' "
    "WHEN regexp_full_match({c}, '\\d{{2}}/\\d{{2}}/\\d{{4}}.*') THEN 'slashes' "
    "WHEN regexp_full_match({c}, '\\d{{2}}-\\d{{2}}-\\d{{4}}.*') THEN 'dashes' "
    "WHEN regexp_full_match({c}, '\\d{{4}}\\.\\d{{2}}\\.\\d{{2}}.*') THEN 'dots' "
    "WHEN regexp_full_match({c}, '[A-Za-z]+ \\d{{1,2}}, \\d{{4}}.*') THEN 'words' END"
)


def orphans(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A few child rows point at parents that do not exist (an orphans flaw)."""
    existing = wb.flaws("orphans")
    if existing:
        flaw = existing[0]
        table, column = flaw["table"], flaw["column"]
    else:
        fks = [(t, c) for t, c in wb.foreign_keys() if c["references"] != t]
        if not fks:
            return missing(d.id, "the template has no foreign key to break")
        table, fk = max(
            fks,
            key=lambda tc: (
                min(wb.named(tc[0]), wb.named(tc[1]["references"])),
                wb.named(tc[1]["references"]),
                wb.is_leaf(tc[0]),
                wb.row_count(tc[0]),
            ),
        )
        column = fk["name"]
        wb.add_flaw(
            {
                "kind": "orphans",
                "table": table,
                "column": column,
                "rate": 0.02,
                "description": f"Some {table} point to {fk['references']} that do not exist.",
            }
        )
    parent = next(c for t, c in wb.foreign_keys() if t == table and c["name"] == column)[
        "references"
    ]
    key = wb.primary_key(parent)[0]
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"Some {table} rows have no matching {parent} row.",
            "query": f"SELECT count(*) FROM {table} c LEFT JOIN {parent} p "
            f"ON c.{column} = p.{key} WHERE c.{column} IS NOT NULL AND p.{key} IS NULL",
            "expect_min": 2,
        },
    )
    wb.claimed.add((table, column))
    return Outcome(d.id, True, f"an orphans flaw on {table}.{column}", [description])


def text_dates(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A date column stored as text in several formats (a mixed_date_formats flaw)."""
    existing = wb.flaws("mixed_date_formats")
    if existing:
        table, column = existing[0]["table"], existing[0]["column"]
    else:
        used = wb.used_columns()
        candidates = [
            (t["name"], c["name"])
            for t in wb.tables
            for c in t["columns"]
            if c["type"] in TIME
            and ((t["name"], c["name"]) not in used or wb.named(c["name"]))
            and wb.row_count(t["name"]) >= 15
        ]
        if candidates:
            table, column = max(
                candidates, key=lambda tc: (wb.named(tc[1]), wb.row_count(tc[0]) >= 40, -len(tc[1]))
            )
        else:
            table = wb.entity_table()
            column = wb.add_column(
                table,
                {
                    "name": "recorded_on",
                    "type": "date",
                    "start": "2021-01-01",
                    "end": "2024-12-31",
                    "description": "When the record was entered, typed by hand.",
                },
            )
        wb.add_flaw(
            {
                "kind": "mixed_date_formats",
                "table": table,
                "column": column,
                "rate": 0.5,
                "description": f"{column} was typed in several date formats.",
            }
        )
    wb.claimed.add((table, column))
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"{table}.{column} holds dates written in at least three formats.",
            "query": f"SELECT count(DISTINCT {FORMAT_CASES.format(c=f'CAST({column} AS VARCHAR)')}) "
            f"FROM {table}",
            "expect_min": 3,
        },
    )
    return Outcome(d.id, True, f"{table}.{column} is text in mixed date formats", [description])


def duplicates(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Copies of some rows (a duplicate_rows flaw) that learners must find."""
    existing = wb.flaws("duplicate_rows")
    if existing:
        table = existing[0]["table"]
    else:
        leaves = [
            n for n in wb.largest_tables(leaf=True) if len(wb.table(n).get("primary_key") or []) < 2
        ] or wb.largest_tables()
        table = max(leaves, key=lambda n: (wb.named(n), wb.row_count(n)))
        wb.add_flaw(
            {
                "kind": "duplicate_rows",
                "table": table,
                "rate": 0.03,
                "description": f"Some {table} rows were entered twice.",
            }
        )
    key = set(wb.primary_key(table))
    columns = [c["name"] for c in wb.table(table)["columns"] if c["name"] not in key]
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"Some {table} rows repeat another row apart from its key.",
            "query": f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT "
            f"{', '.join(columns)} FROM {table}) AS t) FROM {table}",
            "expect_min": 2,
        },
    )
    return Outcome(d.id, True, f"a duplicate_rows flaw on {table}", [description])


def inconsistent_text(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A category typed inconsistently (an inconsistent_text flaw)."""
    existing = wb.flaws("inconsistent_text")
    if existing:
        table, column = existing[0]["table"], existing[0]["column"]
    else:
        used = wb.used_columns()
        candidates = [
            (t["name"], c["name"])
            for t in wb.tables
            for c in t["columns"]
            if c["type"] == "category"
            and ((t["name"], c["name"]) not in used or wb.named(c["name"]))
            and not c.get("unique")
        ]
        if not candidates:
            return missing(d.id, "the template has no free category column to misspell")
        table, column = max(
            candidates, key=lambda tc: (wb.named(tc[1]), min(wb.row_count(tc[0]), 200), tc[1])
        )
        wb.add_flaw(
            {
                "kind": "inconsistent_text",
                "table": table,
                "column": column,
                "rate": 0.2,
                "variants": ["case", "whitespace", "spelling"],
                "description": f"{column} was typed by hand.",
            }
        )
    wb.claimed.add((table, column))
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"{table}.{column} has values that differ only in case or spaces.",
            "query": f"SELECT count(DISTINCT {column}) - count(DISTINCT lower(trim({column}))) "
            f"FROM {table}",
            "expect_min": 1,
        },
    )
    return Outcome(d.id, True, f"an inconsistent_text flaw on {table}.{column}", [description])


def outliers(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """Values beyond Q3 + 1.5 IQR (an outliers flaw, or the template's own)."""
    existing = wb.flaws("outliers")
    named = [
        (t["name"], c) for t in wb.tables for c in wb.numeric_columns(t["name"]) if wb.named(c)
    ]
    if existing and not named:
        table, column = existing[0]["table"], existing[0]["column"]
    else:
        candidates = named or [
            (t["name"], c)
            for t in wb.tables
            for c in wb.numeric_columns(t["name"])
            if (t["name"], c) not in wb.claimed
        ]
        if not candidates:
            return missing(d.id, "the template has no numeric column to add outliers to")
        table, column = max(candidates, key=lambda tc: (wb.row_count(tc[0]), tc[1]))
        if not any(f["table"] == table and f["column"] == column for f in existing):
            wb.add_flaw(
                {
                    "kind": "outliers",
                    "table": table,
                    "column": column,
                    "rate": 0.02,
                    "factor": 5,
                    "direction": "high",
                    "description": f"A few {column} values are far too high.",
                }
            )
    q = f"(SELECT quantile_cont({column}, 0.75) + 1.5 * (quantile_cont({column}, 0.75) - "
    q += f"quantile_cont({column}, 0.25)) FROM {table})"
    description = wb.add_check(
        d.id,
        {
            "kind": "sql",
            "description": f"Some {column} values lie beyond the upper 1.5 IQR fence.",
            "query": f"SELECT count(*) FROM {table} WHERE {column} > {q}",
            "expect_min": 2,
        },
    )
    wb.claimed.add((table, column))
    return Outcome(d.id, True, f"outliers in {table}.{column}", [description])


def null_share(wb: Workbench, d: Detected, scenario: str) -> Outcome:
    """A share of NULLs in one column (a missing_values flaw: an exact share)."""
    share = d.params.get("share", 0.1)
    existing = wb.flaws("missing_values")
    if existing:
        table, column = existing[0]["table"], existing[0]["columns"][0]
        share = existing[0]["rate"]
    else:
        used = wb.used_columns()
        candidates = [
            (t["name"], c["name"])
            for t in wb.tables
            for c in t["columns"]
            if c["type"] in (*NUMERIC, "category", "text", *TIME)
            and ((t["name"], c["name"]) not in used or wb.named(c["name"]))
            and not c.get("null_rate")
            and not c.get("unique")
            and c["name"] not in wb.primary_key(t["name"])
        ]
        if not candidates:
            return missing(d.id, "every column of the template is used by something else")
        table, column = max(
            candidates,
            key=lambda tc: (
                wb.named(tc[1]),
                wb.column(tc[0], tc[1])["type"] in NUMERIC,
                wb.row_count(tc[0]),
                tc[1],
            ),
        )
        wb.add_flaw(
            {
                "kind": "missing_values",
                "table": table,
                "columns": [column],
                "rate": share,
                "description": f"{column} is sometimes not recorded.",
            }
        )
    wb.claimed.add((table, column))
    base = wb.column(table, column).get("null_rate", 0.0) if wb.column(table, column) else 0.0
    description = wb.add_check(
        d.id,
        {
            "kind": "null_count",
            "description": f"About {share:.0%} of {table}.{column} is NULL.",
            "table": table,
            "column": column,
            "min": 2,
            "min_share": round(share * 0.7, 4),
            "max_share": round(min(0.95, share * 1.3 + base + 0.02), 4),
        },
    )
    return Outcome(d.id, True, f"{share:.0%} of {table}.{column} is NULL", [description])
