"""A template spec as editable data, with what the fragments need to find their place in it."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from datagen_lti.drafting.scenarios import normalise

NUMERIC = ("integer", "decimal", "linear")
# Parts of column names that say nothing about what the column holds.
_GENERIC_PARTS = frozenset({"id", "pct", "sqm", "kwh", "code", "date", "the", "and", "num"})
TIME = ("date", "timestamp")


@dataclass
class Outcome:
    """What a fragment did for one property: how it is provided and which checks guarantee it."""

    property: str
    provided: bool
    how: str  # a sentence for the rationale
    checks: list[str] = field(default_factory=list)  # descriptions of the guaranteeing checks
    dropped: list[str] = field(default_factory=list)  # template checks it broke, removed


def missing(prop: str, why: str) -> Outcome:
    """An outcome for a property the template has no place for."""
    return Outcome(prop, False, why)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class Workbench:
    """The spec as a dict (name-keyed lookups over lists), plus the trial row counts."""

    def __init__(self, data: dict[str, Any], *, rows: dict[str, int], objectives: str) -> None:
        self.data = data
        self.rows = rows
        self.words = set(normalise(objectives).split())
        self.claimed: set[tuple[str, str]] = set()  # columns a property already shaped
        self.question_sql: list[str] = []

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy({"data": self.data, "claimed": self.claimed})

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.data = snapshot["data"]
        self.claimed = snapshot["claimed"]

    # --- lookups --------------------------------------------------------------------

    @property
    def tables(self) -> list[dict[str, Any]]:
        return self.data["tables"]

    def table(self, name: str) -> dict[str, Any]:
        return next(t for t in self.tables if t["name"] == name)

    def column(self, table: str, name: str) -> dict[str, Any] | None:
        return next((c for c in self.table(table)["columns"] if c["name"] == name), None)

    def primary_key(self, table: str) -> list[str]:
        spec = self.table(table)
        if spec.get("primary_key"):
            return list(spec["primary_key"])
        first = next((c["name"] for c in spec["columns"] if c["type"] == "id"), None)
        return [first] if first else []

    def foreign_keys(self) -> list[tuple[str, dict[str, Any]]]:
        """(table, column) of every foreign key, in spec order."""
        return [
            (t["name"], c) for t in self.tables for c in t["columns"] if c["type"] == "foreign_key"
        ]

    def children(self, table: str) -> list[str]:
        return [t for t, c in self.foreign_keys() if c["references"] == table and t != table]

    def is_leaf(self, table: str) -> bool:
        return not self.children(table)

    def row_count(self, table: str) -> int:
        return self.rows.get(table, 0)

    def named(self, name: str) -> int:
        """How clearly the objectives mention this table or column: 2 by its whole name
        (singular or plural), 1 by a word of it, 0 not at all."""
        words = {_singular(w) for w in self.words}
        if _singular(name.lower().replace("_", " ")) in words or _singular(name.lower()) in words:
            return 2
        parts = [p for p in name.lower().split("_") if len(p) >= 3 and p not in _GENERIC_PARTS]
        return int(any(_singular(p) in words for p in parts))

    def mentions(self, word: str) -> bool:
        return word in self.words

    def used_columns(self) -> set[tuple[str, str]]:
        """Columns that checks, flaws, constraints, expressions or questions read by name."""
        used: set[tuple[str, str]] = set(self.claimed)
        texts: list[str] = list(self.question_sql)
        for check in self.data.get("checks", []):
            texts.append(str(check))
        for flaw in self.data.get("flaws", []):
            texts.append(str(flaw))
        for table in self.tables:
            texts.append(str(table.get("constraints", [])))
            for column in table["columns"]:
                for key in ("expression", "x", "given", "source"):
                    if column.get(key):
                        texts.append(str(column[key]))
        blob = " ".join(texts)
        for table in self.tables:
            for column in table["columns"]:
                if re.search(rf"\b{re.escape(column['name'])}\b", blob):
                    used.add((table["name"], column["name"]))
        return used

    def flaws(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.data.get("flaws", []) if f["kind"] == kind]

    # --- edits ----------------------------------------------------------------------

    def free_name(self, table: str, base: str) -> str:
        names = {c["name"] for c in self.table(table)["columns"]}
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        return name

    def add_column(self, table: str, column: dict[str, Any]) -> str:
        column = dict(column)
        column["name"] = self.free_name(table, column["name"])
        self.table(table)["columns"].append(column)
        self.claimed.add((table, column["name"]))
        return column["name"]

    def add_table(self, table: dict[str, Any]) -> str:
        names = {t["name"] for t in self.tables}
        base, n = table["name"], 2
        while table["name"] in names:
            table["name"], n = f"{base}_{n}", n + 1
        self.tables.append(table)
        return table["name"]

    def add_check(self, prop_id: str, check: dict[str, Any]) -> str:
        check = dict(check)
        check["description"] = f"[{prop_id}] {check['description']}"
        self.data.setdefault("checks", []).append(check)
        return check["description"]

    def add_flaw(self, flaw: dict[str, Any]) -> None:
        self.data.setdefault("flaws", []).append(flaw)

    # --- choices --------------------------------------------------------------------

    def pick(self, candidates: list[Any], key) -> Any | None:
        """The candidate the objectives name, else the best by ``key`` (largest first)."""
        if not candidates:
            return None
        return max(candidates, key=lambda c: (key(c)[0], *key(c)[1:]))

    def largest_tables(self, *, leaf: bool | None = None) -> list[str]:
        names = [t["name"] for t in self.tables if leaf is None or self.is_leaf(t["name"]) == leaf]
        return sorted(names, key=lambda n: (-self.row_count(n), n))

    def entity_table(self) -> str:
        """The table of the things the lesson is about: named, else a root with most rows."""
        referenced = {c["references"] for _, c in self.foreign_keys()}
        roots = [
            t["name"]
            for t in self.tables
            if not any(c["type"] == "foreign_key" and c.get("per_parent") for c in t["columns"])
            and t.get("scale_rows", True)
        ]
        candidates = roots or [t["name"] for t in self.tables]
        return max(
            candidates,
            key=lambda n: (self.named(n), n in referenced, self.row_count(n), n),
        )

    def numeric_columns(self, table: str) -> list[str]:
        return [
            c["name"]
            for c in self.table(table)["columns"]
            if c["type"] in NUMERIC and not c.get("unique")
        ]
