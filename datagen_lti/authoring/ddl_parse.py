"""Reading a DDL script with sqlglot into plain tables, columns, keys and checks.

Each statement is parsed on its own, so a statement the importer does not need
(a function, a trigger, a grant) is skipped with a note instead of failing the
whole script; a CREATE TABLE or ALTER TABLE that cannot be read is an error
naming the statement and its line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from datagen_lti.authoring.ddl_errors import DdlError

DIALECTS = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite", "tsql": "tsql"}
DIALECT_ALIASES = {
    "postgresql": "postgres",
    "mariadb": "mysql",
    "sqlserver": "tsql",
    "mssql": "tsql",
}
MAX_SCRIPT_CHARS = 1_000_000

_CREATE_OTHER = re.compile(
    r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?(DOMAIN|FUNCTION|PROCEDURE|SEQUENCE|EXTENSION|TRIGGER|"
    r"VIEW|MATERIALIZED\s+VIEW|SCHEMA|ROLE|RULE|POLICY)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"([\w.\"`\[\]]+)",
    re.IGNORECASE,
)
_ADDS_CONSTRAINT = re.compile(r"\bADD\s+(CONSTRAINT|PRIMARY|FOREIGN|UNIQUE|CHECK)\b", re.IGNORECASE)
_TOKEN_REPR = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: \d+.*?>")
_GO_LINE = re.compile(r"^[ \t]*GO[ \t]*(?:\d+[ \t]*)?$", re.IGNORECASE | re.MULTILINE)
_DELIMITER = re.compile(r"^[ \t]*DELIMITER[ \t]+(\S+)[ \t]*$", re.IGNORECASE)
_ROUTINE = re.compile(
    r"^\s*CREATE\s+(?:DEFINER\s*=\s*\S+\s+)?(TRIGGER|PROCEDURE|FUNCTION|EVENT)\s+([`\"\[\]\w.]+)",
    re.IGNORECASE,
)


@dataclass
class SqlColumn:
    """One column as declared: its type, nullability and the constraints written on it."""

    name: str
    type: str  # sqlglot's type name: INT, VARCHAR, DECIMAL, ENUM, USERDEFINED...
    type_sql: str  # the type as written back by sqlglot, for notes
    params: list[int] = field(default_factory=list)  # length, or precision and scale
    values: list[str] | None = None  # ENUM / SET members
    user_type: str = ""  # name of a CREATE TYPE / CREATE DOMAIN type
    nullable: bool = True
    unique: bool = False
    auto: bool = False  # AUTO_INCREMENT, SERIAL, IDENTITY, generated
    generated_always: bool = False  # GENERATED ALWAYS AS IDENTITY: inserts need OVERRIDING
    default: str | None = None
    checks: list[exp.Expression] = field(default_factory=list)


@dataclass
class SqlForeignKey:
    columns: list[str]
    ref_table: str
    ref_columns: list[str]  # empty: the referenced table's primary key
    line: int
    deferrable: bool = False
    via_alter: bool = False


@dataclass
class SqlTable:
    name: str
    line: int
    columns: dict[str, SqlColumn] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    uniques: list[list[str]] = field(default_factory=list)
    foreign_keys: list[SqlForeignKey] = field(default_factory=list)
    checks: list[exp.Expression] = field(default_factory=list)

    def find(self, name: str) -> SqlColumn | None:
        """The column called ``name``, ignoring case (SQL folds unquoted names)."""
        if name in self.columns:
            return self.columns[name]
        for column in self.columns.values():
            if column.name.lower() == name.lower():
                return column
        return None


@dataclass
class ParsedSchema:
    dialect: str
    tables: dict[str, SqlTable] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)  # CREATE TYPE ... AS ENUM
    domains: dict[str, str] = field(default_factory=dict)  # CREATE DOMAIN name -> base type
    skipped: dict[str, list[str]] = field(default_factory=dict)  # what -> names, for notes

    def find(self, name: str) -> SqlTable | None:
        """The table called ``name``, ignoring case and any schema prefix."""
        if name in self.tables:
            return self.tables[name]
        for table in self.tables.values():
            if table.name.lower() == name.lower():
                return table
        return None

    def skip(self, what: str, name: str) -> None:
        names = self.skipped.setdefault(what, [])
        if name not in names:
            names.append(name)


@dataclass
class Statement:
    number: int
    line: int
    text: str


def normalise_dialect(dialect: str | None, sql: str) -> tuple[str, bool]:
    """The sqlglot dialect to read with, and whether it was guessed from the script."""
    if dialect is None or not dialect.strip():
        return guess_dialect(sql), True
    name = dialect.strip().lower()
    name = DIALECT_ALIASES.get(name, name)
    if name not in DIALECTS:
        raise DdlError(
            f"Unknown dialect {dialect!r}. Use one of {', '.join(DIALECTS)}, "
            "or leave it out to have it guessed from the script."
        )
    return DIALECTS[name], False


def guess_dialect(sql: str) -> str:
    """A best guess from tell-tale syntax; PostgreSQL when nothing stands out."""
    text = sql.lower()
    if "`" in sql or "auto_increment" in text or re.search(r"\bengine\s*=", text):
        return "mysql"
    if _GO_LINE.search(sql) or "identity(" in text or re.search(r"\[\w+\]", sql):
        return "tsql"
    if "autoincrement" in text or "without rowid" in text:
        return "sqlite"
    return "postgres"


def _clean_message(message: str) -> str:
    return _TOKEN_REPR.sub(lambda m: repr(m.group(1)), message)


def _blank_out(sql: str, start: int, end: int) -> str:
    """Replace a span by spaces, keeping its line breaks (line numbers stay right)."""
    return sql[:start] + re.sub(r"[^\n]", " ", sql[start:end]) + sql[end:]


def _strip_client_directives(sql: str, schema: ParsedSchema) -> str:
    """Blank out MySQL ``DELIMITER`` blocks (routines, triggers) and T-SQL ``GO`` lines."""
    sql = _GO_LINE.sub(lambda m: ";" + " " * (len(m.group(0)) - 1), sql)
    lines = sql.split("\n")
    inside: str | None = None
    out: list[str] = []
    for line in lines:
        match = _DELIMITER.match(line)
        if match:
            inside = None if match.group(1) == ";" else match.group(1)
            out.append(" " * len(line))
        elif inside is not None:
            routine = _ROUTINE.match(line)
            if routine:
                quoted = routine.group(2)
                name = routine.group(1).lower() + " " + quoted.strip("`[]" + '"')
                schema.skip("statements between DELIMITER lines (routines and triggers)", name)
            out.append(" " * len(line))
        else:
            out.append(line)
    return "\n".join(out)


def split_statements(sql: str, dialect: str) -> list[Statement]:
    """The script's statements with the line each starts on; a tokenizing error names its line."""
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except TokenError as exc:
        line = _token_error_line(sql, str(exc))
        where = f"near line {line}" if line else "in the script"
        raise DdlError(
            f"The script could not be read {where}: a quote, comment or bracket is not closed. "
            "Close it, or check that the dialect matches the script."
        ) from None
    statements: list[Statement] = []
    current: list = []
    for token in [*tokens, None]:
        if token is None or token.token_type == TokenType.SEMICOLON:
            if current:
                first, last = current[0], current[-1]
                statements.append(
                    Statement(
                        number=len(statements) + 1,
                        line=first.line,
                        text=sql[first.start : last.end + 1],
                    )
                )
            current = []
        else:
            current.append(token)
    return statements


def _token_error_line(sql: str, message: str) -> int | None:
    match = re.search(r"Error tokenizing '(.*)'", message, re.DOTALL)
    if not match:
        return None
    prefix = match.group(1)
    # sqlglot quotes the text up to the failure; its last line holds the culprit.
    position = sql.find(prefix[-40:]) if prefix else -1
    if position < 0:
        return None
    return sql.count("\n", 0, position + len(prefix[-40:])) + 1


def _head(text: str) -> str:
    words = re.findall(r"[A-Za-z_]+", text[:200])
    return " ".join(words[:4]).upper()


def _describe(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 60 else first[:57] + "..."


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it keeps as a raw command: notes say it."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse_script(sql: str, dialect: str) -> ParsedSchema:
    """Every CREATE TABLE, ALTER TABLE ADD CONSTRAINT, CREATE TYPE ENUM and CREATE DOMAIN."""
    if len(sql) > MAX_SCRIPT_CHARS:
        raise DdlError(
            f"The script has {len(sql):,} characters; the limit is {MAX_SCRIPT_CHARS:,}. "
            "Leave out the data (INSERT statements) and keep the schema."
        )
    schema = ParsedSchema(dialect=dialect)
    sql = _strip_client_directives(sql.replace("\r\n", "\n"), schema)
    with _quiet_sqlglot():
        for statement in split_statements(sql, dialect):
            _parse_statement(statement, schema)
    return schema


def _parse_statement(statement: Statement, schema: ParsedSchema) -> None:
    head = _head(statement.text)
    needed = (
        head.startswith("CREATE TABLE")
        or re.match(r"CREATE (TEMPORARY|TEMP|UNLOGGED|GLOBAL|LOCAL) ", head)
        or (head.startswith("ALTER TABLE") and _ADDS_CONSTRAINT.search(statement.text))
    )
    try:
        tree = sqlglot.parse_one(statement.text, read=schema.dialect)
    except ParseError as exc:
        if not needed:
            schema.skip("statements the importer cannot read", _describe(statement.text))
            return
        error = exc.errors[0] if exc.errors else {}
        line = statement.line + (error.get("line") or 1) - 1
        detail = _clean_message(error.get("description") or str(exc))
        raise DdlError(
            f"Statement {statement.number} (line {statement.line}, "
            f"{_describe(statement.text)}) could not be read: {detail} at line {line}. "
            f"Fix it there, or choose the dialect the script was written for "
            f"(read as {schema.dialect})."
        ) from None
    if isinstance(tree, exp.Command) or tree is None:
        if needed:
            raise DdlError(
                f"Statement {statement.number} (line {statement.line}, "
                f"{_describe(statement.text)}) uses syntax the {schema.dialect} reader does not "
                "understand. Choose the dialect the script was written for, or simplify the "
                "statement to plain CREATE TABLE syntax."
            )
        if head.startswith("ALTER TABLE"):
            schema.skip("ALTER TABLE actions other than ADD CONSTRAINT", _describe(statement.text))
            return
        _note_command(statement.text, schema)
        return
    if isinstance(tree, exp.Create):
        _create(tree, statement, schema)
    elif isinstance(tree, exp.Alter):
        _alter(tree, statement, schema)
    elif isinstance(tree, exp.Insert):
        schema.skip("INSERT statements (data, not schema)", tree.this.find(exp.Table).name)
    elif isinstance(tree, exp.Comment):
        schema.skip("comments (COMMENT ON)", _describe(statement.text))
    elif isinstance(tree, exp.Drop | exp.Use | exp.Set | exp.Transaction | exp.Commit | exp.Select):
        return  # housekeeping around the schema
    else:
        schema.skip("other statements (not part of a spec)", _describe(statement.text))


def _note_command(text: str, schema: ParsedSchema) -> None:
    match = _CREATE_OTHER.match(text)
    if match and match.group(1).upper() == "DOMAIN":
        _domain(text, schema)
        return
    if match:
        schema.skip(f"{match.group(1).lower()}s", _unquote(match.group(2)))
        return
    schema.skip("other statements (not part of a spec)", _describe(text))


def _unquote(name: str) -> str:
    return name.strip("`[]" + '"').split(".")[-1].strip("`[]" + '"')


def _domain(text: str, schema: ParsedSchema) -> None:
    match = re.match(
        r"\s*CREATE\s+DOMAIN\s+([\w.\"]+)\s+(?:AS\s+)?([\w ]+?(?:\([\d, ]+\))?)(?:\s|$)",
        text,
        re.IGNORECASE,
    )
    if not match:
        schema.skip("statements the importer cannot read", _describe(text))
        return
    name = match.group(1).strip('"').split(".")[-1]
    schema.domains[name.lower()] = match.group(2).strip()
    schema.skip("domains (columns of a domain use its base type; its checks are left out)", name)


def _create(tree: exp.Create, statement: Statement, schema: ParsedSchema) -> None:
    kind = (tree.args.get("kind") or "").upper()
    if kind == "TABLE":
        if tree.expression is not None:
            name = tree.this.find(exp.Table).name
            schema.skip("tables created from a query (CREATE TABLE ... AS SELECT)", name)
            return
        _table(tree, statement, schema)
    elif kind == "TYPE" and isinstance(tree.expression, exp.DataType):
        name = tree.this.name
        if tree.expression.this == exp.DataType.Type.ENUM:
            schema.enums[name.lower()] = [e.name for e in tree.expression.expressions]
        else:
            schema.skip("types", name)
    elif kind == "INDEX":
        index = tree.this
        schema.skip("indexes (a spec has no indexes; keys and UNIQUE are kept)", index.name)
        if tree.args.get("unique") and isinstance(index, exp.Index):
            _unique_index(index, schema)
    else:
        match = _CREATE_OTHER.match(statement.text)
        if match:
            name = _unquote(match.group(2))
        else:
            identifier = (
                tree.this.find(exp.Identifier) if isinstance(tree.this, exp.Expression) else None
            )
            name = identifier.name if identifier is not None else _describe(statement.text)
        schema.skip(f"{kind.lower()}s" if kind else "other statements (not part of a spec)", name)


def _unique_index(index: exp.Index, schema: ParsedSchema) -> None:
    table = schema.find(index.args["table"].name) if index.args.get("table") else None
    params = index.args.get("params")
    if table is None or params is None:
        return
    columns = [c.this.name for c in params.args.get("columns") or [] if isinstance(c, exp.Ordered)]
    if columns:
        table.uniques.append(columns)


def _table(tree: exp.Create, statement: Statement, schema: ParsedSchema) -> None:
    target = tree.this
    table_expr = target.this if isinstance(target, exp.Schema) else target
    name = table_expr.name
    if schema.find(name) is not None:
        raise DdlError(
            f"Statement {statement.number} (line {statement.line}) creates table {name!r} a "
            "second time. Keep one CREATE TABLE per table."
        )
    table = SqlTable(name=name, line=statement.line)
    items = target.expressions if isinstance(target, exp.Schema) else []
    for item in items:
        if isinstance(item, exp.ColumnDef):
            _column(item, table, statement, schema.dialect)
    for item in items:
        if not isinstance(item, exp.ColumnDef):
            _table_constraint(item, table, statement, schema)
    if not table.columns:
        raise DdlError(
            f"Statement {statement.number} (line {statement.line}) creates table {name!r} with "
            "no columns. Give it its columns."
        )
    schema.tables[name] = table


def _literal_ints(data_type: exp.DataType) -> list[int]:
    numbers = []
    for param in data_type.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(value, exp.Literal) and not value.is_string:
            try:
                numbers.append(int(value.this))
            except ValueError:
                continue
    return numbers


def _column(item: exp.ColumnDef, table: SqlTable, statement: Statement, dialect: str) -> None:
    data_type = item.args.get("kind")
    if data_type is None:
        # SQLite allows a column without a type.
        column = SqlColumn(name=item.name, type="UNKNOWN", type_sql="(no type)")
    else:
        type_name = data_type.this.name if hasattr(data_type.this, "name") else str(data_type.this)
        column = SqlColumn(
            name=item.name,
            type=type_name,
            type_sql=data_type.sql(dialect=dialect),
            params=_literal_ints(data_type),
        )
        if type_name in ("ENUM", "SET"):
            column.values = [e.name for e in data_type.expressions if isinstance(e, exp.Literal)]
        if type_name == "USERDEFINED":
            column.user_type = data_type.args["kind"].name if data_type.args.get("kind") else ""
        if type_name in ("SERIAL", "BIGSERIAL", "SMALLSERIAL"):
            column.auto = True
    for constraint in item.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint):
            column.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            table.primary_key = [column.name]
            column.nullable = False
        elif isinstance(kind, exp.UniqueColumnConstraint):
            column.unique = True
        elif isinstance(
            kind, exp.AutoIncrementColumnConstraint | exp.GeneratedAsIdentityColumnConstraint
        ):
            column.auto = True
            if isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.this is True:
                column.generated_always = True
        elif isinstance(kind, exp.DefaultColumnConstraint):
            default = kind.this.sql(dialect=dialect) if kind.this else "NULL"
            column.default = None if default.upper() == "NULL" else default
        elif isinstance(kind, exp.CheckColumnConstraint):
            column.checks.append(kind.this)
        elif isinstance(kind, exp.Reference):
            table.foreign_keys.append(_reference(kind, [column.name], statement.line))
    if column.name in table.columns:
        raise DdlError(
            f"Statement {statement.number} (line {statement.line}): table {table.name!r} "
            f"declares column {column.name!r} twice. Keep one of them."
        )
    table.columns[column.name] = column


def _reference(reference: exp.Reference, columns: list[str], line: int) -> SqlForeignKey:
    target = reference.this
    table_expr = target.this if isinstance(target, exp.Schema) else target
    ref_columns = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else []
    options = " ".join(str(o).upper() for o in reference.args.get("options") or [])
    return SqlForeignKey(
        columns=columns,
        ref_table=table_expr.name,
        ref_columns=ref_columns,
        line=line,
        deferrable="DEFERRABLE" in options and "NOT DEFERRABLE" not in options,
    )


def _names(expressions) -> list[str]:
    names = []
    for e in expressions or []:
        node = e.this if isinstance(e, exp.Ordered) else e
        names.append(node.name)
    return names


def _table_constraint(
    item: exp.Expression, table: SqlTable, statement: Statement, schema: ParsedSchema
) -> None:
    if isinstance(item, exp.Constraint):
        for inner in item.expressions:
            _table_constraint(inner, table, statement, schema)
        return
    if isinstance(item, exp.PrimaryKey):
        table.primary_key = _names(item.expressions)
    elif isinstance(item, exp.ForeignKey):
        reference = item.args.get("reference")
        if reference is not None:
            table.foreign_keys.append(
                _reference(reference, _names(item.expressions), statement.line)
            )
    elif isinstance(item, exp.UniqueColumnConstraint):
        target = item.this
        columns = _names(target.expressions) if isinstance(target, exp.Schema) else []
        if columns:
            table.uniques.append(columns)
    elif isinstance(item, exp.CheckColumnConstraint):
        table.checks.append(item.this)
    elif isinstance(item, exp.ColumnConstraint) and isinstance(
        item.args.get("kind"), exp.CheckColumnConstraint
    ):
        table.checks.append(item.args["kind"].this)
    elif isinstance(item, exp.IndexColumnConstraint):
        schema.skip(
            "indexes (a spec has no indexes; keys and UNIQUE are kept)", item.name or table.name
        )
    elif isinstance(item, exp.Check):
        table.checks.append(item.this)
    else:
        schema.skip(f"constraints of table {table.name}", _describe(item.sql(dialect="postgres")))


def _alter(tree: exp.Alter, statement: Statement, schema: ParsedSchema) -> None:
    name = tree.this.name
    table = schema.find(name)
    if table is None:
        raise DdlError(
            f"Statement {statement.number} (line {statement.line}) alters table {name!r}, which "
            "the script has not created before it. Put its CREATE TABLE first."
        )
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.AddConstraint):
            before = len(table.foreign_keys)
            for constraint in action.expressions:
                _table_constraint(constraint, table, statement, schema)
            for fk in table.foreign_keys[before:]:
                fk.via_alter = True
        else:
            schema.skip("ALTER TABLE actions other than ADD CONSTRAINT", _describe(statement.text))
