"""What differs between the SQL dialects, derived from sqlglot where sqlglot knows it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from datagen_lti.export.errors import ExportError


@dataclass(frozen=True)
class SqlDialect:
    """One target dialect of the SQL script writer."""

    name: str  # our name: "postgres", "mysql", "sqlite", "sqlserver"
    sqlglot_name: str  # sqlglot's: "postgres", "mysql", "sqlite", "tsql"
    label: str  # for people: "PostgreSQL"
    # Unicode text needs N'...' literals in SQL Server (NVARCHAR columns).
    string_prefix: str = ""
    # SQL Server rejects a VALUES list of more than 1,000 rows.
    max_rows_per_insert: int = 1000
    # Longest string an index key (primary key, unique, foreign key) can hold.
    max_indexed_chars: int | None = None
    # Length for an indexed string column whose longest value the spec does not know.
    default_indexed_chars: int | None = None
    # Whether FOREIGN KEY constraints can be added after the data (ALTER TABLE).
    can_alter_foreign_keys: bool = True

    def quote(self, name: str) -> str:
        """A quoted identifier, e.g. "order" / `order` / [order]."""
        return exp.to_identifier(name, quoted=True).sql(dialect=self.sqlglot_name)

    def transpile(self, sql: str) -> str:
        """Render one canonical (PostgreSQL-syntax) statement in this dialect."""
        return sqlglot.transpile(sql, read="postgres", write=self.sqlglot_name, identify=True)[0]

    @property
    def escapes_backslash(self) -> bool:
        """MySQL/MariaDB read backslash escapes inside string literals by default."""
        return "\\" in Dialect.get_or_raise(self.sqlglot_name).tokenizer_class.STRING_ESCAPES

    @property
    def boolean_literals(self) -> tuple[str, str]:
        """The TRUE and FALSE this dialect accepts in a VALUES list."""
        return _boolean_literals(self.sqlglot_name)

    @property
    def begin(self) -> str:
        return exp.Transaction().sql(dialect=self.sqlglot_name)

    @property
    def commit(self) -> str:
        return exp.Commit().sql(dialect=self.sqlglot_name)


@cache
def _boolean_literals(sqlglot_name: str) -> tuple[str, str]:
    insert = sqlglot.transpile("INSERT INTO t VALUES (TRUE, FALSE)", write=sqlglot_name)[0]
    values = sqlglot.parse_one(insert, read=sqlglot_name).find(exp.Tuple)
    true, false = (e.sql(dialect=sqlglot_name) for e in values.expressions)
    return true, false


DIALECTS: dict[str, SqlDialect] = {
    "postgres": SqlDialect("postgres", "postgres", "PostgreSQL"),
    "mysql": SqlDialect(
        "mysql",
        "mysql",
        "MySQL / MariaDB",
        # InnoDB index keys hold at most 3,072 bytes: 768 utf8mb4 characters.
        max_indexed_chars=768,
        default_indexed_chars=255,
    ),
    "sqlite": SqlDialect("sqlite", "sqlite", "SQLite", can_alter_foreign_keys=False),
    "sqlserver": SqlDialect(
        "sqlserver",
        "tsql",
        "SQL Server",
        string_prefix="N",
        # A clustered index key holds at most 900 bytes: 450 NVARCHAR characters.
        max_indexed_chars=450,
        default_indexed_chars=450,
    ),
}


def get_dialect(name: str) -> SqlDialect:
    """The dialect called ``name``; an ``ExportError`` listing the valid names otherwise."""
    try:
        return DIALECTS[name]
    except KeyError:
        valid = ", ".join(DIALECTS)
        raise ExportError(f"Unknown SQL dialect {name!r}; choose one of: {valid}.") from None
